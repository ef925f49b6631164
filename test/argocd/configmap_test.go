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
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite config/argocd/argocd-cm-patch.yaml from the .lua files")

const (
	patchPath = "../../config/argocd/argocd-cm-patch.yaml"
	// The argocd-cm keys for one group and kind (Argo CD 2.1 and later).
	healthKey  = "resource.customizations.health.auth.cyclr-operator.io_CyclrCredential"
	actionsKey = "resource.customizations.actions.auth.cyclr-operator.io_CyclrCredential"
)

// scripts are the Lua files of config/argocd, as Argo CD would load them.
type scripts struct {
	health    string
	discovery string
	actions   []actionScript // sorted by name
}

type actionScript struct {
	Name      string `json:"name"`
	ActionLua string `json:"action.lua"`
}

func readScripts(t *testing.T) scripts {
	t.Helper()
	s := scripts{
		health:    readFile(t, filepath.Join(customizationDir, "health.lua")),
		discovery: readFile(t, filepath.Join(actionsDir, "discovery.lua")),
	}
	paths, err := filepath.Glob(filepath.Join(actionsDir, "*", "action.lua"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(paths)
	for _, path := range paths {
		s.actions = append(s.actions, actionScript{Name: filepath.Base(filepath.Dir(path)), ActionLua: readFile(t, path)})
	}
	if len(s.actions) == 0 {
		t.Fatalf("no actions/*/action.lua in %s", actionsDir)
	}
	return s
}

// TestConfigMapPatch: argocd-cm-patch.yaml is what the .lua files render to, and the Lua that
// Argo CD would read from it is the files', byte for byte, so the two cannot drift apart.
func TestConfigMapPatch(t *testing.T) {
	s := readScripts(t)
	rendered := renderConfigMapPatch(s)
	if *update {
		if err := os.WriteFile(patchPath, []byte(rendered), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	patch := readFile(t, patchPath)
	if patch != rendered {
		t.Errorf("%s is not what the .lua files render to; run: go test ./test/argocd -run TestConfigMapPatch -update", patchPath)
	}

	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal([]byte(patch), &cm); err != nil {
		t.Fatal(err)
	}
	if keys := slices.Sorted(maps.Keys(cm.Data)); !slices.Equal(keys, []string{actionsKey, healthKey}) {
		t.Errorf("data keys %q, want only %q and %q", keys, healthKey, actionsKey)
	}
	if cm.Data[healthKey] != s.health {
		t.Errorf("%s differs from health.lua", healthKey)
	}
	// The actions value is YAML in its own right: Argo CD's ResourceActions.
	var actions struct {
		Discovery   string         `json:"discovery.lua"`
		Definitions []actionScript `json:"definitions"`
	}
	if err := yaml.UnmarshalStrict([]byte(cm.Data[actionsKey]), &actions); err != nil {
		t.Fatalf("%s: %v", actionsKey, err)
	}
	if actions.Discovery != s.discovery {
		t.Errorf("%s discovery.lua differs from actions/discovery.lua", actionsKey)
	}
	if !slices.Equal(actions.Definitions, s.actions) {
		t.Errorf("%s definitions differ from actions/*/action.lua", actionsKey)
	}
}

// renderConfigMapPatch writes the scripts into argocd-cm as YAML block scalars, which keep
// every line and the final newline as they are.
func renderConfigMapPatch(s scripts) string {
	var b strings.Builder
	b.WriteString(`# Generated from config/argocd/auth.cyclr-operator.io/CyclrCredential/**/*.lua by
#   go test ./test/argocd -run TestConfigMapPatch -update
# Edit the .lua files, not this one. How to apply it: config/argocd/README.md.
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  namespace: argocd
data:
`)
	b.WriteString("  " + healthKey + ": |\n")
	writeIndented(&b, s.health, 4)
	b.WriteString("  " + actionsKey + ": |\n")
	b.WriteString("    discovery.lua: |\n")
	writeIndented(&b, s.discovery, 6)
	b.WriteString("    definitions:\n")
	for _, action := range s.actions {
		b.WriteString("    - name: " + action.Name + "\n")
		b.WriteString("      action.lua: |\n")
		writeIndented(&b, action.ActionLua, 8)
	}
	return b.String()
}

// writeIndented writes each line of text indented by n spaces; empty lines stay empty, as
// trailing spaces would not survive editors.
func writeIndented(b *strings.Builder, text string, n int) {
	for line := range strings.Lines(text) {
		if line != "\n" {
			b.WriteString(strings.Repeat(" ", n))
		}
		b.WriteString(line)
	}
}
