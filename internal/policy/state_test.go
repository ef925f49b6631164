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
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
)

var stateIssued = time.Date(2026, time.February, 10, 14, 15, 16, 123456789, time.UTC)

func sampleState() *TokenState {
	return &TokenState{
		Token: cyclr.Token{AccessToken: "at-S3CRET", RefreshToken: "rt-S3CRET", TokenType: "bearer",
			Grant: cyclr.GrantRefreshToken, IssuedAt: stateIssued, ExpiresAt: stateIssued.Add(1209599 * time.Second)},
		Fingerprint: "0f1e2d3c",
		Inputs:      "9a8b7c6d",
	}
}

func stateSecret(data map[string][]byte) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "partner" + StateSuffix}, Data: data}
}

func TestStateRoundTrip(t *testing.T) {
	cases := map[string]*TokenState{
		"password grant": sampleState(),
		"client credentials, no refresh token": {
			Token: cyclr.Token{AccessToken: "at", TokenType: "bearer", Grant: cyclr.GrantClientCredentials,
				IssuedAt: stateIssued, ExpiresAt: stateIssued.Add(time.Hour)},
			Fingerprint: "fp",
		},
		"times in another zone": {
			Token: cyclr.Token{AccessToken: "at", RefreshToken: "rt", Grant: cyclr.GrantPassword,
				IssuedAt:  stateIssued.In(time.FixedZone("X", -7*3600)),
				ExpiresAt: stateIssued.Add(time.Hour).In(time.FixedZone("Y", 5*3600+1800))},
			Fingerprint: "fp",
		},
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			data := in.SecretData()
			out := StateFromSecret(stateSecret(data))
			if out == nil {
				t.Fatalf("stateFromSecret(secretData()) = nil; data %d keys", len(data))
			}
			if !out.Token.IssuedAt.Equal(in.Token.IssuedAt) || !out.Token.ExpiresAt.Equal(in.Token.ExpiresAt) {
				t.Errorf("times: got %s/%s, want %s/%s", out.Token.IssuedAt, out.Token.ExpiresAt,
					in.Token.IssuedAt, in.Token.ExpiresAt)
			}
			if out.Token.IssuedAt.Location() != time.UTC {
				t.Errorf("times are not read back in UTC: %s", out.Token.IssuedAt.Location())
			}
			a, b := out.Token, in.Token
			a.IssuedAt, a.ExpiresAt, b.IssuedAt, b.ExpiresAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
			if a.AccessToken != b.AccessToken || a.RefreshToken != b.RefreshToken || a.TokenType != b.TokenType ||
				a.Grant != b.Grant || out.Fingerprint != in.Fingerprint || out.Inputs != in.Inputs {
				t.Errorf("round trip: got %#v fp %q, want %#v fp %q", a, out.Fingerprint, b, in.Fingerprint)
			}
			// Written again, the same bytes: no needless Secret update.
			for k, v := range out.SecretData() {
				if string(data[k]) != string(v) {
					t.Errorf("key %s: %q re-encoded as %q", k, data[k], v)
				}
			}
		})
	}
}

// The annotations describe the token without any secret: times, grant and inputs, and
// neither token nor the fingerprint (a digest of the password).
func TestStateMetadataRoundTrip(t *testing.T) {
	in := sampleState()
	annotations := in.SecretAnnotations()
	out := StateFromMetadata(annotations)
	if out == nil || !out.MetadataOnly {
		t.Fatalf("StateFromMetadata(SecretAnnotations()) = %#v, want a metadata-only state", out)
	}
	if !out.Token.IssuedAt.Equal(in.Token.IssuedAt) || !out.Token.ExpiresAt.Equal(in.Token.ExpiresAt) ||
		out.Token.Grant != in.Token.Grant || out.Inputs != in.Inputs {
		t.Errorf("round trip: got %#v, want the times, grant and inputs of %#v", out, in)
	}
	if out.Token.AccessToken != "" || out.Token.RefreshToken != "" || out.Fingerprint != "" {
		t.Errorf("a state read from metadata holds a token or fingerprint: %#v", out)
	}
	for k, v := range annotations {
		for _, secret := range []string{in.Token.AccessToken, in.Token.RefreshToken, in.Fingerprint} {
			if strings.Contains(v, secret) {
				t.Errorf("annotation %s = %q holds %q", k, v, secret)
			}
		}
	}
	if !slices.Equal(slices.Sorted(maps.Keys(annotations)), slices.Sorted(slices.Values(StateAnnotations))) {
		t.Errorf("annotations %v, want the keys %v", annotations, StateAnnotations)
	}
	for _, k := range []string{stateAnnotationIssuedAt, stateAnnotationExpiresAt, stateAnnotationInputs} {
		damaged := maps.Clone(annotations)
		damaged[k] = ""
		if got := StateFromMetadata(damaged); got != nil {
			t.Errorf("without %s: %#v, want nil (the data is read instead)", k, got)
		}
	}
	if got := StateFromMetadata(nil); got != nil {
		t.Errorf("no annotations (a state of an older version): %#v, want nil", got)
	}
}

