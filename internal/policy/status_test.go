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
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
)

// The token in these tests was issued at statusIssued (with nanoseconds, as a response's
// arrival time has) and lives 14 days; "now" is a day later.
var (
	statusIssued  = time.Date(2026, time.April, 1, 12, 0, 0, 987654321, time.UTC)
	statusExpires = statusIssued.Add(1209599 * time.Second)
	statusNow     = statusIssued.Add(24 * time.Hour)
	earlier       = metav1.NewTime(time.Date(2026, time.March, 30, 0, 0, 0, 0, time.UTC))
)

func statusToken() *TokenState {
	return &TokenState{Fingerprint: "fp", Token: cyclr.Token{AccessToken: "at-S3CRET", RefreshToken: "rt-S3CRET",
		TokenType: "bearer", Grant: cyclr.GrantRefreshToken, IssuedAt: statusIssued, ExpiresAt: statusExpires}}
}

// statusCredential is at generation 3, with a status from generation 2.
func statusCredential(mutate ...func(*authv1alpha1.CyclrCredentialStatus)) *authv1alpha1.CyclrCredential {
	c := &authv1alpha1.CyclrCredential{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "partner", UID: "3f2e1d0c-aaaa-4bbb-8ccc-123456789abc", Generation: 3},
		Spec:       *loginSpec(),
		Status: authv1alpha1.CyclrCredentialStatus{
			ObservedGeneration: 2, Revision: 4, RolloutRevision: 4, TokenSecretName: "partner", LastGrant: "password",
			// The status records statusToken: it is no new revision.
			IssuedAt: timePtr(statusIssued), ExpiresAt: timePtr(statusExpires),
		},
	}
	for _, m := range mutate {
		m(&c.Status)
	}
	return c
}

func failedBefore(attempts int32) func(*authv1alpha1.CyclrCredentialStatus) {
	return func(s *authv1alpha1.CyclrCredentialStatus) {
		s.FailedAttempts = attempts
		s.LastFailureTime, s.LastFailureReason = &earlier, authv1alpha1.ReasonCyclrUnavailable
		s.RefreshAt = &metav1.Time{Time: statusNow.Add(-time.Second)}
	}
}

// recorded makes the status record s as the current token.
func recorded(s *TokenState) func(*authv1alpha1.CyclrCredentialStatus) {
	return func(st *authv1alpha1.CyclrCredentialStatus) {
		st.IssuedAt, st.ExpiresAt = timePtr(s.Token.IssuedAt), timePtr(s.Token.ExpiresAt)
	}
}

func readyWas(status metav1.ConditionStatus, reason, message string) func(*authv1alpha1.CyclrCredentialStatus) {
	return func(s *authv1alpha1.CyclrCredentialStatus) {
		s.Conditions = []metav1.Condition{{Type: authv1alpha1.ConditionReady, Status: status, Reason: reason,
			Message: message, ObservedGeneration: 2, LastTransitionTime: earlier}}
	}
}

func readyOf(t *testing.T, st authv1alpha1.CyclrCredentialStatus) metav1.Condition {
	t.Helper()
	c := meta.FindStatusCondition(st.Conditions, authv1alpha1.ConditionReady)
	if c == nil {
		t.Fatalf("no Ready condition in %+v", st.Conditions)
	}
	wantHealth(t, st.Conditions, *c)
	return *c
}

