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
	"strconv"
	"strings"
	"testing"

	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr/cyclrtest"
)

// verbs are the fmt verbs a log line or an error wrap might use.
var verbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%10.3v"}

// assertRedacted formats each value with every verb and fails if a secret
// shows up.
func assertRedacted(t *testing.T, secrets []string, values map[string]any) {
	t.Helper()
	for _, s := range secrets {
		if s == "" {
			t.Fatal("empty secret: the test would prove nothing")
		}
	}
	for name, v := range values {
		for _, verb := range verbs {
			out := fmt.Sprintf(verb, v)
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("%s formatted with %s shows a secret: %s", name, verb, out)
				}
			}
		}
	}
}

func TestTokenAndRequestAreRedacted(t *testing.T) {
	s := newEmulator(t)
	c := cyclr.NewClient(cyclr.Options{})
	tok := mustToken(t, c, partnerRequest(s.URL))
	pwReq := partnerRequest(s.URL)
	rtReq := refreshRequest(s.URL, tok, accountID)
	ccReq := ccRequest(s.URL, accountID)
	type holder struct {
		Token   cyclr.Token
		Request cyclr.Request
		Ptr     *cyclr.Token
	}
	values := map[string]any{
		"Token":                      tok,
		"*Token":                     &tok,
		"password Request":           pwReq,
		"refresh Request":            &rtReq,
		"client_credentials Request": ccReq,
		"struct":                     holder{Token: tok, Request: pwReq, Ptr: &tok},
		"*struct":                    &holder{Token: tok, Request: ccReq},
		"slice":                      []cyclr.Token{tok},
		"map":                        map[string]cyclr.Request{"r": rtReq},
		"wrapped in error":           fmt.Errorf("issuing %v with %v", tok, pwReq),
	}
	assertRedacted(t, []string{tok.AccessToken, tok.RefreshToken, password, ccSecret}, values)

	// Redaction must not hide everything: what is safe stays readable.
	for _, want := range []string{"<redacted>", username, "bearer", string(cyclr.GrantPassword)} {
		if out := fmt.Sprintf("%v %+v", tok, pwReq); !strings.Contains(out, want) {
			t.Errorf("%q lacks %q", out, want)
		}
	}
	if out := fmt.Sprintf("%#v", tok); !strings.HasPrefix(out, "cyclr.Token{") {
		t.Errorf("%%#v = %q, want Go syntax", out)
	}
	if out, want := fmt.Sprintf("%q", tok), strconv.Quote(tok.String()); out != want {
		t.Errorf("%%q = %s, want %s", out, want)
	}
	if out := fmt.Sprintf("%v", cyclr.Request{APIURL: "https://u:" + password + "@api.cyclr.com"}); strings.Contains(out, password) {
		t.Errorf("password in the API URL shows: %s", out)
	}
}

func TestErrorsAreRedacted(t *testing.T) {
	const leak = "LEAK-e5d1"
	tests := []struct {
		name  string
		fault cyclrtest.Fault
	}{
		{"error_description", cyclrtest.Fault{Status: 400,
			Body: `{"error":"invalid_grant","error_description":"password ` + password + ` for alice ` + leak + `"}`}},
		{"code that is not a code", cyclrtest.Fault{Status: 400, Body: `{"error":"invalid_grant ` + leak + `"}`}},
		{"401 body", cyclrtest.Fault{Status: 401, Body: leak, ContentType: "text/plain"}},
		{"503 body", cyclrtest.Fault{Status: 503, Body: `{"message":"` + leak + `"}`, RetryAfter: leak}},
		{"HTML 200", cyclrtest.Fault{Status: 200, Body: "<html>" + leak + "</html>", ContentType: "text/html"}},
		{"JSON without token", cyclrtest.Fault{Body: `{"refresh_token":"` + leak + `","expires_in":60}`}},
		{"bad token_type", cyclrtest.Fault{Body: `{"access_token":"` + leak + `","token_type":"` + leak + `","expires_in":60}`}},
		{"bad expires_in", cyclrtest.Fault{Body: `{"access_token":"` + leak + `","expires_in":"` + leak + `"}`}},
		{"404 body", cyclrtest.Fault{Status: 404, Body: leak}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newEmulator(t)
			s.FailNext(1, tt.fault)
			req := refreshRequest(s.URL, cyclr.Token{RefreshToken: "rt-SECRET-4c2e"}, accountID)
			_, err := cyclr.NewClient(cyclr.Options{}).Token(context.Background(), req)
			if err == nil {
				t.Fatal("want an error")
			}
			assertRedacted(t, []string{leak, password, "rt-SECRET-4c2e"}, map[string]any{
				"error":         err,
				"wrapped error": fmt.Errorf("refresh failed: %w", err),
				"unwrapped":     errors.Unwrap(err),
			})
		})
	}
}

func TestInvalidRequestErrorsAreRedacted(t *testing.T) {
	reqs := []cyclr.Request{
		{APIURL: "https://api.cyclr.com", Grant: "bogus", ClientID: "c", Password: password, ClientSecret: ccSecret},
		{APIURL: "https://u:" + password + "@api.cyclr.com", Grant: cyclr.GrantPassword, ClientID: "c", Username: "u"},
		{APIURL: "://" + password, Grant: cyclr.GrantPassword},
	}
	for _, req := range reqs {
		_, err := cyclr.NewClient(cyclr.Options{}).Token(context.Background(), req)
		if err == nil {
			t.Fatalf("%v: want an error", req)
		}
		assertRedacted(t, []string{password, ccSecret}, map[string]any{"error": err})
	}
}
