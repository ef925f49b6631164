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
	"errors"
	"net/http"
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
		{name: "204", resp: response{status: 204}, wantErr: &InvalidResponseError{Status: 204, Reason: reasonStatus}},
		{name: "600", resp: response{status: 600}, wantErr: &InvalidResponseError{Status: 600, Reason: reasonStatus}},
		{name: "599", resp: response{status: 599}, wantErr: &UnavailableError{Status: 599}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := parseTokenResponse(tt.resp, GrantRefreshToken)
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
	reasonTokenType: true, reasonExpiresIn: true, reasonLifetime: true,
}

// FuzzParseTokenResponse checks that no answer makes the parser panic, that
// a token it accepts is usable, and that an error is built only from the
// status, a plain OAuth code, a fixed reason and Retry-After: never from the
// body.
// The seed corpus is in testdata/fuzz/FuzzParseTokenResponse.
func FuzzParseTokenResponse(f *testing.F) {
	f.Fuzz(func(t *testing.T, status int, retryAfter string, body []byte, tooLarge bool) {
		r := response{
			status: status, header: http.Header{"Retry-After": {retryAfter}},
			body: body, tooLarge: tooLarge, arrived: parseNow,
		}
		tok, err := parseTokenResponse(r, GrantPassword)
		if err == nil {
			lifetime := tok.ExpiresAt.Sub(tok.IssuedAt)
			if status != 200 || tooLarge || tok.AccessToken == "" || lifetime <= 0 || lifetime > maxLifetime {
				t.Fatalf("accepted status %d, tooLarge %v: %#v (lifetime %v)", status, tooLarge, tok, lifetime)
			}
			return
		}
		if tok != (Token{}) {
			t.Fatalf("non-zero token with error %v", err)
		}
		// Short bodies ("a", "400") occur in any message by coincidence.
		if msg := err.Error(); len(body) >= 8 && strings.Contains(msg, string(body)) {
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
	})
}
