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
	"bytes"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr/cyclrtest"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

// Failures: wrong or missing credentials, Cyclr faults and their backoff, failing refreshes,
// a target name that belongs to someone else.

func TestFailureWrongPasswordThenFixed(t *testing.T) {
	h := newHarness(t)
	wrong := partnerLogin()
	wrong["password"] = "pw-not-the-right-one"
	h.loginSecret("login", wrong)
	h.credential("cred")

	c := h.waitReady("cred", authv1alpha1.ReasonAuthenticationFailed, 20*time.Second)
	if cond := ready(t, c); cond.Status != metav1.ConditionFalse || !strings.Contains(cond.Message, "invalid_grant") {
		t.Errorf("Ready %s: %s", cond.Status, cond.Message)
	}
	st := c.Status
	if st.FailedAttempts != 1 || st.LastFailureTime == nil || st.RefreshAt == nil {
		t.Fatalf("failedAttempts %d lastFailureTime %v refreshAt %v", st.FailedAttempts, st.LastFailureTime, st.RefreshAt)
	}
	if d := st.RefreshAt.Sub(st.LastFailureTime.Time); d < 59*time.Second || d > 61*time.Second {
		t.Errorf("next attempt %s after the failure, want the 1m authentication backoff", d)
	}
	h.waitEvent("cred", authv1alpha1.ReasonAuthenticationFailed)
	h.holds(3*time.Second, func() error { return h.requests(1) })
	if _, err := h.secret("cred"); notFound(err) != nil {
		t.Errorf("target Secret: %v", notFound(err))
	}

	// Fixing the password is tried at once, despite the backoff.
	h.updateSecret("login", func(s *corev1.Secret) { s.Data["password"] = []byte(partnerPassword) })
	c = h.waitReady("cred", authv1alpha1.ReasonTokenValid, 10*time.Second)
	h.holds(time.Second, func() error { return h.requests(2) })
	testenv.CountIs(t, h.cyclr, "password", cyclrtest.OutcomeAuthError, 1)
	testenv.CountIs(t, h.cyclr, "password", cyclrtest.OutcomeSuccess, 1)
	if c.Status.FailedAttempts != 0 || c.Status.LastFailureTime != nil {
		t.Errorf("failedAttempts %d lastFailureTime %v after a success", c.Status.FailedAttempts, c.Status.LastFailureTime)
	}
	if !h.cyclr.TokenValid(h.targetToken("cred")) {
		t.Error("the target token does not work")
	}
}