// wantHealth checks that Reconciling and Stalled are as docs/design.md's table says for Ready,
// and that no other condition is set.
func wantHealth(t *testing.T, conditions []metav1.Condition, ready metav1.Condition) {
	t.Helper()
	want := map[string]bool{authv1alpha1.ConditionReady: true}
	switch ready.Reason {
	case authv1alpha1.ReasonTokenValid, authv1alpha1.ReasonRefreshFailing, authv1alpha1.ReasonSuspended:
	case authv1alpha1.ReasonAuthenticationFailed, authv1alpha1.ReasonCredentialsInvalid, authv1alpha1.ReasonInvalidTokenResponse,
		authv1alpha1.ReasonTargetSecretConflict, authv1alpha1.ReasonAPIHostNotAllowed:
		want[authv1alpha1.ConditionStalled] = ready.Status != metav1.ConditionTrue
	default: // CredentialsSecretNotFound, CyclrUnavailable, RetryPending
		want[authv1alpha1.ConditionReconciling] = ready.Status != metav1.ConditionTrue
	}
	got := map[string]bool{}
	for _, c := range conditions {
		got[c.Type] = true
		if c.Type == authv1alpha1.ConditionReady {
			continue
		}
		if c.Status != metav1.ConditionTrue || c.Reason != ready.Reason || c.Message != ready.Message || c.ObservedGeneration != ready.ObservedGeneration {
			t.Errorf("%s = %s/%s %q (generation %d), want True with Ready's reason, message and generation",
				c.Type, c.Status, c.Reason, c.Message, c.ObservedGeneration)
		}
	}
	for _, condType := range []string{authv1alpha1.ConditionReady, authv1alpha1.ConditionReconciling, authv1alpha1.ConditionStalled} {
		if got[condType] != want[condType] {
			t.Errorf("Ready %s/%s: condition %s present = %v, want %v", ready.Status, ready.Reason, condType, got[condType], want[condType])
		}
	}
	if len(got) != len(conditions) || len(conditions) > 3 {
		t.Errorf("unexpected conditions %+v", conditions)
	}
}

// wantReady checks the Ready condition; statusCredential is at generation 3.
func wantReady(t *testing.T, c metav1.Condition, status metav1.ConditionStatus, reason string) {
	t.Helper()
	const generation = 3
	if c.Status != status || c.Reason != reason || c.ObservedGeneration != generation {
		t.Errorf("Ready = %s/%s (generation %d), want %s/%s (generation %d); message %q",
			c.Status, c.Reason, c.ObservedGeneration, status, reason, generation, c.Message)
	}
}

func wantTime(t *testing.T, field string, got *metav1.Time, want time.Time) {
	t.Helper()
	if got == nil || !got.Equal(&metav1.Time{Time: want}) {
		t.Errorf("%s = %v, want %s", field, got, want)
	}
}

func noSecretsIn(t *testing.T, st authv1alpha1.CyclrCredentialStatus) {
	t.Helper()
	for _, c := range st.Conditions {
		if strings.Contains(c.Message, "S3CRET") {
			t.Errorf("condition message leaks a token: %q", c.Message)
		}
	}
}

func TestNextStatusSuccess(t *testing.T) {
	cred := statusCredential(failedBefore(3), readyWas(metav1.ConditionFalse, authv1alpha1.ReasonCyclrUnavailable, "down"))
	before := cred.DeepCopy()
	tok := statusToken()

	st := NextStatus(cred, Result{State: tok, Renewed: true, Honoured: "req-1"}, statusNow)

	if st.ObservedGeneration != 3 || st.TokenSecretName != "partner" {
		t.Errorf("observedGeneration %d tokenSecretName %q", st.ObservedGeneration, st.TokenSecretName)
	}
	if st.Revision != 5 {
		t.Errorf("revision = %d, want 4+1", st.Revision)
	}
	if st.FailedAttempts != 0 || st.LastFailureTime != nil || st.LastFailureReason != "" {
		t.Errorf("failures not reset: %d, %v, %q", st.FailedAttempts, st.LastFailureTime, st.LastFailureReason)
	}
	// Times at the second precision the API server stores.
	wantTime(t, "issuedAt", st.IssuedAt, statusIssued.Truncate(time.Second))
	wantTime(t, "expiresAt", st.ExpiresAt, statusExpires.Truncate(time.Second))
	plan := RefreshTime(statusIssued, statusExpires, nil, cred.UID)
	wantTime(t, "refreshAt", st.RefreshAt, ceilSecond(plan))
	if st.LastGrant != "refresh_token" || st.LastRefreshRequest != "req-1" {
		t.Errorf("lastGrant %q lastRefreshRequest %q", st.LastGrant, st.LastRefreshRequest)
	}
	ready := readyOf(t, st)
	wantReady(t, ready, metav1.ConditionTrue, authv1alpha1.ReasonTokenValid)
	if !strings.Contains(ready.Message, statusExpires.UTC().Format(time.RFC3339)) {
		t.Errorf("message does not say when the token expires: %q", ready.Message)
	}
	if ready.LastTransitionTime.Equal(&earlier) {
		t.Error("Ready went False to True but lastTransitionTime did not move")
	}
	noSecretsIn(t, st)
	if !equality.Semantic.DeepEqual(cred, before) {
		t.Error("nextStatus modified the credential it was given")
	}
}

