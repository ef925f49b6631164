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
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

// dashboard is the part of a Grafana dashboard these checks read.
type dashboard struct {
	Templating struct {
		List []variable `json:"list"`
	} `json:"templating"`
	Panels []panel `json:"panels"`
}

type variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Datasource *datasourceRef  `json:"datasource"`
}

type panel struct {
	Title      string         `json:"title"`
	Type       string         `json:"type"`
	Datasource *datasourceRef `json:"datasource"`
	Targets    []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // a collapsed row holds its panels
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// datasourceVariable is how every query names its data source, so the dashboard imports into
// any Grafana whatever its Prometheus data source is called.
const datasourceVariable = "${datasource}"

// variableValues stand in for Grafana's variables, to turn a target into plain PromQL.
var variableValues = map[string]string{
	"job":             "cyclr-token-operator-controller-manager-metrics-service",
	"namespace":       "team-a",
	"__rate_interval": "1m",
}

// grafanaVariable matches $name, ${name}, ${name:format} and [[name]].
var grafanaVariable = regexp.MustCompile(`\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]`)

// substitute replaces Grafana variables in expr with variableValues.
func substitute(expr string) (string, error) {
	var unknown []string
	out := grafanaVariable.ReplaceAllStringFunc(expr, func(ref string) string {
		m := grafanaVariable.FindStringSubmatch(ref)
		name := m[1] + m[2] + m[3]
		value, ok := variableValues[name]
		if !ok {
			unknown = append(unknown, ref)
		}
		return value
	})
	if len(unknown) > 0 {
		return "", fmt.Errorf("no stand-in value for the variables %q", unknown)
	}
	return out, nil
}

// labelValues is the form of the dashboard's query variables: label_values(selector, label).
var labelValues = regexp.MustCompile(`^label_values\((.+),\s*\w+\)$`)

// variableSelector returns the series selector a query variable reads its values from. Grafana
// stores the query as a string, or as an object holding it.
func variableSelector(v variable) (string, error) {
	var query string
	if err := json.Unmarshal(v.Query, &query); err != nil {
		var object struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &object); err != nil {
			return "", fmt.Errorf("query %s is neither a string nor an object with a query", v.Query)
		}
		query = object.Query
	}
	m := labelValues.FindStringSubmatch(query)
	if m == nil {
		return "", fmt.Errorf("query %q is not label_values(selector, label)", query)
	}
	return m[1], nil
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	path := filepath.Join(testenv.Root(), "config", "grafana", "cyclr-token-operator.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return d
}

// TestDashboard checks that every query of the dashboard, the variables' included, is PromQL
// on metrics the manager exports, sent to the data source the user picks.
func TestDashboard(t *testing.T) {
	exported := exportedMetrics(t)
	d := readDashboard(t)

	kinds := map[string]string{}
	for _, v := range d.Templating.List {
		kinds[v.Name] = v.Type
		if v.Type != "query" {
			continue
		}
		checkDatasource(t, "variable "+v.Name, v.Datasource)
		selector, err := variableSelector(v)
		if err != nil {
			t.Errorf("variable %s: %v", v.Name, err)
			continue
		}
		checkTarget(t, "variable "+v.Name, selector, exported)
	}
	if kinds["datasource"] != "datasource" || kinds["namespace"] != "query" {
		t.Errorf("variables %v, want a datasource variable named datasource and a query variable named namespace", kinds)
	}

	targets := 0
	var walk func([]panel)
	walk = func(panels []panel) {
		for _, p := range panels {
			walk(p.Panels)
			if len(p.Targets) == 0 {
				continue
			}
			checkDatasource(t, "panel "+p.Title, p.Datasource)
			for _, target := range p.Targets {
				targets++
				checkTarget(t, "panel "+p.Title, target.Expr, exported)
			}
		}
	}
	walk(d.Panels)
	if targets == 0 {
		t.Error("no panel has a query")
	}
}

func checkDatasource(t *testing.T, what string, ref *datasourceRef) {
	t.Helper()
	if ref == nil || ref.Type != "prometheus" || ref.UID != datasourceVariable {
		t.Errorf("%s: data source %+v, want the prometheus data source %s", what, ref, datasourceVariable)
	}
}

func checkTarget(t *testing.T, what, expr string, exported map[string]bool) {
	t.Helper()
	plain, err := substitute(expr)
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	checkExpr(t, what, plain, exported)
}
