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
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/rand"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/controller"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr/cyclrtest"
	"github.com/cyclr-operator/cyclr-token-operator/internal/logging"
	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

var (
	testCfg    *rest.Config
	testScheme = runtime.NewScheme()
	k8s        client.Client // straight to the API server
)

// The login every emulator knows. Distinctive, so the leak check can find them.
const (
	partnerClientID = "rel-partner-client"
	partnerUser     = "rel-alice"
	partnerPassword = "pw-REL-S3CRET-alice-3c9d"
)

func TestMain(m *testing.M) {
	ctrl.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, authv1alpha1.AddToScheme} {
		if err := add(testScheme); err != nil {
			panic(err)
		}
	}
	cfg, stop, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testCfg = cfg
	if k8s, err = client.New(cfg, client.Options{Scheme: testScheme}); err != nil {
		panic(err)
	}
	code := m.Run()
	if err := stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the control plane:", err)
	}
	os.Exit(code)
}

// harness is one test's namespace, Cyclr emulator and managers; when the test ends it stops
// the managers and checks that no secret reached the logs, events, statuses or metrics.
type harness struct {
	t     *testing.T
	ctx   context.Context
	ns    string
	cyclr *cyclrtest.Server
	logs  *syncBuffer
	leaks *leakSet
	// published holds every CyclrCredential as seen while polling: a status message is
	// overwritten later, so each is checked as it was.
	mu        sync.Mutex
	published map[string]bool
	managers  []*manager
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	t.Parallel()
	h := &harness{t: t, ctx: t.Context(), ns: "rel-" + rand.String(8), logs: &syncBuffer{},
		leaks: &leakSet{m: map[string]string{}}, published: map[string]bool{}}
	h.cyclr = cyclrtest.NewServer()
	t.Cleanup(h.cyclr.Close)
	h.cyclr.AddPartner(partnerClientID, partnerUser, partnerPassword)
	h.leaks.add("partner password", partnerPassword)
	h.must(k8s.Create(h.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: h.ns}}))
	// Cleanups run last-registered first: the managers stop, then the leak check reads the
	// complete log.
	t.Cleanup(h.checkNoLeaks)
	t.Cleanup(func() {
		for _, m := range h.managers {
			m.stop(t)
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
	name    string
	tokens  *tokenClient
	elected <-chan struct{}
	cancel  context.CancelFunc
	done    chan error
	stopped bool
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
	logger := zap.New(zap.WriteTo(h.logs), zap.UseDevMode(false), zap.Level(logging.Capped(zapcore.Level(-10))))
	opts := ctrl.Options{
		Scheme:                 testScheme,
		Logger:                 logger.WithValues("manager", o.name),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  controller.CacheOptions([]string{h.ns}),
		Controller:             config.Controller{SkipNameValidation: new(true)},
	}
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
	mgr, err := ctrl.NewManager(testCfg, opts)
	h.must(err)
	tc := &tokenClient{inner: cyclr.NewClient(cyclr.Options{Timeout: o.cyclrTimeout, QPS: 100, Burst: 100}),
		leaks: h.leaks, hook: o.hook}
	r := &controller.CyclrCredentialReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Scheme:    mgr.GetScheme(),
		Cyclr:     tc,
		Recorder:  mgr.GetEventRecorder("cyclr-token-operator"),
		Clock:     clock.RealClock{},
	}
	h.must(r.SetupWithManager(mgr, controller.Options{Namespaces: []string{h.ns}, MaxConcurrentReconciles: 2}))
	ctx, cancel := context.WithCancel(context.Background())
	m := &manager{name: o.name, tokens: tc, elected: mgr.Elected(), cancel: cancel, done: make(chan error, 1)}
	go func() { m.done <- mgr.Start(ctx) }()
	h.managers = append(h.managers, m)
	return m
}

// stop stops the manager as SIGTERM does and checks that it exits cleanly.
func (m *manager) stop(t *testing.T) {
	t.Helper()
	if m.stopped {
		return
	}
	m.stopped = true
	m.cancel()
	select {
	case err := <-m.done:
		if err != nil {
			t.Errorf("%s exited with %v", m.name, err)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("%s did not stop within 30s", m.name)
	}
}

// tokenClient wraps the real Cyclr client: it counts calls, records every token Cyclr issued
// (for the leak check) and lets a test tamper with the answer.
type tokenClient struct {
	inner controller.TokenClient
	leaks *leakSet
	hook  func(req cyclr.Request, tok cyclr.Token, err error) (cyclr.Token, error)
	calls atomic.Int32
}

func (c *tokenClient) Token(ctx context.Context, req cyclr.Request) (cyclr.Token, error) {
	c.calls.Add(1)
	tok, err := c.inner.Token(ctx, req)
	if err == nil {
		c.leaks.add("access token", tok.AccessToken)
		c.leaks.add("refresh token", tok.RefreshToken)
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
	c := &authv1alpha1.CyclrCredential{
		ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: name},
		Spec: authv1alpha1.CyclrCredentialSpec{
			APIURL:               h.cyclr.URL,
			CredentialsSecretRef: authv1alpha1.CredentialsSecretRef{Name: "login"},
		},
	}
	for _, m := range mutate {
		m(c)
	}
	h.must(k8s.Create(h.ctx, c))
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
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("not true after %s: %v", timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// holds checks that f stays nil for the whole window.
func (h *harness) holds(window time.Duration, f func() error) {
	h.t.Helper()
	deadline := time.Now().Add(window)
	for time.Now().Before(deadline) {
		if err := f(); err != nil {
			h.t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
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
		cond := ready(c)
		switch {
		case cond == nil:
			return fmt.Errorf("%s: no Ready condition", name)
		case cond.ObservedGeneration != c.Generation || cond.Reason != reason:
			return fmt.Errorf("%s: Ready %s/%s: %s", name, cond.Status, cond.Reason, cond.Message)
		case rev > 0 && c.Status.Revision != rev:
			return fmt.Errorf("%s: revision %d, want %d", name, c.Status.Revision, rev)
		}
		return nil
	})
	return c
}

// requests checks the emulator's total count of token requests.
func (h *harness) requests(want int) error {
	if got := h.cyclr.Requests(); got != want {
		return fmt.Errorf("Cyclr received %d token requests, want %d", got, want)
	}
	return nil
}

func (h *harness) countIs(grant, outcome string, want int) {
	h.t.Helper()
	if got := h.cyclr.Count(grant, outcome); got != want {
		h.t.Errorf("Cyclr counted %d %s requests with outcome %s, want %d", got, grant, outcome, want)
	}
}

func (h *harness) events() []eventsv1.Event {
	h.t.Helper()
	var list eventsv1.EventList
	h.must(k8s.List(h.ctx, &list, client.InNamespace(h.ns)))
	return list.Items
}

func (h *harness) hasEvent(name, reason string) bool {
	h.t.Helper()
	for _, e := range h.events() {
		if e.Regarding.Name == name && e.Reason == reason {
			return true
		}
	}
	return false
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
		h.leaks.add("access token in Secret "+s.Name, string(s.Data["access_token"]))
		h.leaks.add("refresh token in Secret "+s.Name, string(s.Data["refresh_token"]))
	}
	places := map[string]string{"the managers' log": h.logs.String()}
	var events eventsv1.EventList
	if err := k8s.List(ctx, &events, client.InNamespace(h.ns)); err != nil {
		t.Errorf("leak check: %v", err)
		return
	}
	for _, e := range events.Items {
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
	places["the metrics"] = gatherMetrics(t)

	values := h.leaks.list()
	if len(values) < 2 {
		t.Errorf("leak check: only %d secrets to look for", len(values))
	}
	for _, where := range slices.Sorted(func(yield func(string) bool) {
		for k := range places {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, s := range values {
			if strings.Contains(places[where], s.value) ||
				strings.Contains(places[where], base64.StdEncoding.EncodeToString([]byte(s.value))) {
				t.Errorf("LEAK: the %s appears in %s", s.what, where)
			}
		}
	}
}

// leakSet is the secrets to look for, by value, each with what it is.
type leakSet struct {
	mu sync.Mutex
	m  map[string]string
}

// add records a secret; values shorter than 8 bytes are too common to search for.
func (l *leakSet) add(what, value string) {
	if len(value) < 8 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.m[value]; !ok {
		l.m[value] = what
	}
}

type leak struct{ what, value string }

func (l *leakSet) list() []leak {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]leak, 0, len(l.m))
	for v, w := range l.m {
		out = append(out, leak{w, v})
	}
	slices.SortFunc(out, func(a, b leak) int { return strings.Compare(a.what, b.what) })
	return out
}

// gatherMetrics renders the controller-runtime registry's metrics, label values included.
func gatherMetrics(t *testing.T) string {
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Errorf("gathering metrics: %v", err)
		return ""
	}
	var b strings.Builder
	for _, mf := range families {
		for _, m := range mf.GetMetric() {
			b.WriteString(mf.GetName())
			for _, l := range m.GetLabel() {
				fmt.Fprintf(&b, " %s=%q", l.GetName(), l.GetValue())
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// syncBuffer collects the managers' log output.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
