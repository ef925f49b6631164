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
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/controller"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr/cyclrtest"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

// Scenarios of the token's life once it works: refresh-token fallback, restoring the target
// Secret, manual refresh, spec and login changes, suspend.

// waitStatus polls the credential until check accepts it, and returns it.
func (h *harness) waitStatus(name string, timeout time.Duration, check func(*authv1alpha1.CyclrCredential) error) *authv1alpha1.CyclrCredential {
	h.t.Helper()
	var c *authv1alpha1.CyclrCredential
	h.eventually(timeout, func() error {
		c = h.get(name)
		return check(c)
	})
	return c
}

// waitRevision waits until the credential's status.revision is at least n.
func (h *harness) waitRevision(name string, n int64, timeout time.Duration) *authv1alpha1.CyclrCredential {
	h.t.Helper()
	return h.waitStatus(name, timeout, func(c *authv1alpha1.CyclrCredential) error {
		if c.Status.Revision < n {
			return fmt.Errorf("%s: revision %d, want %d", name, c.Status.Revision, n)
		}
		return nil
	})
}

// annotate sets an annotation on the credential.
func (h *harness) annotate(name, key, value string) {
	h.t.Helper()
	h.update(name, func(c *authv1alpha1.CyclrCredential) {
		if c.Annotations == nil {
			c.Annotations = map[string]string{}
		}
		c.Annotations[key] = value
	})
}

// updateSecret changes a Secret, retrying on write conflicts.
func (h *harness) updateSecret(name string, mutate func(*corev1.Secret)) {
	h.t.Helper()
	h.eventually(10*time.Second, func() error {
		s, err := h.secret(name)
		if err != nil {
			return err
		}
		mutate(s)
		return k8s.Update(h.ctx, s)
	})
}

// ready returns the credential's Ready condition, failing the test when there is none.
func ready(t *testing.T, c *authv1alpha1.CyclrCredential) metav1.Condition {
	t.Helper()
	cond := meta.FindStatusCondition(c.Status.Conditions, authv1alpha1.ConditionReady)
	if cond == nil {
		t.Fatalf("%s has no Ready condition", c.Name)
	}
	return *cond
}

// arrivals records when each token request reached an emulator, by polling its counter, so a
// test can measure the time between an attempt and its retry.
type arrivals struct {
	mu    sync.Mutex
	times []time.Time
}

func watchArrivals(t *testing.T, srv *cyclrtest.Server) *arrivals {
	a := &arrivals{}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			n := srv.Requests()
			a.mu.Lock()
			for len(a.times) < n {
				a.times = append(a.times, time.Now())
			}
			a.mu.Unlock()
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
	return a
}

// extraCyclr starts another emulator with the same logins as the harness's, for tests that
// need a fault to meet one credential's request and no other's.
func (h *harness) extraCyclr() *cyclrtest.Server {
	srv := cyclrtest.NewServer()
	h.t.Cleanup(srv.Close)
	srv.AddPartner(partnerClientID, partnerUser, partnerPassword)
	srv.AddAccount(accountID)
	srv.AddClient(ccClientID, ccClientSecret)
	return srv
}

// requestsTo checks an emulator's total count of token requests.
func requestsTo(srv *cyclrtest.Server, want int) error {
	if got := srv.Requests(); got != want {
		return fmt.Errorf("Cyclr at %s received %d token requests, want %d", srv.URL, got, want)
	}
	return nil
}

// at is when the n-th request (from 1) was seen.
func (a *arrivals) at(t *testing.T, n int) time.Time {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.times) < n {
		t.Fatalf("only %d requests seen, want the %d-th", len(a.times), n)
	}
	return a.times[n-1]
}

