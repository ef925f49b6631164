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
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr/cyclrtest"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

// The tenant boundary at run time (docs/design.md, "Tenant boundary"): what a credential
// editor, or a hostile answer from an allowed host, can no longer reach.

// TestRolloutRestartNeedsWorkloadOptIn: a workload is restarted only when its own annotation
// lists the credential; the others get a Warning that names the annotation, and no patch.
func TestRolloutRestartNeedsWorkloadOptIn(t *testing.T) {
	h := newHarness(t)
	h.loginSecret("login", partnerLogin())
	h.workload(&appsv1.Deployment{}, "allowed")
	h.workloadAllowing(&appsv1.Deployment{}, "other", "someone-else, cred-2")
	h.workloadAllowing(&appsv1.Deployment{}, "bare", "")
	h.credential("cred", func(c *authv1alpha1.CyclrCredential) {
		for _, name := range []string{"allowed", "other", "bare"} {
			c.Spec.RolloutRestartTargets = append(c.Spec.RolloutRestartTargets,
				authv1alpha1.RolloutRestartTarget{Kind: authv1alpha1.KindDeployment, Name: name})
		}
	})
	notRestarted := func() error {
		for _, name := range []string{"other", "bare"} {
			d := &appsv1.Deployment{}
			h.must(k8s.Get(h.ctx, client.ObjectKey{Namespace: h.ns, Name: name}, d))
			if d.Generation != 1 || d.Spec.Template.Annotations[authv1alpha1.RestartedAtAnnotation] != "" {
				return fmt.Errorf("%s, which does not allow cred, was patched: generation %d", name, d.Generation)
			}
		}
		return nil
	}
	for revision := 1; revision <= 2; revision++ {
		if revision == 2 {
			h.annotate("cred", authv1alpha1.RefreshRequestedAtAnnotation, "again")
		}
		h.eventually(15*time.Second, func() error {
			c := h.get("cred")
			if c.Status.RolloutRevision != int64(revision) {
				return fmt.Errorf("rolloutRevision %d, want %d", c.Status.RolloutRevision, revision)
			}
			return h.restarts(&appsv1.Deployment{}, "allowed", revision, c.Status.IssuedAt.Time)
		})
		h.must(notRestarted())
	}
	e := h.waitEvent("cred", "RolloutRestartFailed")
	if !strings.Contains(e.Note, authv1alpha1.AllowRestartByAnnotation) {
		t.Errorf("the warning does not say how to allow the restart: %q", e.Note)
	}
	h.waitReady("cred", authv1alpha1.ReasonTokenValid, 5*time.Second)
}

// TestRecreateWaitsOutMinRefreshInterval: deleting and re-creating a credential does not
// reset --min-refresh-interval: the successor signs in only when its predecessor's interval
// has passed.
func TestRecreateWaitsOutMinRefreshInterval(t *testing.T) {
	const interval = 5 * time.Second
	h := newHarness(t)
	h.restartWithMinRefreshInterval(interval)
	h.loginSecret("login", partnerLogin())
	h.credential("cred")
	issued := h.waitReady("cred", authv1alpha1.ReasonTokenValid, 10*time.Second).Status.IssuedAt.Time
	for range 3 {
		h.must(k8s.Delete(h.ctx, &authv1alpha1.CyclrCredential{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "cred"}}))
		h.eventually(5*time.Second, func() error { _, err := h.credentialOrErr("cred"); return notFound(err) })
		// The test API server runs no garbage collector: remove the Secrets as it would.
		for _, name := range []string{"cred", policy.StateSecretName("cred")} {
			h.must(client.IgnoreNotFound(k8s.Delete(h.ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: name}})))
		}
		h.credential("cred")
	}
	// Until the interval ends, the successor waits and says so.
	h.eventually(5*time.Second, func() error { return testenv.ReadyFor(h.get("cred"), authv1alpha1.ReasonRetryPending) })
	h.holds(time.Until(issued.Add(interval))-time.Second, func() error { return h.requests(1) })
	h.waitReady("cred", authv1alpha1.ReasonTokenValid, 10*time.Second)
	h.must(h.requests(2))
}

// restartWithMinRefreshInterval restarts the harness's manager with --min-refresh-interval d.
func (h *harness) restartWithMinRefreshInterval(d time.Duration) {
	h.t.Helper()
	h.stopManager()
	h.minRefreshInterval = d
	h.startManager()
}

// credentialOrErr reads the credential from the API server.
func (h *harness) credentialOrErr(name string) (*authv1alpha1.CyclrCredential, error) {
	c := &authv1alpha1.CyclrCredential{}
	return c, k8s.Get(h.ctx, client.ObjectKey{Namespace: h.ns, Name: name}, c)
}

// tokenBody is a 200 answer with this access token and extra JSON members.
func tokenBody(accessToken, extra string) cyclrtest.Fault {
	return cyclrtest.Fault{Body: `{"access_token":"` + accessToken + `","token_type":"bearer","expires_in":1209599` + extra + `}`}
}

