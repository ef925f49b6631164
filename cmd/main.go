/*
Copyright 2026.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/
// Command manager runs the cyclr-token-operator: it keeps Cyclr API tokens fresh in Secrets.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	// Mozilla's CA roots compiled in: the image holds no CA bundle (FROM scratch), and
	// crypto/x509 uses these only where the system has none.
	_ "golang.org/x/crypto/x509roots/fallback"
	_ "k8s.io/client-go/plugin/pkg/client/auth"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/controller"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
	"github.com/cyclr-operator/cyclr-token-operator/internal/logging"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
	"github.com/cyclr-operator/cyclr-token-operator/internal/version"
)

var (
	scheme   = runtime.NewScheme()
	setupLog = ctrl.Log.WithName("setup")
)

func init() {
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(authv1alpha1.AddToScheme(scheme))
}

func main() {
	var metricsAddr, probeAddr, pprofAddr, namespaces, allowedHosts, extraCAFile string
	var metricsCertPath, metricsCertName, metricsCertKey string
	var enableLeaderElection, secureMetrics, enableHTTP2 bool
	var maxConcurrent, cyclrBurst int
	var cyclrQPS float64
	var cyclrTimeout, minRefreshInterval time.Duration
	flag.StringVar(&metricsAddr, "metrics-bind-address", "0", "The address the metrics endpoint binds to. "+
		"Use :8443 for HTTPS or :8080 for HTTP, or leave as 0 to disable the metrics service.")
	flag.StringVar(&probeAddr, "health-probe-bind-address", ":8081", "The address the probe endpoint binds to.")
	flag.StringVar(&pprofAddr, "pprof-bind-address", "", "The address Go's /debug/pprof endpoints bind to; empty (the default) serves none. "+
		"Unauthenticated: bind it to 127.0.0.1 and port-forward.")
	flag.BoolVar(&enableLeaderElection, "leader-elect", false,
		"Enable leader election for controller manager, so only one replica calls Cyclr.")
	flag.BoolVar(&secureMetrics, "metrics-secure", true,
		"If set, the metrics endpoint is served securely via HTTPS. Use --metrics-secure=false to use HTTP instead.")
	flag.StringVar(&metricsCertPath, "metrics-cert-path", "", "The directory that contains the metrics server certificate.")
	flag.StringVar(&metricsCertName, "metrics-cert-name", "tls.crt", "The name of the metrics server certificate file.")
	flag.StringVar(&metricsCertKey, "metrics-cert-key", "tls.key", "The name of the metrics server key file.")
	flag.BoolVar(&enableHTTP2, "enable-http2", false, "If set, HTTP/2 will be enabled for the metrics server.")
	flag.StringVar(&namespaces, "namespaces", "", "Comma-separated namespaces to watch; empty watches all.")
	flag.IntVar(&maxConcurrent, "max-concurrent-reconciles", 4, "How many CyclrCredentials are reconciled in parallel.")
	flag.Float64Var(&cyclrQPS, "cyclr-qps", 5, "Token requests per second allowed to each Cyclr API host.")
	flag.IntVar(&cyclrBurst, "cyclr-burst", 10, "Burst of token requests allowed to each Cyclr API host.")
	flag.DurationVar(&cyclrTimeout, "cyclr-timeout", 30*time.Second, "Timeout of one token request to Cyclr.")
	flag.StringVar(&allowedHosts, "allowed-api-hosts", strings.Join(cyclr.DefaultAPIHosts, ","),
		"Comma-separated API hosts a CyclrCredential may send its login to: host, host:port or *.domain. "+
			"Loopback hosts only when listed; plain http only to a listed loopback host.")
	flag.StringVar(&extraCAFile, "extra-ca-file", "",
		"PEM bundle of CA certificates trusted for Cyclr's TLS besides the system roots "+
			"(a private Cyclr instance with a private CA).")
	flag.DurationVar(&minRefreshInterval, "min-refresh-interval", policy.DefaultMinRefreshInterval,
		"Least time between two token requests of one CyclrCredential, manual refresh requests included; "+
			"a token that lives shorter is refused as an invalid response.")
	printVersion := flag.Bool("version", false, "Print \"cyclr-token-operator <version> <commit>\" and exit.")
	opts := zap.Options{}
	opts.BindFlags(flag.CommandLine)
	flag.Parse()
	// Before the logger, the kubeconfig and the manager: --version reads and starts nothing.
	if *printVersion {
		fmt.Println(version.String())
		return
	}
	opts.Level = logging.Capped(opts.Level)
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts)))

	var tlsOpts []func(*tls.Config)
	if !enableHTTP2 {
		// HTTP/2 Stream Cancellation and Rapid Reset CVEs: serve HTTP/1.1 unless asked.
		tlsOpts = append(tlsOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	metricsOptions := metricsserver.Options{BindAddress: metricsAddr, SecureServing: secureMetrics, TLSOpts: tlsOpts,
		CertDir: metricsCertPath, CertName: metricsCertName, KeyName: metricsCertKey}
	if secureMetrics {
		metricsOptions.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	watched := splitList(namespaces)
	hosts, err := cyclr.ParseHostPolicy(splitList(allowedHosts))
	if err != nil {
		setupLog.Error(err, "Invalid --allowed-api-hosts")
		os.Exit(1)
	}
	var cyclrRoots *x509.CertPool // nil: the system roots
	if extraCAFile != "" {
		if cyclrRoots, err = cyclr.LoadRootCAs(extraCAFile); err != nil {
			setupLog.Error(err, "Invalid --extra-ca-file")
			os.Exit(1)
		}
	}
	mgr, err := ctrl.NewManager(ctrl.GetConfigOrDie(), ctrl.Options{
		Scheme:                        scheme,
		Metrics:                       metricsOptions,
		HealthProbeBindAddress:        probeAddr,
		PprofBindAddress:              pprofAddr,
		LeaderElection:                enableLeaderElection,
		LeaderElectionID:              "cyclr-token-operator.cyclr-operator.io",
		LeaderElectionReleaseOnCancel: true,
		Cache:                         controller.CacheOptions(watched),
	})
	if err != nil {
		setupLog.Error(err, "Failed to create manager")
		os.Exit(1)
	}

	reconciler := controller.NewReconciler(mgr,
		cyclr.NewClient(cyclr.Options{
			Timeout: cyclrTimeout, QPS: cyclrQPS, Burst: cyclrBurst, Hosts: hosts, RootCAs: cyclrRoots,
		}), hosts)
	reconciler.MinRefreshInterval = minRefreshInterval
	if err := reconciler.SetupWithManager(mgr, controller.Options{MaxConcurrentReconciles: maxConcurrent}); err != nil {
		setupLog.Error(err, "Failed to create controller", "controller", "cyclrcredential")
		os.Exit(1)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		setupLog.Error(err, "Failed to set up health check")
		os.Exit(1)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		setupLog.Error(err, "Failed to set up ready check")
		os.Exit(1)
	}

	setupLog.Info("Starting manager", "version", version.Version, "revision", version.Revision, "namespaces", watched)
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		setupLog.Error(err, "Failed to run manager")
		os.Exit(1)
	}
}

func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
