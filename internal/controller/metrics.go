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
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
)

// credentialLabels identify a CyclrCredential in the per-credential gauges.
var credentialLabels = []string{"namespace", "name"}

func labelsOf(namespace, name string) prometheus.Labels {
	return prometheus.Labels{credentialLabels[0]: namespace, credentialLabels[1]: name}
}

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
	credentialExpiry = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cyclr_credential_expiry_timestamp_seconds",
		Help: "Unix time at which the credential's current token expires.",
	}, credentialLabels)
	credentialRefresh = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cyclr_credential_refresh_timestamp_seconds",
		Help: "Unix time of the credential's next planned refresh or retry.",
	}, credentialLabels)
	credentialReady = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cyclr_credential_ready",
		Help: "1 when the credential's Ready condition is True, else 0.",
	}, credentialLabels)
	// Not per credential: the Warning event RolloutRestartFailed names the credential.
	rolloutRestarts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cyclr_rollout_restarts_total",
		Help: "Rollout restarts of spec.rolloutRestartTargets, by kind and result (restarted, unchanged, not_found, forbidden, error).",
	}, []string{"kind", "result"})
)

func init() {
	metrics.Registry.MustRegister(tokenRequests, tokenRequestDuration, credentialExpiry, credentialRefresh, credentialReady, rolloutRestarts)
}

func observeTokenRequest(grant cyclr.Grant, elapsed time.Duration, err error) {
	tokenRequests.WithLabelValues(string(grant), cyclr.Result(err)).Inc()
	tokenRequestDuration.WithLabelValues(string(grant)).Observe(elapsed.Seconds())
}

func recordCredentialMetrics(cred *authv1alpha1.CyclrCredential) {
	labels := labelsOf(cred.Namespace, cred.Name)
	st := cred.Status
	setOrDelete(credentialExpiry, labels, st.ExpiresAt != nil, func() float64 { return float64(st.ExpiresAt.Unix()) })
	setOrDelete(credentialRefresh, labels, st.RefreshAt != nil, func() float64 { return float64(st.RefreshAt.Unix()) })
	ready := 0.0
	for _, c := range st.Conditions {
		if c.Type == authv1alpha1.ConditionReady && c.Status == "True" {
			ready = 1
		}
	}
	credentialReady.With(labels).Set(ready)
}

func setOrDelete(g *prometheus.GaugeVec, labels prometheus.Labels, present bool, value func() float64) {
	if present {
		g.With(labels).Set(value())
	} else {
		g.Delete(labels)
	}
}

func forgetCredentialMetrics(namespace, name string) {
	labels := labelsOf(namespace, name)
	for _, g := range []*prometheus.GaugeVec{credentialExpiry, credentialRefresh, credentialReady} {
		g.Delete(labels)
	}
}