func TestScenarioInvalidGrantFallsBackToPassword(t *testing.T) {
	cases := []struct {
		name     string
		lifetime time.Duration // of the first token; 0 = Cyclr's default
		trigger  func(h *harness)
	}{
		{name: "manual refresh", trigger: func(h *harness) {
			h.annotate("cred", authv1alpha1.RefreshRequestedAtAnnotation, "now")
		}},
		// The planned refresh of a short-lived token, about 3.3s after issue.
		{name: "planned refresh", lifetime: 5 * time.Second, trigger: func(*harness) {}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			if tc.lifetime > 0 {
				h.cyclr.SetLifetime(tc.lifetime)
			}
			h.loginSecret("login", partnerLogin())
			h.credential("cred")
			h.waitReady("cred", authv1alpha1.ReasonTokenValid, 20*time.Second)
			oldToken := h.targetToken("cred")
			oldState, err := h.secret(policy.StateSecretName("cred"))
			h.must(err)
			// The next token lives long, so exactly one renewal follows.
			h.cyclr.SetLifetime(cyclrtest.DefaultLifetime)
			h.cyclr.RevokeRefreshTokens()
			tc.trigger(h)

			h.waitRevision("cred", 2, 15*time.Second)
			c := h.waitReady("cred", authv1alpha1.ReasonTokenValid, 5*time.Second)
			h.holds(time.Second, func() error { return h.requests(3) })
			testenv.CountIs(t, h.cyclr, "refresh_token", cyclrtest.OutcomeAuthError, 1)
			testenv.CountIs(t, h.cyclr, "refresh_token", cyclrtest.OutcomeSuccess, 0)
			testenv.CountIs(t, h.cyclr, "password", cyclrtest.OutcomeSuccess, 2)
			h.waitEvent("cred", controller.EventReauthenticated)

			newToken := h.targetToken("cred")
			if newToken == oldToken || !h.cyclr.TokenValid(newToken) {
				t.Error("the target does not hold a new working token")
			}
			if c.Status.LastGrant != "password" || c.Status.Revision != 2 || c.Status.FailedAttempts != 0 {
				t.Errorf("status after the fallback: lastGrant %q revision %d failedAttempts %d",
					c.Status.LastGrant, c.Status.Revision, c.Status.FailedAttempts)
			}
			state, err := h.secret(policy.StateSecretName("cred"))
			h.must(err)
			if rt := state.Data["refresh_token"]; len(rt) == 0 || bytes.Equal(rt, oldState.Data["refresh_token"]) {
				t.Error("the state Secret does not hold the new refresh token")
			}
		})
	}
}

// A deleted or edited target Secret is put back from the state Secret, without calling Cyclr.
// Each case is a credential of its own in one namespace.
func TestScenarioTargetRestoredFromState(t *testing.T) {
	cases := []struct {
		name   string // of the credential and its target
		tamper func(h *harness, name string)
	}{
		{"deleted", func(h *harness, name string) {
			s, err := h.secret(name)
			h.must(err)
			h.must(k8s.Delete(h.ctx, s))
		}},
		{"token-changed", func(h *harness, name string) {
			h.updateSecret(name, func(s *corev1.Secret) { s.Data["access_token"] = []byte("tampered") })
		}},
		{"key-removed", func(h *harness, name string) {
			h.updateSecret(name, func(s *corev1.Secret) { delete(s.Data, "authorization") })
		}},
		{"key-added", func(h *harness, name string) {
			h.updateSecret(name, func(s *corev1.Secret) { s.Data["extra"] = []byte("x") })
		}},
		// Without the managed-by label the Secret drops out of the operator's cache, which
		// then sees it as deleted; it is still ours, so it is rewritten, labels and all.
		{"labels-removed", func(h *harness, name string) {
			h.updateSecret(name, func(s *corev1.Secret) { s.Labels = nil; s.Data["access_token"] = []byte("tampered") })
		}},
	}
	h := newHarness(t)
	h.loginSecret("login", partnerLogin())
	for _, tc := range cases {
		h.credential(tc.name)
	}
	creds := map[string]*authv1alpha1.CyclrCredential{}
	originals := map[string]*corev1.Secret{}
	for _, tc := range cases {
		creds[tc.name] = h.waitReady(tc.name, authv1alpha1.ReasonTokenValid, 20*time.Second)
		s, err := h.secret(tc.name)
		h.must(err)
		originals[tc.name] = s
	}
	if err := h.requests(len(cases)); err != nil {
		t.Fatal(err)
	}

	for _, tc := range cases {
		tc.tamper(h, tc.name)
	}
	for _, tc := range cases {
		h.eventually(10*time.Second, func() error {
			s, err := h.secret(tc.name)
			if err != nil {
				return fmt.Errorf("%s: %w", tc.name, err)
			}
			if !maps.EqualFunc(s.Data, originals[tc.name].Data, bytes.Equal) {
				return fmt.Errorf("%s: target keys %v not restored", tc.name, keys(s.Data))
			}
			if s.Labels[authv1alpha1.ManagedByLabel] != authv1alpha1.ManagedByValue {
				return fmt.Errorf("%s: target labels %v not restored", tc.name, s.Labels)
			}
			return nil
		})
		h.waitEvent(tc.name, controller.EventRestored)
	}
	h.holds(time.Second, func() error { return h.requests(len(cases)) })
	for _, tc := range cases {
		target, err := h.secret(tc.name)
		h.must(err)
		checkTarget(t, target, creds[tc.name], "")
		if after := h.get(tc.name); after.Status.Revision != 1 {
			t.Errorf("%s: revision %d after a restore, want 1", tc.name, after.Status.Revision)
		}
	}
}

