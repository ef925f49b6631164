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
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
	"sigs.k8s.io/yaml"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
)

var actionsDir = filepath.Join(customizationDir, "actions")

// resourceAction is what Argo CD reads from discovery.lua for one action.
type resourceAction struct {
	Name     string `json:"name"`
	Disabled bool   `json:"disabled"`
}

// actionTests is actions/action_test.yaml, in Argo CD's format.
type actionTests struct {
	DiscoveryTests []struct {
		InputPath string           `json:"inputPath"`
		Result    []resourceAction `json:"result"`
	} `json:"discoveryTests"`
	ActionTests []struct {
		Action             string `json:"action"`
		InputPath          string `json:"inputPath"`
		ExpectedOutputPath string `json:"expectedOutputPath"`
	} `json:"actionTests"`
}

func loadActionTests(t *testing.T) actionTests {
	t.Helper()
	var tests actionTests
	if err := yaml.UnmarshalStrict([]byte(readFile(t, filepath.Join(actionsDir, "action_test.yaml"))), &tests); err != nil {
		t.Fatal(err)
	}
	fixtures := make([]string, 0, len(tests.DiscoveryTests)+2*len(tests.ActionTests))
	for _, tc := range tests.DiscoveryTests {
		fixtures = append(fixtures, tc.InputPath)
	}
	for _, tc := range tests.ActionTests {
		fixtures = append(fixtures, tc.InputPath, tc.ExpectedOutputPath)
	}
	checkEveryFixtureUsed(t, actionsDir, fixtures)
	return tests
}

// TestActionDiscovery: discovery.lua lists exactly the expected actions, each enabled or not.
func TestActionDiscovery(t *testing.T) {
	script := readFile(t, filepath.Join(actionsDir, "discovery.lua"))
	for _, tc := range loadActionTests(t).DiscoveryTests {
		t.Run(tc.InputPath, func(t *testing.T) {
			result, err := runScript(t.Context(), script, loadObject(t, filepath.Join(actionsDir, tc.InputPath)))
			if err != nil {
				t.Fatal(err)
			}
			got := discoveredActions(t, result)
			want := slices.SortedFunc(slices.Values(tc.Result), func(a, b resourceAction) int { return strings.Compare(a.Name, b.Name) })
			if !slices.Equal(got, want) {
				t.Errorf("actions\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// discoveredActions reads discovery.lua's table, {name = {disabled = bool}}, sorted by name.
func discoveredActions(t *testing.T, result lua.LValue) []resourceAction {
	t.Helper()
	value, err := fromLua(result)
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(value)
	if err != nil {
		t.Fatal(err)
	}
	var byKey map[string]resourceAction
	if err := json.Unmarshal(js, &byKey); err != nil {
		t.Fatalf("discovery.lua returned %s: %v", js, err)
	}
	actions := make([]resourceAction, 0, len(byKey))
	for _, name := range slices.Sorted(maps.Keys(byKey)) {
		action := byKey[name]
		action.Name = name
		actions = append(actions, action)
	}
	return actions
}

// TestActions runs each action on its input and compares the object it returns with the
// expected output; for refresh it also checks, independently of that fixture, that the
// annotation is the clock's time in RFC 3339 UTC and that nothing else changed.
func TestActions(t *testing.T) {
	for _, tc := range loadActionTests(t).ActionTests {
		t.Run(tc.Action+"/"+tc.InputPath, func(t *testing.T) {
			script := readFile(t, filepath.Join(actionsDir, tc.Action, "action.lua"))
			input := loadObject(t, filepath.Join(actionsDir, tc.InputPath))
			result, err := runScript(t.Context(), script, input)
			if err != nil {
				t.Fatal(err)
			}
			got, err := fromLua(result)
			if err != nil {
				t.Fatal(err)
			}
			if diff := differences("", got, loadObject(t, filepath.Join(actionsDir, tc.ExpectedOutputPath))); diff != nil {
				t.Errorf("%s returned other than %s:\n%s", tc.Action, tc.ExpectedOutputPath, strings.Join(diff, "\n"))
			}
			if tc.Action == "refresh" {
				checkRefreshRequested(t, input, got)
			}
		})
	}
}

// checkRefreshRequested: out is in with the refresh-requested-at annotation set to the clock's
// time, in RFC 3339 UTC, and nothing else changed.
func checkRefreshRequested(t *testing.T, in map[string]any, out any) {
	t.Helper()
	obj, ok := out.(map[string]any)
	if !ok {
		t.Fatalf("refresh returned %T, not an object", out)
	}
	metadata, _ := obj["metadata"].(map[string]any)
	annotations, _ := metadata["annotations"].(map[string]any)
	if value, want := annotations[authv1alpha1.RefreshRequestedAtAnnotation], testClock.UTC().Format(time.RFC3339); value != want {
		t.Errorf("%s = %v, want %q", authv1alpha1.RefreshRequestedAtAnnotation, value, want)
	}
	if diff := differences("", withoutRefreshRequest(obj), withoutRefreshRequest(in)); diff != nil {
		t.Errorf("refresh changed more than %s:\n%s", authv1alpha1.RefreshRequestedAtAnnotation, strings.Join(diff, "\n"))
	}
}

// withoutRefreshRequest is a copy of obj without the refresh-requested-at annotation, and
// without metadata.annotations if that was the only one.
func withoutRefreshRequest(obj map[string]any) map[string]any {
	out := maps.Clone(obj)
	metadata, ok := out["metadata"].(map[string]any)
	if !ok {
		return out
	}
	metadata = maps.Clone(metadata)
	out["metadata"] = metadata
	annotations, ok := metadata["annotations"].(map[string]any)
	if !ok {
		return out
	}
	annotations = maps.Clone(annotations)
	delete(annotations, authv1alpha1.RefreshRequestedAtAnnotation)
	metadata["annotations"] = annotations
	if len(annotations) == 0 {
		delete(metadata, "annotations")
	}
	return out
}

// differences lists where got and want differ, one line per field: "path: got X, want Y".
func differences(path string, got, want any) []string {
	gotObj, gotIsObj := got.(map[string]any)
	wantObj, wantIsObj := want.(map[string]any)
	if !gotIsObj || !wantIsObj {
		if reflect.DeepEqual(got, want) {
			return nil
		}
		return []string{fmt.Sprintf("%s: got %s, want %s", path, asJSON(got), asJSON(want))}
	}
	var diff []string
	keys := slices.Sorted(maps.Keys(gotObj))
	for key := range wantObj {
		if _, ok := gotObj[key]; !ok {
			keys = append(keys, key)
		}
	}
	for _, key := range keys {
		gotValue, inGot := gotObj[key]
		wantValue, inWant := wantObj[key]
		switch {
		case !inGot:
			diff = append(diff, fmt.Sprintf("%s.%s: absent, want %s", path, key, asJSON(wantValue)))
		case !inWant:
			diff = append(diff, fmt.Sprintf("%s.%s: got %s, want it absent", path, key, asJSON(gotValue)))
		default:
			diff = append(diff, differences(path+"."+key, gotValue, wantValue)...)
		}
	}
	return diff
}

// asJSON shows a JSON-decoded value, which always encodes again.
func asJSON(v any) string {
	js, _ := json.Marshal(v)
	return string(js)
}
