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

package chart

import (
	"context"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

// TestChartApplies sends the chart's renders to a real API server: the CRD for real, every
// other object with server-side apply in dry-run (schema, CEL and RBAC validation run on
// each), and the manager's pod template as a dry-run Pod in the release namespace, which
// enforces the "restricted" Pod Security Standard as the chart's NOTES ask. The namespaces
// are created first, as `helm install --create-namespace` and the user (for namespaced mode)
// do.
func TestChartApplies(t *testing.T) {
	k8s := testenv.StartSuite(t).Client
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	for name, labels := range map[string]map[string]string{
		namespace: {"pod-security.kubernetes.io/enforce": "restricted"},
		"team-a":  nil,
		"team-b":  nil,
	} {
		if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}); err != nil {
			t.Fatal(err)
		}
	}
	for name, values := range map[string][]string{
		"default":    nil,
		"namespaced": namespacedValues,
		// Every option whose objects this API server knows: the ServiceMonitor's and the
		// PrometheusRule's CRDs come with the Prometheus Operator.
		"options": append(slices.Clone(allOptions), "--set-file", "extraCA="+caBundle(t),
			"--set", "metrics.serviceMonitor.enabled=false,prometheusRule.enabled=false"),
	} {
		t.Run(name, func(t *testing.T) {
			objs := render(t, values...)
			testenv.DryRunInstall(ctx, t, k8s, client.FieldOwner("chart-test"), objs)
			testenv.DryRunRestrictedPod(ctx, t, k8s, testenv.Find(objs, "Deployment", release+"-controller-manager"))
		})
	}
}
