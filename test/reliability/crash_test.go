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
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/controller"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr/cyclrtest"
	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

// TestKilledBetweenCyclrAnswerAndSecretWrite: Cyclr answers a refresh (consuming the single-use
// refresh token and retiring the old access token), but the manager "dies" before writing
// anything: the answer is lost. The target keeps the previous token meanwhile; the next attempt
// refreshes with the lost refresh token, gets invalid_grant and signs in with the password.
func TestKilledBetweenCyclrAnswerAndSecretWrite(t *testing.T) {
	h := newHarness(t)
	// 20s tokens planned for refresh 17s before expiry: the first refresh comes 2-3s after the
	// issue, and its retry (5s backoff) while the first token is still valid.
	h.cyclr.SetLifetime(20 * time.Second)
	var mu sync.Mutex
	var lost cyclr.Token
	h.startManager(managerOptions{hook: func(req cyclr.Request, tok cyclr.Token, err error) (cyclr.Token, error) {
		mu.Lock()
		defer mu.Unlock()
		if req.Grant == cyclr.GrantRefreshToken && err == nil && lost.AccessToken == "" {
			lost = tok
			return cyclr.Token{}, errors.New("simulated crash: the manager died before writing the answer")
		}
		return tok, err
	}})
	h.loginSecret("login", partnerLogin())
	h.credential("crash", refreshBefore(17*time.Second))

	first := h.waitReady("crash", authv1alpha1.ReasonTokenValid, 1, 15*time.Second)
	firstToken := h.targetToken("crash")
	h.cyclr.SetLifetime(cyclrtest.DefaultLifetime) // later tokens are not due again during the test
	if first.Status.LastGrant != "password" {
		t.Errorf("first token from %q, want password", first.Status.LastGrant)
	}

	// The lost refresh: the target still holds the first token, Ready stays True.
	c := h.waitReady("crash", authv1alpha1.ReasonRefreshFailing, 1, 15*time.Second)
	if msg := ready(c).Message; !strings.HasPrefix(msg, authv1alpha1.ReasonCyclrUnavailable+":") {
		t.Errorf("RefreshFailing message %q, want it to start with %s", msg, authv1alpha1.ReasonCyclrUnavailable)
	}
	if c.Status.FailedAttempts != 1 {
		t.Errorf("failedAttempts %d, want 1", c.Status.FailedAttempts)
	}
	if got := h.targetToken("crash"); got != firstToken {
		t.Error("the target Secret lost the previous token while the refresh failed")
	}
	h.must(h.requests(2))
	mu.Lock()
	if lost.AccessToken == "" || h.cyclr.TokenValid(firstToken) || !h.cyclr.TokenValid(lost.AccessToken) {
		t.Error("want the refresh to have retired the first token and issued the lost one")
	}
	mu.Unlock()

	// Recovery: invalid_grant for the consumed refresh token, then the password.
	c = h.waitReady("crash", authv1alpha1.ReasonTokenValid, 2, 15*time.Second)
	h.must(h.requests(4))
	testenv.CountIs(h.t, h.cyclr, "password", cyclrtest.OutcomeSuccess, 2)
	testenv.CountIs(h.t, h.cyclr, "refresh_token", cyclrtest.OutcomeSuccess, 1)
	testenv.CountIs(h.t, h.cyclr, "refresh_token", cyclrtest.OutcomeAuthError, 1)
	if c.Status.LastGrant != "password" || c.Status.FailedAttempts != 0 {
		t.Errorf("after recovery: lastGrant %q, failedAttempts %d; want password and 0", c.Status.LastGrant, c.Status.FailedAttempts)
	}
	token := h.targetToken("crash")
	state := h.secret("crash-cyclr-state")
	if token == firstToken || token == lost.AccessToken || string(state.Data["access_token"]) != token || !h.cyclr.TokenValid(token) {
		t.Error("after recovery the target and state Secrets must hold the same new, live token")
	}
	h.eventually(5*time.Second, func() error {
		if !h.hasEvent("crash", controller.EventReauthenticated) {
			return fmt.Errorf("no %s event", controller.EventReauthenticated)
		}
		return nil
	})
}
