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
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/promql/parser"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	// The manager's metrics: the operator's own collectors register themselves in
	// controller-runtime's registry when this package is linked in, and controller-runtime's
	// (controller_runtime_*, workqueue_*, rest_client_*, process_*, go_*) come with its imports.
	_ "github.com/cyclr-operator/cyclr-token-operator/internal/controller"
)

// promql parses as Prometheus does, without experimental features.
var promql = parser.NewParser(parser.Options{})

// descName reads a metric name from a Desc: client_golang exposes it only through String().
var descName = regexp.MustCompile(`^Desc\{fqName: "([^"]+)"`)

// exportedMetrics is every metric name the manager serves: what metrics.Registry, the
// registry its metrics endpoint serves, describes. Describe, unlike Gather, also lists the
// vectors that have no series yet. cmd/main.go registers nothing of its own; a collector it
// did register would be missing here and its metric reported as unknown.
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	registry, ok := metrics.Registry.(prometheus.Collector)
	if !ok {
		t.Fatalf("controller-runtime's metrics.Registry (%T) cannot describe its collectors", metrics.Registry)
	}
	descs := make(chan *prometheus.Desc)
	go func() {
		registry.Describe(descs)
		close(descs)
	}()
	names := map[string]bool{}
	for desc := range descs {
		m := descName.FindStringSubmatch(desc.String())
		if m == nil {
			t.Fatalf("no metric name in %s", desc)
		}
		names[m[1]] = true
	}
	return names
}

// seriesSuffixes are the series a histogram or summary named X is scraped as, besides X.
// A Desc does not say which metrics are histograms, so these are accepted after any
// exported name: a _bucket of a gauge would pass, a misspelt or renamed metric would not.
var seriesSuffixes = []string{"_bucket", "_sum", "_count"}

func isExported(name string, exported map[string]bool) bool {
	if exported[name] {
		return true
	}
	return slices.ContainsFunc(seriesSuffixes, func(suffix string) bool {
		base, ok := strings.CutSuffix(name, suffix)
		return ok && exported[base]
	})
}

// unexportedMetrics parses expr and returns the metric names it selects that the manager does
// not export, in order of appearance. A selector without a metric name cannot be checked and
// is an error.
func unexportedMetrics(expr string, exported map[string]bool) ([]string, error) {
	ast, err := promql.ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	var unknown []string
	var unnamed []string
	// Matrix selectors and subqueries hold vector selectors, which Inspect visits too.
	parser.Inspect(ast, func(node parser.Node, _ []parser.Node) error {
		sel, ok := node.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		switch {
		case sel.Name == "":
			unnamed = append(unnamed, sel.String())
		case !isExported(sel.Name, exported) && !slices.Contains(unknown, sel.Name):
			unknown = append(unknown, sel.Name)
		}
		return nil
	})
	if len(unnamed) > 0 {
		return unknown, fmt.Errorf("selectors without a metric name: %s", strings.Join(unnamed, ", "))
	}
	return unknown, nil
}

// checkExpr reports, under what, an expression that does not parse or selects a metric the
// manager does not export.
func checkExpr(t *testing.T, what, expr string, exported map[string]bool) {
	t.Helper()
	unknown, err := unexportedMetrics(expr, exported)
	if err != nil {
		t.Errorf("%s: %v\n%s", what, err, expr)
	}
	for _, name := range unknown {
		t.Errorf("%s: %s is not a metric the manager exports", what, name)
	}
}

// TestUnexportedMetricsAreReported shows that the check used on the alerts and the dashboard
// can fail: an unknown name is reported wherever it sits in the expression.
func TestUnexportedMetricsAreReported(t *testing.T) {
	exported := exportedMetrics(t)
	tests := []struct {
		name    string
		expr    string
		unknown []string
		wantErr bool
	}{
		{name: "operator gauge", expr: `cyclr_credential_ready == 0`},
		{name: "operator histogram bucket",
			expr: `histogram_quantile(0.9, rate(cyclr_token_request_duration_seconds_bucket[5m]))`},
		{name: "controller-runtime, workqueue and process metrics",
			expr: `rate(controller_runtime_reconcile_total[5m]) or workqueue_depth or process_resident_memory_bytes`},
		{name: "misspelt operator metric", expr: `cyclr_credentials_ready == 0`,
			unknown: []string{"cyclr_credentials_ready"}},
		{name: "inside a range vector and a subquery",
			expr:    `max_over_time(rate(cyclr_token_request_total{result="success"}[5m])[1h:5m])`,
			unknown: []string{"cyclr_token_request_total"}},
		{name: "suffix on an unknown base", expr: `cyclr_token_request_seconds_count`,
			unknown: []string{"cyclr_token_request_seconds_count"}},
		{name: "each unknown name once, known ones not",
			expr:    `absent(up) and absent(up) and cyclr_credential_ready`,
			unknown: []string{"up"}},
		{name: "selector without a name", expr: `{__name__=~"cyclr_.+"}`, wantErr: true},
		{name: "not PromQL", expr: `sum by (grant cyclr_token_requests_total`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			unknown, err := unexportedMetrics(tt.expr, exported)
			if (err != nil) != tt.wantErr {
				t.Errorf("error %v, want one: %v", err, tt.wantErr)
			}
			if !slices.Equal(unknown, tt.unknown) {
				t.Errorf("unknown metrics %q, want %q", unknown, tt.unknown)
			}
		})
	}
}
