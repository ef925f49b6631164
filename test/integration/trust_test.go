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
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr/cyclrtest"
)

// The trust boundary (docs/design.md, "Trust boundary"): whoever may create a CyclrCredential
// must not be able to make the operator read a Secret for them or send it anywhere.

// restartWithAllowList restarts the harness's manager with the real allow-list: only the harness's
// emulator, as an administrator would list a private Cyclr instance.
func (h *harness) restartWithAllowList(minRefreshInterval time.Duration) {
	h.t.Helper()
	hosts, err := cyclr.ParseHostPolicy([]string{strings.TrimPrefix(h.cyclr.URL, "http://")})
	h.must(err)
	h.hosts = hosts
	h.restartWithMinRefreshInterval(minRefreshInterval)
}

// countingServer is a TLS endpoint that is not on the list. It counts the connections made to
// it, not just the requests: a refused host must not even see a TLS handshake.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "should never be asked", http.StatusTeapot)
	}))
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func TestTrustAPIHostNotAllowed(t *testing.T) {
	h := newHarness(t)
	h.restartWithAllowList(0)
	evil, hits := countingServer(t)
	h.loginSecret("login", partnerLogin())
	h.credential("good")
	h.waitReady("good", authv1alpha1.ReasonTokenValid, 20*time.Second)
	before, err := h.secret("good")
	h.must(err)

	// A new credential aimed at a host that is not listed: its login is never read.
	h.loginSecret("login-evil", partnerLogin())
	h.credential("evil", func(c *authv1alpha1.CyclrCredential) {
		c.Spec.APIURL = evil.URL
		c.Spec.CredentialsSecretRef.Name = "login-evil"
	})
	c := h.waitReady("evil", authv1alpha1.ReasonAPIHostNotAllowed, 20*time.Second)
	if cond := ready(t, c); cond.Status != metav1.ConditionFalse || !strings.Contains(cond.Message, strings.TrimPrefix(evil.URL, "https://")) {
		t.Errorf("Ready %s: %q, want False naming the host", cond.Status, cond.Message)
	}
	h.waitEvent("evil", authv1alpha1.ReasonAPIHostNotAllowed)
	if n := h.secretReads.Of("login-evil"); n != 0 {
		t.Errorf("the login Secret of a refused host was read %d times", n)
	}

	// A Ready credential edited to point there: nothing sent, the target stays byte-identical.
	h.update("good", func(c *authv1alpha1.CyclrCredential) { c.Spec.APIURL = evil.URL })
	h.waitReady("good", authv1alpha1.ReasonAPIHostNotAllowed, 20*time.Second)
	h.holds(2*time.Second, func() error {
		after, err := h.secret("good")
		if err != nil {
			return err
		}
		if after.ResourceVersion != before.ResourceVersion || !maps.EqualFunc(after.Data, before.Data, bytesEqual) {
			return fmt.Errorf("the target Secret changed (resourceVersion %s -> %s)", before.ResourceVersion, after.ResourceVersion)
		}
		return nil
	})
	if n := hits.Load(); n != 0 {
		t.Errorf("the host that is not allowed received %d connections", n)
	}
	if err := h.requests(1); err != nil { // the first sign-in of "good", nothing since
		t.Error(err)
	}
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }

func TestTrustLoginSecretTypes(t *testing.T) {
	h := newHarness(t)
	// A registry login the credential's author may not read: naming its key as the password
	// must not get it posted to Cyclr.
	h.must(k8s.Create(h.ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "registry"},
		Type:       corev1.SecretTypeDockerConfigJson,
		StringData: map[string]string{corev1.DockerConfigJsonKey: `{"auths":{}}`, "username": partnerUser, "client_id": partnerClientID}}))
	h.credential("docker", func(c *authv1alpha1.CyclrCredential) {
		c.Spec.CredentialsSecretRef.Name, c.Spec.CredentialsSecretRef.PasswordKey = "registry", corev1.DockerConfigJsonKey
	})
	c := h.waitReady("docker", authv1alpha1.ReasonCredentialsInvalid, 20*time.Second)
	if msg := ready(t, c).Message; !strings.Contains(msg, `type "kubernetes.io/dockerconfigjson"`) || strings.Contains(msg, "key ") {
		t.Errorf("Ready message %q: want the type named, and no key-level detail", msg)
	}
	h.holds(time.Second, func() error { return h.requests(0) })
}

// TestTrustShortLifetimes: an endpoint issuing 1-second tokens gets at most two requests per
// credential in 18 seconds with --min-refresh-interval 9s, and the credential says why. The
// backoff alone (5s, then 10s) would allow a third at about 16 s: the interval is what holds.
func TestTrustShortLifetimes(t *testing.T) {
	const interval, window = 9 * time.Second, 18 * time.Second
	h := newHarness(t, cyclrtest.WithLifetime(time.Second))
	h.restartWithAllowList(interval)
	h.loginSecret("login", partnerLogin())
	h.credential("a")
	h.credential("b")
	h.holds(window, func() error {
		if n := h.cyclr.Requests(); n > 4 {
			return fmt.Errorf("%d token requests for 2 credentials within %s, want at most 4", n, window)
		}
		return nil
	})
	for _, name := range []string{"a", "b"} {
		c := h.waitReady(name, authv1alpha1.ReasonInvalidTokenResponse, 5*time.Second)
		if msg := ready(t, c).Message; !strings.Contains(msg, "min-refresh-interval") {
			t.Errorf("%s: Ready message %q does not name the limit", name, msg)
		}
	}
}
