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

package reliability

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/yaml"

	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

// TestRBACRoleIsExactlyWhatTheCodeNeeds compares config/rbac/role.yaml with the permissions the
// operator uses: anything extra widens what a compromised operator could do; anything missing
// breaks it in a real cluster (envtest's admin user hides that).
func TestRBACRoleIsExactlyWhatTheCodeNeeds(t *testing.T) {
	want := []string{
		"/secrets get", "/secrets list", "/secrets watch", "/secrets create", "/secrets update",
		"auth.cyclr-operator.io/cyclrcredentials get", "auth.cyclr-operator.io/cyclrcredentials list",
		"auth.cyclr-operator.io/cyclrcredentials watch",
		// The retain finalizer (deletionPolicy Retain).
		"auth.cyclr-operator.io/cyclrcredentials patch",
		// Rollout restarts: read the pod template, set its restarted-at annotation.
		"apps/deployments get", "apps/deployments patch", "apps/statefulsets get", "apps/statefulsets patch",
		"apps/daemonsets get", "apps/daemonsets patch",
		"auth.cyclr-operator.io/cyclrcredentials/status get", "auth.cyclr-operator.io/cyclrcredentials/status patch",
		// The Secrets' owner references set blockOwnerDeletion: where the
		// OwnerReferencesPermissionEnforcement admission plugin runs, that needs this
		// (test/install's TestNamespacedOperator runs with it).
		"auth.cyclr-operator.io/cyclrcredentials/finalizers update",
		"events.k8s.io/events create", "events.k8s.io/events patch",
	}
	docs := readYAMLDocs(t, filepath.Join(testenv.Root(), "config", "rbac", "role.yaml"))
	var got []string
	roles := 0
	for _, doc := range docs {
		var role rbacv1.ClusterRole
		if err := yaml.Unmarshal(doc, &role); err != nil {
			t.Fatal(err)
		}
		if role.Kind == "" && len(role.Rules) == 0 {
			continue // a document of comments only
		}
		if role.Kind != "ClusterRole" && role.Kind != "Role" {
			t.Errorf("unexpected kind %q in role.yaml", role.Kind)
			continue
		}
		roles++
		if role.AggregationRule != nil {
			t.Errorf("%s has an aggregation rule: it could gain any permission", role.Name)
		}
		for _, r := range role.Rules {
			if len(r.ResourceNames) > 0 || len(r.NonResourceURLs) > 0 {
				t.Errorf("%s: rule %v has resourceNames or nonResourceURLs; none are expected", role.Name, r)
			}
			for _, g := range r.APIGroups {
				for _, res := range r.Resources {
					for _, v := range r.Verbs {
						got = append(got, g+"/"+res+" "+v)
					}
				}
			}
		}
	}
	if roles != 1 {
		t.Errorf("role.yaml holds %d roles, want 1", roles)
	}
	slices.Sort(got)
	slices.Sort(want)
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("role.yaml grants %q, which the operator does not need", g)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("role.yaml lacks %q, which the operator needs", w)
		}
	}
	if dup := slices.Compact(slices.Clone(got)); len(dup) != len(got) {
		t.Errorf("role.yaml grants some permissions twice: %v", got)
	}
}

// TestCRDHasNoCrossNamespaceReference walks the CRD's OpenAPI schema: no field may name a
// namespace, so a CyclrCredential can only read and write Secrets in its own namespace.
func TestCRDHasNoCrossNamespaceReference(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testenv.Root(), "config", "crd", "bases", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CRDs found: %v", err)
	}
	properties := 0
	for _, f := range files {
		for _, doc := range readYAMLDocs(t, f) {
			var crd map[string]any
			if err := yaml.Unmarshal(doc, &crd); err != nil {
				t.Fatal(err)
			}
			versions, _ := dig(crd, "spec", "versions").([]any)
			if len(versions) == 0 {
				t.Errorf("%s: no versions", f)
			}
			for _, v := range versions {
				vm, _ := v.(map[string]any)
				schema, _ := dig(vm, "schema", "openAPIV3Schema").(map[string]any)
				if schema == nil {
					t.Errorf("%s: version %v has no openAPIV3Schema", f, vm["name"])
					continue
				}
				walkSchema(schema, fmt.Sprintf("%s %v", filepath.Base(f), vm["name"]), func(path, name string) {
					properties++
					if strings.Contains(strings.ToLower(name), "namespace") {
						t.Errorf("%s: property %q could reference another namespace", path, name)
					}
				})
			}
		}
	}
	if properties < 20 {
		t.Errorf("walked only %d properties: the walk is broken", properties)
	}
}

// walkSchema calls f for every property name in an OpenAPI v3 schema, however nested.
func walkSchema(schema map[string]any, path string, f func(path, name string)) {
	if props, ok := schema["properties"].(map[string]any); ok {
		for name, sub := range props {
			f(path, name)
			if m, ok := sub.(map[string]any); ok {
				walkSchema(m, path+"."+name, f)
			}
		}
	}
	for _, key := range []string{"items", "additionalProperties", "not"} {
		if m, ok := schema[key].(map[string]any); ok {
			walkSchema(m, path+"["+key+"]", f)
		}
	}
	for _, key := range []string{"allOf", "anyOf", "oneOf"} {
		if list, ok := schema[key].([]any); ok {
			for i, item := range list {
				if m, ok := item.(map[string]any); ok {
					walkSchema(m, fmt.Sprintf("%s[%s %d]", path, key, i), f)
				}
			}
		}
	}
}

func dig(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

// readYAMLDocs splits a multi-document YAML file into its non-empty documents.
func readYAMLDocs(t *testing.T, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := yaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(bytes.TrimSpace(doc)) > 0 && string(bytes.TrimSpace(doc)) != "---" {
			docs = append(docs, doc)
		}
	}
}
