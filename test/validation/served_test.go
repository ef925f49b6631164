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

package validation

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
)

// TestServedNamesAndColumns asks the API server itself: kubectl get cyclrcred / get cyclr
// work, and kubectl get prints the contract's columns.
func TestServedNamesAndColumns(t *testing.T) {
	dc, err := discovery.NewDiscoveryClientForConfig(testCfg)
	if err != nil {
		t.Fatal(err)
	}
	list, err := dc.ServerResourcesForGroupVersion(authv1alpha1.GroupVersion.String())
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, r := range list.APIResources {
		if r.Name != "cyclrcredentials" {
			continue
		}
		found = true
		if !r.Namespaced || !slices.Equal(r.ShortNames, []string{"cyclrcred"}) || !slices.Equal(r.Categories, []string{"cyclr"}) {
			t.Errorf("served as namespaced=%v shortNames=%v categories=%v", r.Namespaced, r.ShortNames, r.Categories)
		}
	}
	if !found {
		t.Fatal("cyclrcredentials not served")
	}

	ctx := t.Context()
	u := credential("table", minimalSpec(map[string]any{"grant": "ClientCredentials"}))
	if err := k8s.Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), u) })

	table := getTable(ctx, t, "/apis/"+authv1alpha1.GroupVersion.String()+"/namespaces/"+testNamespace+"/cyclrcredentials/"+u.GetName())
	var names, wide []string
	for _, c := range table.ColumnDefinitions {
		if c.Priority == 0 {
			names = append(names, c.Name)
		} else {
			wide = append(wide, c.Name)
		}
	}
	want := []string{"Name", "Ready", "Reason", "Secret", "Grant", "Expires", "Refresh At", "Age"}
	if !slices.Equal(names, want) {
		t.Errorf("kubectl get columns = %v, want %v", names, want)
	}
	if wantWide := []string{"API URL", "Revision", "Last Grant"}; !slices.Equal(wide, wantWide) {
		t.Errorf("kubectl get -o wide adds %v, want %v", wide, wantWide)
	}
	if len(table.Rows) != 1 || len(table.Rows[0].Cells) != len(want)+3 {
		t.Fatalf("rows = %+v", table.Rows)
	}
	if grant := table.Rows[0].Cells[4]; grant != "ClientCredentials" {
		t.Errorf("Grant cell = %v, want ClientCredentials", grant)
	}
	if apiURL := table.Rows[0].Cells[8]; apiURL != "https://api.cyclr.com" {
		t.Errorf("API URL cell = %v, want the default", apiURL)
	}
}

func getTable(ctx context.Context, t *testing.T, path string) *metav1.Table {
	t.Helper()
	hc, err := rest.HTTPClientFor(testCfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(testCfg.Host, "/")+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", path, resp.Status, body)
	}
	table := &metav1.Table{}
	if err := json.Unmarshal(body, table); err != nil {
		t.Fatal(err)
	}
	return table
}
