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
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

// These tests send CyclrCredentials to a real kube-apiserver with the generated CRD
// installed, so they prove what `kubectl apply` accepts, refuses and defaults.

const testNamespace = "validation"

var (
	testCfg *rest.Config
	k8s     client.Client
)

func TestMain(m *testing.M) {
	testenv.Main(m, func(s *testenv.Suite) error {
		testCfg, k8s = s.Config, s.Client
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: testNamespace}}
		if err := k8s.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating the test namespace: %w", err)
		}
		return nil
	})
}

// credential is a CyclrCredential as a user would write it in YAML: unstructured, so values
// the Go types cannot hold (refreshBefore: abc) reach the API server as written.
func credential(name string, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	u.SetAPIVersion(authv1alpha1.GroupVersion.String())
	u.SetKind("CyclrCredential")
	u.SetNamespace(testNamespace)
	u.SetName(name)
	return u
}

// minimalSpec is the smallest valid spec, plus the given fields.
func minimalSpec(fields map[string]any) map[string]any {
	spec := map[string]any{"credentialsSecretRef": map[string]any{"name": "cyclr-login"}}
	maps.Copy(spec, fields)
	return spec
}

func TestMinimalCredentialIsDefaulted(t *testing.T) {
	ctx := t.Context()
	if err := k8s.Create(ctx, credential("minimal", minimalSpec(nil))); err != nil {
		t.Fatalf("a CyclrCredential with only credentialsSecretRef.name was refused: %v", err)
	}
	t.Cleanup(func() {
		_ = k8s.Delete(context.Background(), &authv1alpha1.CyclrCredential{
			ObjectMeta: metav1.ObjectMeta{Namespace: testNamespace, Name: "minimal"}})
	})

	got := &authv1alpha1.CyclrCredential{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: testNamespace, Name: "minimal"}, got); err != nil {
		t.Fatal(err)
	}
	s := got.Spec
	checks := []struct{ field, got, want string }{
		{"spec.apiURL", s.APIURL, "https://api.cyclr.com"},
		{"spec.grant", string(s.Grant), string(authv1alpha1.GrantPassword)},
		{"spec.rotation", string(s.Rotation), string(authv1alpha1.RotationRefreshToken)},
		{"spec.credentialsSecretRef.name", s.CredentialsSecretRef.Name, "cyclr-login"},
		{"spec.credentialsSecretRef.usernameKey", s.CredentialsSecretRef.UsernameKey, "username"},
		{"spec.credentialsSecretRef.passwordKey", s.CredentialsSecretRef.PasswordKey, "password"},
		{"spec.credentialsSecretRef.clientIDKey", s.CredentialsSecretRef.ClientIDKey, "client_id"},
		{"spec.credentialsSecretRef.clientSecretKey", s.CredentialsSecretRef.ClientSecretKey, "client_secret"},
		{"spec.clientID", s.ClientID, ""},
		{"spec.accountID", s.AccountID, ""},
		{"spec.target.name", s.Target.Name, ""},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if s.RefreshBefore != nil {
		t.Errorf("spec.refreshBefore = %v, want unset (one third of the lifetime)", s.RefreshBefore)
	}
	if s.Suspend {
		t.Error("spec.suspend defaulted to true")
	}
	if got.TargetSecretName() != "minimal" {
		t.Errorf("TargetSecretName() = %q, want the credential's name", got.TargetSecretName())
	}
}