// Problems the user must fix in Kubernetes: no call to Cyclr until they are fixed, then one at
// once. Each case is a credential of its own, with its own credentials Secret, in one namespace.
func TestFailureCredentialsProblems(t *testing.T) {
	cases := []struct {
		name   string            // of the credential; its Secret is "login-" + name
		login  map[string]string // nil: no credentials Secret at all
		mutate func(*authv1alpha1.CyclrCredential)
		reason string
		key    string // the message names it
		fixed  map[string]string
	}{
		{name: "secret-missing", reason: authv1alpha1.ReasonCredentialsSecretNotFound, key: "login-secret-missing",
			fixed: partnerLogin()},
		{name: "password-key-missing", login: map[string]string{"username": partnerUser, "client_id": partnerClientID},
			reason: authv1alpha1.ReasonCredentialsInvalid, key: "password", fixed: partnerLogin()},
		{name: "username-empty", login: map[string]string{"username": "", "password": partnerPassword, "client_id": partnerClientID},
			reason: authv1alpha1.ReasonCredentialsInvalid, key: "username", fixed: partnerLogin()},
		{name: "password-whitespace", login: map[string]string{"username": partnerUser, "password": " \n", "client_id": partnerClientID},
			reason: authv1alpha1.ReasonCredentialsInvalid, key: "password", fixed: partnerLogin()},
		{name: "no-client-id", login: map[string]string{"username": partnerUser, "password": partnerPassword},
			reason: authv1alpha1.ReasonCredentialsInvalid, key: "client_id", fixed: partnerLogin()},
		{name: "custom-password-key-missing", login: partnerLogin(),
			mutate: func(c *authv1alpha1.CyclrCredential) { c.Spec.CredentialsSecretRef.PasswordKey = "pw" },
			reason: authv1alpha1.ReasonCredentialsInvalid, key: "pw",
			fixed: map[string]string{"username": partnerUser, "pw": partnerPassword, "client_id": partnerClientID}},
		{name: "client-secret-missing", login: map[string]string{"unrelated": "x"},
			mutate: func(c *authv1alpha1.CyclrCredential) {
				c.Spec.Grant, c.Spec.ClientID = authv1alpha1.GrantClientCredentials, ccClientID
			},
			reason: authv1alpha1.ReasonCredentialsInvalid, key: "client_secret",
			fixed: map[string]string{"client_secret": ccClientSecret}},
	}
	h := newHarness(t)
	for _, tc := range cases {
		if tc.login != nil {
			h.loginSecret("login-"+tc.name, tc.login)
		}
		h.credential(tc.name, func(c *authv1alpha1.CyclrCredential) {
			c.Spec.CredentialsSecretRef.Name = "login-" + tc.name
			if tc.mutate != nil {
				tc.mutate(c)
			}
		})
	}
	for _, tc := range cases {
		c := h.waitReady(tc.name, tc.reason, 20*time.Second)
		cond := ready(t, c)
		if cond.Status != metav1.ConditionFalse || !strings.Contains(cond.Message, strconv.Quote(tc.key)) {
			t.Errorf("%s: Ready %s: %q does not name %q", tc.name, cond.Status, cond.Message, tc.key)
		}
		if c.Status.FailedAttempts != 0 || c.Status.RefreshAt != nil {
			t.Errorf("%s: a configuration problem counted as an attempt: failedAttempts %d refreshAt %v",
				tc.name, c.Status.FailedAttempts, c.Status.RefreshAt)
		}
		h.waitEvent(tc.name, tc.reason)
	}
	h.holds(2*time.Second, func() error { return h.requests(0) })

	for _, tc := range cases {
		if tc.login == nil {
			h.loginSecret("login-"+tc.name, tc.fixed)
			continue
		}
		h.updateSecret("login-"+tc.name, func(s *corev1.Secret) {
			s.Data = map[string][]byte{}
			for k, v := range tc.fixed {
				s.Data[k] = []byte(v)
			}
		})
	}
	for _, tc := range cases {
		h.waitReady(tc.name, authv1alpha1.ReasonTokenValid, 10*time.Second)
	}
	h.holds(time.Second, func() error { return h.requests(len(cases)) })
	for _, tc := range cases {
		if c := h.get(tc.name); c.Status.Revision != 1 {
			t.Errorf("%s: revision %d, want 1", tc.name, c.Status.Revision)
		}
	}
}

