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
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
)

func actionName(a Action) string {
	switch a {
	case ActionKeep:
		return "keep"
	case ActionWait:
		return "wait"
	case ActionIssue:
		return "issue"
	case ActionRenew:
		return "renew"
	}
	return fmt.Sprintf("action(%d)", int(a))
}

// A token issued at decideIssued for 14 days; with the default plan it is due between days
// 8.6 and 9.3 (two thirds of the lifetime minus up to 5% jitter), and expires on day 14.
var (
	decideIssued  = time.Date(2026, time.January, 5, 8, 0, 0, 0, time.UTC)
	decideExpires = decideIssued.Add(14 * 24 * time.Hour)
)

const (
	decideFingerprint = "fp-current"
	decideInputs      = "inputs-current"
)

// failedInputs is what status records of the last failed attempt's inputs: the current ones,
// or others when the login changed since.
func failedInputs(loginChanged bool) string {
	if loginChanged {
		return "inputs-before"
	}
	return decideInputs
}

func decideCredential() *authv1alpha1.CyclrCredential {
	return &authv1alpha1.CyclrCredential{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "partner", UID: "5a0e1c3b-9f8d-4e2a-b7c6-d5e4f3a2b1c0", Generation: 1},
		Spec: authv1alpha1.CyclrCredentialSpec{
			APIURL: "https://api.cyclr.com", Grant: authv1alpha1.GrantPassword, Rotation: authv1alpha1.RotationRefreshToken,
			CredentialsSecretRef: authv1alpha1.CredentialsSecretRef{Name: "login"},
		},
	}
}

func decideState(fp string) *TokenState {
	return &TokenState{Fingerprint: fp, Token: cyclr.Token{AccessToken: "at", RefreshToken: "rt", TokenType: "bearer",
		Grant: cyclr.GrantPassword, IssuedAt: decideIssued, ExpiresAt: decideExpires}}
}

// withFailures marks cred as having failed attempts times, with the next retry at retryAt.
func withFailures(attempts int32, retryAt time.Time) func(*authv1alpha1.CyclrCredential) {
	return func(c *authv1alpha1.CyclrCredential) {
		c.Status.FailedAttempts = attempts
		c.Status.RefreshAt = &metav1.Time{Time: retryAt}
		c.Status.LastFailureTime = &metav1.Time{Time: retryAt.Add(-time.Minute)}
	}
}

func withRefreshRequest(value, honoured string) func(*authv1alpha1.CyclrCredential) {
	return func(c *authv1alpha1.CyclrCredential) {
		c.Annotations = map[string]string{authv1alpha1.RefreshRequestedAtAnnotation: value}
		c.Status.LastRefreshRequest = honoured
	}
}

