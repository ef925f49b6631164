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

package controller

import (
	"maps"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
	"github.com/cyclr-operator/cyclr-token-operator/internal/version"
)

// Metrics of docs/design.md, section 1. Labels are names and enums only, never a secret.
var (
	tokenRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cyclr_token_requests_total",
		Help: "Token requests sent to Cyclr, by grant and result (success, auth_error, unavailable, invalid_response).",
	}, []string{"grant", "result"})
	tokenRequestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "cyclr_token_request_duration_seconds",
		Help:    "Duration of token requests to Cyclr, by grant.",
		Buckets: prometheus.ExponentialBuckets(0.01, 2, 12),
	}, []string{"grant"})
	// Not per credential: the Warning event RolloutRestartFailed names the credential.
	rolloutRestarts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cyclr_rollout_restarts_total",
		Help: "Rollout restarts of spec.rolloutRestartTargets, by kind and result " +
			"(restarted, unchanged, not_found, forbidden, not_allowed, error).",
	}, []string{"kind", "result"})
	// credentialMetrics holds the per-credential gauges.
	credentialMetrics = &credentialGauges{}
)

// buildInfo is always 1; its labels say which build serves the metrics, so that a query can
// join on it (e.g. `* on (pod) group_left(version) cyclr_operator_build_info`) or count the
// versions running during an upgrade. Registered with the operator's other metrics, so that
// whatever serves or checks those (the manager, test/monitoring) has it too.
var buildInfo = prometheus.NewGaugeVec(prometheus.GaugeOpts{
	Name: "cyclr_operator_build_info",
	Help: "Always 1, labelled with the operator's version and the commit it was built from.",
}, []string{"version", "revision"})

func init() {
	buildInfo.WithLabelValues(version.Version, version.Revision).Set(1)
	metrics.Registry.MustRegister(tokenRequests, tokenRequestDuration, rolloutRestarts, credentialMetrics, buildInfo)
}

func observeTokenRequest(grant cyclr.Grant, elapsed time.Duration, err error) {
	tokenRequests.WithLabelValues(string(grant), cyclr.Result(err)).Inc()
	tokenRequestDuration.WithLabelValues(string(grant)).Observe(elapsed.Seconds())
}

// The per-credential gauges, labelled by namespace and name.
var (
	credentialExpiryDesc = prometheus.NewDesc("cyclr_credential_expiry_timestamp_seconds",
		"Unix time at which the credential's current token expires.", credentialLabels, nil)
	credentialRefreshDesc = prometheus.NewDesc("cyclr_credential_refresh_timestamp_seconds",
		"Unix time of the credential's next planned refresh or retry.", credentialLabels, nil)
	credentialReadyDesc = prometheus.NewDesc("cyclr_credential_ready",
		"1 when the credential's Ready condition is True, else 0.", credentialLabels, nil)
)

var credentialLabels = []string{"namespace", "name"}

// credentialGauges is a prometheus.Collector of the three gauges of each credential. It keeps
// one small record per credential and builds the samples when scraped: three GaugeVec series
// per credential (label pairs, hashes, a metric each) would cost the operator about ten times
// as much memory, for values that change once per token.
type credentialGauges struct {
	mu sync.Mutex
	m  map[types.NamespacedName]credentialSample
}

// credentialSample is what the gauges report of one credential; a zero time is not reported.
type credentialSample struct {
	expiry, refresh int64 // Unix seconds
	ready           bool
}

func (g *credentialGauges) record(cred *authv1alpha1.CyclrCredential) {
	st := cred.Status
	sample := credentialSample{ready: meta.IsStatusConditionTrue(st.Conditions, authv1alpha1.ConditionReady)}
	if st.ExpiresAt != nil {
		sample.expiry = st.ExpiresAt.Unix()
	}
	if st.RefreshAt != nil {
		sample.refresh = st.RefreshAt.Unix()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.m == nil {
		g.m = map[types.NamespacedName]credentialSample{}
	}
	g.m[client.ObjectKeyFromObject(cred)] = sample
}

func (g *credentialGauges) forget(key types.NamespacedName) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.m, key)
}

func (g *credentialGauges) Describe(ch chan<- *prometheus.Desc) {
	ch <- credentialExpiryDesc
	ch <- credentialRefreshDesc
	ch <- credentialReadyDesc
}

// Collect sends a copy of the records, taken under the lock, so a slow scrape does not hold
// up reconciles.
func (g *credentialGauges) Collect(ch chan<- prometheus.Metric) {
	g.mu.Lock()
	samples := maps.Clone(g.m)
	g.mu.Unlock()
	for key, s := range samples {
		if s.expiry != 0 {
			ch <- prometheus.MustNewConstMetric(credentialExpiryDesc, prometheus.GaugeValue, float64(s.expiry), key.Namespace, key.Name)
		}
		if s.refresh != 0 {
			ch <- prometheus.MustNewConstMetric(credentialRefreshDesc, prometheus.GaugeValue, float64(s.refresh), key.Namespace, key.Name)
		}
		ready := 0.0
		if s.ready {
			ready = 1
		}
		ch <- prometheus.MustNewConstMetric(credentialReadyDesc, prometheus.GaugeValue, ready, key.Namespace, key.Name)
	}
}
