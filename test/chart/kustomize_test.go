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
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/diff"

	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

// The chart and config/ must install the same objects, so that whichever a user picks, the
// tests of test/install and the documentation hold. These tests compare every object, field
// by field, allowing only what a chart does differently on purpose (see comparable).

// TestDefaultMatchesKustomize: the default values give config/default.
func TestDefaultMatchesKustomize(t *testing.T) {
	assertSameObjects(t, render(t), testenv.Kustomize(t, filepath.Join(testenv.Root(), "config", "default")))
}

// TestNamespacedMatchesKustomize: namespaces [team-a, team-b] give config/namespaced: Roles
// and RoleBindings there, --namespaces, and no ClusterRole for Secrets.
func TestNamespacedMatchesKustomize(t *testing.T) {
	assertSameObjects(t, render(t, namespacedValues...), testenv.Kustomize(t, filepath.Join(testenv.Root(), "config", "namespaced")))
}

// TestOptionalPartsMatchKustomize: the ServiceMonitor, the alerts and the NetworkPolicy give
// config/default with config/prometheus and config/network-policy added, as their comments
// say.
func TestOptionalPartsMatchKustomize(t *testing.T) {
	config := testenv.ConfigWith(t, "../prometheus", "../network-policy")
	chart := render(t, "--set", "metrics.serviceMonitor.enabled=true,prometheusRule.enabled=true,networkPolicy.enabled=true")
	for _, kind := range []string{"ServiceMonitor", "PrometheusRule", "NetworkPolicy"} {
		if !slices.ContainsFunc(chart, func(u *unstructured.Unstructured) bool { return u.GetKind() == kind }) {
			t.Errorf("no %s in the chart's render", kind)
		}
	}
	assertSameObjects(t, chart, testenv.Kustomize(t, filepath.Join(config, "default")))
}

// assertSameObjects: chart and kustomized hold the same objects, by kind, namespace and name,
// and each is the same once comparable; the chart leaves out the Namespace (Helm installs
// into the release namespace, `--create-namespace`) and its label selectors select what they
// should.
func assertSameObjects(t *testing.T, chart, kustomized []*unstructured.Unstructured) {
	t.Helper()
	fromChart, fromKustomize := byKey(chart), byKey(kustomized)
	for key, want := range fromKustomize {
		if key == "Namespace "+namespace {
			continue
		}
		got, ok := fromChart[key]
		if !ok {
			t.Errorf("%s is in kustomize's render, not in the chart's", key)
			continue
		}
		if want, got := comparable(t, want), comparable(t, got); !reflect.DeepEqual(want.Object, got.Object) {
			t.Errorf("%s differs (- kustomize, + chart):\n%s", key, diff.Diff(want.Object, got.Object))
		}
	}
	if _, ok := fromKustomize["Namespace "+namespace]; !ok {
		t.Errorf("kustomize's render has no Namespace %s", namespace)
	}
	for key := range fromChart {
		if _, ok := fromKustomize[key]; !ok {
			t.Errorf("%s is in the chart's render, not in kustomize's", key)
		}
	}
	checkLabels(t, chart)
}

func byKey(objs []*unstructured.Unstructured) map[string]*unstructured.Unstructured {
	out := map[string]*unstructured.Unstructured{}
	for _, u := range objs {
		out[testenv.Describe(u)] = u
	}
	return out
}

// comparable is u without what the chart sets differently on purpose: its labels and the
// label selectors built on them (checkLabels checks those), the image and its pull policy
// (values), the CRD's helm.sh/resource-policy annotation (crds.keep), and empty lists, which
// the API server takes as absent (kustomize keeps config/manager's `volumes: []`).
func comparable(t *testing.T, u *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	c := u.DeepCopy()
	unstructured.RemoveNestedField(c.Object, "metadata", "labels")
	annotations := c.GetAnnotations()
	delete(annotations, "helm.sh/resource-policy")
	c.SetAnnotations(annotations) // removes the field when it is left empty
	switch c.GetKind() {
	case "Deployment":
		unstructured.RemoveNestedField(c.Object, "spec", "selector")
		unstructured.RemoveNestedField(c.Object, "spec", "template", "metadata", "labels")
		containers, _, _ := unstructured.NestedSlice(c.Object, "spec", "template", "spec", "containers")
		for _, container := range containers {
			delete(container.(map[string]any), "image")
			delete(container.(map[string]any), "imagePullPolicy")
		}
		if err := unstructured.SetNestedSlice(c.Object, containers, "spec", "template", "spec", "containers"); err != nil {
			t.Fatalf("%s: %v", testenv.Describe(u), err)
		}
	case "Service", "ServiceMonitor":
		unstructured.RemoveNestedField(c.Object, "spec", "selector")
	case "NetworkPolicy":
		unstructured.RemoveNestedField(c.Object, "spec", "podSelector")
	}
	c.Object = withoutEmptyLists(c.Object).(map[string]any)
	return c
}

func withoutEmptyLists(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			if l, ok := e.([]any); ok && len(l) == 0 {
				continue
			}
			out[k] = withoutEmptyLists(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = withoutEmptyLists(e)
		}
		return out
	}
	return v
}

// checkLabels: every object of the chart carries Helm's labels, and the selectors that
// comparable left out select what they must, by this release's labels, so that they do not
// reach another release's pods: the Deployment and the metrics Service select the manager's
// pods, as does the NetworkPolicy, and the ServiceMonitor selects the metrics Service.
func checkLabels(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	for _, u := range objs {
		if l := u.GetLabels(); l["app.kubernetes.io/managed-by"] != "Helm" || l["app.kubernetes.io/instance"] != release {
			t.Errorf("%s lacks the labels app.kubernetes.io/managed-by: Helm and app.kubernetes.io/instance: %s: %v", testenv.Describe(u), release, l)
		}
	}
	deployment := testenv.Find(objs, "Deployment", release+"-controller-manager")
	service := testenv.Find(objs, "Service", release+"-controller-manager-metrics-service")
	if deployment == nil || service == nil {
		t.Fatal("the chart renders no manager Deployment or metrics Service")
	}
	podLabels := testenv.PodTemplate(t, deployment).Labels
	selectors := map[*unstructured.Unstructured][]string{
		deployment: {"spec", "selector", "matchLabels"},
		service:    {"spec", "selector"},
	}
	for _, u := range objs {
		switch u.GetKind() {
		case "NetworkPolicy":
			selectors[u] = []string{"spec", "podSelector", "matchLabels"}
		case "ServiceMonitor":
			selectors[u] = []string{"spec", "selector", "matchLabels"}
		}
	}
	for u, path := range selectors {
		selector, _, _ := unstructured.NestedStringMap(u.Object, path...)
		selected := podLabels
		if u.GetKind() == "ServiceMonitor" {
			selected = service.GetLabels()
		}
		if selector["app.kubernetes.io/instance"] != release {
			t.Errorf("%s selects %v, not by app.kubernetes.io/instance: %s", testenv.Describe(u), selector, release)
		}
		for k, v := range selector {
			if selected[k] != v {
				t.Errorf("%s selects %s=%s, which %v lacks", testenv.Describe(u), k, v, slices.Sorted(maps.Keys(selected)))
			}
		}
	}
}