func TestNextStatusKeepIsStable(t *testing.T) {
	cred := statusCredential()
	tok := statusToken()
	first := NextStatus(cred, Result{State: tok, Renewed: true}, statusNow)
	cred.Status = first

	// An hour later nothing happened: the status computed again equals the stored one, so
	// the reconciler writes nothing.
	again := NextStatus(cred, Result{State: tok}, statusNow.Add(time.Hour))
	if !equality.Semantic.DeepEqual(first, again) {
		t.Errorf("status changed without a new token:\nfirst %+v\nagain %+v", first, again)
	}
	if again.Revision != first.Revision {
		t.Errorf("revision moved from %d to %d without a new token", first.Revision, again.Revision)
	}
}

func TestNextStatusFailure(t *testing.T) {
	unavailable := &Failure{Reason: authv1alpha1.ReasonCyclrUnavailable, Message: "cyclr: unavailable: HTTP 503",
		Result: cyclr.ResultUnavailable}
	authFailed := &Failure{Reason: authv1alpha1.ReasonAuthenticationFailed,
		Message: "cyclr: authentication failed: HTTP 400, error invalid_grant", Result: cyclr.ResultAuthError}
	throttled := &Failure{Reason: authv1alpha1.ReasonCyclrUnavailable, Message: "cyclr: unavailable: HTTP 429",
		Result: cyclr.ResultUnavailable, RetryAfter: 17 * time.Minute}
	badKey := &Failure{Reason: authv1alpha1.ReasonCredentialsInvalid,
		Message: `key "password" in Secret "cyclr-login" is missing`}
	noSecret := &Failure{Reason: authv1alpha1.ReasonCredentialsSecretNotFound,
		Message: `credentials Secret "cyclr-login" not found in namespace "ns"`}
	hostRefused := &Failure{Reason: authv1alpha1.ReasonAPIHostNotAllowed,
		Message: "API host not allowed: evil.example:443 is not in the operator's --allowed-api-hosts"}
	conflict := &Failure{Reason: authv1alpha1.ReasonTargetSecretConflict,
		Message: `Secret "partner" exists and is not owned by this CyclrCredential`}

	cases := []struct {
		name         string
		prior        int32
		state        *TokenState
		f            *Failure
		wantStatus   metav1.ConditionStatus
		wantReason   string
		wantAttempts int32
		wantRetry    time.Duration // 0: refreshAt nil
	}{
		{name: "unavailable with a valid token", state: statusToken(), f: unavailable,
			wantStatus: metav1.ConditionTrue, wantReason: authv1alpha1.ReasonRefreshFailing,
			wantAttempts: 1, wantRetry: 5 * time.Second},
		{name: "unavailable again with a valid token", prior: 3, state: statusToken(), f: unavailable,
			wantStatus: metav1.ConditionTrue, wantReason: authv1alpha1.ReasonRefreshFailing,
			wantAttempts: 4, wantRetry: 40 * time.Second},
		{name: "authentication failed without token", prior: 2, f: authFailed,
			wantStatus: metav1.ConditionFalse, wantReason: authv1alpha1.ReasonAuthenticationFailed,
			wantAttempts: 3, wantRetry: 4 * time.Minute},
		{name: "unavailable without token", f: unavailable,
			wantStatus: metav1.ConditionFalse, wantReason: authv1alpha1.ReasonCyclrUnavailable,
			wantAttempts: 1, wantRetry: 5 * time.Second},
		{name: "Retry-After honoured", prior: 1, f: throttled,
			wantStatus: metav1.ConditionFalse, wantReason: authv1alpha1.ReasonCyclrUnavailable,
			wantAttempts: 2, wantRetry: 17 * time.Minute},
		{name: "failure with an expired token is not Ready", prior: 0,
			state: &TokenState{Token: cyclr.Token{AccessToken: "at", IssuedAt: statusIssued.Add(-30 * 24 * time.Hour),
				ExpiresAt: statusNow.Add(-time.Second)}},
			f: unavailable, wantStatus: metav1.ConditionFalse, wantReason: authv1alpha1.ReasonCyclrUnavailable,
			wantAttempts: 1, wantRetry: 5 * time.Second},
		{name: "config error without token", prior: 2, f: badKey,
			wantStatus: metav1.ConditionFalse, wantReason: authv1alpha1.ReasonCredentialsInvalid, wantAttempts: 2},
		{name: "missing Secret without token", f: noSecret,
			wantStatus: metav1.ConditionFalse, wantReason: authv1alpha1.ReasonCredentialsSecretNotFound},
		{name: "config error with a valid token", state: statusToken(), f: badKey,
			wantStatus: metav1.ConditionTrue, wantReason: authv1alpha1.ReasonRefreshFailing},
		{name: "target conflict is never Ready", state: statusToken(), f: conflict,
			wantStatus: metav1.ConditionFalse, wantReason: authv1alpha1.ReasonTargetSecretConflict},
		{name: "a host not allowed is never Ready", state: statusToken(), f: hostRefused,
			wantStatus: metav1.ConditionFalse, wantReason: authv1alpha1.ReasonAPIHostNotAllowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mutate := []func(*authv1alpha1.CyclrCredentialStatus){
				readyWas(metav1.ConditionTrue, authv1alpha1.ReasonTokenValid, "fine")}
			if tc.prior > 0 {
				mutate = append(mutate, failedBefore(tc.prior))
			}
			if tc.state != nil {
				mutate = append(mutate, recorded(tc.state))
			}
			cred := statusCredential(mutate...)
			st := NextStatus(cred, Result{State: tc.state, Failure: tc.f}, statusNow)

			ready := readyOf(t, st)
			wantReady(t, ready, tc.wantStatus, tc.wantReason)
			if st.ObservedGeneration != 3 {
				t.Errorf("observedGeneration = %d, want 3", st.ObservedGeneration)
			}
			if st.FailedAttempts != tc.wantAttempts {
				t.Errorf("failedAttempts = %d, want %d", st.FailedAttempts, tc.wantAttempts)
			}
			if st.Revision != 4 {
				t.Errorf("revision = %d, want 4 (nothing written)", st.Revision)
			}
			if st.LastFailureReason != tc.f.Reason {
				t.Errorf("lastFailureReason = %q, want %q", st.LastFailureReason, tc.f.Reason)
			}
			if tc.wantRetry == 0 {
				if st.RefreshAt != nil {
					t.Errorf("refreshAt = %s, want nil: only a watch event can help", st.RefreshAt)
				}
			} else {
				// The retry is the first whole second (what the API server keeps) not before
				// now + delay: never earlier than the backoff or Retry-After allows.
				earliest := statusNow.Add(tc.wantRetry)
				if r := st.RefreshAt; r == nil || r.Time.Before(earliest) || r.Sub(earliest) >= time.Second || r.Nanosecond() != 0 {
					t.Errorf("refreshAt = %v, want the first whole second at or after %s", r, earliest)
				} else if !strings.Contains(ready.Message, "next attempt at "+r.UTC().Format(time.RFC3339)) {
					t.Errorf("message does not say when the next attempt is: %q", ready.Message)
				}
				wantTime(t, "lastFailureTime", st.LastFailureTime, statusNow.Truncate(time.Second))
			}
			if !strings.Contains(ready.Message, tc.f.Message) {
				t.Errorf("message %q lacks the failure %q", ready.Message, tc.f.Message)
			}
			if tc.wantReason == authv1alpha1.ReasonRefreshFailing {
				if !strings.Contains(ready.Message, tc.f.Reason) || !strings.Contains(ready.Message, "valid until") {
					t.Errorf("RefreshFailing message should say why and until when the token works: %q", ready.Message)
				}
			}
			if tc.state != nil && st.ExpiresAt == nil {
				t.Error("expiresAt dropped while a token is held")
			}
			noSecretsIn(t, st)
		})
	}
}

