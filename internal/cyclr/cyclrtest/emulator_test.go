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

package cyclrtest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr/cyclrtest"
)

// These tests speak raw HTTP, so that they pin the protocol of docs/design.md
// section 1 independently of the client in internal/cyclr.

const (
	partnerClient = "partner-client"
	username      = "alice"
	password      = "alice-password"
	accountID     = "acct-42"
	ccClient      = "cc-client"
	ccSecret      = "cc-secret"
)

var start = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newServer(t *testing.T, opts ...cyclrtest.Option) *cyclrtest.Server {
	t.Helper()
	s := cyclrtest.NewServer(opts...)
	t.Cleanup(s.Close)
	s.AddPartner(partnerClient, username, password)
	s.AddAccount(accountID)
	s.AddClient(ccClient, ccSecret)
	return s
}

// answer is a decoded token endpoint response, success or error.
type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func (a answer) str(key string) string { s, _ := a.body[key].(string); return s }

func post(t *testing.T, s *cyclrtest.Server, contentType, body string) answer {
	t.Helper()
	resp, err := http.Post(s.URL+"/oauth/token", contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	a := answer{status: resp.StatusCode, header: resp.Header}
	if err := json.NewDecoder(resp.Body).Decode(&a.body); err != nil {
		t.Fatalf("HTTP %d, body is not JSON: %v", resp.StatusCode, err)
	}
	return a
}

func postForm(t *testing.T, s *cyclrtest.Server, kv ...string) answer {
	t.Helper()
	f := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return post(t, s, "application/x-www-form-urlencoded", f.Encode())
}

func passwordGrant(t *testing.T, s *cyclrtest.Server, extra ...string) answer {
	t.Helper()
	return mustSucceed(t, postForm(t, s, append([]string{
		"grant_type", "password", "client_id", partnerClient, "username", username, "password", password}, extra...)...))
}

func refreshGrant(t *testing.T, s *cyclrtest.Server, refreshToken string, extra ...string) answer {
	t.Helper()
	return postForm(t, s, append([]string{
		"grant_type", "refresh_token", "client_id", partnerClient, "refresh_token", refreshToken}, extra...)...)
}

func mustSucceed(t *testing.T, a answer) answer {
	t.Helper()
	if a.status != http.StatusOK || a.str("access_token") == "" {
		t.Fatalf("want a token, got HTTP %d %v", a.status, a.body)
	}
	return a
}

func wantError(t *testing.T, a answer, code string) {
	t.Helper()
	if a.status != http.StatusBadRequest || a.str("error") != code {
		t.Errorf("got HTTP %d %v, want 400 %s", a.status, a.body, code)
	}
}

// accounts calls the bearer-protected endpoint and returns the status.
func accounts(t *testing.T, s *cyclrtest.Server, authorization string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+"/v1.0/accounts", nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var body any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("HTTP %d, body is not JSON: %v", resp.StatusCode, err)
	}
	if list, ok := body.([]any); resp.StatusCode == http.StatusOK && (!ok || len(list) != 0) {
		t.Errorf("200 body %v, want []", body)
	}
	return resp.StatusCode
}

func TestSuccessBody(t *testing.T) {
	s := newServer(t, cyclrtest.WithClock(clocktesting.NewFakePassiveClock(start)))
	a := passwordGrant(t, s, "client_secret", accountID)
	want := map[string]any{
		"token_type": "bearer", "expires_in": float64(1209599), "userName": username, "clientId": partnerClient,
		".issued": "Sun, 01 Mar 2026 12:00:00 GMT", ".expires": "Sun, 15 Mar 2026 11:59:59 GMT",
	}
	for k, v := range want {
		if a.body[k] != v {
			t.Errorf("%s = %v, want %v", k, a.body[k], v)
		}
	}
	if len(a.str("access_token")) != 64 || len(a.str("refresh_token")) != 64 || a.str("access_token") == a.str("refresh_token") {
		t.Errorf("want distinct 32-byte hex tokens, got %v", a.body)
	}
	if a.header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
		t.Errorf("headers %v", a.header)
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	tests := []struct {
		name        string
		contentType string
		body        string
		grant       string // counted grant label
		code        string
	}{
		{"JSON instead of a form", "application/json", `{"grant_type":"password"}`, "", "invalid_request"},
		{"no content type", "", "grant_type=password", "", "invalid_request"},
		{"missing grant_type", form, "client_id=partner-client", "", "invalid_request"},
		{"unknown grant", form, "grant_type=implicit&client_id=partner-client", "implicit", "unsupported_grant_type"},
		{"password without username", form, "grant_type=password&client_id=partner-client&password=alice-password",
			"password", "invalid_request"},
		{"password of an unknown client", form, "grant_type=password&client_id=nobody&username=alice&password=alice-password",
			"password", "invalid_client"},
		{"wrong password", form, "grant_type=password&client_id=partner-client&username=alice&password=nope",
			"password", "invalid_grant"},
		{"unknown user", form, "grant_type=password&client_id=partner-client&username=bob&password=alice-password",
			"password", "invalid_grant"},
		{"unknown account", form,
			"grant_type=password&client_id=partner-client&username=alice&password=alice-password&client_secret=acct-0",
			"password", "invalid_client"},
		{"unknown refresh token", form, "grant_type=refresh_token&client_id=partner-client&refresh_token=abc",
			"refresh_token", "invalid_grant"},
		{"refresh without refresh_token", form, "grant_type=refresh_token&client_id=partner-client",
			"refresh_token", "invalid_request"},
		{"client_credentials wrong secret", form, "grant_type=client_credentials&client_id=cc-client&client_secret=x",
			"client_credentials", "invalid_client"},
		{"client_credentials unknown client", form, "grant_type=client_credentials&client_id=x&client_secret=cc-secret",
			"client_credentials", "invalid_client"},
		{"client_credentials scope of an unknown account", form,
			"grant_type=client_credentials&client_id=cc-client&client_secret=cc-secret&scope=account:acct-0",
			"client_credentials", "invalid_scope"},
		{"client_credentials scope not an account", form,
			"grant_type=client_credentials&client_id=cc-client&client_secret=cc-secret&scope=acct-42",
			"client_credentials", "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			wantError(t, post(t, s, tt.contentType, tt.body), tt.code)
			if s.Requests() != 1 || s.Count(tt.grant, cyclrtest.OutcomeAuthError) != 1 {
				t.Errorf("requests %d, auth errors for %q %d; want 1 and 1",
					s.Requests(), tt.grant, s.Count(tt.grant, cyclrtest.OutcomeAuthError))
			}
		})
	}
}

