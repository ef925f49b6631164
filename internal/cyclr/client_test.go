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

package cyclr_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr/cyclrtest"
)

// Credentials known to the emulator of newEmulator. The secret ones are
// distinctive so that redaction tests can search for them.
const (
	partnerClient = "partner-client"
	username      = "alice"
	password      = "pw-SECRET-alice-7f3a"
	accountID     = "acct-42"
	ccClient      = "cc-client"
	ccSecret      = "cs-SECRET-9b1c"
)

func newEmulator(t *testing.T, opts ...cyclrtest.Option) *cyclrtest.Server {
	t.Helper()
	s := cyclrtest.NewServer(opts...)
	t.Cleanup(s.Close)
	s.AddPartner(partnerClient, username, password)
	s.AddAccount(accountID)
	s.AddClient(ccClient, ccSecret)
	return s
}

func partnerRequest(apiURL string) cyclr.Request {
	return cyclr.Request{
		APIURL: apiURL, Grant: cyclr.GrantPassword, ClientID: partnerClient, Username: username, Password: password,
	}
}

func refreshRequest(apiURL string, tok cyclr.Token, account string) cyclr.Request {
	return cyclr.Request{
		APIURL: apiURL, Grant: cyclr.GrantRefreshToken, ClientID: partnerClient,
		RefreshToken: tok.RefreshToken, AccountID: account,
	}
}

func ccRequest(apiURL, account string) cyclr.Request {
	return cyclr.Request{
		APIURL: apiURL, Grant: cyclr.GrantClientCredentials, ClientID: ccClient, ClientSecret: ccSecret, AccountID: account,
	}
}

func mustToken(t *testing.T, c *cyclr.Client, req cyclr.Request) cyclr.Token {
	t.Helper()
	tok, err := c.Token(context.Background(), req)
	if err != nil {
		t.Fatalf("Token(%v): %v", req, err)
	}
	return tok
}

func TestTokenGrants(t *testing.T) {
	withAccount := func(r cyclr.Request) cyclr.Request { r.AccountID = accountID; return r }
	tests := []struct {
		name string
		// request may call c first, e.g. to get a refresh token.
		request     func(t *testing.T, c *cyclr.Client, url string) cyclr.Request
		wantUser    string
		wantClient  string
		wantRefresh bool
	}{{
		name:     "partner password",
		request:  func(_ *testing.T, _ *cyclr.Client, url string) cyclr.Request { return partnerRequest(url) },
		wantUser: username, wantClient: partnerClient, wantRefresh: true,
	}, {
		name: "account password",
		request: func(_ *testing.T, _ *cyclr.Client, url string) cyclr.Request {
			return withAccount(partnerRequest(url))
		},
		wantUser: username, wantClient: partnerClient, wantRefresh: true,
	}, {
		name: "partner refresh",
		request: func(t *testing.T, c *cyclr.Client, url string) cyclr.Request {
			return refreshRequest(url, mustToken(t, c, partnerRequest(url)), "")
		},
		wantUser: username, wantClient: partnerClient, wantRefresh: true,
	}, {
		name: "account refresh",
		request: func(t *testing.T, c *cyclr.Client, url string) cyclr.Request {
			return refreshRequest(url, mustToken(t, c, withAccount(partnerRequest(url))), accountID)
		},
		wantUser: username, wantClient: partnerClient, wantRefresh: true,
	}, {
		name:       "client credentials without scope",
		request:    func(_ *testing.T, _ *cyclr.Client, url string) cyclr.Request { return ccRequest(url, "") },
		wantClient: ccClient,
	}, {
		name:       "client credentials with account scope",
		request:    func(_ *testing.T, _ *cyclr.Client, url string) cyclr.Request { return ccRequest(url, accountID) },
		wantClient: ccClient,
	}, {
		name: "trailing slash on the API URL",
		request: func(_ *testing.T, _ *cyclr.Client, url string) cyclr.Request {
			return partnerRequest(url + "/")
		},
		wantUser: username, wantClient: partnerClient, wantRefresh: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newEmulator(t)
			c := cyclr.NewClient(cyclr.Options{})
			req := tt.request(t, c, s.URL)
			s.Reset()

			tok, err := c.Token(context.Background(), req)
			if err != nil {
				t.Fatalf("Token: %v", err)
			}
			if !s.TokenValid(tok.AccessToken) {
				t.Error("the emulator does not know the access token")
			}
			if tok.TokenType != "bearer" || tok.Grant != req.Grant || tok.UserName != tt.wantUser || tok.ClientID != tt.wantClient {
				t.Errorf("got %v, want type bearer, grant %s, user %q, client %q", tok, req.Grant, tt.wantUser, tt.wantClient)
			}
			if got := tok.RefreshToken != ""; got != tt.wantRefresh {
				t.Errorf("refresh token present = %v, want %v", got, tt.wantRefresh)
			}
			if got := s.Count(string(req.Grant), cyclrtest.OutcomeSuccess); got != 1 || s.Requests() != 1 {
				t.Errorf("emulator saw %d requests, %d successful; want exactly 1", s.Requests(), got)
			}
		})
	}
}

