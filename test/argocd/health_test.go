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

package argocd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"sigs.k8s.io/yaml"
)

// customizationDir holds the scripts and fixtures, laid out as in Argo CD's
// resource_customizations/<group>/<kind>.
const customizationDir = "../../config/argocd/auth.cyclr-operator.io/CyclrCredential"

// healthStatus is what Argo CD reads from a health script's result.
type healthStatus struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// healthTests is health_test.yaml, in Argo CD's format.
type healthTests struct {
	Tests []struct {
		InputPath    string       `json:"inputPath"`
		HealthStatus healthStatus `json:"healthStatus"`
	} `json:"tests"`
}

// TestHealth runs health.lua on every case of health_test.yaml.
func TestHealth(t *testing.T) {
	script := readFile(t, filepath.Join(customizationDir, "health.lua"))
	var cases healthTests
	if err := yaml.UnmarshalStrict([]byte(readFile(t, filepath.Join(customizationDir, "health_test.yaml"))), &cases); err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	fixtures := make([]string, 0, len(cases.Tests))
	for _, tc := range cases.Tests {
		covered[tc.HealthStatus.Status] = true
		fixtures = append(fixtures, tc.InputPath)
		t.Run(tc.InputPath, func(t *testing.T) {
			got := runHealth(t, script, loadObject(t, filepath.Join(customizationDir, tc.InputPath)))
			if got != tc.HealthStatus {
				t.Errorf("health\n got %+v\nwant %+v", got, tc.HealthStatus)
			}
		})
	}
	for _, status := range []string{"Healthy", "Progressing", "Degraded", "Suspended"} {
		if !covered[status] {
			t.Errorf("health_test.yaml has no case that is %s", status)
		}
	}
	checkEveryFixtureUsed(t, customizationDir, fixtures)
}

// runHealth runs a health script and reads its result as Argo CD does: through JSON.
func runHealth(t *testing.T, script string, obj map[string]any) healthStatus {
	t.Helper()
	result, err := runScript(t.Context(), script, obj)
	if err != nil {
		t.Fatal(err)
	}
	value, err := fromLua(result)
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(value)
	if err != nil {
		t.Fatal(err)
	}
	var hs healthStatus
	if err := json.Unmarshal(js, &hs); err != nil {
		t.Fatalf("health.lua returned %s: %v", js, err)
	}
	return hs
}

// checkEveryFixtureUsed fails for a file in dir/testdata that no case names: a fixture that
// looks tested but is not.
func checkEveryFixtureUsed(t *testing.T, dir string, used []string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "testdata", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		rel, err := filepath.Rel(dir, file)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(used, filepath.ToSlash(rel)) {
			t.Errorf("%s is used by no test case", file)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
