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
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/cyclr-operator/cyclr-token-operator/internal/version"
)

// TestBuildInfo gathers the metric from the registry the manager serves: one series, 1,
// labelled with this build's version and revision (in go test: the defaults).
func TestBuildInfo(t *testing.T) {
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, mf := range families {
		if mf.GetName() != "cyclr_operator_build_info" {
			continue
		}
		found = true
		if len(mf.GetMetric()) != 1 {
			t.Fatalf("%d series, want 1: %v", len(mf.GetMetric()), mf.GetMetric())
		}
		m := mf.GetMetric()[0]
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		want := map[string]string{"version": version.Version, "revision": version.Revision}
		if !maps.Equal(labels, want) {
			t.Errorf("labels %v, want %v", labels, want)
		}
		if got := m.GetGauge().GetValue(); got != 1 {
			t.Errorf("value %g, want 1", got)
		}
	}
	if !found {
		t.Error("cyclr_operator_build_info is not in controller-runtime's metrics.Registry")
	}
}
