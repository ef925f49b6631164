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
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr/cyclrtest"
	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

// TestWriteConflictsDuringRefresh: while the operator holds Cyclr's answer to a refresh,
// someone else updates the state and the target Secret (a label bump), so the operator's
// writes meet 409 Conflict. They are retried: nothing is lost, exactly one refresh is made,
// the token in both Secrets is the new, live one, and the other writer's labels stay.
func TestWriteConflictsDuringRefresh(t *testing.T) {
	t.Run("scheduled refresh", func(t *testing.T) {
		h := newHarness(t)
		h.cyclr.SetLifetime(20 * time.Second) // refresh planned 2-3s after the issue
		h.startManager(managerOptions{hook: bumpOnce(t, h)})
		h.loginSecret("login", partnerLogin())
		h.credential("conflict", refreshBefore(17*time.Second))
		h.waitReady("conflict", authv1alpha1.ReasonTokenValid, 1, 15*time.Second)
		h.cyclr.SetLifetime(cyclrtest.DefaultLifetime) // the refreshed token is not due again soon
		h.checkAfterConflict("conflict", 15*time.Second)
	})
	t.Run("manual refresh", func(t *testing.T) {
		h := newHarness(t)
		h.startManager(managerOptions{hook: bumpOnce(t, h)})
		h.loginSecret("login", partnerLogin())
		h.credential("conflict")
		h.waitReady("conflict", authv1alpha1.ReasonTokenValid, 1, 15*time.Second)
		h.eventually(10*time.Second, func() error {
			c := h.get("conflict")
			if c.Annotations == nil {
				c.Annotations = map[string]string{}
			}
			c.Annotations[authv1alpha1.RefreshRequestedAtAnnotation] = "now-1"
			return k8s.Update(h.ctx, c)
		})
		c := h.checkAfterConflict("conflict", 15*time.Second)
		if c.Status.LastRefreshRequest != "now-1" {
			t.Errorf("lastRefreshRequest %q, want now-1", c.Status.LastRefreshRequest)
		}
	})
}

// bumpOnce returns a hook that, on the first successful refresh, updates the state and target
// Secrets behind the operator's back before handing it Cyclr's answer.
func bumpOnce(t *testing.T, h *harness) func(cyclr.Request, cyclr.Token, error) (cyclr.Token, error) {
	var once sync.Once
	return func(req cyclr.Request, tok cyclr.Token, err error) (cyclr.Token, error) {
		if req.Grant != cyclr.GrantRefreshToken || err != nil {
			return tok, err
		}
		once.Do(func() {
			for _, name := range []string{"conflict", "conflict-cyclr-state"} {
				if err := bumpLabel(h.ns, name); err != nil {
					t.Errorf("bumping %s: %v", name, err)
				}
			}
		})
		return tok, err
	}
}

func bumpLabel(ns, name string) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		s := &corev1.Secret{}
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, s); err != nil {
			return err
		}
		if s.Labels == nil {
			s.Labels = map[string]string{}
		}
		s.Labels["example.com/bumped"] = "yes"
		return k8s.Update(context.Background(), s)
	})
}

// checkAfterConflict waits for the refresh to land and checks that nothing was lost.
func (h *harness) checkAfterConflict(name string, timeout time.Duration) *authv1alpha1.CyclrCredential {
	h.t.Helper()
	c := h.waitReady(name, authv1alpha1.ReasonTokenValid, 2, timeout)
	var target, state *corev1.Secret
	// The target write that met the conflict is retried by the workqueue.
	h.eventually(5*time.Second, func() error {
		target, state = h.secret(name), h.secret(name+"-cyclr-state")
		if string(target.Data["access_token"]) != string(state.Data["access_token"]) {
			return fmt.Errorf("the target Secret does not hold the state's token yet")
		}
		return nil
	})
	h.holds(time.Second, func() error { return h.requests(2) })
	testenv.CountIs(h.t, h.cyclr, "password", cyclrtest.OutcomeSuccess, 1)
	testenv.CountIs(h.t, h.cyclr, "refresh_token", cyclrtest.OutcomeSuccess, 1)
	if !h.cyclr.TokenValid(string(target.Data["access_token"])) {
		h.t.Error("the target Secret holds a dead token")
	}
	// The refresh token stored is the live one: a refresh with it works.
	if _, err := cyclr.NewClient(cyclr.Options{}).Token(h.ctx, cyclr.Request{APIURL: h.cyclr.URL,
		Grant: cyclr.GrantRefreshToken, ClientID: partnerClientID, RefreshToken: string(state.Data["refresh_token"])}); err != nil {
		h.t.Errorf("the stored refresh token does not work: %v", err)
	}
	for _, s := range []*corev1.Secret{target, state} {
		if s.Labels["example.com/bumped"] != "yes" {
			h.t.Errorf("Secret %s lost the label another writer added", s.Name)
		}
	}
	if c.Status.LastGrant != "refresh_token" || c.Status.FailedAttempts != 0 {
		h.t.Errorf("lastGrant %q, failedAttempts %d; want refresh_token and 0", c.Status.LastGrant, c.Status.FailedAttempts)
	}
	return c
}
