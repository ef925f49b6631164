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

// Command bench measures the operator under load against a real kube-apiserver (the test
// control plane) and the Cyclr emulator, running bin/manager as a subprocess, and prints each
// figure next to its floor or target. `make bench` builds bin/manager and runs it; see
// docs/benchmarks.md for the figures and what they mean.
//
//	go run ./test/bench -n 1000 -unrelated 10000   # the full run
//	go run ./test/bench -n 50 -unrelated 500       # a quick one
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr/cyclrtest"
	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

type benchConfig struct {
	n, refreshN, unrelated, unrelatedSize int
	lifetime                              time.Duration
	concurrency, createWorkers            int
	cyclrQPS                              float64
	cyclrBurst                            int
	restartWindow, settle, timeout        time.Duration
	manager, workDir, heapProfile         string
	memoryLimit                           int64
	keep, gcWait, strict, floor           bool
	// apiHosts are the emulators' host:port, passed to --allowed-api-hosts.
	apiHosts []string
}

func main() {
	c := &benchConfig{}
	flag.IntVar(&c.n, "n", 1000, "CyclrCredentials created at once (figures 1, 2, 4, 6)")
	flag.IntVar(&c.refreshN, "refresh-n", 100, "CyclrCredentials of the refresh-cycle batch (figure 3)")
	flag.DurationVar(&c.lifetime, "lifetime", 30*time.Second, "token lifetime of the refresh-cycle batch")
	flag.IntVar(&c.unrelated, "unrelated", 10000, "unrelated Secrets created for the memory figure (5)")
	flag.IntVar(&c.unrelatedSize, "unrelated-size", 4096, "bytes of data in each unrelated Secret")
	flag.IntVar(&c.concurrency, "concurrency", 4, "the manager's --max-concurrent-reconciles, and the baseline's parallelism")
	flag.IntVar(&c.createWorkers, "create-workers", 32, "parallel clients creating the CyclrCredentials")
	flag.Float64Var(&c.cyclrQPS, "cyclr-qps", 1000, "the manager's --cyclr-qps")
	flag.IntVar(&c.cyclrBurst, "cyclr-burst", 1000, "the manager's --cyclr-burst")
	flag.DurationVar(&c.restartWindow, "restart-window", time.Minute, "how long Cyclr requests are counted after a restart (figure 4)")
	flag.DurationVar(&c.settle, "settle", 5*time.Second, "how long memory is sampled (once a second) once the manager is idle")
	flag.BoolVar(&c.gcWait, "gc-wait", true,
		"before sampling memory, wait for the manager's first GC after it went idle (up to 2 minutes each)")
	flag.DurationVar(&c.timeout, "timeout", 40*time.Minute, "bound on the whole run")
	flag.StringVar(&c.manager, "manager", "bin/manager", "the manager binary (go build -o bin/manager ./cmd)")
	flag.BoolVar(&c.strict, "strict", false, "exit with status 1 when a figure misses its floor (the run itself failing always does)")
	flag.BoolVar(&c.floor, "floor", true, "measure the direct-write floor of figure 1 (false: a run for the other figures only)")
	flag.StringVar(&c.heapProfile, "heap-profile", "",
		"write the manager's heap profile with the N credentials (after the restart of figure 4) to this file; "+
			"runs the manager with --pprof-bind-address on loopback")
	flag.Int64Var(&c.memoryLimit, "memory-limit", 256<<20,
		"the shipped memory limit (config/manager/manager.yaml) in bytes: the RSS targets are fractions of it")
	flag.BoolVar(&c.keep, "keep-logs", false, "keep the manager logs and kubeconfig even when the run succeeds")
	flag.Parse()

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, c.timeout)
	defer cancelTimeout()

	err := run(ctx, c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c *benchConfig) (err error) {
	if _, err := os.Stat(c.manager); err != nil {
		return fmt.Errorf("%s: %w (build it with: go build -o bin/manager ./cmd)", c.manager, err)
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	b := &bench{c: c}
	if c.workDir, err = os.MkdirTemp("", "cyclr-bench-"); err != nil {
		return err
	}
	defer func() {
		if err != nil || len(b.failed) > 0 || c.keep {
			fmt.Printf("\nmanager logs and kubeconfig kept in %s\n", c.workDir)
		} else {
			_ = os.RemoveAll(c.workDir)
		}
	}()

	logf("starting the control plane (KUBEBUILDER_ASSETS=%s)", os.Getenv("KUBEBUILDER_ASSETS"))
	cfg, stopEnv, err := testenv.Start()
	if err != nil {
		return err
	}
	defer func() {
		if serr := stopEnv(); serr != nil {
			logf("stopping the control plane: %v", serr)
		}
	}()
	cfg.QPS = -1 // like the manager (controller-runtime's default): no client-side limit
	b.cfg = cfg
	if b.apiHTTP, err = rest.HTTPClientFor(cfg); err != nil {
		return err
	}
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = authv1alpha1.AddToScheme(scheme)
	if b.k8s, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		return err
	}
	view, err := cache.New(cfg, cache.Options{Scheme: scheme, ByObject: map[client.Object]cache.ByObject{
		&authv1alpha1.CyclrCredential{}: {},
	}})
	if err != nil {
		return err
	}
	if _, err := view.GetInformer(ctx, &authv1alpha1.CyclrCredential{}); err != nil {
		return err
	}
	viewCtx, stopView := context.WithCancel(ctx)
	defer stopView()
	go func() { _ = view.Start(viewCtx) }()
	if !view.WaitForCacheSync(ctx) {
		return errors.New("the bench's cache did not sync")
	}
	b.view = view

	b.kubeconfig = filepath.Join(c.workDir, "kubeconfig")
	if err := writeKubeconfig(cfg, b.kubeconfig); err != nil {
		return err
	}
	b.cyclr = cyclrtest.NewServer()
	defer b.cyclr.Close()
	b.cyclrShort = cyclrtest.NewServer(cyclrtest.WithLifetime(c.lifetime))
	defer b.cyclrShort.Close()
	for _, s := range []*cyclrtest.Server{b.cyclr, b.cyclrShort} {
		c.apiHosts = append(c.apiHosts, strings.TrimPrefix(s.URL, "http://"))
		s.AddPartner(clientID, username, password)
	}
	defer func() { b.mgr.kill() }()

	phases := []struct {
		name string
		f    func(context.Context) error
	}{
		{"baseline: direct writes", b.phaseBaseline},
		{"load: N credentials at once", b.phaseLoad},
		{"refresh cycle", b.phaseRefreshCycle},
		{"restart", b.phaseRestart},
		{"unrelated Secrets", b.phaseUnrelated},
	}
	for _, p := range phases {
		logf("phase: %s", p.name)
		if err = p.f(ctx); err != nil {
			err = fmt.Errorf("phase %q: %w", p.name, err)
			break
		}
	}
	if b.mgr != nil {
		code, took, serr := b.mgr.stop()
		if serr != nil || code != 0 {
			b.failed = append(b.failed, fmt.Sprintf("final SIGTERM: exit code %d after %s (%v)", code, took, serr))
		}
		b.mgr = nil
	}
	b.report(os.Stdout, err)
	if err == nil && len(b.failed) > 0 && c.strict {
		err = fmt.Errorf("%d figure(s) missed their floor: %s", len(b.failed), strings.Join(b.failed, "; "))
	}
	return err
}
