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
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/controller"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
)

func TestIssueTokens(t *testing.T) {
	cases := []struct {
		name      string
		login     map[string]string
		mutate    func(*authv1alpha1.CyclrCredential)
		grant     string
		accountID string
	}{
		{name: "partner", login: partnerLogin(), mutate: func(*authv1alpha1.CyclrCredential) {}, grant: "password"},
		{name: "account", login: partnerLogin(), grant: "password", accountID: accountID,
			mutate: func(c *authv1alpha1.CyclrCredential) { c.Spec.AccountID = accountID }},
		{name: "client-credentials", grant: "client_credentials", accountID: accountID,
			login: map[string]string{"client_secret": ccClientSecret},
			mutate: func(c *authv1alpha1.CyclrCredential) {
				c.Spec.Grant = authv1alpha1.GrantClientCredentials
				c.Spec.ClientID = ccClientID
				c.Spec.AccountID = accountID
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.loginSecret("login", tc.login)
			h.credential("cred", tc.mutate)
			c := h.waitReady("cred", authv1alpha1.ReasonTokenValid, 20*time.Second)

			h.holds(2*time.Second, func() error { return h.requests(1) })
			if got := h.cyclr.Count(tc.grant, "success"); got != 1 {
				t.Errorf("%s grants = %d, want 1", tc.grant, got)
			}
			target, err := h.secret("cred")
			h.must(err)
			checkTarget(t, target, c, tc.accountID)
			if !h.cyclr.TokenValid(string(target.Data["access_token"])) {
				t.Error("the token in the target Secret does not work against Cyclr")
			}
			st := c.Status
			if st.TokenSecretName != "cred" || st.Revision != 1 || st.LastGrant != tc.grant ||
				st.IssuedAt == nil || st.ExpiresAt == nil || st.RefreshAt == nil || st.ObservedGeneration != c.Generation {
				t.Errorf("unexpected status %+v", st)
			}
			if !st.RefreshAt.After(st.IssuedAt.Time) || !st.RefreshAt.Before(st.ExpiresAt) {
				t.Errorf("refreshAt %s is not between issuedAt %s and expiresAt %s", st.RefreshAt, st.IssuedAt, st.ExpiresAt)
			}
			h.waitEvent("cred", controller.EventIssued)
		})
	}
}

// checkTarget checks the target Secret's keys, labels and owner against docs/design.md, section 4.
func checkTarget(t *testing.T, s *corev1.Secret, c *authv1alpha1.CyclrCredential, accountID string) {
	t.Helper()
	token := string(s.Data["access_token"])
	want := map[string]string{
		"access_token":  token,
		"token_type":    "bearer",
		"authorization": "Bearer " + token,
		"expires_at":    c.Status.ExpiresAt.UTC().Format(time.RFC3339),
		"api_url":       c.Spec.APIURL,
	}
	if accountID != "" {
		want["account_id"] = accountID
	}
	if token == "" || len(s.Data) != len(want) {
		t.Errorf("target keys = %v, want %v", keys(s.Data), want)
	}
	for k, v := range want {
		if string(s.Data[k]) != v {
			t.Errorf("target %s = %q, want %q", k, s.Data[k], v)
		}
	}
	if s.Type != corev1.SecretTypeOpaque || s.Labels[authv1alpha1.ManagedByLabel] != authv1alpha1.ManagedByValue ||
		s.Labels[authv1alpha1.CredentialLabel] != c.Name {
		t.Errorf("target type %s labels %v", s.Type, s.Labels)
	}
	if !metav1.IsControlledBy(s, c) {
		t.Errorf("target owner references %v do not name %s as controller", s.OwnerReferences, c.Name)
	}
}

