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

package reliability

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/rand"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr/cyclrtest"
	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

// TestCyclrSlowerThanTheClientTimeout: Cyclr takes longer than --cyclr-timeout to answer.
// The request is abandoned (CyclrUnavailable), retried after the backoff, and succeeds.
func TestCyclrSlowerThanTheClientTimeout(t *testing.T) {
	h := newHarness(t)
	h.cyclr.FailNext(1, cyclrtest.Fault{Delay: 20 * time.Second})
	h.startManager(managerOptions{cyclrTimeout: 500 * time.Millisecond})
	h.loginSecret("login", partnerLogin())
	h.credential("slow")

	start := time.Now()
	c := h.waitReady("slow", authv1alpha1.ReasonCyclrUnavailable, 0, 10*time.Second)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the timed-out request was reported after %s; the client timeout is 500ms", took)
	}
	if msg := ready(c).Message; !strings.Contains(msg, "deadline exceeded") && !strings.Contains(msg, "timeout") {
		t.Errorf("message %q does not say the request timed out", msg)
	}
	if c.Status.FailedAttempts != 1 || c.Status.RefreshAt == nil {
		t.Errorf("failedAttempts %d, refreshAt %v; want 1 and the retry time", c.Status.FailedAttempts, c.Status.RefreshAt)
	}
	// No retry before the backoff (5s).
	h.holds(time.Until(c.Status.RefreshAt.Add(-time.Second)), func() error { return h.requests(1) })
	h.waitReady("slow", authv1alpha1.ReasonTokenValid, 1, 10*time.Second)
	h.must(h.requests(2))
	testenv.CountIs(h.t, h.cyclr, "password", cyclrtest.OutcomeFault, 1)
	testenv.CountIs(h.t, h.cyclr, "password", cyclrtest.OutcomeSuccess, 1)
}