func TestRefreshIsSingleUse(t *testing.T) {
	s := newEmulator(t)
	c := cyclr.NewClient(cyclr.Options{})
	first := mustToken(t, c, partnerRequest(s.URL))
	second := mustToken(t, c, refreshRequest(s.URL, first, ""))

	if s.TokenValid(first.AccessToken) {
		t.Error("the access token of a used refresh token still works")
	}
	if !s.TokenValid(second.AccessToken) || second.RefreshToken == first.RefreshToken {
		t.Errorf("refresh did not rotate: new token valid %v, same refresh token %v",
			s.TokenValid(second.AccessToken), second.RefreshToken == first.RefreshToken)
	}
	_, err := c.Token(context.Background(), refreshRequest(s.URL, first, ""))
	if !cyclr.IsInvalidGrant(err) || cyclr.Result(err) != cyclr.ResultAuthError {
		t.Fatalf("reusing a refresh token: got %v (result %s), want invalid_grant", err, cyclr.Result(err))
	}
	if !s.TokenValid(second.AccessToken) {
		t.Error("a rejected reuse retired the current token")
	}
}

func TestClientCredentialsTokensCoexist(t *testing.T) {
	s := newEmulator(t)
	c := cyclr.NewClient(cyclr.Options{})
	a := mustToken(t, c, ccRequest(s.URL, accountID))
	b := mustToken(t, c, ccRequest(s.URL, accountID))
	if a.AccessToken == b.AccessToken || !s.TokenValid(a.AccessToken) || !s.TokenValid(b.AccessToken) {
		t.Errorf("want two distinct live tokens; valid: %v, %v", s.TokenValid(a.AccessToken), s.TokenValid(b.AccessToken))
	}
}

// errorCase describes an expected failure; exactly one of the want* pointers
// is set.
type errorCase struct {
	name    string
	fault   *cyclrtest.Fault
	request func(url string) cyclr.Request // default partnerRequest
	opts    cyclr.Options

	wantAuth         *cyclr.AuthError
	wantUnavailable  *cyclr.UnavailableError
	wantInvalid      *cyclr.InvalidResponseError
	wantIs           error // checked with errors.Is when set
	wantResult       string
	wantInvalidGrant bool // what IsInvalidGrant must say
}