func TestValidCredentialsAccepted(t *testing.T) {
	cases := []struct {
		name   string
		fields map[string]any
		check  func(*testing.T, *authv1alpha1.CyclrCredentialSpec)
	}{
		{name: "http-localhost", fields: map[string]any{"apiURL": "http://localhost:8080"}},
		{name: "http-ipv4-loopback", fields: map[string]any{"apiURL": "http://127.0.0.1"}},
		{name: "http-ipv6-loopback", fields: map[string]any{"apiURL": "http://[::1]:9000"}},
		{name: "https-eu", fields: map[string]any{"apiURL": "https://api.eu.cyclr.com"}},
		{name: "https-private-port", fields: map[string]any{"apiURL": "https://cyclr.internal.example:8443"}},
		{name: "https-trailing-slash", fields: map[string]any{"apiURL": "https://api.cyclr.com/"}},
		{name: "https-punycode", fields: map[string]any{"apiURL": "https://cyclr.xn--bigcorp-7he.com"}},
		{name: "ids-at-their-bound", fields: map[string]any{"clientID": strings.Repeat("c", 128),
			"accountID": "Acct_7f3e.a-B"}},
		{name: "target-keys-renamed-safely", fields: map[string]any{"target": map[string]any{
			"keys": map[string]any{"access_token": "CYCLR_TOKEN", "api_url": "CYCLR_API", "account_id": "path_of_account"}}}},
		{name: "target-metadata-at-its-bounds", fields: map[string]any{"target": map[string]any{
			"labels": entries(64, "v"), "annotations": entries(64, strings.Repeat("a", 1024))}}},
		{name: "refresh-before-72h", fields: map[string]any{"refreshBefore": "72h"},
			check: wantRefreshBefore(72 * time.Hour)},
		{name: "refresh-before-1h30m", fields: map[string]any{"refreshBefore": "1h30m"},
			check: wantRefreshBefore(90 * time.Minute)},
		{name: "refresh-before-fraction", fields: map[string]any{"refreshBefore": "1.5h"},
			check: wantRefreshBefore(90 * time.Minute)},
		{name: "refresh-before-all-units", fields: map[string]any{"refreshBefore": "1h2m3s4ms"},
			check: wantRefreshBefore(time.Hour + 2*time.Minute + 3*time.Second + 4*time.Millisecond)},
		{name: "refresh-before-micro", fields: map[string]any{"refreshBefore": "1500µs"},
			check: wantRefreshBefore(1500 * time.Microsecond)},
		{name: "refresh-before-large", fields: map[string]any{"refreshBefore": "99999h"},
			check: wantRefreshBefore(99999 * time.Hour)},
		{name: "client-credentials", fields: map[string]any{"grant": "ClientCredentials", "clientID": "abc123",
			"accountID": "acct-1"},
			check: func(t *testing.T, s *authv1alpha1.CyclrCredentialSpec) {
				if s.Grant != authv1alpha1.GrantClientCredentials {
					t.Errorf("grant = %q, want ClientCredentials", s.Grant)
				}
			}},
		{name: "client-credentials-explicit-refresh-token-rotation",
			fields: map[string]any{"grant": "ClientCredentials", "rotation": "RefreshToken"}},
		{name: "password-reauthenticate", fields: map[string]any{"rotation": "Reauthenticate"},
			check: func(t *testing.T, s *authv1alpha1.CyclrCredentialSpec) {
				if s.Rotation != authv1alpha1.RotationReauthenticate {
					t.Errorf("rotation = %q, want Reauthenticate", s.Rotation)
				}
			}},
		{name: "target-and-suspend", fields: map[string]any{"suspend": true, "target": map[string]any{
			"name": "partner-token", "labels": map[string]any{"team": "a"}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := credential("valid-"+tc.name, minimalSpec(tc.fields))
			got := createAccepted(t, u)
			if url, ok := tc.fields["apiURL"]; ok && got.Spec.APIURL != url {
				t.Errorf("apiURL = %q, want %q", got.Spec.APIURL, url)
			}
			if tc.check != nil {
				tc.check(t, &got.Spec)
			}
		})
	}
}

func wantRefreshBefore(want time.Duration) func(*testing.T, *authv1alpha1.CyclrCredentialSpec) {
	return func(t *testing.T, s *authv1alpha1.CyclrCredentialSpec) {
		t.Helper()
		if s.RefreshBefore == nil || s.RefreshBefore.Duration != want {
			t.Errorf("refreshBefore = %v, want %v", s.RefreshBefore, want)
		}
	}
}

func TestInvalidCredentialsRefused(t *testing.T) {
	cases := []struct {
		name   string
		spec   map[string]any
		field  string // the field path the message must name
		phrase string // a further fragment the message must contain
	}{
		{name: "ftp-url", spec: minimalSpec(map[string]any{"apiURL": "ftp://x"}),
			field: "spec.apiURL", phrase: "https://"},
		{name: "plain-http-remote", spec: minimalSpec(map[string]any{"apiURL": "http://api.cyclr.com"}),
			field: "spec.apiURL", phrase: "localhost"},
		{name: "http-loopback-lookalike", spec: minimalSpec(map[string]any{"apiURL": "http://localhost.evil.example"}),
			field: "spec.apiURL", phrase: "localhost"},
		{name: "not-a-url", spec: minimalSpec(map[string]any{"apiURL": "not a url"}),
			field: "spec.apiURL", phrase: "https://"},
		{name: "https-without-host", spec: minimalSpec(map[string]any{"apiURL": "https://"}),
			field: "spec.apiURL", phrase: "host"},
		{name: "user-info-in-url", spec: minimalSpec(map[string]any{"apiURL": "https://alice:pw@api.cyclr.com"}),
			field: "spec.apiURL", phrase: "user info"},
		{name: "query-in-url", spec: minimalSpec(map[string]any{"apiURL": "https://api.cyclr.com/?x=1"}),
			field: "spec.apiURL", phrase: "query"},
		{name: "fragment-in-url", spec: minimalSpec(map[string]any{"apiURL": "https://api.cyclr.com/#f"}),
			field: "spec.apiURL", phrase: "fragment"},
		{name: "negative-refresh-before", spec: minimalSpec(map[string]any{"refreshBefore": "-1h"}),
			field: "spec.refreshBefore", phrase: "positive duration"},
		{name: "zero-refresh-before", spec: minimalSpec(map[string]any{"refreshBefore": "0s"}),
			field: "spec.refreshBefore", phrase: "positive duration"},
		{name: "garbage-refresh-before", spec: minimalSpec(map[string]any{"refreshBefore": "abc"}),
			field: "spec.refreshBefore", phrase: "positive duration"},
		{name: "unitless-refresh-before", spec: minimalSpec(map[string]any{"refreshBefore": "3600"}),
			field: "spec.refreshBefore", phrase: "positive duration"},
		{name: "signed-refresh-before", spec: minimalSpec(map[string]any{"refreshBefore": "+1h"}),
			field: "spec.refreshBefore", phrase: "positive duration"},
		{name: "overflowing-refresh-before", spec: minimalSpec(map[string]any{"refreshBefore": "99999999999999h"}),
			field: "spec.refreshBefore", phrase: "positive duration"},
		{name: "days-refresh-before", spec: minimalSpec(map[string]any{"refreshBefore": "3d"}),
			field: "spec.refreshBefore", phrase: "positive duration"},
		{name: "target-takes-a-state-name", spec: minimalSpec(map[string]any{"target": map[string]any{"name": "other-cyclr-state"}}),
			field: "spec.target.name", phrase: "-cyclr-state"},
		{name: "unknown-grant", spec: minimalSpec(map[string]any{"grant": "Foo"}),
			field: "spec.grant", phrase: "Foo"},
		{name: "unknown-rotation", spec: minimalSpec(map[string]any{"rotation": "Bar"}),
			field: "spec.rotation", phrase: "Bar"},
		{name: "empty-secret-name", spec: map[string]any{"credentialsSecretRef": map[string]any{"name": ""}},
			field: "spec.credentialsSecretRef.name", phrase: "at least 1"},
		{name: "missing-secret-name", spec: map[string]any{"credentialsSecretRef": map[string]any{}},
			field: "spec.credentialsSecretRef.name", phrase: "Required"},
		{name: "missing-credentials-secret-ref", spec: map[string]any{"apiURL": "https://api.cyclr.com"},
			field: "spec.credentialsSecretRef", phrase: "Required"},
		{name: "empty-password-key", spec: map[string]any{"credentialsSecretRef": map[string]any{
			"name": "cyclr-login", "passwordKey": ""}},
			field: "spec.credentialsSecretRef.passwordKey", phrase: "at least 1"},
		{name: "client-credentials-reauthenticate",
			spec:  minimalSpec(map[string]any{"grant": "ClientCredentials", "rotation": "Reauthenticate"}),
			field: "spec.rotation", phrase: "ClientCredentials"},
		{name: "bad-target-name", spec: minimalSpec(map[string]any{"target": map[string]any{"name": "Not_A_Name"}}),
			field: "spec.target.name", phrase: "should match"},
	}
	for _, tc := range append(cases, tenantBoundaryCases()...) {
		t.Run(tc.name, func(t *testing.T) {
			u := credential("invalid-"+tc.name, tc.spec)
			err := k8s.Create(t.Context(), u)
			if err == nil {
				_ = k8s.Delete(context.Background(), u)
				t.Fatalf("accepted; want it refused naming %s", tc.field)
			}
			if !apierrors.IsInvalid(err) {
				t.Fatalf("error is not Invalid (422): %v", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.field+":") {
				t.Errorf("message does not name %s: %s", tc.field, msg)
			}
			if !strings.Contains(msg, tc.phrase) {
				t.Errorf("message lacks %q: %s", tc.phrase, msg)
			}
			// A CEL rule that fails to evaluate produces a message about CEL, not about the field.
			for _, ugly := range []string{"no such overload", "evaluation error", "compilation", "Internal error"} {
				if strings.Contains(msg, ugly) {
					t.Errorf("message contains %q: %s", ugly, msg)
				}
			}
			t.Logf("refused as expected: %s", msg)
		})
	}
}

// TestUpdateIsValidatedToo: the rules hold on update, not only on create.
func TestUpdateIsValidatedToo(t *testing.T) {
	ctx := t.Context()
	u := credential("update", minimalSpec(nil))
	if err := k8s.Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), u) })
	got := &authv1alpha1.CyclrCredential{}
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(u), got); err != nil {
		t.Fatal(err)
	}
	got.Spec.APIURL = "http://api.cyclr.com"
	err := k8s.Update(ctx, got)
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.apiURL:") {
		t.Fatalf("update to a plain-http remote apiURL: err = %v, want Invalid naming spec.apiURL", err)
	}
}

// createAccepted creates u, failing the test if the API server refuses it, deletes it when the
// test ends, and returns it as the API server stored it (defaults filled in).
func createAccepted(t *testing.T, u client.Object) *authv1alpha1.CyclrCredential {
	t.Helper()
	if err := k8s.Create(t.Context(), u); err != nil {
		t.Fatalf("refused: %v", err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), u) })
	got := &authv1alpha1.CyclrCredential{}
	if err := k8s.Get(t.Context(), client.ObjectKeyFromObject(u), got); err != nil {
		t.Fatal(err)
	}
	return got
}
