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
	"strings"
	"testing"
)

// TestNoOutputHoldsTheToken runs every command that reads a credential whose target Secret
// holds a token, in every output format, and searches what they printed for it. (The plugin
// user may not read Secrets at all; this is the check that nothing else carries it.)
func TestNoOutputHoldsTheToken(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	cred := newCredential(t, ns, "secretive", nil)
	targetSecret(t, cred, tokenValue)
	create(t, deployment(ns, "reader", nil, podSpec(envFromSecretKey(cred.TargetSecretName()))))
	for _, args := range [][]string{
		{"status", "-n", ns}, {"status", cred.Name, "-n", ns, "-o", "json"}, {"status", "-A", "-o", "yaml"},
		{"consumers", cred.Name, "-n", ns}, {"refresh", cred.Name, "-n", ns},
	} {
		r := kubectlCyclr(t, args...)
		if r.err != nil {
			t.Fatalf("kubectl cyclr %v: %v", args, r.err)
		}
		assertNoToken(t, r.stdout+r.stderr, tokenValue)
	}
}

func assertNoToken(t *testing.T, output string, tokens ...string) {
	t.Helper()
	for _, token := range tokens {
		if strings.Contains(output, token) {
			t.Errorf("the output holds a token")
		}
	}
}