func TestTokenErrors(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	fake := clocktesting.NewFakePassiveClock(now)
	tooLarge := `{"access_token":"abc","token_type":"bearer","expires_in":60,"pad":"` + strings.Repeat("x", 200) + `"}`
	wrongPassword := func(url string) cyclr.Request { r := partnerRequest(url); r.Password = "wrong"; return r }
	unknownClient := func(url string) cyclr.Request { r := partnerRequest(url); r.ClientID = "nobody"; return r }
	invalid := func(status int, reason string) *cyclr.InvalidResponseError {
		return &cyclr.InvalidResponseError{Status: status, Reason: reason}
	}
	const (
		notJSON     = "body is not a JSON token response"
		expiresIn   = "expires_in missing, not a whole number or not positive"
		tokenLength = "access_token or refresh_token longer than 8192 bytes"
		scope       = "granted scope differs from the requested account scope"
	)

	tests := []errorCase{
		{name: "wrong password", request: wrongPassword,
			wantAuth: &cyclr.AuthError{Status: 400, Code: "invalid_grant"}, wantResult: "auth_error", wantInvalidGrant: true},
		{name: "unknown client", request: unknownClient,
			wantAuth: &cyclr.AuthError{Status: 400, Code: "invalid_client"}, wantResult: "auth_error"},
		{name: "401 with an OAuth body", fault: &cyclrtest.Fault{Status: 401, Body: `{"error":"invalid_token"}`},
			wantAuth: &cyclr.AuthError{Status: 401, Code: "invalid_token"}, wantResult: "auth_error"},
		{name: "401 from a proxy", fault: &cyclrtest.Fault{Status: 401, Body: "<html>login</html>", ContentType: "text/html"},
			wantAuth: &cyclr.AuthError{Status: 401}, wantResult: "auth_error"},
		{name: "429 with Retry-After seconds", fault: &cyclrtest.Fault{Status: 429, RetryAfter: "7"},
			wantUnavailable: &cyclr.UnavailableError{Status: 429, RetryAfter: 7 * time.Second}, wantResult: "unavailable"},
		{name: "429 with Retry-After date",
			fault:           &cyclrtest.Fault{Status: 429, RetryAfter: now.Add(90 * time.Second).Format(http.TimeFormat)},
			opts:            cyclr.Options{Clock: fake},
			wantUnavailable: &cyclr.UnavailableError{Status: 429, RetryAfter: 90 * time.Second},
			wantResult:      "unavailable"},
		{name: "500", fault: &cyclrtest.Fault{Status: 500, Body: "oops", ContentType: "text/plain"},
			wantUnavailable: &cyclr.UnavailableError{Status: 500}, wantResult: "unavailable"},
		{name: "503 with Retry-After", fault: &cyclrtest.Fault{Status: 503, RetryAfter: "120"},
			wantUnavailable: &cyclr.UnavailableError{Status: 503, RetryAfter: 2 * time.Minute}, wantResult: "unavailable"},
		{name: "timeout", fault: &cyclrtest.Fault{Delay: time.Minute}, opts: cyclr.Options{Timeout: 50 * time.Millisecond},
			wantUnavailable: &cyclr.UnavailableError{}, wantIs: context.DeadlineExceeded, wantResult: "unavailable"},
		{name: "HTML body", fault: &cyclrtest.Fault{Status: 200, Body: "<html>maintenance</html>", ContentType: "text/html"},
			wantInvalid: invalid(200, notJSON), wantResult: "invalid_response"},
		{name: "empty body", fault: &cyclrtest.Fault{Status: 200},
			wantInvalid: invalid(200, notJSON), wantResult: "invalid_response"},
		{name: "no access_token", fault: &cyclrtest.Fault{Body: `{"token_type":"bearer","expires_in":60}`},
			wantInvalid: invalid(200, "access_token missing"), wantResult: "invalid_response"},
		{name: "expires_in 0", fault: &cyclrtest.Fault{Body: `{"access_token":"a","expires_in":0}`},
			wantInvalid: invalid(200, expiresIn), wantResult: "invalid_response"},
		{name: "expires_in negative", fault: &cyclrtest.Fault{Body: `{"access_token":"a","expires_in":-5}`},
			wantInvalid: invalid(200, expiresIn), wantResult: "invalid_response"},
		{name: "expires_in missing", fault: &cyclrtest.Fault{Body: `{"access_token":"a"}`},
			wantInvalid: invalid(200, expiresIn), wantResult: "invalid_response"},
		{name: "expires_in absurd", fault: &cyclrtest.Fault{Body: `{"access_token":"a","expires_in":315360001}`},
			wantInvalid: invalid(200, "expires_in longer than 10 years"), wantResult: "invalid_response"},
		{name: "body over MaxResponseBytes", fault: &cyclrtest.Fault{Body: tooLarge},
			opts:        cyclr.Options{MaxResponseBytes: 100},
			wantInvalid: invalid(200, "response body too large"), wantResult: "invalid_response"},
		{name: "302", fault: &cyclrtest.Fault{Status: 302},
			wantInvalid: invalid(302, "unexpected HTTP status"), wantResult: "invalid_response"},
		{name: "404", fault: &cyclrtest.Fault{Status: 404, Body: "not found", ContentType: "text/plain"},
			wantInvalid: invalid(404, "unexpected HTTP status"), wantResult: "invalid_response"},
		// Any 4xx but 429 with an OAuth error code is a refusal; without one, only 400 and 401 are.
		{name: "403 invalid_grant", fault: &cyclrtest.Fault{Status: 403, Body: `{"error":"invalid_grant"}`},
			wantAuth: &cyclr.AuthError{Status: 403, Code: "invalid_grant"}, wantResult: "auth_error", wantInvalidGrant: true},
		{name: "403 invalid_client with a description",
			fault:    &cyclrtest.Fault{Status: 403, Body: `{"error":"invalid_client","error_description":"hunter2"}`},
			wantAuth: &cyclr.AuthError{Status: 403, Code: "invalid_client"}, wantResult: "auth_error"},
		{name: "403 without a body", fault: &cyclrtest.Fault{Status: 403},
			wantInvalid: invalid(403, "unexpected HTTP status"), wantResult: "invalid_response"},
		{name: "403 with a code that is not plain", fault: &cyclrtest.Fault{Status: 403, Body: `{"error":"invalid grant"}`},
			wantInvalid: invalid(403, "unexpected HTTP status"), wantResult: "invalid_response"},
		{name: "404 HTML page", fault: &cyclrtest.Fault{Status: 404, Body: "<html><h1>Not Found</h1></html>", ContentType: "text/html"},
			wantInvalid: invalid(404, "unexpected HTTP status"), wantResult: "invalid_response"},
		{name: "400 without a body", fault: &cyclrtest.Fault{Status: 400},
			wantAuth: &cyclr.AuthError{Status: 400}, wantResult: "auth_error"},
		{name: "429 with an OAuth body stays unavailable",
			fault:           &cyclrtest.Fault{Status: 429, RetryAfter: "3", Body: `{"error":"invalid_grant"}`},
			wantUnavailable: &cyclr.UnavailableError{Status: 429, RetryAfter: 3 * time.Second}, wantResult: "unavailable"},
		// Token size.
		{name: "access_token over MaxTokenBytes",
			fault:       &cyclrtest.Fault{Body: `{"access_token":"` + strings.Repeat("a", 9000) + `","expires_in":60}`},
			wantInvalid: invalid(200, tokenLength), wantResult: "invalid_response"},
		{name: "refresh_token over MaxTokenBytes",
			fault: &cyclrtest.Fault{Body: `{"access_token":"a","refresh_token":"` + strings.Repeat("r", cyclr.MaxTokenBytes+1) +
				`","expires_in":60}`},
			wantInvalid: invalid(200, tokenLength), wantResult: "invalid_response"},
		// The account scope of client_credentials.
		{name: "client_credentials granted another account",
			fault:       &cyclrtest.Fault{Body: `{"access_token":"a","expires_in":60,"scope":"account:acct-43"}`},
			request:     func(url string) cyclr.Request { return ccRequest(url, accountID) },
			wantInvalid: invalid(200, scope), wantResult: "invalid_response"},
		{name: "client_credentials granted a second account beside the one asked for",
			fault:       &cyclrtest.Fault{Body: `{"access_token":"a","expires_in":60,"scope":"account:acct-42 account:*"}`},
			request:     func(url string) cyclr.Request { return ccRequest(url, accountID) },
			wantInvalid: invalid(200, scope), wantResult: "invalid_response"},
		{name: "client_credentials granted an empty scope",
			fault:       &cyclrtest.Fault{Body: `{"access_token":"a","expires_in":60,"scope":""}`},
			request:     func(url string) cyclr.Request { return ccRequest(url, accountID) },
			wantInvalid: invalid(200, scope), wantResult: "invalid_response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newEmulator(t)
			if tt.fault != nil {
				s.FailNext(1, *tt.fault)
			}
			req := partnerRequest(s.URL)
			if tt.request != nil {
				req = tt.request(s.URL)
			}
			tok, err := cyclr.NewClient(tt.opts).Token(context.Background(), req)
			checkError(t, tt, tok, err)
			if s.Requests() != 1 {
				t.Errorf("emulator saw %d requests, want 1", s.Requests())
			}
		})
	}
}