func TestScenarioManualRefresh(t *testing.T) {
	h := newHarness(t)
	h.loginSecret("login", partnerLogin())
	h.credential("cred")
	h.waitReady("cred", authv1alpha1.ReasonTokenValid, 20*time.Second)
	first := h.targetToken("cred")

	h.annotate("cred", authv1alpha1.RefreshRequestedAtAnnotation, "2026-05-01T10:00:00Z")
	c := h.waitRevision("cred", 2, 10*time.Second)
	if c.Status.LastRefreshRequest != "2026-05-01T10:00:00Z" || c.Status.LastGrant != "refresh_token" {
		t.Errorf("lastRefreshRequest %q lastGrant %q", c.Status.LastRefreshRequest, c.Status.LastGrant)
	}
	h.waitEvent("cred", controller.EventRefreshed)
	if second := h.targetToken("cred"); second == first || !h.cyclr.TokenValid(second) {
		t.Error("the manual refresh did not put a new working token in the target")
	}
	if err := h.requests(2); err != nil {
		t.Fatal(err)
	}

	// The same value again (another annotation changes) is not a new request.
	h.annotate("cred", "example.com/touched", "yes")
	h.holds(2*time.Second, func() error {
		if c := h.get("cred"); c.Status.Revision != 2 {
			return fmt.Errorf("revision %d after an unrelated annotation", c.Status.Revision)
		}
		return h.requests(2)
	})

	h.annotate("cred", authv1alpha1.RefreshRequestedAtAnnotation, "2026-05-01T10:05:00Z")
	c = h.waitRevision("cred", 3, 10*time.Second)
	if c.Status.LastRefreshRequest != "2026-05-01T10:05:00Z" {
		t.Errorf("lastRefreshRequest %q", c.Status.LastRefreshRequest)
	}
	h.holds(time.Second, func() error { return h.requests(3) })
	testenv.CountIs(t, h.cyclr, "refresh_token", cyclrtest.OutcomeSuccess, 2)
}

func TestScenarioInputChangesIssueANewToken(t *testing.T) {
	h := newHarness(t)
	h.loginSecret("login", partnerLogin())
	h.credential("cred")
	h.waitReady("cred", authv1alpha1.ReasonTokenValid, 20*time.Second)
	const newPassword = "pw-S3CRET-alice-rotated-2b9c"

	steps := []struct {
		name   string
		change func()
		check  func(*authv1alpha1.CyclrCredential) error
	}{
		{"spec.accountID", func() {
			h.update("cred", func(c *authv1alpha1.CyclrCredential) { c.Spec.AccountID = accountID })
		}, func(c *authv1alpha1.CyclrCredential) error {
			if s, _ := h.secret("cred"); s == nil || string(s.Data["account_id"]) != accountID {
				return fmt.Errorf("target has no account_id %q", accountID)
			}
			return nil
		}},
		{"spec.refreshBefore", func() {
			h.update("cred", func(c *authv1alpha1.CyclrCredential) { c.Spec.RefreshBefore = &metav1.Duration{Duration: time.Hour} })
		}, func(c *authv1alpha1.CyclrCredential) error {
			// Status keeps whole seconds: expiresAt truncated, refreshAt rounded up.
			if latest := c.Status.ExpiresAt.Add(time.Second - time.Hour); c.Status.RefreshAt.After(latest) {
				return fmt.Errorf("refreshAt %s is after expiresAt - refreshBefore %s", c.Status.RefreshAt, latest)
			}
			return nil
		}},
		{"password in the credentials Secret", func() {
			h.cyclr.SetPassword(partnerUser, newPassword)
			h.updateSecret("login", func(s *corev1.Secret) { s.Data["password"] = []byte(newPassword) })
		}, nil},
	}
	for i, step := range steps {
		revision := int64(i + 2)
		before := h.get("cred")
		step.change()
		h.waitRevision("cred", revision, 10*time.Second)
		c := h.waitReady("cred", authv1alpha1.ReasonTokenValid, 5*time.Second)
		h.holds(time.Second, func() error { return h.requests(int(revision)) })
		if c.Status.ObservedGeneration != c.Generation || c.Status.Revision != revision {
			t.Errorf("%s: observedGeneration %d of %d, revision %d", step.name, c.Status.ObservedGeneration, c.Generation, c.Status.Revision)
		}
		if c.Status.IssuedAt.Before(before.Status.IssuedAt) || c.Status.LastGrant != "password" {
			t.Errorf("%s: issuedAt %s (was %s), lastGrant %q", step.name, c.Status.IssuedAt, before.Status.IssuedAt, c.Status.LastGrant)
		}
		if step.check != nil {
			if err := step.check(c); err != nil {
				t.Errorf("%s: %v", step.name, err)
			}
		}
		if !h.cyclr.TokenValid(h.targetToken("cred")) {
			t.Errorf("%s: the target token does not work", step.name)
		}
	}
	testenv.CountIs(t, h.cyclr, "password", cyclrtest.OutcomeSuccess, 4)
}