// TestRefusedAnswersWriteNothing: a token over 8 KiB, or a client_credentials token granted a
// wider scope than the account asked for, is an InvalidTokenResponse: neither the state nor
// the target Secret is written, and the next, sane answer is.
func TestRefusedAnswersWriteNothing(t *testing.T) {
	cases := []struct {
		name   string
		answer cyclrtest.Fault
		edit   func(*authv1alpha1.CyclrCredential)
	}{
		{name: "access token over 8 KiB", answer: tokenBody(strings.Repeat("a", cyclr.MaxTokenBytes+1), "")},
		{name: "refresh token over 8 KiB", answer: tokenBody("tok", `,"refresh_token":"`+strings.Repeat("r", cyclr.MaxTokenBytes+1)+`"`)},
		{name: "a wider scope", answer: tokenBody("tok", `,"scope":"account:`+accountID+` account:acct-other"`), edit: clientCredentialsFor(accountID)},
		{name: "another account's scope", answer: tokenBody("tok", `,"scope":"account:acct-other"`), edit: clientCredentialsFor(accountID)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.cyclr.FailNext(1, tc.answer)
			h.loginSecret("login", map[string]string{"username": partnerUser, "password": partnerPassword,
				"client_id": partnerClientID, "client_secret": ccClientSecret})
			edits := []func(*authv1alpha1.CyclrCredential){}
			if tc.edit != nil {
				edits = append(edits, tc.edit)
			}
			h.credential("cred", edits...)
			h.waitReady("cred", authv1alpha1.ReasonInvalidTokenResponse, 10*time.Second)
			for _, name := range []string{"cred", policy.StateSecretName("cred")} {
				_, err := h.secret(name)
				h.must(notFound(err))
			}
			// The next answer is Cyclr's own, after the backoff.
			h.waitReady("cred", authv1alpha1.ReasonTokenValid, 15*time.Second)
			if got := h.targetToken("cred"); got == "tok" || len(got) > cyclr.MaxTokenBytes {
				t.Errorf("the refused answer's token reached the target")
			}
			h.must(h.requests(2))
		})
	}
}

func clientCredentialsFor(account string) func(*authv1alpha1.CyclrCredential) {
	return func(c *authv1alpha1.CyclrCredential) {
		c.Spec.Grant, c.Spec.ClientID, c.Spec.AccountID = authv1alpha1.GrantClientCredentials, ccClientID, account
	}
}

// TestForbiddenInvalidGrantSignsInAgain: a refresh refused with 403 invalid_grant (as some
// OAuth servers answer) falls back to signing in, like a 400.
func TestForbiddenInvalidGrantSignsInAgain(t *testing.T) {
	h := newHarness(t)
	h.loginSecret("login", partnerLogin())
	h.credential("cred")
	h.waitReady("cred", authv1alpha1.ReasonTokenValid, 10*time.Second)
	h.cyclr.FailNext(1, cyclrtest.Fault{Status: 403, Body: `{"error":"invalid_grant","error_description":"used"}`})
	h.annotate("cred", authv1alpha1.RefreshRequestedAtAnnotation, "now")
	h.waitEvent("cred", "Reauthenticated")
	// The event comes before the status write: wait for the status, not for the event alone.
	h.eventually(10*time.Second, func() error {
		c := h.get("cred")
		if c.Status.Revision != 2 || c.Status.LastGrant != string(cyclr.GrantPassword) {
			return fmt.Errorf("revision %d, lastGrant %q; want 2, password", c.Status.Revision, c.Status.LastGrant)
		}
		return testenv.ReadyFor(c, authv1alpha1.ReasonTokenValid)
	})
	if !h.cyclr.TokenValid(h.targetToken("cred")) {
		t.Error("the target holds a token Cyclr does not accept")
	}
	testenv.CountIs(t, h.cyclr, "password", cyclrtest.OutcomeSuccess, 2)
	testenv.CountIs(t, h.cyclr, "refresh_token", cyclrtest.OutcomeFault, 1)
}

// TestRefusedLifetimeKeepsRefreshChain: a refresh whose token lives shorter than
// --min-refresh-interval is refused, but the single-use refresh token it came with is saved:
// the next refresh uses it, and no password is sent again.
func TestRefusedLifetimeKeepsRefreshChain(t *testing.T) {
	const interval = 3 * time.Second
	h := newHarness(t)
	h.restartWithMinRefreshInterval(interval)
	h.loginSecret("login", partnerLogin())
	h.credential("cred")
	h.waitReady("cred", authv1alpha1.ReasonTokenValid, 10*time.Second)
	h.cyclr.SetLifetime(interval - time.Second)
	h.annotate("cred", authv1alpha1.RefreshRequestedAtAnnotation, "short")
	h.waitReady("cred", authv1alpha1.ReasonRefreshFailing, 10*time.Second)
	testenv.CountIs(t, h.cyclr, "refresh_token", cyclrtest.OutcomeSuccess, 1)

	h.cyclr.SetLifetime(cyclrtest.DefaultLifetime)
	h.annotate("cred", authv1alpha1.RefreshRequestedAtAnnotation, "normal")
	h.eventually(15*time.Second, func() error {
		if c := h.get("cred"); c.Status.Revision != 2 || testenv.ReadyFor(c, authv1alpha1.ReasonTokenValid) != nil {
			return fmt.Errorf("revision %d, conditions %v", c.Status.Revision, c.Status.Conditions)
		}
		return nil
	})
	testenv.CountIs(t, h.cyclr, "refresh_token", cyclrtest.OutcomeSuccess, 2)
	testenv.CountIs(t, h.cyclr, "refresh_token", cyclrtest.OutcomeAuthError, 0)
	testenv.CountIs(t, h.cyclr, "password", cyclrtest.OutcomeSuccess, 1)
	if !h.cyclr.TokenValid(h.targetToken("cred")) {
		t.Error("the target holds a token Cyclr does not accept")
	}
}