// A path in the apiURL is refused before anything is sent. It used to be joined with
// oauth/token, which cleans "..": this one was posted to {host}/oauth/token.
func TestPathAPIURLSendsNothing(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		requests.Add(1)
		w.WriteHeader(http.StatusTeapot)
	}))
	defer srv.Close()
	for _, path := range []string{"/$(touch${IFS}/tmp/pwned)/../../..", "/api", "/oauth/token", "//"} {
		_, err := cyclr.NewClient(cyclr.Options{}).Token(context.Background(), partnerRequest(srv.URL+path))
		if !errors.Is(err, cyclr.ErrInvalidRequest) || cyclr.Result(err) != cyclr.ResultAuthError {
			t.Errorf("apiURL with path %q: got %v, want ErrInvalidRequest", path, err)
		}
		if err != nil && (strings.Contains(err.Error(), srv.URL) || strings.Contains(err.Error(), "pwned")) {
			t.Errorf("message %q quotes the apiURL", err)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("the server saw %d requests, want 0", n)
	}
}

// A client_credentials answer may say which scope it granted; one that grants the account
// asked for (and perhaps more, but no other account) is taken, and so is one that says
// nothing. The partner grants carry the account in client_secret, so their scope is not
// looked at.
func TestGrantedScope(t *testing.T) {
	tests := []struct {
		name    string
		request func(url string) cyclr.Request
		scope   string // the JSON value of "scope", "" for none
		wantErr bool
	}{
		{"absent", func(u string) cyclr.Request { return ccRequest(u, accountID) }, "", false},
		{"the account asked for", func(u string) cyclr.Request { return ccRequest(u, accountID) }, `"account:acct-42"`, false},
		{"with other scopes", func(u string) cyclr.Request { return ccRequest(u, accountID) }, `"read account:acct-42 write"`, false},
		{"another account", func(u string) cyclr.Request { return ccRequest(u, accountID) }, `"account:acct-4"`, true},
		{"a wider one beside", func(u string) cyclr.Request { return ccRequest(u, accountID) }, `"account:acct-42 ACCOUNT:*"`, true},
		{"no account", func(u string) cyclr.Request { return ccRequest(u, accountID) }, `"read write"`, true},
		{"empty", func(u string) cyclr.Request { return ccRequest(u, accountID) }, `""`, true},
		{"null", func(u string) cyclr.Request { return ccRequest(u, accountID) }, `null`, true},
		{"a list", func(u string) cyclr.Request { return ccRequest(u, accountID) }, `["account:acct-42"]`, true},
		{"not asked for", func(u string) cyclr.Request { return ccRequest(u, "") }, `"account:acct-43"`, false},
		{"password grant", func(u string) cyclr.Request { r := partnerRequest(u); r.AccountID = accountID; return r },
			`"account:acct-43"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newEmulator(t)
			body := `{"access_token":"abc","token_type":"bearer","expires_in":60`
			if tt.scope != "" {
				body += `,"scope":` + tt.scope
			}
			s.FailNext(1, cyclrtest.Fault{Body: body + "}"})
			tok, err := cyclr.NewClient(cyclr.Options{}).Token(context.Background(), tt.request(s.URL))
			if !tt.wantErr {
				if err != nil || tok.AccessToken != "abc" {
					t.Fatalf("got %v, %v; want the token", tok, err)
				}
				return
			}
			ie, ok := errors.AsType[*cyclr.InvalidResponseError](err)
			if !ok || ie.Reason != "granted scope differs from the requested account scope" || tok != (cyclr.Token{}) {
				t.Fatalf("got %v, %#v; want an InvalidResponseError for the scope", tok, err)
			}
			if strings.Contains(err.Error(), "acct-4") {
				t.Errorf("message %q quotes the scope", err)
			}
		})
	}
}

func checkError(t *testing.T, tt errorCase, tok cyclr.Token, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("got token %v, want an error", tok)
	}
	if tok != (cyclr.Token{}) {
		t.Errorf("got a non-zero token %v with the error", tok)
	}
	if got := cyclr.Result(err); got != tt.wantResult {
		t.Errorf("Result = %q, want %q (err %v)", got, tt.wantResult, err)
	}
	if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
		t.Errorf("error %v is not %v", err, tt.wantIs)
	}
	if got := cyclr.IsInvalidGrant(err); got != tt.wantInvalidGrant {
		t.Errorf("IsInvalidGrant = %v, want %v (err %v)", got, tt.wantInvalidGrant, err)
	}
	var (
		ae *cyclr.AuthError
		ue *cyclr.UnavailableError
		ie *cyclr.InvalidResponseError
	)
	switch {
	case tt.wantAuth != nil:
		if !errors.As(err, &ae) || *ae != *tt.wantAuth {
			t.Errorf("got %#v, want %#v", err, tt.wantAuth)
		}
	case tt.wantUnavailable != nil:
		if !errors.As(err, &ue) || ue.Status != tt.wantUnavailable.Status || ue.RetryAfter != tt.wantUnavailable.RetryAfter {
			t.Errorf("got %#v, want %#v", err, tt.wantUnavailable)
		}
	case tt.wantInvalid != nil:
		if !errors.As(err, &ie) || *ie != *tt.wantInvalid {
			t.Errorf("got %#v, want %#v", err, tt.wantInvalid)
		}
	}
}

func TestTransportErrorMessage(t *testing.T) {
	s := newEmulator(t)
	s.FailNext(1, cyclrtest.Fault{Delay: time.Minute})
	_, err := cyclr.NewClient(cyclr.Options{Timeout: 20 * time.Millisecond}).Token(context.Background(), partnerRequest(s.URL))
	want := "cyclr: unavailable: POST " + s.URL + "/oauth/token: timeout"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%v does not wrap context.DeadlineExceeded", err)
	}
}

func TestConnectionRefused(t *testing.T) {
	s := cyclrtest.NewServer()
	s.Close()
	_, err := cyclr.NewClient(cyclr.Options{}).Token(context.Background(), partnerRequest(s.URL))
	var ue *cyclr.UnavailableError
	if !errors.As(err, &ue) || ue.Status != 0 || ue.Err == nil {
		t.Fatalf("got %#v, want an UnavailableError from the transport", err)
	}
	if want := "cyclr: unavailable: POST " + s.URL + "/oauth/token: connection refused"; err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
}

func TestContextCancel(t *testing.T) {
	t.Run("before the request", func(t *testing.T) {
		s := newEmulator(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := cyclr.NewClient(cyclr.Options{}).Token(ctx, partnerRequest(s.URL))
		if !errors.Is(err, context.Canceled) || cyclr.Result(err) != cyclr.ResultUnavailable {
			t.Errorf("got %v, want unavailable wrapping context.Canceled", err)
		}
		if s.Requests() != 0 {
			t.Errorf("emulator saw %d requests, want 0", s.Requests())
		}
	})
	t.Run("during the request", func(t *testing.T) {
		s := newEmulator(t)
		s.FailNext(1, cyclrtest.Fault{Delay: time.Minute})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() {
			_, err := cyclr.NewClient(cyclr.Options{}).Token(ctx, partnerRequest(s.URL))
			done <- err
		}()
		for s.Requests() == 0 {
			time.Sleep(time.Millisecond) // poll until the request is in the handler
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) || cyclr.Result(err) != cyclr.ResultUnavailable {
			t.Errorf("got %v, want unavailable wrapping context.Canceled", err)
		}
	})
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	s := newEmulator(t)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, s.URL+"/oauth/token", http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	for _, opts := range []cyclr.Options{{}, {HTTPClient: &http.Client{}}} {
		_, err := cyclr.NewClient(opts).Token(context.Background(), partnerRequest(redirector.URL))
		var ie *cyclr.InvalidResponseError
		if !errors.As(err, &ie) || ie.Status != http.StatusTemporaryRedirect {
			t.Errorf("HTTPClient %v: got %v, want InvalidResponseError with status 307", opts.HTTPClient, err)
		}
	}
	if s.Requests() != 0 {
		t.Errorf("the redirect was followed: emulator saw %d requests", s.Requests())
	}
}

func TestMaxResponseBytesBoundary(t *testing.T) {
	body := `{"access_token":"abc","token_type":"bearer","expires_in":60}`
	tests := []struct {
		limit   int64
		wantErr bool
	}{{int64(len(body)), false}, {int64(len(body)) - 1, true}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.limit), func(t *testing.T) {
			s := newEmulator(t)
			s.FailNext(1, cyclrtest.Fault{Body: body})
			_, err := cyclr.NewClient(cyclr.Options{MaxResponseBytes: tt.limit}).Token(context.Background(), partnerRequest(s.URL))
			if (err != nil) != tt.wantErr {
				t.Errorf("limit %d for a %d-byte body: err %v, want error %v", tt.limit, len(body), err, tt.wantErr)
			}
		})
	}
}

func TestInvalidRequest(t *testing.T) {
	s := newEmulator(t)
	change := func(f func(*cyclr.Request)) cyclr.Request {
		r := partnerRequest(s.URL)
		f(&r)
		return r
	}
	tests := map[string]cyclr.Request{
		"empty API URL":        change(func(r *cyclr.Request) { r.APIURL = "" }),
		"unparsable API URL":   change(func(r *cyclr.Request) { r.APIURL = "http://[::1" }),
		"no scheme":            change(func(r *cyclr.Request) { r.APIURL = "api.cyclr.com" }),
		"ftp scheme":           change(func(r *cyclr.Request) { r.APIURL = "ftp://api.cyclr.com" }),
		"user info in the URL": change(func(r *cyclr.Request) { r.APIURL = "https://u:" + password + "@api.cyclr.com" }),
		"query in the URL":     change(func(r *cyclr.Request) { r.APIURL = s.URL + "?x=1" }),
		"empty query":          change(func(r *cyclr.Request) { r.APIURL = s.URL + "?" }),
		"empty fragment":       change(func(r *cyclr.Request) { r.APIURL = s.URL + "#" }),
		"path in the URL":      change(func(r *cyclr.Request) { r.APIURL = s.URL + "/api" }),
		"two trailing slashes": change(func(r *cyclr.Request) { r.APIURL = s.URL + "//" }),
		"plain http elsewhere": change(func(r *cyclr.Request) { r.APIURL = "http://api.cyclr.com" }),
		"no client ID":         change(func(r *cyclr.Request) { r.ClientID = "" }),
		"no username":          change(func(r *cyclr.Request) { r.Username = "" }),
		"no password":          change(func(r *cyclr.Request) { r.Password = "" }),
		"no refresh token":     change(func(r *cyclr.Request) { r.Grant = cyclr.GrantRefreshToken }),
		"no client secret":     change(func(r *cyclr.Request) { r.Grant = cyclr.GrantClientCredentials }),
		"unknown grant":        change(func(r *cyclr.Request) { r.Grant = "implicit" }),
		"empty grant":          change(func(r *cyclr.Request) { r.Grant = "" }),
	}
	c := cyclr.NewClient(cyclr.Options{})
	for name, req := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := c.Token(context.Background(), req)
			if !errors.Is(err, cyclr.ErrInvalidRequest) || cyclr.Result(err) != cyclr.ResultAuthError {
				t.Errorf("got %v, want ErrInvalidRequest", err)
			}
			if err != nil && strings.Contains(err.Error(), password) {
				t.Errorf("message %q contains the password", err)
			}
		})
	}
	if s.Requests() != 0 {
		t.Errorf("invalid requests were sent: emulator saw %d", s.Requests())
	}
}

func TestExpiryFromExpiresIn(t *testing.T) {
	start := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		lifetime time.Duration
		want     time.Duration
	}{
		{cyclrtest.DefaultLifetime, 1209599 * time.Second},
		{time.Hour, time.Hour},
		{1500 * time.Millisecond, time.Second}, // expires_in is whole seconds
		{time.Millisecond, time.Second},        // and at least 1
	}
	for _, tt := range tests {
		t.Run(tt.lifetime.String(), func(t *testing.T) {
			fake := clocktesting.NewFakePassiveClock(start)
			s := newEmulator(t, cyclrtest.WithClock(fake), cyclrtest.WithLifetime(tt.lifetime))
			tok := mustToken(t, cyclr.NewClient(cyclr.Options{Clock: fake}), partnerRequest(s.URL))
			if !tok.IssuedAt.Equal(start) || !tok.ExpiresAt.Equal(start.Add(tt.want)) {
				t.Errorf("issued %v expires %v, want %v and %v", tok.IssuedAt, tok.ExpiresAt, start, start.Add(tt.want))
			}
		})
	}
}

func TestRateLimitPerHost(t *testing.T) {
	a, b := newEmulator(t), newEmulator(t)
	c := cyclr.NewClient(cyclr.Options{QPS: 0.001, Burst: 2})
	mustToken(t, c, partnerRequest(a.URL))
	mustToken(t, c, partnerRequest(a.URL))

	// The next token for a's host is 1000s away.
	_, err := c.Token(context.Background(), partnerRequest(a.URL))
	if d, ok := cyclr.IsRateLimited(err); !ok || d < 999*time.Second || d > 1000*time.Second {
		t.Errorf("third request beyond the burst: got %v, want a RateLimitedError with about 1000s", err)
	}
	if a.Requests() != 2 {
		t.Errorf("emulator a saw %d requests, want 2", a.Requests())
	}
	// Another host has its own budget.
	if _, err := c.Token(context.Background(), partnerRequest(b.URL)); err != nil {
		t.Errorf("first request to another host: %v", err)
	}
}

// The rate limit never blocks a worker: a spent budget is an immediate
// RateLimitedError that sends nothing and costs nothing.
func TestRateLimitDoesNotWait(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	fake := clocktesting.NewFakePassiveClock(start)
	s := newEmulator(t)
	c := cyclr.NewClient(cyclr.Options{QPS: 0.5, Burst: 1, Clock: fake})
	mustToken(t, c, partnerRequest(s.URL))

	for range 3 { // refused calls must not push the next token further away
		began := time.Now()
		_, err := c.Token(context.Background(), partnerRequest(s.URL))
		if elapsed := time.Since(began); elapsed > 100*time.Millisecond {
			t.Errorf("Token took %v with the budget spent, want an immediate answer", elapsed)
		}
		rl, ok := errors.AsType[*cyclr.RateLimitedError](err)
		if !ok || rl.RetryAfter != 2*time.Second || rl.Host != strings.TrimPrefix(s.URL, "http://") {
			t.Fatalf("got %#v, want a RateLimitedError for the emulator's host, retry in 2s", err)
		}
		if d, ok := cyclr.IsRateLimited(fmt.Errorf("wrapped: %w", err)); !ok || d != 2*time.Second {
			t.Errorf("IsRateLimited = %v, %v; want 2s, true", d, ok)
		}
		if got := cyclr.Result(err); got != cyclr.ResultUnavailable {
			t.Errorf("Result = %q, want unavailable", got)
		}
	}
	if s.Requests() != 1 {
		t.Errorf("emulator saw %d requests, want exactly 1", s.Requests())
	}
	fake.SetTime(start.Add(2 * time.Second))
	mustToken(t, c, partnerRequest(s.URL))
}

// hostCheck is an Options.Hosts that refuses while refuse is true.
type hostCheck struct {
	refuse bool
	asked  int
}

func (h *hostCheck) Check(string) error {
	h.asked++
	if h.refuse {
		return fmt.Errorf("%w: test", cyclr.ErrHostNotAllowed)
	}
	return nil
}

func TestHostsCheckedFirst(t *testing.T) {
	t.Run("a host not in the policy is sent nothing", func(t *testing.T) {
		s := newEmulator(t)
		policy, err := cyclr.ParseHostPolicy(nil) // Cyclr's hosts only
		if err != nil {
			t.Fatal(err)
		}
		_, err = cyclr.NewClient(cyclr.Options{Hosts: policy}).Token(context.Background(), partnerRequest(s.URL))
		if !errors.Is(err, cyclr.ErrHostNotAllowed) || cyclr.Result(err) != cyclr.ResultAuthError {
			t.Errorf("got %v (result %s), want ErrHostNotAllowed, auth_error", err, cyclr.Result(err))
		}
		if err != nil && strings.Contains(err.Error(), password) {
			t.Errorf("message %q contains the password", err)
		}
		if s.Requests() != 0 {
			t.Errorf("emulator saw %d requests, want 0", s.Requests())
		}
	})
	t.Run("before the request is validated and the rate limit", func(t *testing.T) {
		s := newEmulator(t)
		hosts := &hostCheck{refuse: true}
		c := cyclr.NewClient(cyclr.Options{QPS: 0.001, Burst: 1, Hosts: hosts})
		bad := partnerRequest(s.URL)
		bad.Password = ""
		for _, req := range []cyclr.Request{bad, partnerRequest(s.URL), partnerRequest(s.URL)} {
			if _, err := c.Token(context.Background(), req); !errors.Is(err, cyclr.ErrHostNotAllowed) {
				t.Errorf("got %v, want ErrHostNotAllowed", err)
			}
		}
		hosts.refuse = false
		// The burst of 1 is still there: refused calls did not spend it.
		mustToken(t, c, partnerRequest(s.URL))
		if hosts.asked != 4 || s.Requests() != 1 {
			t.Errorf("Check asked %d times, emulator saw %d requests; want 4 and 1", hosts.asked, s.Requests())
		}
	})
}

func TestResult(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, "success"},
		{&cyclr.AuthError{Status: 400, Code: "invalid_grant"}, "auth_error"},
		{fmt.Errorf("wrapped: %w", &cyclr.AuthError{Status: 401}), "auth_error"},
		{&cyclr.AuthError{Status: 403, Code: "invalid_grant"}, "auth_error"},
		{&cyclr.InvalidResponseError{Status: 403, Reason: "unexpected HTTP status"}, "invalid_response"},
		{fmt.Errorf("%w: no client ID", cyclr.ErrInvalidRequest), "auth_error"},
		{&cyclr.UnavailableError{Status: 503}, "unavailable"},
		{&cyclr.UnavailableError{Err: context.DeadlineExceeded}, "unavailable"},
		{&cyclr.InvalidResponseError{Status: 200, Reason: "x"}, "invalid_response"},
		{fmt.Errorf("wrapped: %w", &cyclr.InvalidResponseError{Status: 404}), "invalid_response"},
		{&cyclr.RateLimitedError{Host: "api.cyclr.com", RetryAfter: time.Second}, "unavailable"},
		{fmt.Errorf("%w: evil.example", cyclr.ErrHostNotAllowed), "auth_error"},
		{errors.New("something else"), "unavailable"},
	}
	for _, tt := range tests {
		if got := cyclr.Result(tt.err); got != tt.want {
			t.Errorf("Result(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestIsInvalidGrant(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{&cyclr.AuthError{Status: 400, Code: "invalid_grant"}, true},
		{fmt.Errorf("refresh: %w", &cyclr.AuthError{Status: 400, Code: "invalid_grant"}), true},
		{&cyclr.AuthError{Status: 400, Code: "invalid_client"}, false},
		{&cyclr.AuthError{Status: 401}, false},
		{&cyclr.AuthError{Status: 403, Code: "invalid_grant"}, true},
		{&cyclr.InvalidResponseError{Status: 400, Reason: "invalid_grant"}, false},
	}
	for _, tt := range tests {
		if got := cyclr.IsInvalidGrant(tt.err); got != tt.want {
			t.Errorf("IsInvalidGrant(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&cyclr.AuthError{Status: 400, Code: "invalid_grant"}, "cyclr: authentication failed: HTTP 400, error invalid_grant"},
		{&cyclr.AuthError{Status: 401}, "cyclr: authentication failed: HTTP 401"},
		{&cyclr.UnavailableError{Status: 503}, "cyclr: unavailable: HTTP 503"},
		{&cyclr.UnavailableError{Status: 429, RetryAfter: 30 * time.Second}, "cyclr: unavailable: HTTP 429, retry after 30s"},
		{&cyclr.UnavailableError{Err: errors.New("dial tcp: refused")}, "cyclr: unavailable: dial tcp: refused"},
		{&cyclr.InvalidResponseError{Status: 404, Reason: "unexpected HTTP status"},
			"cyclr: invalid response: HTTP 404: unexpected HTTP status"},
		{&cyclr.RateLimitedError{Host: "api.cyclr.com", RetryAfter: 1500 * time.Millisecond},
			"cyclr: client-side rate limit for api.cyclr.com: retry in 1.5s"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}