func TestDecide(t *testing.T) {
	const day = 24 * time.Hour
	notDue := decideIssued.Add(2 * day)
	due := decideIssued.Add(10 * day) // past any plan, before expiry
	expired := decideExpires.Add(time.Second)

	cases := []struct {
		name          string
		Now           time.Time
		State         *TokenState
		mutate        func(*authv1alpha1.CyclrCredential)
		loginChanged  bool
		want          Action
		wantCallCyclr bool
	}{
		{name: "no state: issue", Now: notDue, State: nil, want: ActionIssue},
		{name: "fits and not due: keep", Now: notDue, State: decideState(decideFingerprint), want: ActionKeep},
		{name: "fits right after issue: keep", Now: decideIssued, State: decideState(decideFingerprint), want: ActionKeep},
		{name: "due: renew", Now: due, State: decideState(decideFingerprint), want: ActionRenew},
		{name: "due a second before expiry: renew", Now: decideExpires.Add(-time.Second),
			State: decideState(decideFingerprint), want: ActionRenew},
		{name: "expired: issue", Now: expired, State: decideState(decideFingerprint), want: ActionIssue},
		{name: "at the expiry instant: issue", Now: decideExpires, State: decideState(decideFingerprint), want: ActionIssue},
		{name: "fingerprint changed: issue", Now: notDue, State: decideState("fp-old"), want: ActionIssue},
		{name: "fingerprint changed and due: issue", Now: due, State: decideState("fp-old"), want: ActionIssue},
		{name: "planned refreshAt in status without failures is no backoff: renew", Now: due,
			State: decideState(decideFingerprint), mutate: func(c *authv1alpha1.CyclrCredential) {
				c.Status.RefreshAt = &metav1.Time{Time: due.Add(time.Hour)}
			}, want: ActionRenew},

		// Backoff.
		{name: "failing within backoff, due: wait", Now: due, State: decideState(decideFingerprint),
			mutate: withFailures(2, due.Add(time.Minute)), want: ActionWait},
		{name: "failing within backoff, no state: wait", Now: due, State: nil,
			mutate: withFailures(1, due.Add(5*time.Second)), want: ActionWait},
		{name: "failing within backoff, expired: wait", Now: expired, State: decideState(decideFingerprint),
			mutate: withFailures(3, expired.Add(time.Minute)), want: ActionWait},
		{name: "failing within backoff but not due (a manual refresh failed): wait", Now: notDue, State: decideState(decideFingerprint),
			mutate: withFailures(1, notDue.Add(time.Minute)), want: ActionWait},
		{name: "failing, backoff over, not due: keep", Now: notDue, State: decideState(decideFingerprint),
			mutate: withFailures(1, notDue.Add(-time.Second)), want: ActionKeep},
		{name: "failing, backoff over, due: renew", Now: due, State: decideState(decideFingerprint),
			mutate: withFailures(2, due.Add(-time.Second)), want: ActionRenew},
		{name: "failing, backoff ends now: renew", Now: due, State: decideState(decideFingerprint),
			mutate: withFailures(2, due), want: ActionRenew},
		{name: "failing, backoff over, no state: issue", Now: due, State: nil,
			mutate: withFailures(2, due.Add(-time.Second)), want: ActionIssue},
		{name: "failing within backoff but inputs changed, no state: issue", Now: due, State: nil,
			mutate: withFailures(4, due.Add(time.Hour)), loginChanged: true, want: ActionIssue},
		{name: "failing within backoff but inputs changed, stale fingerprint: issue", Now: due,
			State: decideState("fp-old"), mutate: withFailures(4, due.Add(time.Hour)), loginChanged: true, want: ActionIssue},
		{name: "failing within backoff but inputs changed, fits and due: renew", Now: due,
			State: decideState(decideFingerprint), mutate: withFailures(4, due.Add(time.Hour)), loginChanged: true,
			want: ActionRenew},

		// Manual refresh requests.
		{name: "manual request, fits: renew", Now: notDue, State: decideState(decideFingerprint),
			mutate: withRefreshRequest("2026-01-07T10:00:00Z", ""), want: ActionRenew},
		{name: "manual request, fits, within backoff: renew", Now: due, State: decideState(decideFingerprint),
			mutate: func(c *authv1alpha1.CyclrCredential) {
				withFailures(5, due.Add(time.Hour))(c)
				withRefreshRequest("again", "before")(c)
			}, want: ActionRenew},
		{name: "manual request, no state, within backoff: issue", Now: due, State: nil,
			mutate: func(c *authv1alpha1.CyclrCredential) {
				withFailures(5, due.Add(time.Hour))(c)
				withRefreshRequest("1", "")(c)
			}, want: ActionIssue},
		{name: "manual request, stale fingerprint: issue", Now: notDue, State: decideState("fp-old"),
			mutate: withRefreshRequest("1", ""), want: ActionIssue},
		{name: "manual request already honoured: not manual, keep", Now: notDue, State: decideState(decideFingerprint),
			mutate: withRefreshRequest("1", "1"), want: ActionKeep},
		{name: "manual request already honoured, within backoff: wait", Now: due, State: decideState(decideFingerprint),
			mutate: func(c *authv1alpha1.CyclrCredential) {
				withFailures(2, due.Add(time.Hour))(c)
				withRefreshRequest("1", "1")(c)
			}, want: ActionWait},
		{name: "empty annotation is no request", Now: notDue, State: decideState(decideFingerprint),
			mutate: withRefreshRequest("", "old"), want: ActionKeep},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cred := decideCredential()
			if tc.mutate != nil {
				tc.mutate(cred)
			}
			cred.Status.LastFailureInputs = failedInputs(tc.loginChanged)
			s := Situation{Now: tc.Now, Credential: cred, State: tc.State, Fingerprint: decideFingerprint, Inputs: decideInputs}
			got := Decide(s)
			if got != tc.want {
				t.Errorf("decide = %s, want %s", actionName(got), actionName(tc.want))
			}
			wantCalls := tc.want == ActionIssue || tc.want == ActionRenew
			if got.CallsCyclr() != wantCalls {
				t.Errorf("%s.callsCyclr() = %v, want %v", actionName(got), got.CallsCyclr(), wantCalls)
			}
		})
	}
}

