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
	"testing"
	"time"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr/cyclrtest"
	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

// TestLeaderElection: two managers with leader election against one API server. Only the
// leader calls Cyclr; when it stops, the other takes over without a duplicate refresh and does
// the next scheduled one.
func TestLeaderElection(t *testing.T) {
	h := newHarness(t)
	// 9s tokens: the refresh is planned 6s (minus at most 0.45s of jitter) after the issue.
	h.cyclr.SetLifetime(9 * time.Second)
	a := h.startManager(managerOptions{name: "replica-a", leaderElection: true})
	b := h.startManager(managerOptions{name: "replica-b", leaderElection: true})
	var leader, follower *manager
	select {
	case <-a.elected:
		leader, follower = a, b
	case <-b.elected:
		leader, follower = b, a
	case <-time.After(20 * time.Second):
		t.Fatal("no manager was elected within 20s")
	}
	select {
	case <-follower.elected:
		t.Fatal("both managers were elected")
	default:
	}

	h.loginSecret("login", partnerLogin())
	h.credential("one")
	h.waitReady("one", authv1alpha1.ReasonTokenValid, 1, 15*time.Second)
	issued := time.Now()
	h.cyclr.SetLifetime(cyclrtest.DefaultLifetime) // the refreshed token is not due again during the test
	h.holds(500*time.Millisecond, func() error { return h.requests(1) })
	if l, f := leader.tokens.calls.Load(), follower.tokens.calls.Load(); l != 1 || f != 0 {
		t.Fatalf("token requests: leader %d, follower %d; want 1 and 0", l, f)
	}

	// Hand over: the leader stops (as on SIGTERM) and releases the lease.
	leader.Stop(t)
	select {
	case <-follower.elected:
	case <-time.After(15 * time.Second):
		t.Fatal("the follower did not take over within 15s")
	}
	tookOver := time.Since(issued)
	// The new leader reconciles the credential at once; its token is valid and not due, so no
	// request (the refresh is planned about 5.5-6s after the issue).
	if tookOver < 4*time.Second {
		h.holds(4*time.Second-tookOver, func() error { return h.requests(1) })
	}

	// The scheduled refresh, by the new leader, exactly once.
	c := h.waitReady("one", authv1alpha1.ReasonTokenValid, 2, 15*time.Second)
	h.must(h.requests(2))
	testenv.CountIs(h.t, h.cyclr, "password", cyclrtest.OutcomeSuccess, 1)
	testenv.CountIs(h.t, h.cyclr, "refresh_token", cyclrtest.OutcomeSuccess, 1)
	if l, f := leader.tokens.calls.Load(), follower.tokens.calls.Load(); l != 1 || f != 1 {
		t.Errorf("token requests: old leader %d, new leader %d; want 1 and 1", l, f)
	}
	if c.Status.LastGrant != "refresh_token" {
		t.Errorf("lastGrant %q, want refresh_token", c.Status.LastGrant)
	}
	if tok := h.targetToken("one"); !h.cyclr.TokenValid(tok) {
		t.Error("the target Secret holds a dead token after the handover")
	}
}
