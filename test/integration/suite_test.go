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
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/controller"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr/cyclrtest"
	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

// The integration tests run the real reconciler in a real manager against a real API server
// and the Cyclr emulator over HTTP. Each test has its own namespace, emulator and manager
// (watching only that namespace), so tests run in parallel without seeing each other.

var (
	suite *testenv.Suite
	k8s   client.Client // talks to the API server directly, never through a cache
)

// Logins known to every test's emulator. The secrets are distinctive so the leak test can
// search for them.
const (
	partnerClientID = "partner-client"
	partnerUser     = "alice"
	partnerPassword = "pw-S3CRET-alice-7f1e"
	accountID       = "acct-42"
	ccClientID      = "cc-client"
	ccClientSecret  = "cs-S3CRET-cc-91ab"
)

func TestMain(m *testing.M) {
	ctrl.SetLogger(logr.Discard())
	testenv.Main(m, func(s *testenv.Suite) error {
		suite, k8s = s, s.Client
		return nil
	})
}

// harness is one test's namespace, Cyclr emulator and manager.
type harness struct {
	t       *testing.T
	ctx     context.Context
	ns      string
	cyclr   *cyclrtest.Server
	logs    *testenv.LogBuffer
	manager *testenv.Running
	// hosts and minRefreshInterval configure the next startManager: by default any loopback
	// host (the emulators listen on random ports) and no minimum (the tokens live seconds).
	hosts              cyclr.HostChecker
	minRefreshInterval time.Duration
	// secretReads counts the Secrets the reconciler reads from the API server, by name.
	secretReads *testenv.SecretReads
	// credentialReads counts the reads of CyclrCredentials from the manager's cache, by name:
	// every reconcile starts with one.
	credentialReads *credentialReads
	// wrapClient, when set, wraps the next startManager's client: a test injects failures.
	wrapClient func(client.Client) client.Client
}

func newHarness(t *testing.T, opts ...cyclrtest.Option) *harness {
	t.Helper()
	t.Parallel()
	h := &harness{t: t, ctx: t.Context(), ns: "t-" + rand.String(8), logs: &testenv.LogBuffer{}, hosts: testenv.AnyLoopbackHost}
	h.cyclr = cyclrtest.NewServer(opts...)
	t.Cleanup(h.cyclr.Close)
	h.cyclr.AddPartner(partnerClientID, partnerUser, partnerPassword)
	h.cyclr.AddAccount(accountID)
	h.cyclr.AddClient(ccClientID, ccClientSecret)
	h.must(k8s.Create(h.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: h.ns}}))
	h.startManager()
	t.Cleanup(func() {
		h.stopManager()
		if t.Failed() {
			t.Logf("manager log:\n%s", h.logs.String())
		}
	})
	return h
}

func (h *harness) must(err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}

// startManager runs a manager like cmd/main.go does, watching only the test's namespace.
func (h *harness) startManager() {
	h.t.Helper()
	opts := suite.ManagerOptions(h.logs)
	opts.Cache = controller.CacheOptions([]string{h.ns})
	mgr, err := ctrl.NewManager(suite.Config, opts)
	h.must(err)
	r := controller.NewReconciler(mgr, cyclr.NewClient(cyclr.Options{Timeout: 2 * time.Second, QPS: 100, Burst: 100}), h.hosts)
	r.MinRefreshInterval = h.minRefreshInterval
	if h.wrapClient != nil {
		r.Client = h.wrapClient(r.Client)
	}
	h.secretReads = &testenv.SecretReads{Reader: r.APIReader}
	r.APIReader = h.secretReads
	h.credentialReads = &credentialReads{Client: r.Client}
	r.Client = h.credentialReads
	h.must(r.SetupWithManager(mgr, controller.Options{MaxConcurrentReconciles: 2}))
	h.manager = testenv.Run("manager", mgr)
}

// stopManager stops the manager as SIGTERM does and checks that it exits cleanly.
func (h *harness) stopManager() {
	h.t.Helper()
	h.manager.Stop(h.t)
}

func (h *harness) loginSecret(name string, data map[string]string) *corev1.Secret {
	h.t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: name}, StringData: data}
	h.must(k8s.Create(h.ctx, s))
	return s
}

func partnerLogin() map[string]string {
	return map[string]string{"username": partnerUser, "password": partnerPassword, "client_id": partnerClientID}
}

// credential creates a CyclrCredential pointing at the emulator and the Secret "login".
func (h *harness) credential(name string, mutate ...func(*authv1alpha1.CyclrCredential)) *authv1alpha1.CyclrCredential {
	h.t.Helper()
	c := testenv.Credential(h.ns, name, h.cyclr.URL, mutate...)
	h.must(k8s.Create(h.ctx, c))
	return c
}

func (h *harness) get(name string) *authv1alpha1.CyclrCredential {
	h.t.Helper()
	c := &authv1alpha1.CyclrCredential{}
	h.must(k8s.Get(h.ctx, client.ObjectKey{Namespace: h.ns, Name: name}, c))
	return c
}

func (h *harness) update(name string, mutate func(*authv1alpha1.CyclrCredential)) {
	h.t.Helper()
	h.eventually(10*time.Second, func() error {
		c := h.get(name)
		mutate(c)
		return k8s.Update(h.ctx, c)
	})
}

// eventually polls f until it returns nil or the deadline passes.
func (h *harness) eventually(timeout time.Duration, f func() error) {
	h.t.Helper()
	testenv.Eventually(h.t, timeout, f)
}

// holds checks that f stays nil for the whole window: for things that must NOT happen.
func (h *harness) holds(window time.Duration, f func() error) {
	h.t.Helper()
	testenv.Holds(h.t, window, f)
}

// waitReady waits until the credential's Ready condition, for its current generation, has
// the given reason, and returns the credential.
func (h *harness) waitReady(name, reason string, timeout time.Duration) *authv1alpha1.CyclrCredential {
	h.t.Helper()
	var c *authv1alpha1.CyclrCredential
	h.eventually(timeout, func() error {
		c = h.get(name)
		return testenv.ReadyFor(c, reason)
	})
	return c
}

func (h *harness) secret(name string) (*corev1.Secret, error) {
	s := &corev1.Secret{}
	return s, k8s.Get(h.ctx, client.ObjectKey{Namespace: h.ns, Name: name}, s)
}

// targetToken is the access token in the target Secret.
func (h *harness) targetToken(name string) string {
	h.t.Helper()
	s, err := h.secret(name)
	h.must(err)
	return string(s.Data["access_token"])
}

// requests checks the emulator's total count of token requests.
func (h *harness) requests(want int) error { return testenv.Requests(h.cyclr, want) }

func (h *harness) events() []eventsv1.Event {
	h.t.Helper()
	return suite.Events(h.ctx, h.t, h.ns)
}

// waitEvent waits for an event with reason about the credential name.
func (h *harness) waitEvent(name, reason string) eventsv1.Event {
	h.t.Helper()
	var found eventsv1.Event
	h.eventually(10*time.Second, func() error {
		var ok bool
		if found, ok = testenv.FindEvent(h.events(), name, reason); !ok {
			return fmt.Errorf("no %s event for %s", reason, name)
		}
		return nil
	})
	return found
}

func notFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return fmt.Errorf("want NotFound, got %v", err)
}

// credentialReads is a client that counts its reads of CyclrCredentials, by name.
type credentialReads struct {
	client.Client
	testenv.ReadCounts
}

func (c *credentialReads) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if _, ok := obj.(*authv1alpha1.CyclrCredential); ok {
		c.Count(key.Name)
	}
	return c.Client.Get(ctx, key, obj, opts...)
}