// A failed first attempt is retried after the backoff (or Retry-After), not before, and the
// retry that succeeds resets the failure count. Each case is a credential of its own, talking
// to a Cyclr of its own so the fault meets its request.
func TestFailureCyclrFaultThenRecovery(t *testing.T) {
	cases := []struct {
		name   string
		fault  cyclrtest.Fault
		reason string
		// minGap: the retry must not arrive sooner after the first request; maxGap: nor much later.
		minGap, maxGap time.Duration
	}{
		{"http-503", cyclrtest.Fault{Status: 503}, authv1alpha1.ReasonCyclrUnavailable, 5 * time.Second, 7 * time.Second},
		{"http-429-retry-after", cyclrtest.Fault{Status: 429, RetryAfter: "2"}, authv1alpha1.ReasonCyclrUnavailable,
			2 * time.Second, 4 * time.Second},
		// The harness's client times out after 2s; the retry follows 5s after the failure.
		{"timeout", cyclrtest.Fault{Delay: 3 * time.Second}, authv1alpha1.ReasonCyclrUnavailable, 7 * time.Second, 9 * time.Second},
		{"html-from-a-proxy", cyclrtest.Fault{Body: "<html><body>Bad gateway</body></html>", ContentType: "text/html"},
			authv1alpha1.ReasonInvalidTokenResponse, 5 * time.Second, 7 * time.Second},
	}
	h := newHarness(t)
	h.loginSecret("login", partnerLogin())
	servers := map[string]*cyclrtest.Server{}
	seen := map[string]*arrivals{}
	for _, tc := range cases {
		srv := h.extraCyclr()
		servers[tc.name], seen[tc.name] = srv, watchArrivals(t, srv)
		srv.FailNext(1, tc.fault)
		h.credential(tc.name, func(c *authv1alpha1.CyclrCredential) { c.Spec.APIURL = srv.URL })
	}

	// Each credential shows the failure (the 429 one for only about 2s), whatever the order.
	failed := map[string]bool{}
	h.eventually(20*time.Second, func() error {
		for _, tc := range cases {
			if failed[tc.name] {
				continue
			}
			c := h.get(tc.name)
			cond := meta.FindStatusCondition(c.Status.Conditions, authv1alpha1.ConditionReady)
			if cond == nil || cond.Reason != tc.reason {
				continue
			}
			failed[tc.name] = true
			if cond.Status != metav1.ConditionFalse || c.Status.FailedAttempts != 1 || c.Status.LastFailureTime == nil {
				t.Errorf("%s: Ready %s, failedAttempts %d, lastFailureTime %v after a failed first attempt",
					tc.name, cond.Status, c.Status.FailedAttempts, c.Status.LastFailureTime)
			}
			if _, err := h.secret(tc.name); notFound(err) != nil {
				t.Errorf("%s: target Secret: %v", tc.name, notFound(err))
			}
		}
		if len(failed) < len(cases) {
			return fmt.Errorf("failures seen: %v", failed)
		}
		return nil
	})
	for _, tc := range cases {
		h.waitEvent(tc.name, tc.reason)
	}

	for _, tc := range cases {
		h.waitReady(tc.name, authv1alpha1.ReasonTokenValid, tc.maxGap+5*time.Second)
	}
	h.holds(time.Second, func() error {
		for _, srv := range servers {
			if err := requestsTo(srv, 2); err != nil {
				return err
			}
		}
		return h.requests(0)
	})
	for _, tc := range cases {
		srv := servers[tc.name]
		testenv.CountIs(t, srv, "password", cyclrtest.OutcomeFault, 1)
		testenv.CountIs(t, srv, "password", cyclrtest.OutcomeSuccess, 1)
		if gap := seen[tc.name].at(t, 2).Sub(seen[tc.name].at(t, 1)); gap < tc.minGap-50*time.Millisecond || gap > tc.maxGap {
			t.Errorf("%s: retried %s after the first request, want between %s and %s", tc.name, gap, tc.minGap, tc.maxGap)
		}
		c := h.get(tc.name)
		if c.Status.FailedAttempts != 0 || c.Status.LastFailureTime != nil || c.Status.Revision != 1 {
			t.Errorf("%s: after recovery: failedAttempts %d lastFailureTime %v revision %d",
				tc.name, c.Status.FailedAttempts, c.Status.LastFailureTime, c.Status.Revision)
		}
	}
}

// When the token expires while a failed refresh waits for its retry, Ready must turn False on
// time: RefreshFailing promises a valid token.
func TestFailureTokenExpiresDuringBackoff(t *testing.T) {
	h := newHarness(t)
	h.cyclr.SetLifetime(4 * time.Second) // refreshed about 2.5s after issue, expires 1.5s later
	h.loginSecret("login", partnerLogin())
	h.credential("cred")
	h.waitReady("cred", authv1alpha1.ReasonTokenValid, 20*time.Second)
	h.cyclr.SetLifetime(cyclrtest.DefaultLifetime)
	h.cyclr.FailNext(1, cyclrtest.Fault{Status: 503, RetryAfter: "4"})

	failing := h.waitReady("cred", authv1alpha1.ReasonRefreshFailing, 10*time.Second)
	expiresAt := failing.Status.ExpiresAt.Time
	// Ready turns False within a couple of seconds of the expiry, well before the retry.
	h.eventually(time.Until(expiresAt)+2*time.Second, func() error {
		c := h.get("cred")
		cond := ready(t, c)
		if cond.Status != metav1.ConditionFalse || cond.Reason != authv1alpha1.ReasonCyclrUnavailable {
			return fmt.Errorf("token expired at %s, Ready still %s/%s: %s", expiresAt, cond.Status, cond.Reason, cond.Message)
		}
		return nil
	})
	if err := h.requests(2); err != nil {
		t.Error(err)
	}
	// The retry signs in again, as the stored token has expired.
	c := h.waitReady("cred", authv1alpha1.ReasonTokenValid, 10*time.Second)
	h.holds(time.Second, func() error { return h.requests(3) })
	testenv.CountIs(t, h.cyclr, "refresh_token", cyclrtest.OutcomeFault, 1)
	testenv.CountIs(t, h.cyclr, "password", cyclrtest.OutcomeSuccess, 2)
	if c.Status.FailedAttempts != 0 || !h.cyclr.TokenValid(h.targetToken("cred")) {
		t.Errorf("after recovery: failedAttempts %d", c.Status.FailedAttempts)
	}
}

