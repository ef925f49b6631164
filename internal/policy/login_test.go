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
	"bytes"
	"errors"
	"strings"
	"testing"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
)

// loginSpec is a spec as the API server stores it: defaults filled in.
func loginSpec(mutate ...func(*authv1alpha1.CyclrCredentialSpec)) *authv1alpha1.CyclrCredentialSpec {
	s := &authv1alpha1.CyclrCredentialSpec{
		APIURL: "https://api.eu.cyclr.com", Grant: authv1alpha1.GrantPassword, Rotation: authv1alpha1.RotationRefreshToken,
		CredentialsSecretRef: authv1alpha1.CredentialsSecretRef{Name: "cyclr-login", UsernameKey: "username",
			PasswordKey: "password", ClientIDKey: "client_id", ClientSecretKey: "client_secret"},
	}
	for _, m := range mutate {
		m(s)
	}
	return s
}

func withClientCredentials(s *authv1alpha1.CyclrCredentialSpec) {
	s.Grant = authv1alpha1.GrantClientCredentials
}

func loginData(kv ...string) map[string][]byte {
	d := map[string][]byte{}
	for i := 0; i+1 < len(kv); i += 2 {
		d[kv[i]] = []byte(kv[i+1])
	}
	return d
}

func TestLoginFromSecretSucceeds(t *testing.T) {
	cases := []struct {
		name string
		spec *authv1alpha1.CyclrCredentialSpec
		data map[string][]byte
		want cyclr.Request
	}{
		{name: "password grant",
			spec: loginSpec(),
			data: loginData("client_id", "cid", "username", "alice", "password", "pw-1"),
			want: cyclr.Request{APIURL: "https://api.eu.cyclr.com", Grant: cyclr.GrantPassword, ClientID: "cid",
				Username: "alice", Password: "pw-1"}},
		{name: "password grant, account token",
			spec: loginSpec(func(s *authv1alpha1.CyclrCredentialSpec) { s.AccountID = "acct-42" }),
			data: loginData("client_id", "cid", "username", "alice", "password", "pw-1"),
			want: cyclr.Request{APIURL: "https://api.eu.cyclr.com", Grant: cyclr.GrantPassword, ClientID: "cid",
				Username: "alice", Password: "pw-1", AccountID: "acct-42"}},
		{name: "client credentials",
			spec: loginSpec(withClientCredentials),
			data: loginData("client_id", "cc", "client_secret", "cs-1", "username", "ignored", "password", "ignored"),
			want: cyclr.Request{APIURL: "https://api.eu.cyclr.com", Grant: cyclr.GrantClientCredentials, ClientID: "cc",
				ClientSecret: "cs-1"}},
		{name: "client credentials need no username or password",
			spec: loginSpec(withClientCredentials),
			data: loginData("client_id", "cc", "client_secret", "cs-1"),
			want: cyclr.Request{APIURL: "https://api.eu.cyclr.com", Grant: cyclr.GrantClientCredentials, ClientID: "cc",
				ClientSecret: "cs-1"}},
		{name: "clientID from spec wins over the Secret",
			spec: loginSpec(func(s *authv1alpha1.CyclrCredentialSpec) { s.ClientID = "from-spec" }),
			data: loginData("client_id", "from-secret", "username", "alice", "password", "pw-1"),
			want: cyclr.Request{APIURL: "https://api.eu.cyclr.com", Grant: cyclr.GrantPassword, ClientID: "from-spec",
				Username: "alice", Password: "pw-1"}},
		{name: "clientID from spec, no client_id key needed",
			spec: loginSpec(withClientCredentials, func(s *authv1alpha1.CyclrCredentialSpec) { s.ClientID = "from-spec" }),
			data: loginData("client_secret", "cs-1"),
			want: cyclr.Request{APIURL: "https://api.eu.cyclr.com", Grant: cyclr.GrantClientCredentials,
				ClientID: "from-spec", ClientSecret: "cs-1"}},
		{name: "custom key names",
			spec: loginSpec(func(s *authv1alpha1.CyclrCredentialSpec) {
				s.CredentialsSecretRef.UsernameKey, s.CredentialsSecretRef.PasswordKey = "CYCLR_USER", "CYCLR_PASS"
				s.CredentialsSecretRef.ClientIDKey = "CYCLR_CLIENT"
			}),
			data: loginData("CYCLR_CLIENT", "cid", "CYCLR_USER", "bob", "CYCLR_PASS", "pw-2",
				"username", "wrong", "password", "wrong", "client_id", "wrong"),
			want: cyclr.Request{APIURL: "https://api.eu.cyclr.com", Grant: cyclr.GrantPassword, ClientID: "cid",
				Username: "bob", Password: "pw-2"}},
		{name: "whitespace-wrapped values trimmed (echo | kubectl create secret)",
			spec: loginSpec(),
			data: loginData("client_id", " cid\n", "username", "\talice\r\n", "password", "  pw with inner spaces \n"),
			want: cyclr.Request{APIURL: "https://api.eu.cyclr.com", Grant: cyclr.GrantPassword, ClientID: "cid",
				Username: "alice", Password: "pw with inner spaces"}},
		{name: "non-ASCII UTF-8 password kept",
			spec: loginSpec(),
			data: loginData("client_id", "cid", "username", "zoë", "password", "pässwörd-€"),
			want: cyclr.Request{APIURL: "https://api.eu.cyclr.com", Grant: cyclr.GrantPassword, ClientID: "cid",
				Username: "zoë", Password: "pässwörd-€"}},
		{name: "a 4 KiB password is accepted",
			spec: loginSpec(),
			data: loginData("client_id", "cid", "username", "alice", "password", strings.Repeat("p", 4096)),
			want: cyclr.Request{APIURL: "https://api.eu.cyclr.com", Grant: cyclr.GrantPassword, ClientID: "cid",
				Username: "alice", Password: strings.Repeat("p", 4096)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LoginFromSecret(tc.spec, "cyclr-login", tc.data)
			if err != nil {
				t.Fatalf("loginFromSecret: %v", err)
			}
			if got != tc.want {
				t.Errorf("request = %#v, want %#v", got, tc.want) // Request's GoString redacts secrets
				if got.Password != tc.want.Password || got.ClientSecret != tc.want.ClientSecret {
					t.Error("the secret values differ")
				}
			}
		})
	}
}