func TestStateSecretHoldsNoLogin(t *testing.T) {
	want := []string{stateAccessToken, stateRefreshToken, stateTokenType, stateGrant, stateIssuedAt, stateExpiresAt, stateFingerprint, stateInputs}
	data := sampleState().SecretData()
	if len(data) != len(want) {
		t.Errorf("state has %d keys, want %v", len(data), want)
	}
	for _, k := range want {
		if _, ok := data[k]; !ok {
			t.Errorf("state lacks %q", k)
		}
	}
}

func TestStateFromDamagedSecret(t *testing.T) {
	good := sampleState().SecretData()
	without := func(key string) map[string][]byte {
		d := map[string][]byte{}
		for k, v := range good {
			if k != key {
				d[k] = v
			}
		}
		return d
	}
	with := func(key, value string) map[string][]byte {
		d := without(key)
		d[key] = []byte(value)
		return d
	}
	cases := map[string]*corev1.Secret{
		"nil Secret":             nil,
		"no data":                stateSecret(nil),
		"empty data":             stateSecret(map[string][]byte{}),
		"no access token":        stateSecret(without(stateAccessToken)),
		"empty access token":     stateSecret(with(stateAccessToken, "")),
		"no fingerprint":         stateSecret(without(stateFingerprint)),
		"no issued_at":           stateSecret(without(stateIssuedAt)),
		"no expires_at":          stateSecret(without(stateExpiresAt)),
		"garbled issued_at":      stateSecret(with(stateIssuedAt, "yesterday")),
		"garbled expires_at":     stateSecret(with(stateExpiresAt, "Thu, 08 Dec 2016 16:32:59 GMT")),
		"expires_at as a number": stateSecret(with(stateExpiresAt, "1209599")),
	}
	for name, secret := range cases {
		t.Run(name, func(t *testing.T) {
			if got := StateFromSecret(secret); got != nil {
				t.Errorf("a damaged state Secret was trusted: %#v", got.Token)
			}
		})
	}
	// Control: the undamaged data parses, so the cases above fail for the damage alone.
	if StateFromSecret(stateSecret(good)) == nil {
		t.Fatal("the undamaged state Secret did not parse")
	}
	// Client-credentials state has no refresh token and is still whole.
	if StateFromSecret(stateSecret(without(stateRefreshToken))) == nil {
		t.Error("a state without refresh token (client credentials) was dropped")
	}
}

func TestTokenStateFitsAndValid(t *testing.T) {
	s := sampleState()
	before, at := s.Token.ExpiresAt.Add(-time.Nanosecond), s.Token.ExpiresAt
	var none *TokenState
	cases := []struct {
		name                string
		state               *TokenState
		inputs, fingerprint string
		now                 time.Time
		wantFits, wantVal   bool
	}{
		{"nil state", none, "9a8b7c6d", "0f1e2d3c", stateIssued, false, false},
		{"fresh", s, "", "0f1e2d3c", stateIssued, true, true},
		{"last instant", s, "", "0f1e2d3c", before, true, true},
		{"at expiry", s, "9a8b7c6d", "0f1e2d3c", at, false, false},
		{"other values", s, "", "ffff", stateIssued, false, true},
		{"same inputs, login not read", s, "9a8b7c6d", "", stateIssued, true, true},
		{"same inputs, other values read", s, "9a8b7c6d", "ffff", stateIssued, true, true},
		{"other inputs, login not read", s, "in-2", "", stateIssued, false, true},
		{"other inputs, same values read", s, "in-2", "0f1e2d3c", stateIssued, true, true},
		{"no inputs on either side, login not read", &TokenState{Token: s.Token, Fingerprint: s.Fingerprint}, "", "", stateIssued,
			false, true},
	}
	for _, tc := range cases {
		if got := tc.state.Fits(tc.inputs, tc.fingerprint, tc.now); got != tc.wantFits {
			t.Errorf("%s: fits = %v, want %v", tc.name, got, tc.wantFits)
		}
		if got := tc.state.Valid(tc.now); got != tc.wantVal {
			t.Errorf("%s: valid = %v, want %v", tc.name, got, tc.wantVal)
		}
	}
}

