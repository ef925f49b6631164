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

package integration

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/controller"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr/cyclrtest"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

// TestNoSecretLeaks drives refreshes with rotating refresh tokens, an invalid_grant fallback,
// a wrong password and Cyclr faults whose bodies carry secret-looking text, collects every
// secret that was in play, and checks that none reached the logs (at the highest verbosity),
// events, the CyclrCredentials as stored (status included) or the metrics (docs/design.md, section 1, "Never leaked").
func TestNoSecretLeaks(t *testing.T) {
	h := newHarness(t)
	h.cyclr.SetLifetime(4 * time.Second) // a refresh about every 2.5s

	const wrongPassword = "pw-WRONG-S3CRET-bob-55aa"
	secrets := &testenv.LeakSet{}
	secrets.Add("partner password", partnerPassword)
	secrets.Add("client secret", ccClientSecret)
	secrets.Add("wrong password", wrongPassword)

	h.loginSecret("login", partnerLogin())
	h.loginSecret("cc-login", map[string]string{"client_secret": ccClientSecret})
	h.loginSecret("wrong-login", map[string]string{"username": partnerUser, "password": wrongPassword, "client_id": partnerClientID})
	h.credential("rotating")
	h.credential("cc", func(c *authv1alpha1.CyclrCredential) {
		c.Spec.Grant, c.Spec.ClientID, c.Spec.AccountID = authv1alpha1.GrantClientCredentials, ccClientID, accountID
		c.Spec.CredentialsSecretRef.Name = "cc-login"
	})
	h.credential("wrong", func(c *authv1alpha1.CyclrCredential) { c.Spec.CredentialsSecretRef.Name = "wrong-login" })

	// Faulty Cyclrs, one per credential so each fault meets the request it is meant for. Their
	// bodies hold canaries, and the partner password, which a careless error message would echo.
	canary := func(what string) string {
		v := "cnry-" + what + "-7d41f0c2e9b3"
		secrets.Add("canary in "+what, v)
		return v
	}
	faults := []struct {
		name   string
		fault  cyclrtest.Fault
		reason string
	}{
		{"fault-description", cyclrtest.Fault{Status: 400, Body: fmt.Sprintf(
			`{"error":"invalid_grant","error_description":"password %s rejected, refresh token %s revoked"}`,
			partnerPassword, canary("error_description"))}, authv1alpha1.ReasonAuthenticationFailed},
		{"fault-code", cyclrtest.Fault{Status: 401, Body: fmt.Sprintf(`{"error":"invalid_client: secret=%s"}`,
			canary("error-code"))}, authv1alpha1.ReasonAuthenticationFailed},
		{"fault-html", cyclrtest.Fault{Status: 503, RetryAfter: "600", ContentType: "text/html",
			Body: "<html>upstream said: token " + canary("503-body") + "</html>"}, authv1alpha1.ReasonCyclrUnavailable},
		{"fault-token", cyclrtest.Fault{Body: fmt.Sprintf(
			`{"access_token":"%s","token_type":"bearer","expires_in":0,"refresh_token":"%s"}`,
			canary("unusable-access-token"), canary("unusable-refresh-token"))}, authv1alpha1.ReasonInvalidTokenResponse},
		{"fault-proxy", cyclrtest.Fault{Body: "<html>login page, session " + canary("200-html") + "</html>",
			ContentType: "text/html"}, authv1alpha1.ReasonInvalidTokenResponse},
	}
	faulty := map[string]*cyclrtest.Server{}
	for _, f := range faults {
		srv := cyclrtest.NewServer()
		t.Cleanup(srv.Close)
		srv.FailNext(1, f.fault)
		faulty[f.name] = srv
		h.credential(f.name, func(c *authv1alpha1.CyclrCredential) { c.Spec.APIURL = srv.URL })
	}

	// Everything the operator published, as it changed: statuses are snapshotted on every poll
	// (a failure message is overwritten later), and the secrets are read from the target and
	// state Secrets as they rotate.
	published := map[string]bool{}
	collect := func() {
		for _, name := range []string{"rotating", "cc"} {
			for _, secretName := range []string{name, policy.StateSecretName(name)} {
				if s, err := h.secret(secretName); err == nil {
					secrets.Add(name+" access token", string(s.Data["access_token"]))
					secrets.Add(name+" refresh token", string(s.Data["refresh_token"]))
					secrets.Add(name+" state fingerprint", string(s.Data["fingerprint"]))
				}
			}
		}
		var list authv1alpha1.CyclrCredentialList
		h.must(k8s.List(h.ctx, &list, client.InNamespace(h.ns)))
		for _, c := range list.Items {
			b, err := json.Marshal(c)
			h.must(err)
			published[string(b)] = true
		}
	}
	wait := func(timeout time.Duration, f func() error) {
		h.t.Helper()
		h.eventually(timeout, func() error { collect(); return f() })
	}
	reason := func(name string) string {
		for _, c := range h.get(name).Status.Conditions {
			if c.Type == authv1alpha1.ConditionReady {
				return c.Reason
			}
		}
		return ""
	}

	// The faulty credentials fail once; suspending them then keeps their retries from
	// muddying the request counts.
	wait(20*time.Second, func() error {
		for _, f := range faults {
			if got := reason(f.name); got != f.reason {
				return fmt.Errorf("%s: Ready reason %q, want %q", f.name, got, f.reason)
			}
		}
		return nil
	})
	for _, f := range faults {
		h.update(f.name, func(c *authv1alpha1.CyclrCredential) { c.Spec.Suspend = true })
	}
	wait(10*time.Second, func() error {
		if got := reason("wrong"); got != authv1alpha1.ReasonAuthenticationFailed {
			return fmt.Errorf("wrong: Ready reason %q", got)
		}
		return nil
	})

	// Two refreshes with rotating refresh tokens, then a revoked refresh token forces the
	// invalid_grant fallback to the password.
	wait(20*time.Second, func() error {
		if r := h.get("rotating").Status.Revision; r < 2 {
			return fmt.Errorf("rotating: revision %d", r)
		}
		return nil
	})
	h.cyclr.RevokeRefreshTokens()
	wait(15*time.Second, func() error {
		if _, ok := testenv.FindEvent(h.events(), "rotating", controller.EventReauthenticated); !ok {
			return fmt.Errorf("rotating: no %s event", controller.EventReauthenticated)
		}
		return nil
	})
	// Let both credentials settle on a long-lived token, so the request count can be exact.
	h.cyclr.SetLifetime(cyclrtest.DefaultLifetime)
	wait(15*time.Second, func() error {
		for _, name := range []string{"rotating", "cc"} {
			if c := h.get(name); c.Status.ExpiresAt == nil || time.Until(c.Status.ExpiresAt.Time) < time.Hour {
				return fmt.Errorf("%s still holds a short-lived token", name)
			}
		}
		return nil
	})
	var expected int
	h.holds(time.Second, func() error {
		collect()
		rotating, cc := h.get("rotating"), h.get("cc")
		// Every token written, plus the refresh refused with invalid_grant and the wrong password.
		expected = int(rotating.Status.Revision + cc.Status.Revision + 2)
		return h.requests(expected)
	})
	testenv.CountIs(t, h.cyclr, "refresh_token", cyclrtest.OutcomeAuthError, 1)
	testenv.CountIs(t, h.cyclr, "password", cyclrtest.OutcomeAuthError, 1)
	for name, srv := range faulty {
		if got := srv.Requests(); got != 1 {
			t.Errorf("%s: Cyclr received %d token requests, want 1", name, got)
		}
	}
	h.stopManager() // the log is complete

	// The check is only as good as what it looked for and where.
	if n := secrets.Count("rotating access token"); n < 4 {
		t.Errorf("collected %d access tokens of the rotating credential, want at least 4", n)
	}
	if n := secrets.Count("rotating refresh token"); n < 3 {
		t.Errorf("collected %d refresh tokens of the rotating credential, want at least 3", n)
	}
	if n := secrets.Count("cc access token"); n < 2 {
		t.Errorf("collected %d access tokens of the client-credentials credential, want at least 2", n)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "token written") || !strings.Contains(logs, "token request failed") {
		t.Error("the manager's log lacks the lines this test expects to search")
	}

	places := map[string]string{"the manager's log": logs}
	for _, e := range h.events() {
		b, err := json.Marshal(e)
		h.must(err)
		places[fmt.Sprintf("event %s/%s (%s)", e.Regarding.Name, e.Reason, e.Note)] = string(b)
	}
	collect()
	i := 0
	for p := range published {
		i++
		places[fmt.Sprintf("CyclrCredential snapshot %d", i)] = p
	}
	places["the metrics"] = testenv.Metrics(t)
	secrets.Check(t, places)
}