func TestNextStatusWaited(t *testing.T) {
	retryAt := metav1.NewTime(statusNow.Add(3 * time.Minute).Truncate(time.Second))
	cred := statusCredential(
		readyWas(metav1.ConditionFalse, authv1alpha1.ReasonAuthenticationFailed, "refused; next attempt at ..."),
		func(s *authv1alpha1.CyclrCredentialStatus) {
			s.FailedAttempts, s.LastFailureTime, s.RefreshAt = 2, &earlier, &retryAt
		})
	st := NextStatus(cred, Result{Waited: true}, statusNow)

	ready := readyOf(t, st)
	wantReady(t, ready, metav1.ConditionFalse, authv1alpha1.ReasonAuthenticationFailed)
	if ready.Message != "refused; next attempt at ..." || !ready.LastTransitionTime.Equal(&earlier) {
		t.Errorf("waiting changed the condition: %+v", ready)
	}
	if st.ObservedGeneration != 3 {
		t.Errorf("observedGeneration = %d, want 3", st.ObservedGeneration)
	}
	if st.FailedAttempts != 2 || st.RefreshAt == nil || !st.RefreshAt.Equal(&retryAt) || !st.LastFailureTime.Equal(&earlier) {
		t.Errorf("waiting changed the backoff: attempts %d refreshAt %v lastFailure %v",
			st.FailedAttempts, st.RefreshAt, st.LastFailureTime)
	}
}

