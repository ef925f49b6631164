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

package plugin

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
)

// playOperator honours refresh requests on cred as the operator does, until ctx ends: it
// writes a new token to the target Secret, then the status with the next revision, Ready,
// and the request it honoured. It returns a channel that reports the first error.
func playOperator(ctx context.Context, cred *authv1alpha1.CyclrCredential, newToken string) <-chan error {
	done := make(chan error, 1)
	go func() {
		done <- wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			current := &authv1alpha1.CyclrCredential{}
			if err := k8s.Get(ctx, client.ObjectKeyFromObject(cred), current); err != nil {
				return false, fmt.Errorf("operator: %w", err)
			}
			requested := current.Annotations[authv1alpha1.RefreshRequestedAtAnnotation]
			if requested == "" || requested == current.Status.LastRefreshRequest {
				return false, nil
			}
			secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: cred.Namespace, Name: cred.TargetSecretName()}}
			patch := client.MergeFrom(secret.DeepCopy())
			secret.StringData = map[string]string{"access_token": newToken, "authorization": "Bearer " + newToken}
			if err := k8s.Patch(ctx, secret, patch); err != nil {
				return false, fmt.Errorf("operator: writing the target Secret: %w", err)
			}
			current.Status.Revision++
			current.Status.LastRefreshRequest = requested
			current.Status.ExpiresAt = &metav1.Time{Time: time.Now().Add(time.Hour)}
			meta.SetStatusCondition(&current.Status.Conditions, metav1.Condition{Type: authv1alpha1.ConditionReady,
				Status: metav1.ConditionTrue, Reason: authv1alpha1.ReasonTokenValid, ObservedGeneration: current.Generation})
			if err := k8s.Status().Update(ctx, current); err != nil {
				return false, fmt.Errorf("operator: writing the status: %w", err)
			}
			return true, nil
		})
	}()
	return done
}

// TestRefreshWait: refresh --wait sets the annotation and returns once the operator has
// written a new revision and it is Ready, by which time the new token is in the Secret.
func TestRefreshWait(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	cred := newCredential(t, ns, "rotating", nil)
	targetSecret(t, cred, tokenValue)
	const next = tokenValue + "-next"
	operator := playOperator(t.Context(), cred, next)

	out := mustRun(t, "refresh", cred.Name, "-n", ns, "--wait", "--timeout", "30s")
	if !strings.Contains(out, "cyclrcredential/rotating refresh requested (revision 1)") ||
		!strings.Contains(out, "cyclrcredential/rotating revision 2 Ready (TokenValid)") {
		t.Errorf("refresh --wait printed:\n%s", out)
	}
	if err := <-operator; err != nil {
		t.Fatal(err)
	}
	secret := &corev1.Secret{}
	if err := k8s.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: cred.TargetSecretName()}, secret); err != nil {
		t.Fatal(err)
	}
	if string(secret.Data["access_token"]) != next {
		t.Error("refresh --wait returned before the new token was in the target Secret")
	}
	assertNoToken(t, out, tokenValue, next)
}

// TestRefreshWithoutWait only asks: the annotation is set, and nothing waits for the operator.
func TestRefreshWithoutWait(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	cred := newCredential(t, ns, "ask", nil)
	before := time.Now().UTC()
	mustRun(t, "refresh", cred.Name, "-n", ns)
	if err := k8s.Get(t.Context(), client.ObjectKeyFromObject(cred), cred); err != nil {
		t.Fatal(err)
	}
	requested, err := time.Parse(time.RFC3339Nano, cred.Annotations[authv1alpha1.RefreshRequestedAtAnnotation])
	if err != nil || requested.Before(before.Truncate(time.Second)) {
		t.Errorf("annotation %s = %q (%v), want the time of the request", authv1alpha1.RefreshRequestedAtAnnotation,
			cred.Annotations[authv1alpha1.RefreshRequestedAtAnnotation], err)
	}
}

// TestRefreshWaitTimesOut: with no new revision, refresh --wait fails at the timeout with
// the credential's reason.
func TestRefreshWaitTimesOut(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	cred := newCredential(t, ns, "stuck", nil)
	setStatus(t, cred, func(st *authv1alpha1.CyclrCredentialStatus) {
		st.LastFailureReason = authv1alpha1.ReasonAuthenticationFailed
		setReady(st, cred, metav1.ConditionFalse, authv1alpha1.ReasonAuthenticationFailed, "Cyclr refused the login (invalid_grant)")
	})
	start := time.Now()
	r := kubectlCyclr(t, "refresh", cred.Name, "-n", ns, "--wait", "--timeout", "2s")
	if r.err == nil {
		t.Fatalf("refresh --wait succeeded with no new revision:\n%s", r.stdout)
	}
	for _, want := range []string{"no new revision Ready within 2s", "Ready=False AuthenticationFailed: Cyclr refused the login (invalid_grant)"} {
		if !strings.Contains(r.err.Error(), want) {
			t.Errorf("error %q lacks %q", r.err, want)
		}
	}
	if elapsed := time.Since(start); elapsed < 2*time.Second {
		t.Errorf("refresh --wait gave up after %s, before its 2s timeout", elapsed)
	}
}

// TestRefreshWaitSuspended: a suspended credential gets no token until resumed, so --wait
// says so at once rather than at the timeout.
func TestRefreshWaitSuspended(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	cred := newCredential(t, ns, "paused", func(c *authv1alpha1.CyclrCredential) { c.Spec.Suspend = true })
	start := time.Now()
	r := kubectlCyclr(t, "refresh", cred.Name, "-n", ns, "--wait", "--timeout", "1m")
	if r.err == nil || !strings.Contains(r.err.Error(), "spec.suspend is true") {
		t.Fatalf("refresh --wait of a suspended credential: %v, want an error naming spec.suspend", r.err)
	}
	if elapsed := time.Since(start); elapsed > 30*time.Second {
		t.Errorf("refresh --wait took %s to see the credential is suspended", elapsed)
	}
}