func TestStateSecretName(t *testing.T) {
	if got := StateSecretName("partner"); got != "partner-cyclr-state" {
		t.Errorf("stateSecretName(partner) = %q", got)
	}
	fits := strings.Repeat("a", 253-len(StateSuffix))
	if got := StateSecretName(fits); got != fits+StateSuffix {
		t.Errorf("a name that just fits was shortened: %q", got)
	}

	long := func(prefix string, n int, last string) string {
		return prefix + strings.Repeat("x", n-len(prefix)-len(last)) + last
	}
	names := []string{
		fits + "b",
		long("", 253, "1"),
		long("", 253, "2"), // differs from the previous only past the cut
		long("", 252, ""),
		long("team-a.", 253, ""),
		long("team-b.", 253, ""),
		long("x", 250, "-z"),
		// a dash right where the name is cut
		strings.Repeat("a", 231) + "-" + strings.Repeat("b", 21),
	}
	checkStateSecretNames(t, names)
}

// TestStateSecretNameCutAtDot: a valid credential name whose shortened prefix ends in a dot
// must still give a valid Secret name ("aaa.-926fef48-cyclr-state" is not one: the label
// after the dot starts with a dash).
func TestStateSecretNameCutAtDot(t *testing.T) {
	checkStateSecretNames(t, []string{
		strings.Repeat("a", 231) + "." + strings.Repeat("b", 21),
		strings.Repeat("a", 230) + ".b." + strings.Repeat("c", 19),
	})
}

func checkStateSecretNames(t *testing.T, names []string) {
	t.Helper()
	seen := map[string]string{}
	for _, n := range names {
		if errs := validation.IsDNS1123Subdomain(n); len(errs) > 0 {
			t.Fatalf("test bug: %q is not a valid CyclrCredential name: %v", n, errs)
		}
		got := StateSecretName(n)
		if len(got) > 253 {
			t.Errorf("stateSecretName(%d chars) is %d chars long", len(n), len(got))
		}
		if errs := validation.IsDNS1123Subdomain(got); len(errs) > 0 {
			t.Errorf("stateSecretName(%q) = %q is not a valid Secret name: %v", n, got, errs)
		}
		if !strings.HasSuffix(got, StateSuffix) {
			t.Errorf("stateSecretName(%d chars) = %q lacks the suffix", len(n), got)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("credentials %q and %q share the state Secret %q", other, n, got)
		}
		seen[got] = n
		if again := StateSecretName(n); again != got {
			t.Errorf("stateSecretName is not stable: %q then %q", got, again)
		}
	}
}