// TestNextStatusWaitedTokenExpired: RefreshFailing promises a valid token; once it has
// expired during the backoff, Ready turns False with the failure's own reason, as stored in
// lastFailureReason (not parsed from the message).
func TestNextStatusWaitedTokenExpired(t *testing.T) {
	retryAt := metav1.NewTime(statusExpires.Add(time.Minute).Truncate(time.Second))
	cred := statusCredential(
		readyWas(metav1.ConditionTrue, authv1alpha1.ReasonRefreshFailing,
			"a message that does not start with the reason"),
		func(s *authv1alpha1.CyclrCredentialStatus) {
			s.FailedAttempts, s.LastFailureTime, s.RefreshAt = 6, &earlier, &retryAt
			s.LastFailureReason = authv1alpha1.ReasonCyclrUnavailable
		})
	before := NextStatus(cred, Result{State: statusToken(), Waited: true}, statusExpires.Add(-time.Second))
	wantReady(t, readyOf(t, before), metav1.ConditionTrue, authv1alpha1.ReasonRefreshFailing)

	st := NextStatus(cred, Result{State: statusToken(), Waited: true}, statusExpires)
	ready := readyOf(t, st)
	wantReady(t, ready, metav1.ConditionFalse, authv1alpha1.ReasonCyclrUnavailable)
	if !strings.Contains(ready.Message, "expired") {
		t.Errorf("message does not say the token expired: %q", ready.Message)
	}
	if st.FailedAttempts != 6 || st.RefreshAt == nil || !st.RefreshAt.Equal(&retryAt) {
		t.Errorf("waiting changed the backoff: attempts %d refreshAt %v", st.FailedAttempts, st.RefreshAt)
	}
}

