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
	"fmt"
	"slices"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// The tenant boundary (docs/design.md, "Tenant boundary"): whoever may edit a CyclrCredential
// may use its token and nothing more. Each field that reaches a request, a Secret or a
// workload is refused by the API server when it would reach further.

type refusal = struct {
	name   string
	spec   map[string]any
	field  string
	phrase string
}

// entries is n map entries k0..k(n-1), each with value v.
func entries(n int, v string) map[string]any {
	m := map[string]any{}
	for i := range n {
		m[fmt.Sprintf("k%d", i)] = v
	}
	return m
}

func withTarget(target map[string]any) map[string]any {
	return minimalSpec(map[string]any{"target": target})
}

const bareOrigin = "bare origin"

// tenantRefusals are the tenant boundary's refusals besides the renamed keys.
var tenantRefusals = []refusal{
	// The BASH_ENV chain: a path that a shell would run, written to api_url.
	{name: "url-with-shell-path", spec: minimalSpec(map[string]any{"apiURL": "https://host/$(touch${IFS}/tmp/pwned)/../../.."}),
		field: "spec.apiURL", phrase: bareOrigin},
	{name: "url-with-path", spec: minimalSpec(map[string]any{"apiURL": "https://api.cyclr.com/api"}),
		field: "spec.apiURL", phrase: bareOrigin},
	{name: "url-with-double-slash", spec: minimalSpec(map[string]any{"apiURL": "https://api.cyclr.com//"}),
		field: "spec.apiURL", phrase: bareOrigin},
	{name: "url-empty-query", spec: minimalSpec(map[string]any{"apiURL": "https://api.cyclr.com?"}),
		field: "spec.apiURL", phrase: bareOrigin},
	{name: "url-unicode-dotted-i", spec: minimalSpec(map[string]any{"apiURL": "https://cyclr.b\u0130gcorp.com"}),
		field: "spec.apiURL", phrase: "xn--"},
	{name: "url-unicode-wildcard-sub", spec: minimalSpec(map[string]any{"apiURL": "https://x.b\u0130gcorp.com"}),
		field: "spec.apiURL", phrase: "xn--"},
	{name: "url-https-ipv6", spec: minimalSpec(map[string]any{"apiURL": "https://[2001:db8::1]"}),
		field: "spec.apiURL", phrase: bareOrigin},
	{name: "url-port-letters", spec: minimalSpec(map[string]any{"apiURL": "https://api.cyclr.com:https"}),
		field: "spec.apiURL", phrase: bareOrigin},
	{name: "account-id-shell", spec: minimalSpec(map[string]any{"accountID": "a$(id)"}),
		field: "spec.accountID", phrase: "should match"},
	{name: "account-id-space", spec: minimalSpec(map[string]any{"accountID": "a b"}),
		field: "spec.accountID", phrase: "should match"},
	{name: "account-id-too-long", spec: minimalSpec(map[string]any{"accountID": strings.Repeat("a", 129)}),
		field: "spec.accountID", phrase: "128"},
	{name: "client-id-newline", spec: minimalSpec(map[string]any{"clientID": "abc\nX=1"}),
		field: "spec.clientID", phrase: "should match"},
	{name: "client-id-too-long", spec: minimalSpec(map[string]any{"clientID": strings.Repeat("c", 129)}),
		field: "spec.clientID", phrase: "128"},
	{name: "labels-too-many", spec: withTarget(map[string]any{"labels": entries(65, "v")}),
		field: "spec.target.labels", phrase: "64"},
	{name: "annotations-too-many", spec: withTarget(map[string]any{"annotations": entries(65, "v")}),
		field: "spec.target.annotations", phrase: "64"},
	{name: "annotation-value-too-long", spec: withTarget(map[string]any{"annotations": map[string]any{"a": strings.Repeat("x", 1025)}}),
		field: "spec.target.annotations", phrase: "1024"},
	{name: "annotation-retained-from", spec: withTarget(map[string]any{"annotations": map[string]any{
		"auth.cyclr-operator.io/retained-from": "cred"}}),
		field: "spec.target.annotations", phrase: "auth.cyclr-operator.io/"},
	{name: "label-operator-prefix", spec: withTarget(map[string]any{"labels": map[string]any{
		"auth.cyclr-operator.io/credential": "other"}}),
		field: "spec.target.labels", phrase: "auth.cyclr-operator.io/"},
	{name: "label-managed-by", spec: withTarget(map[string]any{"labels": map[string]any{
		"app.kubernetes.io/managed-by": "someone"}}),
		field: "spec.target.labels", phrase: "managed-by"},
	{name: "target-is-the-login", spec: withTarget(map[string]any{"name": "cyclr-login"}),
		field: "spec.target.name", phrase: "login Secret"},
}

// tenantBoundaryCases are tenantRefusals and a refusal per startup variable a key may not take.
func tenantBoundaryCases() []refusal {
	envs := []string{"BASH_ENV", "ENV", "IFS", "PATH", "HOME", "SHELL", "PS4", "PROMPT_COMMAND",
		"LD_PRELOAD", "LD_LIBRARY_PATH", "DYLD_INSERT_LIBRARIES", "NODE_OPTIONS", "PYTHONSTARTUP", "PYTHONPATH",
		"PYTHONHOME", "PERL5OPT", "PERL5LIB", "RUBYOPT", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS",
		"GCONV_PATH", "HTTPS_PROXY", "http_proxy", "no_proxy", "ALL_PROXY", "bash_env", "Path"}
	keyCases := make([]refusal, 0, len(envs))
	for i, env := range envs {
		keyCases = append(keyCases, refusal{name: fmt.Sprintf("key-%d-%s", i, strings.ToLower(strings.ReplaceAll(env, "_", "-"))),
			spec:  withTarget(map[string]any{"keys": map[string]any{"api_url": env}}),
			field: "spec.target.keys[api_url]", phrase: "reads at start"})
	}
	return append(slices.Clip(tenantRefusals), keyCases...)
}

// TestTargetIsLoginByDefaultName: a credential named like its login Secret, with no
// target.name, would write its token over the login. The API server says so, and the advice
// is to choose a target name, never to delete the Secret.
func TestTargetIsLoginByDefaultName(t *testing.T) {
	u := credential("cyclr-login", minimalSpec(nil))
	err := k8s.Create(t.Context(), u)
	if err == nil {
		_ = k8s.Delete(t.Context(), u)
		t.Fatal("accepted a credential whose default target is its login Secret")
	}
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.target.name:") ||
		!strings.Contains(err.Error(), "set spec.target.name") {
		t.Fatalf("want Invalid naming spec.target.name with the fix, got %v", err)
	}
	if strings.Contains(strings.ToLower(err.Error()), "delete") {
		t.Errorf("the message advises deleting something: %v", err)
	}
	// The same name with another target is fine.
	createAccepted(t, credential("cyclr-login", withTarget(map[string]any{"name": "cyclr-token"})))
}
