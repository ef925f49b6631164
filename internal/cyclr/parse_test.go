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

package cyclr

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var parseNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestParseRetryAfter(t *testing.T) {
	date := func(d time.Duration) string { return parseNow.Add(d).Format(http.TimeFormat) }
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"7", 7 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"3599", 3599 * time.Second},
		{"3600", time.Hour},
		{"86400", time.Hour},                   // capped
		{"99999999999999999999999", time.Hour}, // overflows uint64, still capped
		{"-5", 0},
		{"+5", 0},
		{"1.5", 0},
		{"soon", 0},
		{date(90 * time.Second), 90 * time.Second},
		{date(-time.Minute), 0}, // in the past
		{date(48 * time.Hour), time.Hour},
		{parseNow.Add(30 * time.Second).Format(time.RFC850), 30 * time.Second},
		{parseNow.Add(45 * time.Second).Format(time.ANSIC), 45 * time.Second},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.header, parseNow); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

func TestParseTokenResponse(t *testing.T) {
	ok := func(body string) response { return response{status: 200, body: []byte(body), arrived: parseNow} }
	httpTime := func(d time.Duration) string { return parseNow.Add(d).Format(http.TimeFormat) }
	tests := []struct {
		name         string
		resp         response
		wantType     string
		wantLifetime time.Duration
		wantErr      error
	}{
		{name: "full Cyclr answer",
			resp: ok(`{"access_token":"a","token_type":"bearer","expires_in":1209599,"refresh_token":"r",` +
				`"userName":"u","clientId":"c",".issued":"Thu, 08 Dec 2016 16:32:59 GMT",` +
				`".expires":"Thu, 22 Dec 2016 16:32:58 GMT"}`),
			wantType: "bearer", wantLifetime: 1209599 * time.Second},
		{name: "token_type missing defaults to bearer", resp: ok(`{"access_token":"a","expires_in":60}`),
			wantType: "bearer", wantLifetime: time.Minute},
		{name: "token_type kept as sent", resp: ok(`{"access_token":"a","token_type":"Bearer","expires_in":60}`),
			wantType: "Bearer", wantLifetime: time.Minute},
		{name: "expires_in as a string", resp: ok(`{"access_token":"a","expires_in":"3600"}`),
			wantType: "bearer", wantLifetime: time.Hour},
		{name: "expires_in of exactly 10 years", resp: ok(`{"access_token":"a","expires_in":315360000}`),
			wantType: "bearer", wantLifetime: maxLifetime},
		{name: ".expires shorter than expires_in wins",
			resp:     ok(`{"access_token":"a","expires_in":3600,".issued":"` + httpTime(0) + `",".expires":"` + httpTime(time.Minute) + `"}`),
			wantType: "bearer", wantLifetime: time.Minute},
		{name: ".expires longer than expires_in is ignored",
			resp:     ok(`{"access_token":"a","expires_in":60,".issued":"` + httpTime(0) + `",".expires":"` + httpTime(time.Hour) + `"}`),
			wantType: "bearer", wantLifetime: time.Minute},
		{name: ".expires before .issued is ignored",
			resp:     ok(`{"access_token":"a","expires_in":60,".issued":"` + httpTime(0) + `",".expires":"` + httpTime(-time.Hour) + `"}`),
			wantType: "bearer", wantLifetime: time.Minute},
		{name: "unparsable .expires is ignored",
			resp:     ok(`{"access_token":"a","expires_in":60,".issued":"yesterday",".expires":"tomorrow"}`),
			wantType: "bearer", wantLifetime: time.Minute},
		{name: "only .expires is ignored",
			resp:     ok(`{"access_token":"a","expires_in":60,".expires":"` + httpTime(time.Second) + `"}`),
			wantType: "bearer", wantLifetime: time.Minute},
		{name: "token_type mac", resp: ok(`{"access_token":"a","token_type":"mac","expires_in":60}`),
			wantErr: &InvalidResponseError{Status: 200, Reason: reasonTokenType}},
		{name: "fractional expires_in", resp: ok(`{"access_token":"a","expires_in":1.5}`),
			wantErr: &InvalidResponseError{Status: 200, Reason: reasonExpiresIn}},
		{name: "expires_in beyond int64", resp: ok(`{"access_token":"a","expires_in":99999999999999999999}`),
			wantErr: &InvalidResponseError{Status: 200, Reason: reasonExpiresIn}},
		{name: "expires_in a word", resp: ok(`{"access_token":"a","expires_in":"soon"}`),
			wantErr: &InvalidResponseError{Status: 200, Reason: reasonNotJSON}},
		{name: "JSON array", resp: ok(`[]`), wantErr: &InvalidResponseError{Status: 200, Reason: reasonNotJSON}},
		{name: "JSON null", resp: ok(`null`), wantErr: &InvalidResponseError{Status: 200, Reason: reasonNoAccessToken}},
		{name: "access_token with a space", resp: ok(`{"access_token":"a b","expires_in":60}`),
			wantErr: &InvalidResponseError{Status: 200, Reason: reasonTokenChars}},
		{name: "access_token with a line break", resp: ok(`{"access_token":"a\nX-Evil: 1","expires_in":60}`),
			wantErr: &InvalidResponseError{Status: 200, Reason: reasonTokenChars}},
		{name: "access_token with a quote", resp: ok(`{"access_token":"a\"","expires_in":60}`),
			wantErr: &InvalidResponseError{Status: 200, Reason: reasonTokenChars}},
		{name: "access_token only padding", resp: ok(`{"access_token":"==","expires_in":60}`),
			wantErr: &InvalidResponseError{Status: 200, Reason: reasonTokenChars}},
		{name: "padding inside the access_token", resp: ok(`{"access_token":"a=b","expires_in":60}`),
			wantErr: &InvalidResponseError{Status: 200, Reason: reasonTokenChars}},
		{name: "too large 200", resp: response{status: 200, body: []byte(`{"access_token":"a","expires_in":60}`), tooLarge: true},
			wantErr: &InvalidResponseError{Status: 200, Reason: reasonTooLarge}},
		{name: "too large 503 stays unavailable", resp: response{status: 503, tooLarge: true},
			wantErr: &UnavailableError{Status: 503}},
		{name: "error code with spaces is dropped", resp: response{status: 400, body: []byte(`{"error":"invalid grant"}`)},
			wantErr: &AuthError{Status: 400}},
		{name: "overlong error code is dropped",
			resp:    response{status: 400, body: []byte(`{"error":"` + strings.Repeat("a", maxCodeLen+1) + `"}`)},
			wantErr: &AuthError{Status: 400}},
		{name: "error code of maximum length is kept",
			resp:    response{status: 400, body: []byte(`{"error":"` + strings.Repeat("a", maxCodeLen) + `"}`)},
			wantErr: &AuthError{Status: 400, Code: strings.Repeat("a", maxCodeLen)}},
		{name: "error code not a string", resp: response{status: 401, body: []byte(`{"error":42}`)},
			wantErr: &AuthError{Status: 401}},
		{name: "403", resp: response{status: 403}, wantErr: &InvalidResponseError{Status: 403, Reason: reasonStatus}},
		{name: "403 invalid_grant", resp: response{status: 403, body: []byte(`{"error":"invalid_grant"}`)},
			wantErr: &AuthError{Status: 403, Code: "invalid_grant"}},
		{name: "418 with a code", resp: response{status: 418, body: []byte(`{"error":"slow_down"}`)},
			wantErr: &AuthError{Status: 418, Code: "slow_down"}},
		{name: "499 with a code", resp: response{status: 499, body: []byte(`{"error":"invalid_client"}`)},
			wantErr: &AuthError{Status: 499, Code: "invalid_client"}},
		{name: "403 with a code that is not plain", resp: response{status: 403, body: []byte(`{"error":"invalid grant"}`)},
			wantErr: &InvalidResponseError{Status: 403, Reason: reasonStatus}},
		{name: "403 with a truncated OAuth body",
			resp:    response{status: 403, body: []byte(`{"error":"invalid_grant"`), tooLarge: true},
			wantErr: &InvalidResponseError{Status: 403, Reason: reasonStatus}},
		{name: "404 HTML", resp: response{status: 404, body: []byte(`<html><body>Not Found</body></html>`)},
			wantErr: &InvalidResponseError{Status: 404, Reason: reasonStatus}},
		{name: "400 without a body", resp: response{status: 400}, wantErr: &AuthError{Status: 400}},
		{name: "401 HTML", resp: response{status: 401, body: []byte(`<html>login</html>`)}, wantErr: &AuthError{Status: 401}},
		{name: "429 with a code stays unavailable",
			resp:    response{status: 429, header: http.Header{"Retry-After": {"5"}}, body: []byte(`{"error":"invalid_grant"}`)},
			wantErr: &UnavailableError{Status: 429, RetryAfter: 5 * time.Second}},
		{name: "302 with a code", resp: response{status: 302, body: []byte(`{"error":"invalid_grant"}`)},
			wantErr: &InvalidResponseError{Status: 302, Reason: reasonStatus}},
		{name: "204", resp: response{status: 204}, wantErr: &InvalidResponseError{Status: 204, Reason: reasonStatus}},
		{name: "600", resp: response{status: 600}, wantErr: &InvalidResponseError{Status: 600, Reason: reasonStatus}},
		{name: "599", resp: response{status: 599}, wantErr: &UnavailableError{Status: 599}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := parseTokenResponse(tt.resp, GrantRefreshToken, "")
			if tt.wantErr != nil {
				if err == nil || err.Error() != tt.wantErr.Error() {
					t.Fatalf("got error %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if tok.AccessToken != "a" || tok.TokenType != tt.wantType || tok.Grant != GrantRefreshToken {
				t.Errorf("got %#v", tok)
			}
			if !tok.IssuedAt.Equal(parseNow) || tok.ExpiresAt.Sub(tok.IssuedAt) != tt.wantLifetime {
				t.Errorf("issued %v, lifetime %v; want %v, %v", tok.IssuedAt, tok.ExpiresAt.Sub(tok.IssuedAt), parseNow, tt.wantLifetime)
			}
		})
	}
}

func TestTokenLength(t *testing.T) {
	tests := []struct {
		name            string
		access, refresh int
		wantErr         bool
	}{
		{"access_token of MaxTokenBytes", MaxTokenBytes, 0, false},
		{"access_token one byte over", MaxTokenBytes + 1, 0, true},
		{"refresh_token of MaxTokenBytes", 1, MaxTokenBytes, false},
		{"refresh_token one byte over", 1, MaxTokenBytes + 1, true},
		{"both of MaxTokenBytes", MaxTokenBytes, MaxTokenBytes, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"access_token":"` + strings.Repeat("a", tt.access) + `","expires_in":60`
			if tt.refresh > 0 {
				body += `,"refresh_token":"` + strings.Repeat("r", tt.refresh) + `"`
			}
			tok, err := parseTokenResponse(response{status: 200, body: []byte(body + "}"), arrived: parseNow}, GrantPassword, "")
			if !tt.wantErr {
				if err != nil || len(tok.AccessToken) != tt.access || len(tok.RefreshToken) != tt.refresh {
					t.Fatalf("got %d-byte tokens, %v; want %d and %d bytes", len(tok.AccessToken), err, tt.access, tt.refresh)
				}
				return
			}
			want := &InvalidResponseError{Status: 200, Reason: reasonTokenLength}
			if err == nil || err.Error() != want.Error() {
				t.Fatalf("got %v, want %v", err, want)
			}
		})
	}
	// The reason is a constant, so it spells the limit out; keep the two together.
	if !strings.Contains(reasonTokenLength, " "+strconv.Itoa(MaxTokenBytes)+" ") {
		t.Errorf("reason %q does not name MaxTokenBytes %d", reasonTokenLength, MaxTokenBytes)
	}
}

// RFC 6749 section 3.3: the answer's scope may differ from the one asked for. A
// client_credentials request for account:{ID} must not be given a token that names another
// account, or a wider scope beside the one asked for.
func TestGrantsAccountScope(t *testing.T) {
	const want = "account:acct-42"
	tests := []struct {
		name  string
		scope string // the JSON member, "" for none
		asked string // the account scope asked for
		ok    bool
	}{
		{"absent", "", want, true},
		{"exactly the one asked for", `"account:acct-42"`, want, true},
		{"beside other scopes", `"openid account:acct-42 offline_access"`, want, true},
		{"twice", `"account:acct-42 account:acct-42"`, want, true},
		{"with extra spaces", `" account:acct-42  "`, want, true},
		{"another account", `"account:acct-43"`, want, false},
		{"a prefix of the one asked for", `"account:acct-4"`, want, false},
		{"one beside it", `"account:acct-42 account:acct-43"`, want, false},
		{"a wildcard beside it", `"account:* account:acct-42"`, want, false},
		{"an account in capitals beside it", `"account:acct-42 ACCOUNT:acct-43"`, want, false},
		{"an empty account beside it", `"account:acct-42 account:"`, want, false},
		{"joined by a tab", `"account:acct-42\taccount:acct-43"`, want, false},
		{"no account", `"openid"`, want, false},
		{"empty", `""`, want, false},
		{"null", `null`, want, false},
		{"a number", `42`, want, false},
		{"a list", `["account:acct-42"]`, want, false},
		{"not asked for: anything goes", `"account:acct-43"`, "", true},
		{"not asked for, not a string", `42`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"access_token":"a","expires_in":60`
			if tt.scope != "" {
				body += `,"scope":` + tt.scope
			}
			_, err := parseTokenResponse(response{status: 200, body: []byte(body + "}"), arrived: parseNow},
				GrantClientCredentials, tt.asked)
			if tt.ok {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			want := &InvalidResponseError{Status: 200, Reason: reasonScope}
			if err == nil || err.Error() != want.Error() {
				t.Fatalf("got %v, want %v", err, want)
			}
		})
	}
}

func TestAccountScope(t *testing.T) {
	tests := []struct {
		req  Request
		want string
	}{
		{Request{Grant: GrantClientCredentials, AccountID: "acct-42"}, "account:acct-42"},
		{Request{Grant: GrantClientCredentials}, ""},
		{Request{Grant: GrantPassword, AccountID: "acct-42"}, ""},
		{Request{Grant: GrantRefreshToken, AccountID: "acct-42"}, ""},
	}
	for _, tt := range tests {
		if got := tt.req.accountScope(); got != tt.want {
			t.Errorf("accountScope of %s = %q, want %q", tt.req, got, tt.want)
		}
	}
}

func TestIsBearerToken(t *testing.T) {
	for token, want := range map[string]bool{
		"a": true, "aZ09-._~+/": true, "aZ09-._~+/==": true, "eyJhbGciOi.eyJzdWIi.c2ln": true,
		"": false, "==": false, "a=b": false, "a b": false, "a\n": false, `a"`: false, "a;b": false, "é": false,
	} {
		if got := isBearerToken(token); got != want {
			t.Errorf("isBearerToken(%q) = %v, want %v", token, got, want)
		}
	}
}

var fuzzReasons = map[string]bool{
	reasonStatus: true, reasonTooLarge: true, reasonNotJSON: true, reasonNoAccessToken: true, reasonTokenChars: true,
	reasonTokenType: true, reasonExpiresIn: true, reasonLifetime: true, reasonTokenLength: true, reasonScope: true,
}

// FuzzParseTokenResponse checks that no answer makes the parser panic, that
// a token it accepts is usable, and that an error is built only from the
// status, a plain OAuth code, a fixed reason and Retry-After: never from the
// body. Each answer is parsed twice: for a password grant, and for a
// client_credentials grant that asked for fuzzScope, whose answer is also
// checked against the scope it grants.
// The seed corpus is in testdata/fuzz/FuzzParseTokenResponse.
func FuzzParseTokenResponse(f *testing.F) {
	f.Fuzz(func(t *testing.T, status int, retryAfter string, body []byte, tooLarge bool) {
		r := response{
			status: status, header: http.Header{"Retry-After": {retryAfter}},
			body: body, tooLarge: tooLarge, arrived: parseNow,
		}
		tok, err := parseTokenResponse(r, GrantPassword, "")
		checkFuzzResult(t, r, tok, err)
		tok, err = parseTokenResponse(r, GrantClientCredentials, fuzzScope)
		checkFuzzResult(t, r, tok, err)
		if err == nil {
			var granted struct {
				Scope *string `json:"scope"`
			}
			if json.Unmarshal(body, &granted) != nil {
				t.Fatalf("accepted a token whose scope is not a string")
			}
			if granted.Scope != nil && !scopeHolds(*granted.Scope, fuzzScope) {
				t.Fatalf("accepted a token granting scope %q for %q", *granted.Scope, fuzzScope)
			}
		}
	})
}

const fuzzScope = "account:acct-42"

// scopeHolds is grantsAccountScope written differently: want among the tokens, and no
// token that starts with "account:" in any case but want.
func scopeHolds(granted, want string) bool {
	tokens := strings.Split(granted, " ")
	for _, tok := range tokens {
		if strings.HasPrefix(strings.ToLower(tok), "account:") && tok != want {
			return false
		}
	}
	return slices.Contains(tokens, want)
}

func checkFuzzResult(t *testing.T, r response, tok Token, err error) {
	t.Helper()
	if err == nil {
		lifetime := tok.ExpiresAt.Sub(tok.IssuedAt)
		if r.status != 200 || r.tooLarge || tok.AccessToken == "" || lifetime <= 0 || lifetime > maxLifetime ||
			len(tok.AccessToken) > MaxTokenBytes || len(tok.RefreshToken) > MaxTokenBytes {
			t.Fatalf("accepted status %d, tooLarge %v: %#v (lifetime %v)", r.status, r.tooLarge, tok, lifetime)
		}
		return
	}
	if tok != (Token{}) {
		t.Fatalf("non-zero token with error %v", err)
	}
	// Short bodies ("a", "400") occur in any message by coincidence.
	if msg := err.Error(); len(r.body) >= 8 && strings.Contains(msg, string(r.body)) {
		t.Fatalf("message %q contains the body", msg)
	}
	var (
		ae *AuthError
		ue *UnavailableError
		ie *InvalidResponseError
	)
	switch {
	case errors.As(err, &ae):
		if ae.Code != "" && !isPlainCode(ae.Code) {
			t.Fatalf("code %q is not plain", ae.Code)
		}
		if ae.Status < 400 || ae.Status > 499 || ae.Status == 429 ||
			ae.Code == "" && ae.Status != 400 && ae.Status != 401 {
			t.Fatalf("unexpected %#v", ae)
		}
	case errors.As(err, &ue):
		if ue.Err != nil || ue.RetryAfter < 0 || ue.RetryAfter > MaxRetryAfter {
			t.Fatalf("unexpected %#v", ue)
		}
	case errors.As(err, &ie):
		if !fuzzReasons[ie.Reason] {
			t.Fatalf("reason %q is not a fixed text", ie.Reason)
		}
	default:
		t.Fatalf("untyped error %v", err)
	}
}