func TestRefreshRequest(t *testing.T) {
	cases := []struct {
		annotation, honoured, want string
	}{
		{"", "", ""},
		{"a", "", "a"},
		{"a", "a", ""},
		{"b", "a", "b"},
		{"", "a", ""},
	}
	for _, tc := range cases {
		cred := decideCredential()
		withRefreshRequest(tc.annotation, tc.honoured)(cred)
		if got := (Situation{Credential: cred}).RefreshRequest(); got != tc.want {
			t.Errorf("annotation %q, honoured %q: refreshRequest = %q, want %q", tc.annotation, tc.honoured, got, tc.want)
		}
	}
}

// TestDecideOverATokensLife walks a fake clock through a token's life in one-hour steps: it is
// kept until its plan, then renewed, and never kept after it expires.
func TestDecideOverATokensLife(t *testing.T) {
	clk := clocktesting.NewFakeClock(decideIssued)
	cred := decideCredential()
	st := decideState(decideFingerprint)
	plan := (Situation{Credential: cred, State: st}).PlannedRefresh()
	firstRenew := time.Time{}
	for ; clk.Now().Before(decideExpires.Add(2 * time.Hour)); clk.Step(time.Hour) {
		now := clk.Now()
		got := Decide(Situation{Now: now, Credential: cred, State: st, Fingerprint: decideFingerprint})
		var want Action
		switch {
		case now.Before(plan):
			want = ActionKeep
		case now.Before(decideExpires):
			want = ActionRenew
		default:
			want = ActionIssue
		}
		if got != want {
			t.Fatalf("at %s (plan %s): decide = %s, want %s", now, plan, actionName(got), actionName(want))
		}
		if got == ActionRenew && firstRenew.IsZero() {
			firstRenew = now
		}
	}
	if firstRenew.Sub(plan) >= time.Hour || firstRenew.Before(plan) {
		t.Errorf("first renewal at %s, want within the hour after the plan %s", firstRenew, plan)
	}
}

// TestDecideMinInterval: no call to Cyclr comes sooner than MinInterval after the last one
// (the token's issue or the last failure), manual requests and changed inputs included.
func TestDecideMinInterval(t *testing.T) {
	const interval = 30 * time.Second
	lastCall := decideIssued.Add(10 * 24 * time.Hour) // a due refresh failed here
	issuedNow := func(c *authv1alpha1.CyclrCredential) { c.Status.IssuedAt = &metav1.Time{Time: decideIssued} }
	failedAt := func(c *authv1alpha1.CyclrCredential) {
		issuedNow(c)
		c.Status.FailedAttempts, c.Status.LastFailureTime = 1, &metav1.Time{Time: lastCall}
		c.Status.RefreshAt = &metav1.Time{Time: lastCall.Add(5 * time.Second)}
	}
	request := func(c *authv1alpha1.CyclrCredential) {
		failedAt(c)
		withRefreshRequest("now", "")(c)
	}
	cases := []struct {
		name         string
		now          time.Time
		state        *TokenState
		mutate       func(*authv1alpha1.CyclrCredential)
		loginChanged bool
		want         Action
	}{
		{name: "first sign-in: nothing to wait for", now: decideIssued, want: ActionIssue},
		{name: "a new token issued a second ago: changed inputs wait", now: decideIssued.Add(time.Second),
			state: decideState("fp-old"), mutate: issuedNow, want: ActionWait},
		{name: "changed inputs after the interval: issue", now: decideIssued.Add(interval + time.Second),
			state: decideState("fp-old"), mutate: issuedNow, want: ActionIssue},
		{name: "backoff over but inside the interval: wait", now: lastCall.Add(10 * time.Second),
			state: decideState(decideFingerprint), mutate: failedAt, want: ActionWait},
		{name: "fixed login inside the interval: wait", now: lastCall.Add(time.Second),
			state: decideState(decideFingerprint), mutate: failedAt, loginChanged: true, want: ActionWait},
		{name: "manual request inside the interval: wait", now: lastCall.Add(29 * time.Second),
			state: decideState(decideFingerprint), mutate: request, want: ActionWait},
		{name: "manual request inside the interval's last second: wait", now: lastCall.Add(interval),
			state: decideState(decideFingerprint), mutate: request, want: ActionWait},
		{name: "manual request when the interval ends: renew", now: lastCall.Add(interval + time.Second),
			state: decideState(decideFingerprint), mutate: request, want: ActionRenew},
		{name: "keeping needs no call: keep", now: decideIssued.Add(time.Second),
			state: decideState(decideFingerprint), mutate: issuedNow, want: ActionKeep},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cred := decideCredential()
			if tc.mutate != nil {
				tc.mutate(cred)
			}
			cred.Status.LastFailureInputs = failedInputs(tc.loginChanged)
			s := Situation{Now: tc.now, Credential: cred, State: tc.state, Fingerprint: decideFingerprint, Inputs: decideInputs,
				MinInterval: interval}
			if got := Decide(s); got != tc.want {
				t.Errorf("decide = %s, want %s (not before %s)", actionName(got), actionName(tc.want), s.NotBefore())
			}
		})
	}
}

