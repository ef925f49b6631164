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
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
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

var (
	suite *testenv.Suite
	k8s   client.Client // straight to the API server
)

// The login every emulator knows. Distinctive, so the leak check can find them.
const (
	partnerClientID = "rel-partner-client"
	partnerUser     = "rel-alice"
	partnerPassword = "pw-REL-S3CRET-alice-3c9d"
)

func TestMain(m *testing.M) {
	ctrl.SetLogger(logr.Discard())
	testenv.Main(m, func(s *testenv.Suite) error {
		suite, k8s = s, s.Client
		return nil
	})
}

// harness is one test's namespace, Cyclr emulator and managers; when the test ends it stops
// the managers and checks that no secret reached the logs, events, statuses or metrics.
type harness struct {
	t     *testing.T
	ctx   context.Context
	ns    string
	cyclr *cyclrtest.Server
	logs  *testenv.LogBuffer
	leaks *testenv.LeakSet
	// published holds every CyclrCredential as seen while polling: a status message is
	// overwritten later, so each is checked as it was.
	mu        sync.Mutex
	published map[string]bool
	managers  []*manager
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	t.Parallel()
	h := &harness{t: t, ctx: t.Context(), ns: "rel-" + rand.String(8), logs: &testenv.LogBuffer{},
		leaks: &testenv.LeakSet{}, published: map[string]bool{}}
	h.cyclr = cyclrtest.NewServer()
	t.Cleanup(h.cyclr.Close)
	h.cyclr.AddPartner(partnerClientID, partnerUser, partnerPassword)
	h.leaks.Add("partner password", partnerPassword)
	h.must(k8s.Create(h.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: h.ns}}))
	// Cleanups run last-registered first: the managers stop, then the leak check reads the
	// complete log.
	t.Cleanup(h.checkNoLeaks)
	t.Cleanup(func() {
		for _, m := range h.managers {
			m.Stop(t)
		}
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

// manager is one in-process manager built like cmd/main.go's, watching only the test's namespace.
type manager struct {
	*testenv.Running
	tokens  *tokenClient
	elected <-chan struct{}
}

type managerOptions struct {
	name           string
	leaderElection bool
	cyclrTimeout   time.Duration
	// hook, when set, sees every answer of the real Cyclr client and may replace it.
	hook func(req cyclr.Request, tok cyclr.Token, err error) (cyclr.Token, error)
}

func (h *harness) startManager(o managerOptions) *manager {
	h.t.Helper()
	if o.name == "" {
		o.name = fmt.Sprintf("manager-%d", len(h.managers)+1)
	}
	if o.cyclrTimeout == 0 {
		o.cyclrTimeout = 2 * time.Second
	}
	opts := suite.ManagerOptions(h.logs)
	opts.Logger = opts.Logger.WithValues("manager", o.name)
	opts.Cache = controller.CacheOptions([]string{h.ns})
	if o.leaderElection {
		// Short, but with room for a busy 2-core machine: a missed renewal would end the leader.
		opts.LeaderElection = true
		opts.LeaderElectionNamespace = h.ns
		opts.LeaderElectionID = "cyclr-token-operator-reliability"
		opts.LeaseDuration = new(4 * time.Second)
		opts.RenewDeadline = new(3 * time.Second)
		opts.RetryPeriod = new(200 * time.Millisecond)
		opts.LeaderElectionReleaseOnCancel = true
	}
	mgr, err := ctrl.NewManager(suite.Config, opts)
	h.must(err)
	tc := &tokenClient{inner: cyclr.NewClient(cyclr.Options{Timeout: o.cyclrTimeout, QPS: 100, Burst: 100}),
		leaks: h.leaks, hook: o.hook}
	r := controller.NewReconciler(mgr, tc, testenv.AnyLoopbackHost)
	r.MinRefreshInterval = 0 // the suite's tokens live seconds
	h.must(r.SetupWithManager(mgr, controller.Options{MaxConcurrentReconciles: 2}))
	m := &manager{Running: testenv.Run(o.name, mgr), tokens: tc, elected: mgr.Elected()}
	h.managers = append(h.managers, m)
	return m
}

// tokenClient wraps the real Cyclr client: it counts calls, records every token Cyclr issued
// (for the leak check) and lets a test tamper with the answer.
type tokenClient struct {
	inner controller.TokenClient
	leaks *testenv.LeakSet
	hook  func(req cyclr.Request, tok cyclr.Token, err error) (cyclr.Token, error)
	calls atomic.Int32
}

func (c *tokenClient) Token(ctx context.Context, req cyclr.Request) (cyclr.Token, error) {
	c.calls.Add(1)
	tok, err := c.inner.Token(ctx, req)
	if err == nil {
		c.leaks.Add("access token", tok.AccessToken)
		c.leaks.Add("refresh token", tok.RefreshToken)
	}
	if c.hook != nil {
		return c.hook(req, tok, err)
	}
	return tok, err
}

func (h *harness) loginSecret(name string, data map[string][]byte) {
	h.t.Helper()
	h.must(k8s.Create(h.ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: name}, Data: data}))
}