func TestLoginFromSecretRefuses(t *testing.T) {
	mib := strings.Repeat("S3CRET", (1<<20)/6+1)
	cases := []struct {
		name string
		spec *authv1alpha1.CyclrCredentialSpec
		data map[string][]byte
		// the message must name this key and say this; it must not contain secret
		key, says string
		secret    []byte
	}{
		{name: "missing username", spec: loginSpec(),
			data: loginData("client_id", "cid", "password", "pw-S3CRET-1"),
			key:  "username", says: "missing", secret: []byte("pw-S3CRET-1")},
		{name: "missing password", spec: loginSpec(),
			data: loginData("client_id", "cid", "username", "alice-S3CRET"),
			key:  "password", says: "missing", secret: []byte("alice-S3CRET")},
		{name: "missing client_id", spec: loginSpec(),
			data: loginData("username", "alice", "password", "pw-S3CRET-2"),
			key:  "client_id", says: "missing", secret: []byte("pw-S3CRET-2")},
		{name: "missing client_secret", spec: loginSpec(withClientCredentials),
			data: loginData("client_id", "cid-S3CRET", "password", "pw"),
			key:  "client_secret", says: "missing", secret: []byte("cid-S3CRET")},
		{name: "missing custom password key", spec: loginSpec(func(s *authv1alpha1.CyclrCredentialSpec) {
			s.CredentialsSecretRef.PasswordKey = "CYCLR_PASS"
		}),
			data: loginData("client_id", "cid", "username", "alice", "password", "pw-S3CRET-3"),
			key:  "CYCLR_PASS", says: "missing", secret: []byte("pw-S3CRET-3")},
		{name: "empty password", spec: loginSpec(),
			data: loginData("client_id", "cid", "username", "alice", "password", ""),
			key:  "password", says: "empty"},
		{name: "whitespace-only password", spec: loginSpec(),
			data: loginData("client_id", "cid", "username", "alice", "password", " \n\t "),
			key:  "password", says: "empty"},
		{name: "empty client_id", spec: loginSpec(),
			data: loginData("client_id", "\n", "username", "alice", "password", "pw"),
			key:  "client_id", says: "empty"},
		{name: "binary junk password", spec: loginSpec(),
			data: map[string][]byte{"client_id": []byte("cid"), "username": []byte("alice"),
				"password": {0xff, 0xfe, 'S', '3', 'C', 'R', 'E', 'T', 0xc3, 0x28}},
			key: "password", says: "UTF-8", secret: []byte("S3CRET")},
		{name: "1 MiB password", spec: loginSpec(),
			data: loginData("client_id", "cid", "username", "alice", "password", mib),
			key:  "password", says: "longer than", secret: []byte("S3CRET")},
		{name: "just over 4 KiB username", spec: loginSpec(),
			data: loginData("client_id", "cid", "username", strings.Repeat("u", 4097), "password", "pw"),
			key:  "username", says: "longer than", secret: []byte("uuuuuuuu")},
		{name: "NUL in password", spec: loginSpec(),
			data: loginData("client_id", "cid", "username", "alice", "password", "pw\x00S3CRET"),
			key:  "password", says: "control characters", secret: []byte("S3CRET")},
		{name: "newline inside password", spec: loginSpec(),
			data: loginData("client_id", "cid", "username", "alice", "password", "line1-S3CRET\nline2"),
			key:  "password", says: "control characters", secret: []byte("S3CRET")},
		{name: "escape sequence in username", spec: loginSpec(),
			data: loginData("client_id", "cid", "username", "\x1b[31malice-S3CRET", "password", "pw"),
			key:  "username", says: "control characters", secret: []byte("S3CRET")},
		{name: "DEL in client secret", spec: loginSpec(withClientCredentials),
			data: loginData("client_id", "cid", "client_secret", "cs\x7fS3CRET"),
			key:  "client_secret", says: "control characters", secret: []byte("S3CRET")},
		{name: "C1 control in client id", spec: loginSpec(),
			data: loginData("client_id", "c\u0085id-S3CRET", "username", "alice", "password", "pw"),
			key:  "client_id", says: "control characters", secret: []byte("S3CRET")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := LoginFromSecret(tc.spec, "cyclr-login", tc.data)
			if err == nil {
				t.Fatalf("accepted: %#v", req)
			}
			if req != (cyclr.Request{}) {
				t.Errorf("a refused login returned a partial request %#v", req)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Reason != authv1alpha1.ReasonCredentialsInvalid {
				t.Fatalf("error %v is not a CredentialsInvalid configError", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, `"`+tc.key+`"`) || !strings.Contains(msg, `"cyclr-login"`) {
				t.Errorf("message does not name key %q of Secret cyclr-login: %s", tc.key, msg)
			}
			if !strings.Contains(msg, tc.says) {
				t.Errorf("message does not say %q: %s", tc.says, msg)
			}
			if len(tc.secret) > 0 && bytes.Contains([]byte(msg), tc.secret) {
				t.Errorf("message leaks the value: %s", msg)
			}
			if len(msg) > 300 {
				t.Errorf("message is %d bytes long; it should name the key, not quote data", len(msg))
			}
		})
	}
}