func TestNextStatusSuspended(t *testing.T) {
	t.Run("with a valid token", func(t *testing.T) {
		cred := statusCredential(readyWas(metav1.ConditionTrue, authv1alpha1.ReasonTokenValid, "fine"),
			func(s *authv1alpha1.CyclrCredentialStatus) {
				s.RefreshAt = &metav1.Time{Time: statusNow.Add(time.Hour)}
			})
		st := NextStatus(cred, Result{State: statusToken(), Suspended: true}, statusNow)
		ready := readyOf(t, st)
		wantReady(t, ready, metav1.ConditionTrue, authv1alpha1.ReasonTokenValid)
		if !strings.Contains(ready.Message, "suspended") {
			t.Errorf("message does not say suspended: %q", ready.Message)
		}
		if st.RefreshAt != nil {
			t.Errorf("refreshAt = %v while suspended, want nil", st.RefreshAt)
		}
		if st.Revision != 4 {
			t.Errorf("revision = %d, want 4", st.Revision)
		}
	})
	t.Run("without token", func(t *testing.T) {
		st := NextStatus(statusCredential(), Result{Suspended: true}, statusNow)
		wantReady(t, readyOf(t, st), metav1.ConditionTrue, authv1alpha1.ReasonSuspended)
		if st.RefreshAt != nil {
			t.Errorf("refreshAt = %v while suspended, want nil", st.RefreshAt)
		}
	})
	t.Run("token expired while suspended", func(t *testing.T) {
		st := NextStatus(statusCredential(), Result{State: statusToken(), Suspended: true}, statusExpires)
		wantReady(t, readyOf(t, st), metav1.ConditionTrue, authv1alpha1.ReasonSuspended)
	})
}

func TestRequeueAfter(t *testing.T) {
	clk := clocktesting.NewFakeClock(statusNow)
	now := clk.Now()
	at := func(d time.Duration) *metav1.Time { return &metav1.Time{Time: now.Add(d)} }
	valid := statusToken() // expires 13 days after now
	expired := &TokenState{Token: cyclr.Token{IssuedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)}}
	untilExpiry := statusExpires.Sub(now)

	cases := []struct {
		name      string
		refreshAt *metav1.Time
		state     *TokenState
		want      time.Duration
	}{
		{"planned refresh", at(8 * 24 * time.Hour), valid, 8 * 24 * time.Hour},
		{"retry in 5s", at(5 * time.Second), valid, 5 * time.Second},
		{"retry after the token expires: look at expiry", at(untilExpiry + time.Hour), valid, untilExpiry},
		{"no plan, valid token: look at expiry", nil, valid, untilExpiry},
		{"no plan, no token: wait for a watch event", nil, nil, 0},
		{"no plan, expired token: wait for a watch event", nil, expired, 0},
		{"retry, expired token", at(time.Minute), expired, time.Minute},
		{"plan in the past: at once, not never", at(-time.Hour), valid, time.Second},
		{"plan now: at once", at(0), nil, time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := authv1alpha1.CyclrCredentialStatus{RefreshAt: tc.refreshAt}
			if got := RequeueAfter(st, tc.state, now); got != tc.want {
				t.Errorf("requeueAfter = %s, want %s", got, tc.want)
			}
		})
	}

	// Following the requeues on a fake clock renews the token within a second of its plan
	// (status keeps whole seconds, so the first requeue may land up to a second early).
	cred := statusCredential()
	cred.Status = NextStatus(cred, Result{State: valid, Renewed: true}, now)
	plan := RefreshTime(valid.Token.IssuedAt, valid.Token.ExpiresAt, nil, cred.UID)
	for requeues := 1; ; requeues++ {
		clk.Step(RequeueAfter(cred.Status, valid, clk.Now()))
		got := Decide(Situation{Now: clk.Now(), Credential: cred, State: valid, Fingerprint: "fp"})
		if got == ActionRenew {
			if clk.Now().Before(plan) || clk.Now().Sub(plan) > time.Second {
				t.Errorf("renewed at %s, plan %s", clk.Now(), plan)
			}
			break
		}
		if got != ActionKeep || requeues == 3 {
			t.Fatalf("requeue %d at %s (plan %s): decide = %s", requeues, clk.Now(), plan, actionName(got))
		}
		cred.Status = NextStatus(cred, Result{State: valid}, clk.Now())
	}
}

