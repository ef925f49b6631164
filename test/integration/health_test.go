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
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/rand"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
)

// GitOps health: what kstatus (Flux, cli-utils, kubectl-style waiting) makes of the real
// objects the operator writes, for every Ready reason.

func TestHealthKstatusForEveryReadyReason(t *testing.T) {
	h := newHarness(t)
	closed := closedLoopbackURL(t)
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"token_type":"bearer"}`))
	}))
	t.Cleanup(garbage.Close)
	h.loginSecret("login", partnerLogin())
	h.loginSecret("failing-login", partnerLogin())
	h.loginSecret("wrong-login", map[string]string{"username": partnerUser, "password": "pw-wrong", "client_id": partnerClientID})
	h.loginSecret("bad-login", map[string]string{"username": partnerUser, "client_id": partnerClientID})
	h.must(k8s.Create(h.ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "theirs"}}))
	login := func(name string) func(*authv1alpha1.CyclrCredential) {
		return func(c *authv1alpha1.CyclrCredential) { c.Spec.CredentialsSecretRef.Name = name }
	}
	cases := []struct {
		name   string
		mutate func(*authv1alpha1.CyclrCredential)
		reason string
		want   status.Status
	}{
		{"valid", func(*authv1alpha1.CyclrCredential) {}, authv1alpha1.ReasonTokenValid, status.CurrentStatus},
		{"paused", func(c *authv1alpha1.CyclrCredential) { c.Spec.Suspend = true }, authv1alpha1.ReasonSuspended, status.CurrentStatus},
		{"wrong", login("wrong-login"), authv1alpha1.ReasonAuthenticationFailed, status.FailedStatus},
		{"bad", login("bad-login"), authv1alpha1.ReasonCredentialsInvalid, status.FailedStatus},
		{"absent", login("no-such-login"), authv1alpha1.ReasonCredentialsSecretNotFound, status.InProgressStatus},
		{"down", func(c *authv1alpha1.CyclrCredential) { c.Spec.APIURL = closed }, authv1alpha1.ReasonCyclrUnavailable, status.InProgressStatus},
		{"garbage", func(c *authv1alpha1.CyclrCredential) { c.Spec.APIURL = garbage.URL }, authv1alpha1.ReasonInvalidTokenResponse, status.FailedStatus},
		{"conflict", func(c *authv1alpha1.CyclrCredential) { c.Spec.Target.Name = "theirs" }, authv1alpha1.ReasonTargetSecretConflict, status.FailedStatus},
		{"elsewhere", func(c *authv1alpha1.CyclrCredential) { c.Spec.APIURL = "https://api.example.com" }, authv1alpha1.ReasonAPIHostNotAllowed, status.FailedStatus},
		{"failing", login("failing-login"), authv1alpha1.ReasonTokenValid, status.CurrentStatus},
	}
	for _, tc := range cases {
		h.credential(tc.name, tc.mutate)
	}
	for _, tc := range cases {
		h.waitReady(tc.name, tc.reason, 20*time.Second)
		wantKstatus(t, getUnstructured(t, h.ns, tc.name), tc.reason, tc.want)
	}

	// A valid token whose renewal cannot be made (the login lost its password): still Current.
	h.updateSecret("failing-login", func(s *corev1.Secret) { delete(s.Data, "password") })
	h.waitReady("failing", authv1alpha1.ReasonRefreshFailing, 20*time.Second)
	wantKstatus(t, getUnstructured(t, h.ns, "failing"), authv1alpha1.ReasonRefreshFailing, status.CurrentStatus)

	// A spec change not yet acted on is in progress, whatever Ready said before.
	h.stopManager()
	h.update("valid", func(c *authv1alpha1.CyclrCredential) { c.Spec.RefreshBefore = &metav1.Duration{Duration: time.Hour} })
	wantKstatus(t, getUnstructured(t, h.ns, "valid"), "a new generation", status.InProgressStatus)
	h.startManager()
	h.waitReady("valid", authv1alpha1.ReasonTokenValid, 20*time.Second)
	wantKstatus(t, getUnstructured(t, h.ns, "valid"), authv1alpha1.ReasonTokenValid, status.CurrentStatus)
}

// TestHealthKstatusBeforeTheOperator covers what no manager writes in the test above: a
// credential nobody has reconciled (the CRD's status default makes it in progress), and a
// retry waiting with no reason known yet (RetryPending), written as NextStatus computes it.
func TestHealthKstatusBeforeTheOperator(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	ns := "unwatched-" + rand.String(8)
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	cred := &authv1alpha1.CyclrCredential{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "new"},
		Spec: authv1alpha1.CyclrCredentialSpec{CredentialsSecretRef: authv1alpha1.CredentialsSecretRef{Name: "login"}}}
	if err := k8s.Create(ctx, cred); err != nil {
		t.Fatal(err)
	}
	u := getUnstructured(t, ns, "new")
	if og, found, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration"); !found || og != 0 {
		t.Errorf("status.observedGeneration of an unreconciled credential = %d (found %v), want the default 0", og, found)
	}
	wantKstatus(t, u, "not reconciled yet", status.InProgressStatus)

	now := time.Now()
	cred.Status = policy.NextStatus(cred, policy.Result{Waited: true, NotBefore: now.Add(time.Minute)}, now)
	if err := k8s.Status().Update(ctx, cred); err != nil {
		t.Fatal(err)
	}
	wantKstatus(t, getUnstructured(t, ns, "new"), authv1alpha1.ReasonRetryPending, status.InProgressStatus)
}

func wantKstatus(t *testing.T, u *unstructured.Unstructured, what string, want status.Status) {
	t.Helper()
	res, err := status.Compute(u)
	if err != nil {
		t.Fatalf("%s (%s): kstatus: %v", u.GetName(), what, err)
	}
	if res.Status != want {
		conds, _ := json.Marshal(u.Object["status"])
		t.Errorf("%s (%s): kstatus %s (%s), want %s; status %s", u.GetName(), what, res.Status, res.Message, want, conds)
	}
}

// getUnstructured reads the credential as GitOps tools do: the API server's JSON, untyped.
func getUnstructured(t *testing.T, ns, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(authv1alpha1.GroupVersion.WithKind("CyclrCredential"))
	if err := k8s.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
		t.Fatal(err)
	}
	return u
}

// closedLoopbackURL is an http URL on loopback where nothing listens: connections are refused.
func closedLoopbackURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}