func partnerLogin() map[string][]byte {
	return map[string][]byte{"username": []byte(partnerUser), "password": []byte(partnerPassword),
		"client_id": []byte(partnerClientID)}
}

// credential creates a CyclrCredential pointing at the harness's emulator and the Secret "login".
func (h *harness) credential(name string, mutate ...func(*authv1alpha1.CyclrCredential)) {
	h.t.Helper()
	h.must(k8s.Create(h.ctx, testenv.Credential(h.ns, name, h.cyclr.URL, mutate...)))
}

func refreshBefore(d time.Duration) func(*authv1alpha1.CyclrCredential) {
	return func(c *authv1alpha1.CyclrCredential) { c.Spec.RefreshBefore = &metav1.Duration{Duration: d} }
}

// get reads a credential from the API server and keeps a copy for the leak check.
func (h *harness) get(name string) *authv1alpha1.CyclrCredential {
	h.t.Helper()
	c := &authv1alpha1.CyclrCredential{}
	h.must(k8s.Get(h.ctx, client.ObjectKey{Namespace: h.ns, Name: name}, c))
	b, err := json.Marshal(c)
	h.must(err)
	h.mu.Lock()
	h.published[string(b)] = true
	h.mu.Unlock()
	return c
}

func (h *harness) secret(name string) *corev1.Secret {
	h.t.Helper()
	s := &corev1.Secret{}
	h.must(k8s.Get(h.ctx, client.ObjectKey{Namespace: h.ns, Name: name}, s))
	return s
}

func (h *harness) targetToken(name string) string {
	h.t.Helper()
	return string(h.secret(name).Data["access_token"])
}

// eventually polls f until it returns nil or the timeout passes.
func (h *harness) eventually(timeout time.Duration, f func() error) {
	h.t.Helper()
	testenv.Eventually(h.t, timeout, f)
}

// holds checks that f stays nil for the whole window.
func (h *harness) holds(window time.Duration, f func() error) {
	h.t.Helper()
	testenv.Holds(h.t, window, f)
}

func ready(c *authv1alpha1.CyclrCredential) *metav1.Condition {
	return meta.FindStatusCondition(c.Status.Conditions, authv1alpha1.ConditionReady)
}

// waitReady waits until name's Ready condition for its current generation has reason (and,
// when rev > 0, its status.revision is rev) and returns the credential.
func (h *harness) waitReady(name, reason string, rev int64, timeout time.Duration) *authv1alpha1.CyclrCredential {
	h.t.Helper()
	var c *authv1alpha1.CyclrCredential
	h.eventually(timeout, func() error {
		c = h.get(name)
		if err := testenv.ReadyFor(c, reason); err != nil {
			return err
		}
		if rev > 0 && c.Status.Revision != rev {
			return fmt.Errorf("%s: revision %d, want %d", name, c.Status.Revision, rev)
		}
		return nil
	})
	return c
}

// requests checks the emulator's total count of token requests.
func (h *harness) requests(want int) error { return testenv.Requests(h.cyclr, want) }

func (h *harness) hasEvent(name, reason string) bool {
	h.t.Helper()
	_, ok := testenv.FindEvent(suite.Events(h.ctx, h.t, h.ns), name, reason)
	return ok
}

// checkNoLeaks fails the test if a password, client secret, access or refresh token (raw or
// base64) appears in the managers' log, the namespace's events, any CyclrCredential seen
// (status included) or the metrics. Tokens are those Cyclr issued (recorded by tokenClient)
// plus whatever the state and target Secrets hold now.
func (h *harness) checkNoLeaks() {
	t := h.t
	ctx := context.Background()
	var secrets corev1.SecretList
	if err := k8s.List(ctx, &secrets, client.InNamespace(h.ns),
		client.MatchingLabels{authv1alpha1.ManagedByLabel: authv1alpha1.ManagedByValue}); err != nil {
		t.Errorf("leak check: %v", err)
		return
	}
	for _, s := range secrets.Items {
		h.leaks.Add("access token in Secret "+s.Name, string(s.Data["access_token"]))
		h.leaks.Add("refresh token in Secret "+s.Name, string(s.Data["refresh_token"]))
	}
	places := map[string]string{"the managers' log": h.logs.String()}
	for _, e := range suite.Events(ctx, t, h.ns) {
		b, _ := json.Marshal(e)
		places[fmt.Sprintf("event %s/%s", e.Regarding.Name, e.Reason)] += string(b)
	}
	var creds authv1alpha1.CyclrCredentialList
	if err := k8s.List(ctx, &creds, client.InNamespace(h.ns)); err != nil {
		t.Errorf("leak check: %v", err)
		return
	}
	h.mu.Lock()
	for _, c := range creds.Items {
		b, _ := json.Marshal(c)
		h.published[string(b)] = true
	}
	var all strings.Builder
	for p := range h.published {
		all.WriteString(p)
	}
	h.mu.Unlock()
	places["the CyclrCredentials (status included)"] = all.String()
	places["the metrics"] = testenv.Metrics(t)
	if h.leaks.Len() < 2 {
		t.Errorf("leak check: only %d secrets to look for", h.leaks.Len())
	}
	h.leaks.Check(t, places)
}