func TestBoundedMessages(t *testing.T) {
	long := strings.Repeat("é", MaxMessageBytes) // 2 bytes a rune: the cut falls inside one
	for _, in := range []string{"", "short", strings.Repeat("x", MaxMessageBytes), long} {
		out := Bounded(in)
		if len(out) > MaxMessageBytes || !utf8.ValidString(out) {
			t.Errorf("Bounded(%d bytes) = %d bytes, valid UTF-8 %v", len(in), len(out), utf8.ValidString(out))
		}
		if len(in) <= MaxMessageBytes && out != in {
			t.Errorf("Bounded changed a short message")
		}
	}
	huge := &Failure{Reason: authv1alpha1.ReasonCyclrUnavailable, Message: strings.Repeat("y", 9<<20), Result: cyclr.ResultUnavailable}
	st := NextStatus(statusCredential(), Result{Failure: huge}, statusNow)
	if m := readyOf(t, st).Message; len(m) > MaxMessageBytes {
		t.Errorf("Ready message is %d bytes, want at most %d", len(m), MaxMessageBytes)
	}
}

func TestRevisionAndRollout(t *testing.T) {
	targets := []authv1alpha1.RolloutRestartTarget{{Kind: authv1alpha1.KindDeployment, Name: "app"}}
	newer := statusToken()
	newer.Token.IssuedAt, newer.Token.ExpiresAt = statusNow, statusNow.Add(14*24*time.Hour)
	cases := []struct {
		name         string
		targets      []authv1alpha1.RolloutRestartTarget
		rolloutWas   int64
		r            Result
		wantPending  bool
		wantRevision int64
		wantRollout  int64
	}{
		{name: "renewed, no targets", r: Result{State: newer, Renewed: true},
			wantRevision: 5, wantRollout: 5},
		{name: "renewed, targets not yet restarted", targets: targets, r: Result{State: newer, Renewed: true},
			wantPending: true, wantRevision: 5, wantRollout: 4},
		{name: "renewed, targets restarted", targets: targets, r: Result{State: newer, Renewed: true, RolledOut: true},
			wantPending: true, wantRevision: 5, wantRollout: 5},
		{name: "a token saved before a crash is a new revision", targets: targets, r: Result{State: newer},
			wantPending: true, wantRevision: 5, wantRollout: 4},
		{name: "restore or restart: the recorded token", targets: targets, r: Result{State: statusToken()},
			wantRevision: 4, wantRollout: 4},
		{name: "targets added after the revision", targets: targets, r: Result{State: statusToken()},
			wantRevision: 4, wantRollout: 4},
		{name: "a rollout left undone", targets: targets, rolloutWas: 3, r: Result{State: statusToken()},
			wantPending: true, wantRevision: 4, wantRollout: 3},
		{name: "no token", targets: targets, rolloutWas: 3,
			r:            Result{Failure: &Failure{Reason: authv1alpha1.ReasonCyclrUnavailable, Result: cyclr.ResultUnavailable}},
			wantRevision: 4, wantRollout: 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cred := statusCredential()
			cred.Spec.RolloutRestartTargets = tc.targets
			if tc.rolloutWas != 0 {
				cred.Status.RolloutRevision = tc.rolloutWas
			}
			if got := PendingRollout(cred, tc.r); got != tc.wantPending {
				t.Errorf("PendingRollout = %v, want %v", got, tc.wantPending)
			}
			st := NextStatus(cred, tc.r, statusNow)
			if st.Revision != tc.wantRevision || st.RolloutRevision != tc.wantRollout {
				t.Errorf("revision %d, rolloutRevision %d; want %d, %d", st.Revision, st.RolloutRevision, tc.wantRevision, tc.wantRollout)
			}
		})
	}
}
