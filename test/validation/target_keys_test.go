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
	"slices"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// spec.target.keys and spec.target.formats: a spec the API server accepts must give a target
// Secret the API server accepts too, since the operator finds out only when it writes.

func targetSpec(keys map[string]any, formats ...any) map[string]any {
	target := map[string]any{}
	if keys != nil {
		target["keys"] = keys
	}
	if formats != nil {
		target["formats"] = formats
	}
	return minimalSpec(map[string]any{"target": target})
}

func TestTargetKeysAndFormatsAccepted(t *testing.T) {
	cases := []struct {
		name    string
		keys    map[string]any
		formats []any
	}{
		{name: "every-key-renamed-both-formats", keys: map[string]any{"access_token": "CYCLR_TOKEN", "token_type": "type",
			"authorization": "auth.header", "expires_at": "expiry", "api_url": "url", "account_id": "account"},
			formats: []any{"Env", "JSON"}},
		{name: "swapped-names", keys: map[string]any{"access_token": "authorization", "authorization": "access_token"}},
		{name: "renamed-to-itself", keys: map[string]any{"access_token": "access_token"}},
		{name: "every-key-character", keys: map[string]any{"access_token": "Az09-._", "api_url": ".hidden"}},
		{name: "longest-name", keys: map[string]any{"access_token": strings.Repeat("k", 253)}},
		{name: "json-only", formats: []any{"JSON"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := credential("keys-"+tc.name, targetSpec(tc.keys, tc.formats...))
			got := createAccepted(t, u)
			if len(got.Spec.Target.Keys) != len(tc.keys) {
				t.Errorf("keys = %v, want %v", got.Spec.Target.Keys, tc.keys)
			}
			for k, v := range tc.keys {
				if string(got.Spec.Target.Keys[k]) != v {
					t.Errorf("keys[%s] = %q, want %q", k, got.Spec.Target.Keys[k], v)
				}
			}
			gotFormats := make([]any, 0, len(got.Spec.Target.Formats))
			for _, f := range got.Spec.Target.Formats {
				gotFormats = append(gotFormats, string(f))
			}
			if !slices.Equal(gotFormats, append([]any{}, tc.formats...)) {
				t.Errorf("formats = %v, want %v", gotFormats, tc.formats)
			}
		})
	}
}

func TestTargetKeysAndFormatsRefused(t *testing.T) {
	const keysField = "spec.target.keys"
	cases := []struct {
		name   string
		spec   map[string]any
		field  string // the field path the message must name
		phrase string // a further fragment the message must contain
	}{
		{name: "unknown-key", spec: targetSpec(map[string]any{"refresh_token": "token"}),
			field: keysField, phrase: "may rename only access_token"},
		{name: "empty-name", spec: targetSpec(map[string]any{"access_token": ""}),
			field: keysField + ".access_token", phrase: "at least 1"},
		{name: "too-long", spec: targetSpec(map[string]any{"access_token": strings.Repeat("k", 254)}),
			field: keysField + ".access_token", phrase: "Too long"},
		{name: "space", spec: targetSpec(map[string]any{"access_token": "CYCLR TOKEN"}),
			field: keysField + ".access_token", phrase: "should match"},
		{name: "slash", spec: targetSpec(map[string]any{"access_token": "cyclr/token"}),
			field: keysField + ".access_token", phrase: "should match"},
		{name: "non-ascii", spec: targetSpec(map[string]any{"access_token": "tökén"}),
			field: keysField + ".access_token", phrase: "should match"},
		// The API server refuses these as Secret keys, though the pattern lets them through;
		// a rule on SecretKeyName (a CEL rule, so the path ends in [access_token]) must stop them.
		{name: "dot", spec: targetSpec(map[string]any{"access_token": "."}),
			field: keysField + "[access_token]", phrase: "may not be '.'"},
		{name: "dot-dot", spec: targetSpec(map[string]any{"access_token": ".."}),
			field: keysField + "[access_token]", phrase: "start with '..'"},
		{name: "dot-dot-prefix", spec: targetSpec(map[string]any{"access_token": "..data"}),
			field: keysField + "[access_token]", phrase: "start with '..'"},
		{name: "duplicate-names", spec: targetSpec(map[string]any{"access_token": "token", "authorization": "token"}),
			field: keysField, phrase: "two keys may not be renamed to the same name"},
		{name: "name-another-key-keeps", spec: targetSpec(map[string]any{"access_token": "authorization"}),
			field: keysField, phrase: "the name another key keeps"},
		{name: "name-of-env-format", spec: targetSpec(map[string]any{"access_token": "cyclr.env"}),
			field: keysField, phrase: "cyclr.env and cyclr.json are the names of the formats' keys"},
		{name: "name-of-json-format", spec: targetSpec(map[string]any{"api_url": "cyclr.json"}),
			field: keysField, phrase: "cyclr.env and cyclr.json are the names of the formats' keys"},
		{name: "unknown-format", spec: targetSpec(nil, "YAML"),
			field: "spec.target.formats[0]", phrase: `supported values: "Env", "JSON"`},
		{name: "duplicate-format", spec: targetSpec(nil, "Env", "Env"),
			field: "spec.target.formats[1]", phrase: "Duplicate value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantRefused(t, credential("keys-"+tc.name, tc.spec), tc.field, tc.phrase)
		})
	}
}

// wantRefused creates cred and checks that the API server refuses it with a message that
// names field and contains phrase, and is not about a CEL rule that failed to run.
func wantRefused(t *testing.T, cred client.Object, field, phrase string) {
	t.Helper()
	err := k8s.Create(t.Context(), cred)
	if err == nil {
		_ = k8s.Delete(context.Background(), cred)
		t.Fatalf("accepted; want it refused naming %s", field)
	}
	if !apierrors.IsInvalid(err) {
		t.Fatalf("error is not Invalid (422): %v", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, field+":") {
		t.Errorf("message does not name %s: %s", field, msg)
	}
	if !strings.Contains(msg, phrase) {
		t.Errorf("message lacks %q: %s", phrase, msg)
	}
	for _, ugly := range []string{"no such overload", "evaluation error", "compilation", "Internal error", "cost"} {
		if strings.Contains(msg, ugly) {
			t.Errorf("message contains %q: %s", ugly, msg)
		}
	}
	t.Logf("refused as expected: %s", msg)
}
