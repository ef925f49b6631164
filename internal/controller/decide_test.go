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

package controller

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
)

func actionName(a action) string {
	switch a {
	case actionKeep:
		return "keep"
	case actionWait:
		return "wait"
	case actionIssue:
		return "issue"
	case actionRenew:
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

const decideFingerprint = "fp-current"

func decideCredential() *authv1alpha1.CyclrCredential {
	return &authv1alpha1.CyclrCredential{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "partner", UID: "5a0e1c3b-9f8d-4e2a-b7c6-d5e4f3a2b1c0", Generation: 1},
		Spec: authv1alpha1.CyclrCredentialSpec{
			APIURL: "https://api.cyclr.com", Grant: authv1alpha1.GrantPassword, Rotation: authv1alpha1.RotationRefreshToken,
			CredentialsSecretRef: authv1alpha1.CredentialsSecretRef{Name: "login"},
		},
	}
}

func decideState(fp string) *tokenState {
	return &tokenState{fingerprint: fp, token: cyclr.Token{AccessToken: "at", RefreshToken: "rt", TokenType: "bearer",
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
		now           time.Time
		state         *tokenState
		mutate        func(*authv1alpha1.CyclrCredential)
		loginChanged  bool
		want          action
		wantCallCyclr bool
	}{
		{name: "no state: issue", now: notDue, state: nil, want: actionIssue},
		{name: "fits and not due: keep", now: notDue, state: decideState(decideFingerprint), want: actionKeep},
		{name: "fits right after issue: keep", now: decideIssued, state: decideState(decideFingerprint), want: actionKeep},
		{name: "due: renew", now: due, state: decideState(decideFingerprint), want: actionRenew},
		{name: "due a second before expiry: renew", now: decideExpires.Add(-time.Second),
			state: decideState(decideFingerprint), want: actionRenew},
		{name: "expired: issue", now: expired, state: decideState(decideFingerprint), want: actionIssue},
		{name: "at the expiry instant: issue", now: decideExpires, state: decideState(decideFingerprint), want: actionIssue},
		{name: "fingerprint changed: issue", now: notDue, state: decideState("fp-old"), want: actionIssue},
		{name: "fingerprint changed and due: issue", now: due, state: decideState("fp-old"), want: actionIssue},
		{name: "planned refreshAt in status without failures is no backoff: renew", now: due,
			state: decideState(decideFingerprint), mutate: func(c *authv1alpha1.CyclrCredential) {
				c.Status.RefreshAt = &metav1.Time{Time: due.Add(time.Hour)}
			}, want: actionRenew},

		// Backoff.
		{name: "failing within backoff, due: wait", now: due, state: decideState(decideFingerprint),
			mutate: withFailures(2, due.Add(time.Minute)), want: actionWait},
		{name: "failing within backoff, no state: wait", now: due, state: nil,
			mutate: withFailures(1, due.Add(5*time.Second)), want: actionWait},
		{name: "failing within backoff, expired: wait", now: expired, state: decideState(decideFingerprint),
			mutate: withFailures(3, expired.Add(time.Minute)), want: actionWait},
		{name: "failing within backoff but not due: keep", now: notDue, state: decideState(decideFingerprint),
			mutate: withFailures(1, notDue.Add(time.Minute)), want: actionKeep},
		{name: "failing, backoff over, due: renew", now: due, state: decideState(decideFingerprint),
			mutate: withFailures(2, due.Add(-time.Second)), want: actionRenew},
		{name: "failing, backoff ends now: renew", now: due, state: decideState(decideFingerprint),
			mutate: withFailures(2, due), want: actionRenew},
		{name: "failing, backoff over, no state: issue", now: due, state: nil,
			mutate: withFailures(2, due.Add(-time.Second)), want: actionIssue},
		{name: "failing within backoff but inputs changed, no state: issue", now: due, state: nil,
			mutate: withFailures(4, due.Add(time.Hour)), loginChanged: true, want: actionIssue},
		{name: "failing within backoff but inputs changed, stale fingerprint: issue", now: due,
			state: decideState("fp-old"), mutate: withFailures(4, due.Add(time.Hour)), loginChanged: true, want: actionIssue},
		{name: "failing within backoff but inputs changed, fits and due: renew", now: due,
			state: decideState(decideFingerprint), mutate: withFailures(4, due.Add(time.Hour)), loginChanged: true,
			want: actionRenew},

		// Manual refresh requests.
		{name: "manual request, fits: renew", now: notDue, state: decideState(decideFingerprint),
			mutate: withRefreshRequest("2026-01-07T10:00:00Z", ""), want: actionRenew},
		{name: "manual request, fits, within backoff: renew", now: due, state: decideState(decideFingerprint),
			mutate: func(c *authv1alpha1.CyclrCredential) {
				withFailures(5, due.Add(time.Hour))(c)
				withRefreshRequest("again", "before")(c)
			}, want: actionRenew},
		{name: "manual request, no state, within backoff: issue", now: due, state: nil,
			mutate: func(c *authv1alpha1.CyclrCredential) {
				withFailures(5, due.Add(time.Hour))(c)
				withRefreshRequest("1", "")(c)
			}, want: actionIssue},
		{name: "manual request, stale fingerprint: issue", now: notDue, state: decideState("fp-old"),
			mutate: withRefreshRequest("1", ""), want: actionIssue},
		{name: "manual request already honoured: not manual, keep", now: notDue, state: decideState(decideFingerprint),
			mutate: withRefreshRequest("1", "1"), want: actionKeep},
		{name: "manual request already honoured, within backoff: wait", now: due, state: decideState(decideFingerprint),
			mutate: func(c *authv1alpha1.CyclrCredential) {
				withFailures(2, due.Add(time.Hour))(c)
				withRefreshRequest("1", "1")(c)
			}, want: actionWait},
		{name: "empty annotation is no request", now: notDue, state: decideState(decideFingerprint),
			mutate: withRefreshRequest("", "old"), want: actionKeep},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cred := decideCredential()
			if tc.mutate != nil {
				tc.mutate(cred)
			}
			s := situation{now: tc.now, credential: cred, state: tc.state, fingerprint: decideFingerprint,
				loginChangedSinceFailure: tc.loginChanged}
			got := decide(s)
			if got != tc.want {
				t.Errorf("decide = %s, want %s", actionName(got), actionName(tc.want))
			}
			wantCalls := tc.want == actionIssue || tc.want == actionRenew
			if got.callsCyclr() != wantCalls {
				t.Errorf("%s.callsCyclr() = %v, want %v", actionName(got), got.callsCyclr(), wantCalls)
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
		if got := (situation{credential: cred}).refreshRequest(); got != tc.want {
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
	plan := (situation{credential: cred, state: st}).plannedRefresh()
	firstRenew := time.Time{}
	for ; clk.Now().Before(decideExpires.Add(2 * time.Hour)); clk.Step(time.Hour) {
		now := clk.Now()
		got := decide(situation{now: now, credential: cred, state: st, fingerprint: decideFingerprint})
		var want action
		switch {
		case now.Before(plan):
			want = actionKeep
		case now.Before(decideExpires):
			want = actionRenew
		default:
			want = actionIssue
		}
		if got != want {
			t.Fatalf("at %s (plan %s): decide = %s, want %s", now, plan, actionName(got), actionName(want))
		}
		if got == actionRenew && firstRenew.IsZero() {
			firstRenew = now
		}
	}
	if firstRenew.Sub(plan) >= time.Hour || firstRenew.Before(plan) {
		t.Errorf("first renewal at %s, want within the hour after the plan %s", firstRenew, plan)
	}
}