// TestInvalidTokenResponses: Cyclr (or something in front of it) answers with something that
// is not a usable token. Each is InvalidTokenResponse (Ready False, or True/RefreshFailing while
// a token is valid), retried only after the backoff, and the credential recovers once Cyclr
// answers properly again. Tokens and canaries in the bad answers must not leak.
func TestInvalidTokenResponses(t *testing.T) {
	canary := func(what string) string { return "cnry-" + what + "-" + rand.String(12) }
	tests := []struct {
		name      string
		fault     func(canary func(string) string) cyclrtest.Fault
		atRefresh bool
	}{
		{name: "HTML page", fault: func(c func(string) string) cyclrtest.Fault {
			return cyclrtest.Fault{Status: 200, ContentType: "text/html",
				Body: "<html><body>Please sign in. session=" + c("html") + "</body></html>"}
		}},
		{name: "empty body", fault: func(func(string) string) cyclrtest.Fault { return cyclrtest.Fault{Status: 200} }},
		{name: "body over 1 MiB", fault: func(c func(string) string) cyclrtest.Fault {
			return cyclrtest.Fault{Body: fmt.Sprintf(`{"access_token":%q,"token_type":"bearer","expires_in":3600,"pad":"%s"}`,
				c("huge-access-token"), strings.Repeat("x", 1<<20+100))}
		}},
		{name: "JSON without access_token", fault: func(c func(string) string) cyclrtest.Fault {
			return cyclrtest.Fault{Body: fmt.Sprintf(`{"token_type":"bearer","expires_in":3600,"refresh_token":%q}`, c("orphan-refresh-token"))}
		}},
		{name: "expires_in 0", fault: func(c func(string) string) cyclrtest.Fault {
			return cyclrtest.Fault{Body: fmt.Sprintf(`{"access_token":%q,"token_type":"bearer","expires_in":0,"refresh_token":%q}`,
				c("zero-access-token"), c("zero-refresh-token"))}
		}},
		{name: "expires_in negative", fault: func(c func(string) string) cyclrtest.Fault {
			return cyclrtest.Fault{Body: fmt.Sprintf(`{"access_token":%q,"token_type":"bearer","expires_in":-3600}`, c("negative-access-token"))}
		}},
		{name: "expires_in absurdly large", fault: func(c func(string) string) cyclrtest.Fault {
			return cyclrtest.Fault{Body: fmt.Sprintf(`{"access_token":%q,"token_type":"bearer","expires_in":99999999999999999999999}`,
				c("absurd-access-token"))}
		}},
		{name: "expires_in over 10 years", fault: func(c func(string) string) cyclrtest.Fault {
			return cyclrtest.Fault{Body: fmt.Sprintf(`{"access_token":%q,"token_type":"bearer","expires_in":400000000}`, c("decade-access-token"))}
		}},
		{name: "HTML page at a refresh", atRefresh: true, fault: func(c func(string) string) cyclrtest.Fault {
			return cyclrtest.Fault{Status: 200, ContentType: "text/html", Body: "<html>proxy error " + c("refresh-html") + "</html>"}
		}},
	}
	// One manager, and one emulator per case so that each fault meets the request it is meant for.
	h := newHarness(t)
	h.startManager(managerOptions{})
	h.loginSecret("login", partnerLogin())
	record := func(what string) string {
		v := canary(what)
		h.leaks.Add("canary "+what, v)
		return v
	}
	type running struct {
		name   string
		cyclr  *cyclrtest.Server
		base   int   // requests before the fault
		rev    int64 // revision after the recovery
		reason string
		c      *authv1alpha1.CyclrCredential
	}
	cases := make([]*running, 0, len(tests))
	for i, tt := range tests {
		srv := cyclrtest.NewServer()
		t.Cleanup(srv.Close)
		srv.AddPartner(partnerClientID, partnerUser, partnerPassword)
		r := &running{name: fmt.Sprintf("bad-%d", i), cyclr: srv, rev: 1, reason: authv1alpha1.ReasonInvalidTokenResponse}
		fault := tt.fault(record)
		if tt.atRefresh {
			// A first token, refreshed 2-3s later into the fault; retried while still valid.
			srv.SetLifetime(20 * time.Second)
			h.credential(r.name, refreshBefore(17*time.Second), apiURL(srv.URL))
			h.waitReady(r.name, authv1alpha1.ReasonTokenValid, 1, 15*time.Second)
			srv.SetLifetime(cyclrtest.DefaultLifetime)
			r.base, r.rev, r.reason = 1, 2, authv1alpha1.ReasonRefreshFailing
		} else {
			h.credential(r.name, apiURL(srv.URL))
		}
		srv.FailNext(1, fault)
		t.Logf("%s: %s", r.name, tt.name)
		cases = append(cases, r)
	}

	for _, r := range cases {
		r.c = h.waitReady(r.name, r.reason, 0, 15*time.Second)
		if msg := ready(r.c).Message; !strings.Contains(msg, authv1alpha1.ReasonInvalidTokenResponse) && !strings.Contains(msg, "invalid response") {
			t.Errorf("%s: message %q does not say the response was invalid", r.name, msg)
		}
		if r.c.Status.FailedAttempts != 1 || r.c.Status.RefreshAt == nil {
			t.Fatalf("%s: failedAttempts %d, refreshAt %v; want 1 and the retry time", r.name, r.c.Status.FailedAttempts, r.c.Status.RefreshAt)
		}
	}
	// Bounded: nothing more until the backoff has passed.
	firstRetry := cases[0].c.Status.RefreshAt.Time
	for _, r := range cases {
		if r.c.Status.RefreshAt.Time.Before(firstRetry) {
			firstRetry = r.c.Status.RefreshAt.Time
		}
	}
	h.holds(time.Until(firstRetry.Add(-time.Second)), func() error {
		for _, r := range cases {
			if got := r.cyclr.Requests(); got != r.base+1 {
				return fmt.Errorf("%s: %d requests before the backoff passed, want %d", r.name, got, r.base+1)
			}
		}
		return nil
	})
	// Cyclr is fixed (each fault was used up): the retries succeed.
	for _, r := range cases {
		h.waitReady(r.name, authv1alpha1.ReasonTokenValid, r.rev, 15*time.Second)
		if got := r.cyclr.Requests(); got != r.base+2 {
			t.Errorf("%s: %d requests, want %d", r.name, got, r.base+2)
		}
		if tok := h.targetToken(r.name); !r.cyclr.TokenValid(tok) {
			t.Errorf("%s: the target Secret does not hold a live token after the recovery", r.name)
		}
	}
}

