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

package v1alpha1_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

// wantColumns are the printer columns of docs/design.md, section 1, in order, with their
// JSONPaths, plus the target Secret; the last three show only with -o wide (priority 1).
var wantColumns = []apiextensionsv1.CustomResourceColumnDefinition{
	{Name: "Ready", Type: "string", JSONPath: `.status.conditions[?(@.type=="Ready")].status`},
	{Name: "Reason", Type: "string", JSONPath: `.status.conditions[?(@.type=="Ready")].reason`},
	{Name: "Secret", Type: "string", JSONPath: ".status.tokenSecretName"},
	{Name: "Grant", Type: "string", JSONPath: ".spec.grant"},
	{Name: "Expires", Type: "string", JSONPath: ".status.expiresAt"},
	{Name: "Refresh At", Type: "string", JSONPath: ".status.refreshAt"},
	{Name: "Age", Type: "date", JSONPath: ".metadata.creationTimestamp"},
	{Name: "API URL", Type: "string", JSONPath: ".spec.apiURL", Priority: 1},
	{Name: "Revision", Type: "integer", JSONPath: ".status.revision", Priority: 1},
	{Name: "Last Grant", Type: "string", JSONPath: ".status.lastGrant", Priority: 1},
}

func loadCRD(t *testing.T) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	path := filepath.Join(testenv.Root(), "config", "crd", "bases", "auth.cyclr-operator.io_cyclrcredentials.yaml")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(raw, crd); err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	return crd
}

func TestCRDNamesAndColumns(t *testing.T) {
	crd := loadCRD(t)
	if crd.Name != "cyclrcredentials.auth.cyclr-operator.io" {
		t.Errorf("name = %q", crd.Name)
	}
	if crd.Spec.Group != authv1alpha1.GroupVersion.Group || crd.Spec.Scope != apiextensionsv1.NamespaceScoped {
		t.Errorf("group %q scope %q, want %q Namespaced", crd.Spec.Group, crd.Spec.Scope, authv1alpha1.GroupVersion.Group)
	}
	n := crd.Spec.Names
	if n.Kind != "CyclrCredential" || n.Plural != "cyclrcredentials" || n.Singular != "cyclrcredential" {
		t.Errorf("names = %+v", n)
	}
	if !slices.Equal(n.ShortNames, []string{"cyclrcred"}) {
		t.Errorf("shortNames = %v, want [cyclrcred]", n.ShortNames)
	}
	if !slices.Equal(n.Categories, []string{"cyclr"}) {
		t.Errorf("categories = %v, want [cyclr]", n.Categories)
	}
	if len(crd.Spec.Versions) != 1 {
		t.Fatalf("versions = %d, want 1", len(crd.Spec.Versions))
	}
	v := crd.Spec.Versions[0]
	if v.Name != authv1alpha1.GroupVersion.Version || !v.Served || !v.Storage {
		t.Errorf("version %q served=%v storage=%v", v.Name, v.Served, v.Storage)
	}
	if v.Subresources == nil || v.Subresources.Status == nil {
		t.Error("no status subresource")
	}
	if !slices.Equal(v.AdditionalPrinterColumns, wantColumns) {
		t.Errorf("printer columns:\n got %+v\nwant %+v", v.AdditionalPrinterColumns, wantColumns)
	}
	conditions := v.Schema.OpenAPIV3Schema.Properties["status"].Properties["conditions"]
	if conditions.XListType == nil || *conditions.XListType != "map" || !slices.Equal(conditions.XListMapKeys, []string{"type"}) {
		t.Errorf("status.conditions is not a list map keyed by type: %v %v", conditions.XListType, conditions.XListMapKeys)
	}
}

// TestStartupEnvNameRuleMatchesGo: the CRD's rule on renamed keys spells the same expression
// as StartupEnvNamePattern, which the operator applies again to stored objects.
func TestStartupEnvNameRuleMatchesGo(t *testing.T) {
	keys := loadCRD(t).Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties["target"].Properties["keys"]
	want := "!self.matches('" + authv1alpha1.StartupEnvNamePattern + "')"
	for _, rule := range keys.AdditionalProperties.Schema.XValidations {
		if rule.Rule == want {
			return
		}
	}
	t.Errorf("no rule %s on spec.target.keys' values: keep the marker on SecretKeyName and StartupEnvNamePattern equal", want)
}