func TestFingerprint(t *testing.T) {
	baseSpec := func() *authv1alpha1.CyclrCredentialSpec { return loginSpec() }
	baseLogin := cyclr.Request{APIURL: "https://api.eu.cyclr.com", Grant: cyclr.GrantPassword, ClientID: "cid",
		Username: "alice", Password: "pw-S3CRET"}
	base := Fingerprint(baseSpec(), baseLogin)
	if base != Fingerprint(baseSpec(), baseLogin) {
		t.Fatal("fingerprint is not deterministic")
	}
	const baseLoginVersion = "uid-1/42"
	baseInputs := InputsOf(baseSpec(), baseLoginVersion)
	if len(baseInputs) != 64 || baseInputs == base {
		t.Errorf("inputs %q are not a SHA-256 hex digest of their own", baseInputs)
	}
	if len(base) != 64 || strings.Contains(base, "S3CRET") {
		t.Errorf("fingerprint %q is not a SHA-256 hex digest", base)
	}
	// Stored in every state Secret: a change would sign every credential in again at an upgrade.
	if want := "b1811eed8db73f3029ccf95f61606c1ce4ae2b7a41620ac1e8847055f30647d3"; base != want {
		t.Errorf("fingerprint = %s, want %s as before", base, want)
	}

	changes := map[string]struct {
		spec  func(*authv1alpha1.CyclrCredentialSpec)
		login func(*cyclr.Request)
	}{
		"apiURL":          {spec: func(s *authv1alpha1.CyclrCredentialSpec) { s.APIURL = "https://api.cyclr.com" }},
		"grant":           {spec: withClientCredentials},
		"clientID":        {spec: func(s *authv1alpha1.CyclrCredentialSpec) { s.ClientID = "cid" }},
		"accountID":       {spec: func(s *authv1alpha1.CyclrCredentialSpec) { s.AccountID = "acct-42" }},
		"secret name":     {spec: func(s *authv1alpha1.CyclrCredentialSpec) { s.CredentialsSecretRef.Name = "other" }},
		"password key":    {spec: func(s *authv1alpha1.CyclrCredentialSpec) { s.CredentialsSecretRef.PasswordKey = "pw" }},
		"target name":     {spec: func(s *authv1alpha1.CyclrCredentialSpec) { s.Target.Name = "elsewhere" }},
		"target labels":   {spec: func(s *authv1alpha1.CyclrCredentialSpec) { s.Target.Labels = map[string]string{"a": "b"} }},
		"rotation":        {spec: func(s *authv1alpha1.CyclrCredentialSpec) { s.Rotation = authv1alpha1.RotationReauthenticate }},
		"refreshBefore":   {spec: func(s *authv1alpha1.CyclrCredentialSpec) { s.RefreshBefore = &metav1.Duration{Duration: time.Hour} }},
		"password":        {login: func(r *cyclr.Request) { r.Password = "pw-S3CRET-new" }},
		"username":        {login: func(r *cyclr.Request) { r.Username = "bob" }},
		"login client ID": {login: func(r *cyclr.Request) { r.ClientID = "cid2" }},
		"client secret":   {login: func(r *cyclr.Request) { r.ClientSecret = "cs" }},
		// A value moving across a field boundary is a different login.
		"username/password boundary": {login: func(r *cyclr.Request) { r.Username, r.Password = "alicep", "w-S3CRET" }},
	}
	for name, c := range changes {
		spec, login := baseSpec(), baseLogin
		if c.spec != nil {
			c.spec(spec)
		}
		if c.login != nil {
			c.login(&login)
		}
		if Fingerprint(spec, login) == base {
			t.Errorf("changing %s does not change the fingerprint", name)
		}
		if c.spec != nil && InputsOf(spec, baseLoginVersion) == baseInputs {
			t.Errorf("changing %s does not change the inputs", name)
		}
	}
	if InputsOf(baseSpec(), "uid-1/43") == baseInputs || InputsOf(baseSpec(), "uid-2/42") == baseInputs {
		t.Error("another version of the login Secret does not change the inputs")
	}

	// Pausing, and what only shapes the output, need no new token.
	same := map[string]func(*authv1alpha1.CyclrCredentialSpec){
		"suspend": func(s *authv1alpha1.CyclrCredentialSpec) { s.Suspend = true },
		"keys": func(s *authv1alpha1.CyclrCredentialSpec) {
			s.Target.Keys = map[string]authv1alpha1.SecretKeyName{"access_token": "TOKEN"}
		},
		"formats": func(s *authv1alpha1.CyclrCredentialSpec) {
			s.Target.Formats = []authv1alpha1.TargetFormat{authv1alpha1.FormatEnv}
		},
		"deletionPolicy": func(s *authv1alpha1.CyclrCredentialSpec) { s.Target.DeletionPolicy = authv1alpha1.DeletionRetain },
		"rolloutRestartTargets": func(s *authv1alpha1.CyclrCredentialSpec) {
			s.RolloutRestartTargets = []authv1alpha1.RolloutRestartTarget{{Kind: authv1alpha1.KindDeployment, Name: "app"}}
		},
	}
	for name, change := range same {
		spec := baseSpec()
		change(spec)
		if Fingerprint(spec, baseLogin) != base {
			t.Errorf("changing %s changed the fingerprint: it would issue a new token", name)
		}
		if InputsOf(spec, baseLoginVersion) != baseInputs {
			t.Errorf("changing %s changed the inputs: the login Secret would be read for nothing", name)
		}
	}
	suspended := baseSpec()
	suspended.Suspend = true
	// fingerprint must not modify the spec it is given.
	if !suspended.Suspend {
		t.Error("fingerprint cleared the caller's spec.suspend")
	}
}