// TestNextAttempt: a wait ends when the interval ends, but never shortens a backoff unless a
// manual request or a changed login bypasses it.
func TestNextAttempt(t *testing.T) {
	failed := decideIssued.Add(24 * time.Hour)
	backoffEnds := failed.Add(time.Hour)
	cred := decideCredential()
	cred.Status.FailedAttempts, cred.Status.LastFailureTime = 3, &metav1.Time{Time: failed}
	cred.Status.RefreshAt = &metav1.Time{Time: backoffEnds}
	s := Situation{Now: failed.Add(10 * time.Second), Credential: cred, MinInterval: 30 * time.Second}
	intervalEnds := failed.Add(31 * time.Second)

	if got := s.NextAttempt(); !got.Equal(backoffEnds) {
		t.Errorf("backoff of an hour, interval 30s: next attempt %s, want the backoff's end %s", got, backoffEnds)
	}
	s.Inputs, cred.Status.LastFailureInputs = decideInputs, failedInputs(true)
	if got := s.NextAttempt(); !got.Equal(intervalEnds) {
		t.Errorf("changed login: next attempt %s, want the interval's end %s", got, intervalEnds)
	}
	// A failure recorded by an older version, without its inputs, is not taken for a change.
	cred.Status.LastFailureInputs = ""
	if got := s.NextAttempt(); !got.Equal(backoffEnds) {
		t.Errorf("no inputs recorded: next attempt %s, want the backoff's end %s", got, backoffEnds)
	}
	withRefreshRequest("now", "")(cred)
	if got := s.NextAttempt(); !got.Equal(intervalEnds) {
		t.Errorf("manual request: next attempt %s, want the interval's end %s", got, intervalEnds)
	}
}

func TestCheckLifetime(t *testing.T) {
	issued := decideIssued
	for _, tc := range []struct {
		lifetime time.Duration
		refused  bool
	}{{time.Second, true}, {29 * time.Second, true}, {30 * time.Second, false}, {14 * 24 * time.Hour, false}} {
		err := CheckLifetime(cyclr.Token{IssuedAt: issued, ExpiresAt: issued.Add(tc.lifetime)}, 30*time.Second)
		if (err != nil) != tc.refused || (err != nil && cyclr.Result(err) != cyclr.ResultInvalidResponse) {
			t.Errorf("lifetime %s against 30s: %v, want refused %v as an invalid response", tc.lifetime, err, tc.refused)
		}
	}
	if err := CheckLifetime(cyclr.Token{IssuedAt: issued, ExpiresAt: issued.Add(time.Second)}, 0); err != nil {
		t.Errorf("no minimum: %v", err)
	}
}

// TestLastCallHoldsAcrossRecreate: a credential re-created under the same name has no status,
// but the operator's memory of its predecessor's last call holds it back for the interval.
func TestLastCallHoldsAcrossRecreate(t *testing.T) {
	now := time.Date(2026, time.May, 1, 12, 0, 0, 0, time.UTC)
	recreated := &authv1alpha1.CyclrCredential{Spec: authv1alpha1.CyclrCredentialSpec{}}
	cases := []struct {
		lastCall time.Time
		want     Action
	}{
		{time.Time{}, ActionIssue},
		{now.Add(-10 * time.Second), ActionWait},
		{now.Add(-30 * time.Second), ActionIssue},
	}
	for _, tc := range cases {
		s := Situation{Now: now, Credential: recreated, MinInterval: 30 * time.Second, LastCall: tc.lastCall}
		if got := Decide(s); got != tc.want {
			t.Errorf("last call %v: Decide = %v, want %v", tc.lastCall, got, tc.want)
		}
		if tc.want == ActionWait && !s.NextAttempt().Equal(tc.lastCall.Add(30*time.Second)) {
			t.Errorf("last call %v: next attempt %v, want the interval's end", tc.lastCall, s.NextAttempt())
		}
	}
}