func apiURL(url string) func(*authv1alpha1.CyclrCredential) {
	return func(c *authv1alpha1.CyclrCredential) { c.Spec.APIURL = url }
}

// TestHostileCredentialsSecrets: the credentials Secret holds binary junk, control characters
// or a megabyte password (refused with CredentialsInvalid naming the key, never calling Cyclr),
// or values wrapped in whitespace (trimmed: works).
func TestHostileCredentialsSecrets(t *testing.T) {
	h := newHarness(t)
	h.startManager(managerOptions{})
	junk := append([]byte{0xff, 0xfe, 0x00, 0x9f, 'p', 'w', 0xc3, 0x28, 0x80, 0xbf, 0xf0, 0x9f, 0x92},
		"-REL-JUNK-S3CRET"...)
	huge := strings.Repeat("pw-REL-HUGE-S3CRET-", (1<<20-1024)/19)
	control := "rel-alice\x00\x07\x1b[2J"
	h.leaks.Add("binary password", string(junk))
	h.leaks.Add("1 MiB password", huge)
	h.leaks.Add("control-character username", control)
	tests := []struct {
		name, secret string
		data         map[string][]byte
		key, problem string // empty: the login works
	}{
		{"binary", "login-binary", map[string][]byte{"username": []byte(partnerUser), "password": junk,
			"client_id": []byte(partnerClientID)}, "password", "not UTF-8"},
		{"control", "login-control", map[string][]byte{"username": []byte(control), "password": []byte(partnerPassword),
			"client_id": []byte(partnerClientID)}, "username", "control characters"},
		{"huge", "login-huge", map[string][]byte{"username": []byte(partnerUser), "password": []byte(huge),
			"client_id": []byte(partnerClientID)}, "password", "longer than"},
		{"whitespace", "login-whitespace", map[string][]byte{"username": []byte("  " + partnerUser + "\n"),
			"password": []byte("\t" + partnerPassword + " \r\n"), "client_id": []byte(" " + partnerClientID + "\n")}, "", ""},
	}
	for _, tt := range tests {
		h.loginSecret(tt.secret, tt.data)
		h.credential(tt.name, func(c *authv1alpha1.CyclrCredential) { c.Spec.CredentialsSecretRef.Name = tt.secret })
	}
	for _, tt := range tests {
		if tt.problem == "" {
			h.waitReady(tt.name, authv1alpha1.ReasonTokenValid, 1, 15*time.Second)
			continue
		}
		c := h.waitReady(tt.name, authv1alpha1.ReasonCredentialsInvalid, 0, 15*time.Second)
		msg := ready(c).Message
		if !strings.Contains(msg, fmt.Sprintf("%q", tt.key)) || !strings.Contains(msg, tt.secret) || !strings.Contains(msg, tt.problem) {
			t.Errorf("%s: message %q should name key %q of Secret %s and say %q", tt.name, msg, tt.key, tt.secret, tt.problem)
		}
		if len(msg) > 300 {
			t.Errorf("%s: message of %d bytes; want a short one", tt.name, len(msg))
		}
		if c.Status.FailedAttempts != 0 {
			t.Errorf("%s: failedAttempts %d; a problem in Kubernetes is not a Cyclr attempt", tt.name, c.Status.FailedAttempts)
		}
	}
	// Only the whitespace-wrapped login reached Cyclr, once.
	h.holds(2*time.Second, func() error { return h.requests(1) })
	testenv.CountIs(h.t, h.cyclr, "password", cyclrtest.OutcomeSuccess, 1)
}
