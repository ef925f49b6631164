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
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

// TestTargetKeysAndFormats: spec.target.keys and spec.target.formats shape the target Secret;
// changing them rewrites it from the stored token, without a token request, and a target so
// shaped is not rewritten by reconciles that change nothing.
func TestTargetKeysAndFormats(t *testing.T) {
	h := newHarness(t)
	h.loginSecret("login", partnerLogin())
	h.credential("cred", func(c *authv1alpha1.CyclrCredential) {
		c.Spec.AccountID = accountID
		c.Spec.Target.Keys = map[string]authv1alpha1.SecretKeyName{"access_token": "CYCLR_TOKEN", "api_url": "url"}
		c.Spec.Target.Formats = []authv1alpha1.TargetFormat{authv1alpha1.FormatEnv, authv1alpha1.FormatJSON}
	})
	c := h.waitReady("cred", authv1alpha1.ReasonTokenValid, 20*time.Second)
	h.holds(time.Second, func() error { return h.requests(1) })

	target, err := h.secret("cred")
	h.must(err)
	token := string(target.Data["CYCLR_TOKEN"])
	if !h.cyclr.TokenValid(token) {
		t.Fatalf("CYCLR_TOKEN %q is not a working token; target keys %v", token, keys(target.Data))
	}
	expires, apiURL := c.Status.ExpiresAt.UTC().Format(time.RFC3339), c.Spec.APIURL
	asJSON := map[string]string{"access_token": token, "token_type": "bearer", "authorization": "Bearer " + token,
		"expires_at": expires, "api_url": apiURL, "account_id": accountID}
	checkTargetData(t, target, map[string]string{
		"CYCLR_TOKEN": token, "token_type": "bearer", "authorization": "Bearer " + token, "expires_at": expires,
		"url": apiURL, "account_id": accountID,
		"cyclr.env": "CYCLR_ACCESS_TOKEN=" + token + "\n" +
			`CYCLR_AUTHORIZATION="Bearer ` + token + `"` + "\n" +
			"CYCLR_EXPIRES_AT=" + expires + "\n" +
			"CYCLR_API_URL=" + apiURL + "\n" +
			"CYCLR_ACCOUNT_ID=" + accountID + "\n",
	}, asJSON)

	// Other names and one format: the target follows from the stored token, read once with the
	// target; the reconcile the write's watch event starts reads nothing (the cache shows the
	// version status records).
	reconciles := h.credentialReads.Of("cred")
	stateReads, targetReads := h.secretReads.Of("cred"+policy.StateSuffix), h.secretReads.Of("cred")
	h.update("cred", func(c *authv1alpha1.CyclrCredential) {
		c.Spec.Target.Keys = map[string]authv1alpha1.SecretKeyName{"access_token": "token", "expires_at": "expiry"}
		c.Spec.Target.Formats = []authv1alpha1.TargetFormat{authv1alpha1.FormatJSON}
	})
	target = h.waitTargetKeys("cred", "token", "token_type", "authorization", "expiry", "api_url", "account_id", "cyclr.json")
	checkTargetData(t, target, map[string]string{
		"token": token, "token_type": "bearer", "authorization": "Bearer " + token, "expiry": expires,
		"api_url": apiURL, "account_id": accountID,
	}, asJSON)
	h.holds(time.Second, func() error {
		if s, tg := h.secretReads.Of("cred"+policy.StateSuffix)-stateReads, h.secretReads.Of("cred")-targetReads; s != 1 || tg != 1 {
			return fmt.Errorf("since the change the state Secret was read %d times and the target %d, want once each", s, tg)
		}
		return h.requests(1)
	})

	// A reconcile that changes nothing leaves the target as it is.
	written := target.ResourceVersion
	h.annotate("cred", "example.com/poke", "1")
	h.eventually(10*time.Second, func() error {
		if h.credentialReads.Of("cred") < reconciles+2 {
			return fmt.Errorf("no reconcile after the annotation")
		}
		return nil
	})
	h.holds(time.Second, func() error {
		s, err := h.secret("cred")
		if err == nil && s.ResourceVersion != written {
			err = fmt.Errorf("the target was rewritten: resourceVersion %s, was %s", s.ResourceVersion, written)
		}
		if err == nil {
			err = h.requests(1)
		}
		return err
	})

	// Without keys and formats the target is section 4's again.
	h.update("cred", func(c *authv1alpha1.CyclrCredential) { c.Spec.Target.Keys, c.Spec.Target.Formats = nil, nil })
	target = h.waitTargetKeys("cred", "access_token", "token_type", "authorization", "expires_at", "api_url", "account_id")
	checkTarget(t, target, h.get("cred"), accountID)
	if got := string(target.Data["access_token"]); got != token {
		t.Errorf("access_token = %q, want the token issued first", got)
	}
	h.holds(time.Second, func() error { return h.requests(1) })
	// Reshaping the target is no restore.
	if e, found := testenv.FindEvent(h.events(), "cred", "Restored"); found {
		t.Errorf("a Restored event for a change of keys and formats: %s", e.Note)
	}
}

// waitTargetKeys waits until the Secret name has exactly the data keys want, and returns it.
func (h *harness) waitTargetKeys(name string, want ...string) *corev1.Secret {
	h.t.Helper()
	slices.Sort(want)
	var s *corev1.Secret
	h.eventually(10*time.Second, func() error {
		var err error
		if s, err = h.secret(name); err != nil {
			return err
		}
		if got := slices.Sorted(maps.Keys(s.Data)); !slices.Equal(got, want) {
			return fmt.Errorf("target keys %v, want %v", got, want)
		}
		return nil
	})
	return s
}

// checkTargetData checks that s holds exactly plain and, when asJSON is given, cyclr.json
// holding asJSON.
func checkTargetData(t *testing.T, s *corev1.Secret, plain, asJSON map[string]string) {
	t.Helper()
	wantKeys := slices.Collect(maps.Keys(plain))
	if asJSON != nil {
		wantKeys = append(wantKeys, authv1alpha1.JSONFormatKey)
		var got map[string]string
		if err := json.Unmarshal(s.Data[authv1alpha1.JSONFormatKey], &got); err != nil || !maps.Equal(got, asJSON) {
			t.Errorf("cyclr.json = %s (%v), want %v", s.Data[authv1alpha1.JSONFormatKey], err, asJSON)
		}
	}
	if got := slices.Sorted(maps.Keys(s.Data)); !slices.Equal(got, slices.Sorted(slices.Values(wantKeys))) {
		t.Errorf("target keys %v, want %v", got, slices.Sorted(slices.Values(wantKeys)))
	}
	for k, want := range plain {
		if got := string(s.Data[k]); got != want {
			t.Errorf("target %s = %q, want %q", k, got, want)
		}
	}
}
