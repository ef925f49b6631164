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

package plugin

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/plugin"
)

// TestStatus: one line per credential with Ready, reason, grant, login, expiry and next
// refresh with the time left, last failure and consumers; the same as JSON and YAML.
func TestStatus(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	healthy := newCredential(t, ns, "healthy", nil)
	failing := newCredential(t, ns, "failing", func(c *authv1alpha1.CyclrCredential) {
		c.Spec.Grant = authv1alpha1.GrantClientCredentials
		c.Spec.APIURL = "https://api.us2.cyclr.com"
	})
	setStatus(t, failing, func(st *authv1alpha1.CyclrCredentialStatus) {
		st.LastFailureReason = authv1alpha1.ReasonCyclrUnavailable
		st.LastFailureTime = &metav1.Time{Time: time.Now().Add(-5 * time.Minute)}
		setReady(st, failing, metav1.ConditionTrue, authv1alpha1.ReasonRefreshFailing, "Cyclr answered 503; the token stays valid")
	})
	create(t, deployment(ns, "reader", nil, podSpec(volumeMount(""), secretVolume("healthy"))))
	create(t, deployment(ns, "env-reader", nil, podSpec(envFromSecretKey("healthy"))))

	out := mustRun(t, "status", "-n", ns)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("status printed %d lines, want a header and two credentials:\n%s", len(lines), out)
	}
	if !regexp.MustCompile(`^NAME +READY +REASON +GRANT +LOGIN +EXPIRES +NEXT REFRESH +LAST FAILURE +CONSUMERS$`).MatchString(lines[0]) {
		t.Errorf("header %q", lines[0])
	}
	for i, want := range []string{ // sorted by name, as the API server lists them
		`^failing +True +RefreshFailing +ClientCredentials +https://api.us2.cyclr.com +\S+ \(in 1(19|20)m\) +\S+ \(in (79|80)m\) +` +
			`CyclrUnavailable \(5m\d*s? ago\) +0$`,
		`^healthy +True +TokenValid +Password +https://api.eu.cyclr.com +\S+ \(in 1(19|20)m\) +\S+ \(in (79|80)m\) +<none> +2 \(1 at risk\)$`,
	} {
		if !regexp.MustCompile(want).MatchString(lines[i+1]) {
			t.Errorf("line %d = %q, want it to match %q", i+1, lines[i+1], want)
		}
	}

	var fromJSON []plugin.CredentialStatus
	if err := json.Unmarshal([]byte(mustRun(t, "status", "healthy", "-n", ns, "-o", "json")), &fromJSON); err != nil {
		t.Fatalf("status -o json: %v", err)
	}
	var fromYAML []plugin.CredentialStatus
	if err := yaml.Unmarshal([]byte(mustRun(t, "status", "healthy", "-n", ns, "-o", "yaml")), &fromYAML); err != nil {
		t.Fatalf("status -o yaml: %v", err)
	}
	for format, got := range map[string][]plugin.CredentialStatus{"json": fromJSON, "yaml": fromYAML} {
		if len(got) != 1 {
			t.Fatalf("-o %s: %d items, want 1", format, len(got))
		}
		s := got[0]
		if s.Name != "healthy" || s.Namespace != ns || s.Ready != "True" || s.Reason != authv1alpha1.ReasonTokenValid ||
			s.Login.APIURL != healthy.Spec.APIURL || s.TargetSecret != "healthy" || s.Revision != 1 ||
			s.Consumers != 2 || s.AtRisk != 1 || s.ExpiresAt == nil || s.RefreshAt == nil {
			t.Errorf("-o %s: %+v", format, s)
		}
	}
}

// TestStatusAllNamespaces: -A lists every namespace's credentials with a NAMESPACE column.
func TestStatusAllNamespaces(t *testing.T) {
	t.Parallel()
	first, second := newNamespace(t), newNamespace(t)
	newCredential(t, first, "one", nil)
	newCredential(t, second, "two", nil)
	out := mustRun(t, "status", "-A")
	if !strings.HasPrefix(out, "NAMESPACE ") {
		t.Errorf("status -A has no NAMESPACE column:\n%s", out)
	}
	for _, want := range []string{`(?m)^` + first + ` +one +True `, `(?m)^` + second + ` +two +True `} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("status -A lacks %q:\n%s", want, out)
		}
	}
	if r := kubectlCyclr(t, "status", "one", "-A"); r.err == nil {
		t.Error("status NAME -A succeeded, want an error as kubectl get gives")
	}
}

// TestStatusNotFound: an unknown name is an error that says which, as kubectl get's is.
func TestStatusNotFound(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	r := kubectlCyclr(t, "status", "missing", "-n", ns)
	if r.err == nil || !strings.Contains(r.err.Error(), "not found") {
		t.Fatalf("status missing: %v, want a not found error", r.err)
	}
}
