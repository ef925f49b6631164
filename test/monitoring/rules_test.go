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

package monitoring

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"sigs.k8s.io/yaml"

	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

// prometheusRule is the part of the Prometheus Operator's PrometheusRule these alerts use.
// Unmarshalled strictly, so a misspelt field (anotations, expresion) fails instead of being
// dropped by the API server. It has alerting rules only: a recording rule's name would be a
// metric Prometheus makes, not one the manager exports.
type prometheusRule struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Labels    map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		Groups []struct {
			Name  string      `json:"name"`
			Rules []alertRule `json:"rules"`
		} `json:"groups"`
	} `json:"spec"`
}

type alertRule struct {
	Alert       string            `json:"alert"`
	Expr        string            `json:"expr"`
	For         string            `json:"for"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// severities are the values Alertmanager routes in the usual setups (kube-prometheus).
var severities = map[string]bool{"critical": true, "warning": true, "info": true}

func readRules(t *testing.T) prometheusRule {
	t.Helper()
	path := filepath.Join(testenv.Root(), "config", "prometheus", "prometheus_rule.yaml")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rule prometheusRule
	if err := yaml.UnmarshalStrict(raw, &rule); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if rule.APIVersion != "monitoring.coreos.com/v1" || rule.Kind != "PrometheusRule" {
		t.Fatalf("%s is a %s %s, want a monitoring.coreos.com/v1 PrometheusRule", path, rule.APIVersion, rule.Kind)
	}
	return rule
}

// TestAlertRules checks that every alert parses, uses only metrics the manager exports, waits
// a valid `for`, and tells the person paged how bad it is, what happened and what to run.
func TestAlertRules(t *testing.T) {
	exported := exportedMetrics(t)
	seen := map[string]bool{}
	for _, group := range readRules(t).Spec.Groups {
		if len(group.Rules) == 0 {
			t.Errorf("group %q has no rules", group.Name)
		}
		for _, rule := range group.Rules {
			if rule.Alert == "" || seen[rule.Alert] {
				t.Errorf("group %q: alert name %q is empty or repeated", group.Name, rule.Alert)
			}
			seen[rule.Alert] = true
			checkExpr(t, rule.Alert, rule.Expr, exported)
			if d, err := model.ParseDuration(rule.For); err != nil || d <= 0 {
				t.Errorf("%s: for %q is not a positive Prometheus duration", rule.Alert, rule.For)
			}
			if !severities[rule.Labels["severity"]] {
				t.Errorf("%s: severity label %q, want critical, warning or info", rule.Alert, rule.Labels["severity"])
			}
			for _, key := range []string{"summary", "description"} {
				if strings.TrimSpace(rule.Annotations[key]) == "" {
					t.Errorf("%s: no %s annotation", rule.Alert, key)
				}
			}
			if !strings.Contains(rule.Annotations["description"], "kubectl ") {
				t.Errorf("%s: the description gives no kubectl command to start from", rule.Alert)
			}
		}
	}
	if len(seen) == 0 {
		t.Error("no alerts")
	}
}
