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
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

// TestReadmeDocumentsEveryValue: README.md's "Chart values" table has a row for every value
// of values.yaml, and none for a value that is not there, with values.yaml's default. An
// object whose keys values.schema.json lists (image, crds, ...) has a row per key; one it
// leaves open (resources, nodeSelector, ...) has a single row.
func TestReadmeDocumentsEveryValue(t *testing.T) {
	var values map[string]any
	readYAML(t, &values, "charts", "cyclr-token-operator", "values.yaml")
	var schema schemaNode
	readYAML(t, &schema, "charts", "cyclr-token-operator", "values.schema.json")
	defaults := map[string]any{}
	flatten("", values, schema, defaults)

	documented := readmeValues(t)
	for _, key := range slices.Sorted(maps.Keys(defaults)) {
		cell, ok := documented[key]
		if !ok {
			t.Errorf("README.md's chart values table has no row for %s", key)
			continue
		}
		var got any
		if err := yaml.Unmarshal([]byte(cell), &got); err != nil {
			t.Errorf("README.md, %s: the default `%s` is not YAML: %v", key, cell, err)
		} else if !reflect.DeepEqual(got, defaults[key]) {
			t.Errorf("README.md, %s: default `%s`, but values.yaml has %v", key, cell, defaults[key])
		}
	}
	for key := range documented {
		if _, ok := defaults[key]; !ok {
			t.Errorf("README.md's chart values table documents %s, which values.yaml does not have", key)
		}
	}
}

// schemaNode is what TestReadmeDocumentsEveryValue needs of values.schema.json.
type schemaNode struct {
	Properties map[string]schemaNode `json:"properties"`
}

// flatten puts in out every value under prefix, by its dotted key, descending into the
// objects whose keys the schema lists.
func flatten(prefix string, values map[string]any, schema schemaNode, out map[string]any) {
	for k, v := range values {
		if m, ok := v.(map[string]any); ok && len(schema.Properties[k].Properties) > 0 {
			flatten(prefix+k+".", m, schema.Properties[k], out)
			continue
		}
		out[prefix+k] = v
	}
}

// A row of the table: | `key` | `default` | meaning |
var valueRow = regexp.MustCompile("^\\| `([^`]+)` \\| `([^`]*)` \\|.*\\|$")

// readmeValues is README.md's chart values table: the default (between backticks) by key.
func readmeValues(t *testing.T) map[string]string {
	t.Helper()
	_, table, found := strings.Cut(readme(t), "\n#### Chart values\n")
	if !found {
		t.Fatal(`README.md has no "#### Chart values" section`)
	}
	rows := map[string]string{}
	for line := range strings.Lines(table) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") {
			break
		}
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		m := valueRow.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("README.md, chart values: a row without a `key` and a `default`: %s", line)
			continue
		}
		if _, dup := rows[m[1]]; dup {
			t.Errorf("README.md, chart values: %s has two rows", m[1])
		}
		rows[m[1]] = m[2]
	}
	if len(rows) == 0 {
		t.Fatal("README.md's chart values table has no rows")
	}
	return rows
}

// TestReadmeValuesExample: the values file README.md shows passes the schema and does what
// its comments say.
func TestReadmeValuesExample(t *testing.T) {
	const start = "```yaml\n# my-values.yaml\n"
	_, block, found := strings.Cut(readme(t), start)
	block, _, closed := strings.Cut(block, "```")
	if !found || !closed {
		t.Fatalf("README.md has no %q block", start)
	}
	file := filepath.Join(t.TempDir(), "my-values.yaml")
	if err := os.WriteFile(file, []byte(block), 0o600); err != nil {
		t.Fatal(err)
	}
	objs := render(t, "-f", file)
	for _, ns := range []string{"team-a", "team-b"} {
		if testenv.FindIn(objs, "Role", ns, release+"-manager-role") == nil {
			t.Errorf("no manager Role in %s", ns)
		}
	}
	for _, kind := range []string{"ServiceMonitor", "PrometheusRule"} {
		if !slices.ContainsFunc(objs, func(u *unstructured.Unstructured) bool { return u.GetKind() == kind }) {
			t.Errorf("no %s", kind)
		}
	}
	if !slices.ContainsFunc(manager(t, objs).Args, func(arg string) bool { return strings.HasPrefix(arg, "--extra-ca-file=") }) {
		t.Error("no --extra-ca-file")
	}
}

func readme(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testenv.Root(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