func keys(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestTargetLabelsAnnotationsAndName(t *testing.T) {
	h := newHarness(t)
	h.loginSecret("login", partnerLogin())
	h.credential("cred", func(c *authv1alpha1.CyclrCredential) {
		c.Spec.Target = authv1alpha1.TargetSecret{Name: "pod-token", Labels: map[string]string{"team": "a"},
			Annotations: map[string]string{"reloader.example/match": "true"}}
	})
	c := h.waitReady("cred", authv1alpha1.ReasonTokenValid, 20*time.Second)
	s, err := h.secret("pod-token")
	h.must(err)
	if s.Labels["team"] != "a" || s.Annotations["reloader.example/match"] != "true" || c.Status.TokenSecretName != "pod-token" {
		t.Errorf("labels %v annotations %v tokenSecretName %q", s.Labels, s.Annotations, c.Status.TokenSecretName)
	}
	state, err := h.secret(policy.StateSecretName("cred"))
	h.must(err)
	if state.Labels[authv1alpha1.RoleLabel] != authv1alpha1.RoleState || !metav1.IsControlledBy(state, c) {
		t.Errorf("state Secret labels %v owners %v", state.Labels, state.OwnerReferences)
	}
	for _, k := range []string{"refresh_token", "password", "username", "client_secret"} {
		if _, ok := s.Data[k]; ok {
			t.Errorf("target Secret holds %q", k)
		}
	}
	if len(state.Data["refresh_token"]) == 0 {
		t.Error("the state Secret holds no refresh token")
	}
}

func TestRefreshBeforeExpiry(t *testing.T) {
	cases := []struct {
		rotation authv1alpha1.RotationStrategy
		grant    string
		// oldStaysValid: Reauthenticate leaves the previous token working; a refresh revokes it.
		oldStaysValid bool
	}{
		{authv1alpha1.RotationRefreshToken, "refresh_token", false},
		{authv1alpha1.RotationReauthenticate, "password", true},
	}
	for _, tc := range cases {
		t.Run(string(tc.rotation), func(t *testing.T) {
			h := newHarness(t)
			h.cyclr.SetLifetime(6 * time.Second)
			h.loginSecret("login", partnerLogin())
			h.credential("cred", func(c *authv1alpha1.CyclrCredential) { c.Spec.Rotation = tc.rotation })
			first := h.waitReady("cred", authv1alpha1.ReasonTokenValid, 20*time.Second)
			oldToken := h.targetToken("cred")

			h.eventually(15*time.Second, func() error {
				if c := h.get("cred"); c.Status.Revision != 2 {
					return fmt.Errorf("revision %d", c.Status.Revision)
				}
				return nil
			})
			second := h.waitReady("cred", authv1alpha1.ReasonTokenValid, 5*time.Second)
			if err := h.requests(2); err != nil {
				t.Fatal(err)
			}
			if got := h.cyclr.Count(tc.grant, "success"); got != 1+btoi(tc.grant == "password") {
				t.Errorf("%s grants = %d", tc.grant, got)
			}
			if second.Status.LastGrant != tc.grant {
				t.Errorf("lastGrant %q, want %q", second.Status.LastGrant, tc.grant)
			}
			// The refresh happened at the planned time, not before it (status keeps the plan
			// rounded up to the second).
			if now := time.Now(); now.Before(first.Status.RefreshAt.Add(-time.Second)) {
				t.Errorf("refreshed at %s, before the planned %s", now, first.Status.RefreshAt)
			}
			newToken := h.targetToken("cred")
			if newToken == oldToken || !h.cyclr.TokenValid(newToken) {
				t.Error("the target does not hold a new working token")
			}
			if h.cyclr.TokenValid(oldToken) != tc.oldStaysValid {
				t.Errorf("old token valid = %v, want %v", !tc.oldStaysValid, tc.oldStaysValid)
			}
			h.waitEvent("cred", controller.EventRefreshed)
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestRestartCausesNoRequest(t *testing.T) {
	h := newHarness(t)
	h.loginSecret("login", partnerLogin())
	h.credential("cred")
	before := h.waitReady("cred", authv1alpha1.ReasonTokenValid, 20*time.Second)
	token := h.targetToken("cred")

	h.stopManager()
	// Deleted while no manager runs: the restarted one must notice and restore it from state.
	target, err := h.secret("cred")
	h.must(err)
	h.must(k8s.Delete(h.ctx, target))
	h.startManager()
	h.eventually(10*time.Second, func() error { _, err := h.secret("cred"); return err })
	h.holds(2*time.Second, func() error { return h.requests(1) })
	after := h.waitReady("cred", authv1alpha1.ReasonTokenValid, 5*time.Second)
	if !after.Status.RefreshAt.Equal(before.Status.RefreshAt) || after.Status.Revision != 1 || h.targetToken("cred") != token {
		t.Errorf("restart changed the plan: refreshAt %s -> %s, revision %d", before.Status.RefreshAt, after.Status.RefreshAt, after.Status.Revision)
	}
}