// The operator never takes over a Secret it did not create. Each case is a credential of its own
// whose target name is taken.
func TestFailureTargetSecretConflict(t *testing.T) {
	cases := []struct {
		name   string // of the credential and of the Secret in the way
		labels map[string]string
	}{
		{"unrelated", map[string]string{"team": "payments"}},
		// Labels claiming the operator manages it do not make it ours: only the owner does.
		// Such a Secret is in the operator's cache, unlike the one above.
		{"impostor", map[string]string{authv1alpha1.ManagedByLabel: authv1alpha1.ManagedByValue,
			authv1alpha1.CredentialLabel: "impostor"}},
	}
	h := newHarness(t)
	h.loginSecret("login", partnerLogin())
	theirs := map[string]*corev1.Secret{}
	for _, tc := range cases {
		h.must(k8s.Create(h.ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: tc.name, Labels: tc.labels,
				Annotations: map[string]string{"owner": "someone else"}},
			Data: map[string][]byte{"access_token": []byte("theirs"), "other": []byte("kept")},
		}))
		s, err := h.secret(tc.name)
		h.must(err)
		theirs[tc.name] = s
		h.credential(tc.name)
	}

	for _, tc := range cases {
		c := h.waitReady(tc.name, authv1alpha1.ReasonTargetSecretConflict, 20*time.Second)
		if cond := ready(t, c); cond.Status != metav1.ConditionFalse || !strings.Contains(cond.Message, strconv.Quote(tc.name)) {
			t.Errorf("%s: Ready %s: %s", tc.name, cond.Status, cond.Message)
		}
		h.waitEvent(tc.name, authv1alpha1.ReasonTargetSecretConflict)
	}
	h.holds(2*time.Second, func() error {
		for _, tc := range cases {
			s, err := h.secret(tc.name)
			was := theirs[tc.name]
			switch {
			case err != nil:
				return err
			case s.ResourceVersion != was.ResourceVersion || !maps.EqualFunc(s.Data, was.Data, bytes.Equal) ||
				!maps.Equal(s.Labels, was.Labels) || !maps.Equal(s.Annotations, was.Annotations) ||
				len(s.OwnerReferences) != 0:
				return fmt.Errorf("%s: the conflicting Secret was changed: labels %v owners %v keys %v",
					tc.name, s.Labels, s.OwnerReferences, keys(s.Data))
			}
			if _, err := h.secret(policy.StateSecretName(tc.name)); notFound(err) != nil {
				return fmt.Errorf("%s: state Secret: %w", tc.name, notFound(err))
			}
		}
		return h.requests(0)
	})

	// Once the Secret in the way is gone, the token is issued at once.
	for _, tc := range cases {
		h.must(k8s.Delete(h.ctx, theirs[tc.name]))
	}
	for _, tc := range cases {
		c := h.waitReady(tc.name, authv1alpha1.ReasonTokenValid, 10*time.Second)
		target, err := h.secret(tc.name)
		h.must(err)
		checkTarget(t, target, c, "")
	}
	h.holds(time.Second, func() error { return h.requests(len(cases)) })
}