func TestCredentialsInTheQueryAreIgnored(t *testing.T) {
	s := newServer(t)
	resp, err := http.Post(s.URL+"/oauth/token?username=alice&password=alice-password",
		"application/x-www-form-urlencoded", strings.NewReader("grant_type=password&client_id=partner-client"))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("got HTTP %d, want 400", resp.StatusCode)
	}
}

func TestRefreshIsSingleUse(t *testing.T) {
	s := newServer(t)
	first := passwordGrant(t, s)
	second := mustSucceed(t, refreshGrant(t, s, first.str("refresh_token")))

	if s.TokenValid(first.str("access_token")) || !s.TokenValid(second.str("access_token")) {
		t.Error("refresh must retire the old access token and issue a live one")
	}
	if second.str("refresh_token") == "" || second.str("userName") != username {
		t.Errorf("refreshed token %v lacks refresh_token or userName", second.body)
	}
	wantError(t, refreshGrant(t, s, first.str("refresh_token")), "invalid_grant")
	mustSucceed(t, refreshGrant(t, s, second.str("refresh_token")))
}

func TestRefreshChecksClientAndAccount(t *testing.T) {
	s := newServer(t)
	s.AddAccount("acct-other")
	s.AddPartner("other-client", "bob", "bob-password")
	account := passwordGrant(t, s, "client_secret", accountID).str("refresh_token")
	partner := passwordGrant(t, s).str("refresh_token")

	wantError(t, refreshGrant(t, s, account), "invalid_client")
	wantError(t, refreshGrant(t, s, account, "client_secret", "acct-other"), "invalid_client")
	wantError(t, refreshGrant(t, s, partner, "client_secret", accountID), "invalid_client")
	wantError(t, postForm(t, s, "grant_type", "refresh_token", "client_id", "other-client", "refresh_token", partner),
		"invalid_grant")
	// The rejected attempts did not use the refresh tokens up.
	mustSucceed(t, refreshGrant(t, s, account, "client_secret", accountID))
	mustSucceed(t, refreshGrant(t, s, partner))
}

func TestClientCredentials(t *testing.T) {
	s := newServer(t)
	grant := func(extra ...string) answer {
		return mustSucceed(t, postForm(t, s, append([]string{
			"grant_type", "client_credentials", "client_id", ccClient, "client_secret", ccSecret}, extra...)...))
	}
	a, b := grant(), grant("scope", "account:"+accountID)
	for _, tok := range []answer{a, b} {
		if _, ok := tok.body["refresh_token"]; ok || !s.TokenValid(tok.str("access_token")) {
			t.Errorf("want a live token without refresh_token, got %v", tok.body)
		}
	}
	if a.str("access_token") == b.str("access_token") {
		t.Error("two grants returned the same token")
	}
}

