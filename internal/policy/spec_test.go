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

package policy

import (
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
)

// TestCheckSpec: what a stored object may still hold that the CRD refuses today is refused
// again, naming the field, with the reason that makes the credential Stalled.
func TestCheckSpec(t *testing.T) {
	many := map[string]string{}
	for i := range 65 {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	cases := []struct {
		name       string
		edit       func(*authv1alpha1.CyclrCredential)
		wantReason string // "" = accepted
		wantPhrase string
	}{
		{name: "valid", edit: func(*authv1alpha1.CyclrCredential) {}},
		{name: "valid with every bounded field at its bound", edit: func(c *authv1alpha1.CyclrCredential) {
			c.Spec.APIURL, c.Spec.AccountID, c.Spec.ClientID = "https://api.eu.cyclr.com:443/", "a.B_c-1", strings.Repeat("x", 128)
			c.Spec.Target.Keys = map[string]authv1alpha1.SecretKeyName{"access_token": "CYCLR_TOKEN"}
			c.Spec.Target.Annotations = map[string]string{"note": strings.Repeat("a", 1024)}
		}},
		{name: "apiURL with a path", wantReason: authv1alpha1.ReasonSpecInvalid, wantPhrase: "spec.apiURL: apiURL must be a bare origin",
			edit: func(c *authv1alpha1.CyclrCredential) { c.Spec.APIURL = "https://h/$(touch${IFS}/tmp/pwned)/../../.." }},
		{name: "apiURL with a Unicode host", wantReason: authv1alpha1.ReasonSpecInvalid, wantPhrase: "spec.apiURL: ",
			edit: func(c *authv1alpha1.CyclrCredential) { c.Spec.APIURL = "https://cyclr.b\u0130gcorp.com" }},
		{name: "accountID with a shell character", wantReason: authv1alpha1.ReasonSpecInvalid, wantPhrase: "spec.accountID",
			edit: func(c *authv1alpha1.CyclrCredential) { c.Spec.AccountID = "a;b" }},
		{name: "clientID too long", wantReason: authv1alpha1.ReasonSpecInvalid, wantPhrase: "spec.clientID",
			edit: func(c *authv1alpha1.CyclrCredential) { c.Spec.ClientID = strings.Repeat("x", 129) }},
		{name: "a key renamed to BASH_ENV", wantReason: authv1alpha1.ReasonSpecInvalid, wantPhrase: `api_url is renamed to "BASH_ENV"`,
			edit: func(c *authv1alpha1.CyclrCredential) {
				c.Spec.Target.Keys = map[string]authv1alpha1.SecretKeyName{"api_url": "BASH_ENV"}
			}},
		{name: "a key renamed to a lower-case proxy", wantReason: authv1alpha1.ReasonSpecInvalid, wantPhrase: "spec.target.keys",
			edit: func(c *authv1alpha1.CyclrCredential) {
				c.Spec.Target.Keys = map[string]authv1alpha1.SecretKeyName{"api_url": "https_proxy"}
			}},
		{name: "65 labels", wantReason: authv1alpha1.ReasonSpecInvalid, wantPhrase: "spec.target.labels: 65 entries",
			edit: func(c *authv1alpha1.CyclrCredential) { c.Spec.Target.Labels = many }},
		{name: "an annotation value over 1024 bytes", wantReason: authv1alpha1.ReasonSpecInvalid, wantPhrase: "spec.target.annotations",
			edit: func(c *authv1alpha1.CyclrCredential) {
				c.Spec.Target.Annotations = map[string]string{"a": strings.Repeat("x", 1025)}
			}},
		{name: "the operator's own annotation", wantReason: authv1alpha1.ReasonSpecInvalid, wantPhrase: authv1alpha1.RetainedFromAnnotation,
			edit: func(c *authv1alpha1.CyclrCredential) {
				c.Spec.Target.Annotations = map[string]string{authv1alpha1.RetainedFromAnnotation: "x"}
			}},
		{name: "the managed-by label", wantReason: authv1alpha1.ReasonSpecInvalid, wantPhrase: authv1alpha1.ManagedByLabel,
			edit: func(c *authv1alpha1.CyclrCredential) {
				c.Spec.Target.Labels = map[string]string{authv1alpha1.ManagedByLabel: "me"}
			}},
		{name: "a state Secret's name", wantReason: authv1alpha1.ReasonTargetSecretConflict, wantPhrase: "reserved",
			edit: func(c *authv1alpha1.CyclrCredential) { c.Spec.Target.Name = "x" + StateSuffix }},
		{name: "the default target is the login", wantReason: authv1alpha1.ReasonTargetSecretConflict, wantPhrase: "set spec.target.name",
			edit: func(c *authv1alpha1.CyclrCredential) { c.Spec.CredentialsSecretRef.Name = c.Name }},
		{name: "the target is the login", wantReason: authv1alpha1.ReasonTargetSecretConflict, wantPhrase: "login Secret",
			edit: func(c *authv1alpha1.CyclrCredential) { c.Spec.Target.Name = c.Spec.CredentialsSecretRef.Name }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &authv1alpha1.CyclrCredential{ObjectMeta: metav1.ObjectMeta{Name: "cred"}, Spec: authv1alpha1.CyclrCredentialSpec{
				APIURL: "https://api.cyclr.com", CredentialsSecretRef: authv1alpha1.CredentialsSecretRef{Name: "login"}}}
			tc.edit(c)
			got := CheckSpec(c)
			switch {
			case tc.wantReason == "" && got != nil:
				t.Fatalf("refused: %s %s", got.Reason, got.Message)
			case tc.wantReason == "":
				return
			case got == nil:
				t.Fatalf("accepted; want %s", tc.wantReason)
			}
			if got.Reason != tc.wantReason || !strings.Contains(got.Message, tc.wantPhrase) {
				t.Errorf("%s %q; want %s containing %q", got.Reason, got.Message, tc.wantReason, tc.wantPhrase)
			}
			if strings.Contains(strings.ToLower(got.Message), "delete") {
				t.Errorf("the message advises deleting something: %s", got.Message)
			}
		})
	}
}
