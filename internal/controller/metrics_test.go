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
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
)

func TestCredentialGauges(t *testing.T) {
	at := func(unix int64) *metav1.Time { mt := metav1.NewTime(time.Unix(unix, 0)); return &mt }
	ready := &authv1alpha1.CyclrCredential{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "ready"}}
	ready.Status.ExpiresAt, ready.Status.RefreshAt = at(2000), at(1500)
	ready.Status.Conditions = []metav1.Condition{{Type: authv1alpha1.ConditionReady, Status: metav1.ConditionTrue}}
	failing := &authv1alpha1.CyclrCredential{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "failing"}}
	failing.Status.Conditions = []metav1.Condition{{Type: authv1alpha1.ConditionReady, Status: metav1.ConditionFalse}}

	var g credentialGauges
	g.record(ready)
	g.record(failing)
	wantSamples(t, &g,
		`cyclr_credential_expiry_timestamp_seconds{namespace="ns",name="ready"} 2000`,
		`cyclr_credential_ready{namespace="ns",name="failing"} 0`,
		`cyclr_credential_ready{namespace="ns",name="ready"} 1`,
		`cyclr_credential_refresh_timestamp_seconds{namespace="ns",name="ready"} 1500`,
	)

	// A new status replaces the record: the token is gone, so are its times.
	ready.Status = authv1alpha1.CyclrCredentialStatus{}
	g.record(ready)
	g.forget(types.NamespacedName{Namespace: "ns", Name: "failing"})
	wantSamples(t, &g, `cyclr_credential_ready{namespace="ns",name="ready"} 0`)
}

// wantSamples gathers c through a registry (which checks the samples against their
// descriptions) and compares the samples, as sorted `name{namespace,name} value` lines.
func wantSamples(t *testing.T, c prometheus.Collector, want ...string) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, mf := range families {
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			got = append(got, fmt.Sprintf(`%s{namespace=%q,name=%q} %g`, mf.GetName(), labels["namespace"], labels["name"], m.GetGauge().GetValue()))
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("samples:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