func TestAccountsEndpoint(t *testing.T) {
	fake := clocktesting.NewFakePassiveClock(start)
	s := newServer(t, cyclrtest.WithClock(fake), cyclrtest.WithLifetime(time.Hour))
	tok := passwordGrant(t, s).str("access_token")
	tests := []struct {
		name          string
		authorization string
		step          time.Duration // fake clock advance before the call
		want          int
	}{
		{"no header", "", 0, 401},
		{"unknown token", "Bearer nope", 0, 401},
		{"wrong scheme", "Basic " + tok, 0, 401},
		{"live token", "Bearer " + tok, 0, 200},
		{"lower-case scheme", "bearer " + tok, 0, 200},
		{"just before expiry", "Bearer " + tok, time.Hour - time.Second, 200},
		{"at expiry", "Bearer " + tok, time.Second, 401},
	}
	for _, tt := range tests {
		fake.SetTime(fake.Now().Add(tt.step))
		if got := accounts(t, s, tt.authorization); got != tt.want {
			t.Errorf("%s: got HTTP %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestRevoke(t *testing.T) {
	s := newServer(t)
	first, second := passwordGrant(t, s), passwordGrant(t, s)

	s.RevokeRefreshTokens()
	if accounts(t, s, "Bearer "+first.str("access_token")) != 200 {
		t.Error("RevokeRefreshTokens revoked an access token")
	}
	wantError(t, refreshGrant(t, s, first.str("refresh_token")), "invalid_grant")

	s.RevokeAll()
	for _, a := range []answer{first, second} {
		if accounts(t, s, "Bearer "+a.str("access_token")) != 401 {
			t.Error("RevokeAll left an access token working")
		}
	}
	// New sign-ins work again.
	if tok := passwordGrant(t, s).str("access_token"); accounts(t, s, "Bearer "+tok) != 200 {
		t.Error("a token issued after RevokeAll does not work")
	}
}

func TestSetPassword(t *testing.T) {
	s := newServer(t)
	old := passwordGrant(t, s).str("access_token")
	s.SetPassword(username, "new-password")
	s.SetPassword("nobody", "x") // no effect, no panic
	wantError(t, postForm(t, s, "grant_type", "password", "client_id", partnerClient,
		"username", username, "password", password), "invalid_grant")
	mustSucceed(t, postForm(t, s, "grant_type", "password", "client_id", partnerClient,
		"username", username, "password", "new-password"))
	if !s.TokenValid(old) {
		t.Error("changing the password revoked an issued token")
	}
}

func TestLifetime(t *testing.T) {
	s := newServer(t, cyclrtest.WithLifetime(10*time.Minute))
	tests := []struct {
		set  time.Duration // 0: keep
		want float64
	}{{0, 600}, {90 * time.Second, 90}, {1500 * time.Millisecond, 1}, {time.Millisecond, 1}}
	for _, tt := range tests {
		if tt.set != 0 {
			s.SetLifetime(tt.set)
		}
		if got := passwordGrant(t, s).body["expires_in"]; got != tt.want {
			t.Errorf("lifetime %v: expires_in %v, want %v", tt.set, got, tt.want)
		}
	}
}

func TestFaults(t *testing.T) {
	s := newServer(t)
	s.FailNext(2, cyclrtest.Fault{Status: 503, RetryAfter: "30", Body: `{"message":"down"}`})
	for range 2 {
		a := postForm(t, s, "grant_type", "password")
		if a.status != 503 || a.header.Get("Retry-After") != "30" || a.str("message") != "down" {
			t.Errorf("got HTTP %d %v %v, want the fault", a.status, a.header, a.body)
		}
	}
	passwordGrant(t, s)

	s.FailNext(1, cyclrtest.Fault{Body: `{"access_token":"x"}`}) // Status 0: 200 with this body
	if a := postForm(t, s, "grant_type", "password"); a.status != 200 || a.str("access_token") != "x" {
		t.Errorf("got HTTP %d %v", a.status, a.body)
	}
	s.FailNext(1, cyclrtest.Fault{Delay: time.Millisecond}) // delay only: then a normal answer
	passwordGrant(t, s)

	if got := s.Count("password", cyclrtest.OutcomeFault); got != 3 {
		t.Errorf("faults counted %d, want 3", got)
	}
	if got := s.Count("password", cyclrtest.OutcomeSuccess); got != 2 {
		t.Errorf("successes counted %d, want 2", got)
	}
	if s.Requests() != 5 {
		t.Errorf("requests %d, want 5", s.Requests())
	}
	s.Reset()
	if s.Requests() != 0 || s.Count("password", cyclrtest.OutcomeSuccess) != 0 {
		t.Error("Reset kept counters")
	}
}

func TestConcurrentUse(t *testing.T) {
	s := newServer(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			a := passwordGrant(t, s)
			mustSucceed(t, refreshGrant(t, s, a.str("refresh_token")))
		})
	}
	wg.Wait()
	if s.Count("password", cyclrtest.OutcomeSuccess) != 8 || s.Count("refresh_token", cyclrtest.OutcomeSuccess) != 8 {
		t.Errorf("counts: password %d, refresh %d; want 8 each",
			s.Count("password", cyclrtest.OutcomeSuccess), s.Count("refresh_token", cyclrtest.OutcomeSuccess))
	}
}

func TestWrongMethod(t *testing.T) {
	s := newServer(t)
	resp, err := http.Get(s.URL + "/oauth/token")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || s.Requests() != 0 {
		t.Errorf("GET /oauth/token: HTTP %d, %d token requests counted; want 405 and 0", resp.StatusCode, s.Requests())
	}
}