func TestScenarioSuspend(t *testing.T) {
	h := newHarness(t)
	h.loginSecret("login", partnerLogin())
	h.credential("cred", func(c *authv1alpha1.CyclrCredential) { c.Spec.Suspend = true })
	c := h.waitReady("cred", authv1alpha1.ReasonSuspended, 20*time.Second)
	// True, so that GitOps tools do not wait for a token nobody will request.
	if cond := ready(t, c); cond.Status != metav1.ConditionTrue || !strings.Contains(cond.Message, "no valid token") {
		t.Errorf("Ready %s while suspended without a token: %s", cond.Status, cond.Message)
	}
	h.holds(2*time.Second, func() error {
		if _, err := h.secret("cred"); notFound(err) != nil {
			return fmt.Errorf("target Secret: %w", notFound(err))
		}
		if _, err := h.secret(policy.StateSecretName("cred")); notFound(err) != nil {
			return fmt.Errorf("state Secret: %w", notFound(err))
		}
		return h.requests(0)
	})

	setSuspend := func(v bool) {
		h.update("cred", func(c *authv1alpha1.CyclrCredential) { c.Spec.Suspend = v })
	}
	setSuspend(false)
	issued := h.waitReady("cred", authv1alpha1.ReasonTokenValid, 10*time.Second)
	h.holds(time.Second, func() error { return h.requests(1) })

	// Suspending a credential with a valid token keeps it (Ready stays True) and plans nothing;
	// resuming does not issue again, as suspend is not one of the token's inputs.
	setSuspend(true)
	h.waitStatus("cred", 10*time.Second, func(c *authv1alpha1.CyclrCredential) error {
		if c.Status.ObservedGeneration != c.Generation || c.Status.RefreshAt != nil {
			return fmt.Errorf("observedGeneration %d of %d, refreshAt %v", c.Status.ObservedGeneration, c.Generation, c.Status.RefreshAt)
		}
		return nil
	})
	h.waitReady("cred", authv1alpha1.ReasonTokenValid, 5*time.Second)
	setSuspend(false)
	resumed := h.waitStatus("cred", 10*time.Second, func(c *authv1alpha1.CyclrCredential) error {
		if c.Status.ObservedGeneration != c.Generation || c.Status.RefreshAt == nil {
			return fmt.Errorf("observedGeneration %d of %d, refreshAt %v", c.Status.ObservedGeneration, c.Generation, c.Status.RefreshAt)
		}
		return nil
	})
	h.holds(time.Second, func() error { return h.requests(1) })
	if resumed.Status.Revision != 1 || !resumed.Status.RefreshAt.Equal(issued.Status.RefreshAt) {
		t.Errorf("resuming changed the token: revision %d, refreshAt %s (was %s)",
			resumed.Status.Revision, resumed.Status.RefreshAt, issued.Status.RefreshAt)
	}
}
