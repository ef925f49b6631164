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

package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
)

// The world every row of TestReconcile starts from: one credential, its login, and tokens
// that live an hour.
const (
	recNS        = "team-a"
	recName      = "app"
	recUID       = types.UID("0d5e8a7c-6b1f-4c3e-9a2d-3f4b5c6d7e8f")
	recLifetime  = time.Hour
	recUsername  = "robot@example.com"
	recPassword  = "pw-Qx7!login-9f3e"
	recClientID  = "client-7"
	oldAccess    = "acc-OLD-4f9a1c77"
	oldRefresh   = "ref-OLD-7b2e9d31"
	newAccess    = "acc-NEW-1d8c3e55"
	newRefresh   = "ref-NEW-6a5f0b42"
	refreshAnnot = authv1alpha1.RefreshRequestedAtAnnotation
)

var (
	t0 = time.Date(2026, time.March, 2, 9, 0, 0, 0, time.UTC)
	// secretValues may appear in the Secrets and in requests to Cyclr, nowhere else.
	secretValues = []string{recPassword, oldAccess, oldRefresh, newAccess, newRefresh}
	recLoginData = map[string][]byte{"username": []byte(recUsername), "password": []byte(recPassword), "client_id": []byte(recClientID)}
	recScheme    = func() *runtime.Scheme {
		s := runtime.NewScheme()
		utilruntime.Must(clientgoscheme.AddToScheme(s))
		utilruntime.Must(authv1alpha1.AddToScheme(s))
		return s
	}()
	recStateName = policy.StateSecretName(recName)
)

// newCred is the credential with the defaults the API server would fill in.
func newCred(edits ...func(*authv1alpha1.CyclrCredential)) *authv1alpha1.CyclrCredential {
	c := &authv1alpha1.CyclrCredential{
		ObjectMeta: metav1.ObjectMeta{Namespace: recNS, Name: recName, UID: recUID, Generation: 1},
		Spec: authv1alpha1.CyclrCredentialSpec{
			APIURL: "https://api.cyclr.com", Grant: authv1alpha1.GrantPassword, Rotation: authv1alpha1.RotationRefreshToken,
			CredentialsSecretRef: authv1alpha1.CredentialsSecretRef{Name: "login", UsernameKey: "username",
				PasswordKey: "password", ClientIDKey: "client_id", ClientSecretKey: "client_secret"},
		},
	}
	for _, edit := range edits {
		edit(c)
	}
	return c
}

// recLoginVersion is the version (secretVersion) of loginSecret.
const recLoginVersion = "login-uid/7"

func loginSecret() *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: recNS, Name: "login", UID: "login-uid", ResourceVersion: "7"},
		Data: recLoginData}
}

// recTargetVersion is the resourceVersion of the target Secret stored writes.
const recTargetVersion = "5"

// stored is cred with the token oldAccess/oldRefresh issued at issued, as the reconcile that
// obtained it left things: the status, the state Secret (for loginSecret's version) and the
// target Secret.
func stored(issued time.Time, edits ...func(*authv1alpha1.CyclrCredential)) (cred *authv1alpha1.CyclrCredential, state, target *corev1.Secret) {
	cred = newCred(edits...)
	login, err := policy.LoginFromSecret(&cred.Spec, "login", recLoginData)
	utilruntime.Must(err)
	st := &policy.TokenState{Token: cyclr.Token{AccessToken: oldAccess, RefreshToken: oldRefresh, TokenType: "Bearer",
		Grant: cyclr.GrantPassword, IssuedAt: issued, ExpiresAt: issued.Add(recLifetime)},
		Fingerprint: policy.Fingerprint(&cred.Spec, login), Inputs: policy.InputsOf(&cred.Spec, recLoginVersion)}
	state = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: recNS, Name: recStateName}}
	utilruntime.Must(applyState(state, cred, st, recScheme))
	target = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: recNS, Name: cred.TargetSecretName(), ResourceVersion: recTargetVersion}}
	_, err = applyTarget(target, cred, st, recScheme)
	utilruntime.Must(err)
	cred.Status = policy.NextStatus(cred, policy.Result{State: st, Renewed: true, TargetVersion: recTargetVersion}, issued)
	return cred, state, target
}

// untilRefresh is how long after t0 the refresh of a token issued at issued is planned, at
// the whole second status keeps.
func untilRefresh(issued time.Time) time.Duration {
	at := policy.RefreshTime(issued, issued.Add(recLifetime), nil, recUID)
	if tr := at.Truncate(time.Second); !tr.Equal(at) {
		at = tr.Add(time.Second)
	}
	return at.Sub(t0)
}

// answer is what the fake Cyclr says to one request: a token with these values, or err.
type answer struct {
	access, refresh string
	err             error
}

// fakeCyclr answers token requests from a script and records them.
type fakeCyclr struct {
	clock   *clocktesting.FakePassiveClock
	script  []answer
	used    int             // answers given, over all reconciles
	request []cyclr.Request // requests of the current reconcile
}

func (f *fakeCyclr) Token(_ context.Context, req cyclr.Request) (cyclr.Token, error) {
	f.request = append(f.request, req)
	if f.used == len(f.script) {
		return cyclr.Token{}, &cyclr.UnavailableError{Err: errors.New("unscripted call")}
	}
	a := f.script[f.used]
	f.used++
	if a.err != nil {
		return cyclr.Token{}, a.err
	}
	now := f.clock.Now()
	return cyclr.Token{AccessToken: a.access, RefreshToken: a.refresh, TokenType: "Bearer",
		IssuedAt: now, ExpiresAt: now.Add(recLifetime), Grant: req.Grant}, nil
}

// call is what a test cares about in a request: the grant, and the refresh token it sent.
type call struct {
	grant   cyclr.Grant
	refresh string
}

// world is the API server (api: what APIReader reads and every write reaches), the manager's
// cache (the credentials, and the Secrets, of which the reconciler reads only the metadata, as
// last synced), and the reconciler over them.
type world struct {
	// apiReads are the objects read straight from the API server, as "Kind name".
	apiReads []string
	api      client.WithWatch
	cache    client.Client
	cyclr    *fakeCyclr
	events   *events.FakeRecorder
	r        *CyclrCredentialReconciler
	writes   []string // successful writes, in order: "create <name>", "update <name>", "status <name>"
}

// newWorld seeds the API server with objs (its credential edited by apiEdit, when the API
// server is ahead of the cache) and the cache with objs.
func newWorld(objs []client.Object, apiEdit func(*authv1alpha1.CyclrCredential), failWrite func(client.Object) error, now time.Time, script []answer) *world {
	apiObjs := make([]client.Object, 0, len(objs))
	for _, o := range objs {
		o = o.DeepCopyObject().(client.Object)
		if c, ok := o.(*authv1alpha1.CyclrCredential); ok && apiEdit != nil {
			apiEdit(c)
		}
		apiObjs = append(apiObjs, o)
	}
	w := &world{
		api:    fakeClient(apiObjs...),
		cache:  fakeClient(copies(objs)...),
		cyclr:  &fakeCyclr{clock: clocktesting.NewFakePassiveClock(now), script: script},
		events: events.NewFakeRecorder(32),
	}
	write := func(verb string, obj client.Object, do func() error) error {
		if failWrite != nil {
			if err := failWrite(obj); err != nil {
				return err
			}
		}
		err := do()
		if err == nil {
			w.writes = append(w.writes, verb+" "+obj.GetName())
		}
		return err
	}
	c := interceptor.NewClient(w.api, interceptor.Funcs{
		Get: func(ctx context.Context, _ client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			return w.cache.Get(ctx, key, obj, opts...)
		},
		List: func(ctx context.Context, _ client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			return w.cache.List(ctx, list, opts...)
		},
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			return write("create", obj, func() error { return c.Create(ctx, obj, opts...) })
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			return write("update", obj, func() error { return c.Update(ctx, obj, opts...) })
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			return write("patch", obj, func() error { return c.Patch(ctx, obj, patch, opts...) })
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			return write("delete", obj, func() error { return c.Delete(ctx, obj, opts...) })
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			return write(sub+"-update", obj, func() error { return c.SubResource(sub).Update(ctx, obj, opts...) })
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			return write(sub, obj, func() error { return c.SubResource(sub).Patch(ctx, obj, patch, opts...) })
		},
	})
	hosts, err := cyclr.ParseHostPolicy(nil) // Cyclr's own hosts; the rows use api.cyclr.com
	utilruntime.Must(err)
	reader := interceptor.NewClient(w.api, interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			w.apiReads = append(w.apiReads, fmt.Sprintf("%T %s", obj, key.Name))
			return c.Get(ctx, key, obj, opts...)
		},
	})
	w.r = &CyclrCredentialReconciler{Client: c, APIReader: reader, Scheme: recScheme, Cyclr: w.cyclr,
		Recorder: w.events, Clock: w.cyclr.clock, Hosts: hosts}
	return w
}

func fakeClient(objs ...client.Object) client.WithWatch {
	return fake.NewClientBuilder().WithScheme(recScheme).
		WithStatusSubresource(&authv1alpha1.CyclrCredential{}).WithObjects(objs...).Build()
}

// copies are objs as a cache holds them: copies, that the reconciler's writes do not reach.
func copies(objs []client.Object) []client.Object {
	out := make([]client.Object, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.DeepCopyObject().(client.Object))
	}
	return out
}

// syncCache lets the caches catch up with the API server.
func (w *world) syncCache(t *testing.T) {
	t.Helper()
	var creds authv1alpha1.CyclrCredentialList
	var secrets corev1.SecretList
	if err := w.api.List(t.Context(), &creds); err != nil {
		t.Fatal(err)
	}
	if err := w.api.List(t.Context(), &secrets); err != nil {
		t.Fatal(err)
	}
	objs := make([]client.Object, 0, len(creds.Items)+len(secrets.Items))
	for i := range creds.Items {
		objs = append(objs, &creds.Items[i])
	}
	for i := range secrets.Items {
		objs = append(objs, &secrets.Items[i])
	}
	w.cache = fakeClient(objs...)
}

// reconcile runs one Reconcile, after forgetting the writes and calls of the previous one.
func (w *world) reconcile(t *testing.T) (ctrl.Result, error) {
	w.writes, w.cyclr.request = nil, nil
	ctx := logf.IntoContext(t.Context(), logf.Log.WithSink(logf.NullLogSink{}))
	return w.r.Reconcile(ctx, ctrl.Request{NamespacedName: types.NamespacedName{Namespace: recNS, Name: recName}})
}

func (w *world) calls() []call {
	out := make([]call, 0, len(w.cyclr.request))
	for _, r := range w.cyclr.request {
		out = append(out, call{r.Grant, r.RefreshToken})
	}
	return out
}

// drainEvents returns the events recorded since the last drain, as "Type Reason note".
func (w *world) drainEvents() []string {
	var out []string
	for {
		select {
		case e := <-w.events.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

// secret is the Secret name as the API server holds it, nil when there is none.
func (w *world) secret(t *testing.T, name string) *corev1.Secret {
	t.Helper()
	s := &corev1.Secret{}
	err := w.api.Get(t.Context(), client.ObjectKey{Namespace: recNS, Name: name}, s)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (w *world) credential(t *testing.T) *authv1alpha1.CyclrCredential {
	t.Helper()
	c := &authv1alpha1.CyclrCredential{}
	if err := w.api.Get(t.Context(), client.ObjectKey{Namespace: recNS, Name: recName}, c); err != nil {
		t.Fatal(err)
	}
	return c
}

type reconcileRow struct {
	name        string
	now         time.Time     // the clock; t0 when zero
	minInterval time.Duration // the reconciler's MinRefreshInterval
	objects     func() []client.Object
	apiEdit     func(*authv1alpha1.CyclrCredential)
	failWrite   func(client.Object) error
	cyclr       []answer

	wantErr     bool
	wantCalls   []call
	wantWrites  []string
	wantTarget  string // access_token of the target Secret the credential owns; "" when it owns none
	wantRefresh string // refresh_token of the state Secret; "" when there is none
	// Ready condition: status ("" when there is none), reason, and a part of the message.
	wantReady, wantReason, wantMessage string
	wantRevision                       int64
	wantFailed                         int32
	wantLastRequest                    string
	wantRequeue                        time.Duration
	wantEvents                         []string // "Type Reason", in order
	then                               func(t *testing.T, w *world)
}

// loginNotRead fails t if the reconcile read the login Secret.
func loginNotRead(t *testing.T, w *world) {
	t.Helper()
	for _, read := range w.apiReads {
		if strings.HasSuffix(read, " login") {
			t.Errorf("the login Secret was read: %q", w.apiReads)
		}
	}
}

func TestReconcile(t *testing.T) {
	fresh := t0.Add(-10 * time.Minute) // issued 10 minutes ago: not due before ~27 minutes from now
	due := t0.Add(-57 * time.Minute)   // issued at 95% of its lifetime ago: past its planned refresh
	keep := func(edits ...func(*authv1alpha1.CyclrCredential)) func() []client.Object {
		return func() []client.Object {
			c, s, tg := stored(fresh, edits...)
			return []client.Object{c, s, tg, loginSecret()}
		}
	}
	dueWorld := func() []client.Object {
		c, s, tg := stored(due)
		return []client.Object{c, s, tg, loginSecret()}
	}
	noToken := func(edits ...func(*authv1alpha1.CyclrCredential)) func() []client.Object {
		return func() []client.Object { return []client.Object{newCred(edits...), loginSecret()} }
	}
	foreign := func(labels map[string]string) func() []client.Object {
		return func() []client.Object {
			return []client.Object{newCred(), loginSecret(), &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Namespace: recNS, Name: recName, Labels: labels},
				Data:       map[string][]byte{"access_token": []byte("someone-else's")},
			}}
		}
	}
	isState := func(o client.Object) error {
		if _, ok := o.(*corev1.Secret); ok && o.GetName() == recStateName {
			return apierrors.NewServiceUnavailable("etcd is unhappy")
		}
		return nil
	}

	rows := []reconcileRow{
		{
			name:    "first issue signs in and writes state, then target",
			objects: noToken(),
			cyclr:   []answer{{access: newAccess, refresh: newRefresh}},

			wantCalls:   []call{{cyclr.GrantPassword, ""}},
			wantWrites:  []string{"create " + recStateName, "create " + recName, "status " + recName},
			wantTarget:  newAccess,
			wantRefresh: newRefresh,
			wantReady:   "True", wantReason: authv1alpha1.ReasonTokenValid, wantMessage: "next refresh at",
			wantRevision: 1,
			wantRequeue:  untilRefresh(t0),
			wantEvents:   []string{"Normal Issued"},
			then: func(t *testing.T, w *world) {
				// The cache knows neither the state nor the target Secret: they are created without
				// reading them; only the login and the credential are read before calling Cyclr.
				want := []string{"*v1.Secret login", "*v1alpha1.CyclrCredential " + recName}
				if !slices.Equal(slices.Sorted(slices.Values(w.apiReads)), want) {
					t.Errorf("API reads = %q, want %q", w.apiReads, want)
				}
			},
		},
		{
			name:    "a valid token that is not due is kept without a write",
			objects: keep(),

			wantTarget:  oldAccess,
			wantRefresh: oldRefresh,
			wantReady:   "True", wantReason: authv1alpha1.ReasonTokenValid,
			wantRevision: 1,
			wantRequeue:  untilRefresh(fresh),
			then: func(t *testing.T, w *world) {
				// The plan is 2/3 of the lifetime after issue, less up to 5% jitter.
				if d := untilRefresh(fresh); d < 27*time.Minute || d > 30*time.Minute {
					t.Errorf("planned refresh in %v, want between 27m and 30m", d)
				}
				// The cache's metadata tells all: the state's annotations, the target's version.
				if len(w.apiReads) != 0 {
					t.Errorf("API reads = %q, want none", w.apiReads)
				}
			},
		},
		{
			name: "a target edited by someone else is read and restored from state",
			objects: func() []client.Object {
				c, s, tg := stored(fresh)
				tg.ResourceVersion, tg.Data["access_token"] = "6", []byte("edited")
				return []client.Object{c, s, tg, loginSecret()}
			},

			wantWrites:  []string{"update " + recName, "status " + recName},
			wantTarget:  oldAccess,
			wantRefresh: oldRefresh,
			wantReady:   "True", wantReason: authv1alpha1.ReasonTokenValid,
			wantRevision: 1,
			wantRequeue:  untilRefresh(fresh),
			wantEvents:   []string{"Normal Restored"},
			then: func(t *testing.T, w *world) {
				want := []string{"*v1.Secret " + recName, "*v1.Secret " + recStateName, "*v1alpha1.CyclrCredential " + recName}
				if !slices.Equal(slices.Sorted(slices.Values(w.apiReads)), want) {
					t.Errorf("API reads = %q, want %q (not the login: the state's inputs match)", w.apiReads, want)
				}
			},
		},
		{
			name: "a target at another version that still holds the token is only recorded",
			objects: func() []client.Object {
				c, s, tg := stored(fresh)
				tg.ResourceVersion = "6" // a label someone added, say
				return []client.Object{c, s, tg, loginSecret()}
			},

			wantWrites:  []string{"status " + recName},
			wantTarget:  oldAccess,
			wantRefresh: oldRefresh,
			wantReady:   "True", wantReason: authv1alpha1.ReasonTokenValid,
			wantRevision: 1,
			wantRequeue:  untilRefresh(fresh),
			then: func(t *testing.T, w *world) {
				if got := w.credential(t).Status.TargetResourceVersion; got != "6" {
					t.Errorf("status.targetResourceVersion = %q, want 6", got)
				}
			},
		},
		{
			name: "a state Secret of an older version, without annotations, is read once and annotated",
			objects: func() []client.Object {
				c, s, tg := stored(fresh)
				s.Annotations = nil
				return []client.Object{c, s, tg, loginSecret()}
			},

			wantWrites:  []string{"update " + recStateName},
			wantTarget:  oldAccess,
			wantRefresh: oldRefresh,
			wantReady:   "True", wantReason: authv1alpha1.ReasonTokenValid,
			wantRevision: 1,
			wantRequeue:  untilRefresh(fresh),
			then: func(t *testing.T, w *world) {
				if got := policy.StateFromMetadata(w.secret(t, recStateName).Annotations); got == nil || got.Inputs == "" {
					t.Errorf("state annotations after the reconcile describe %#v, want the token", got)
				}
			},
		},
		{
			name:    "a planned refresh uses the stored refresh token",
			objects: dueWorld,
			cyclr:   []answer{{access: newAccess, refresh: newRefresh}},

			wantCalls:   []call{{cyclr.GrantRefreshToken, oldRefresh}},
			wantWrites:  []string{"update " + recStateName, "update " + recName, "status " + recName},
			wantTarget:  newAccess,
			wantRefresh: newRefresh,
			wantReady:   "True", wantReason: authv1alpha1.ReasonTokenValid,
			wantRevision: 2,
			wantRequeue:  untilRefresh(t0),
			wantEvents:   []string{"Normal Refreshed"},
			then: func(t *testing.T, w *world) {
				// The guard's two reads, the login for the request, and the target before its update.
				want := []string{"*v1.Secret " + recName, "*v1.Secret " + recStateName, "*v1.Secret login",
					"*v1alpha1.CyclrCredential " + recName}
				if !slices.Equal(slices.Sorted(slices.Values(w.apiReads)), want) {
					t.Errorf("API reads = %q, want %q", w.apiReads, want)
				}
			},
		},
		{
			name:    "an invalid_grant refresh falls back to signing in",
			objects: dueWorld,
			cyclr: []answer{{err: &cyclr.AuthError{Status: 400, Code: "invalid_grant"}},
				{access: newAccess, refresh: newRefresh}},

			wantCalls:   []call{{cyclr.GrantRefreshToken, oldRefresh}, {cyclr.GrantPassword, ""}},
			wantWrites:  []string{"update " + recStateName, "update " + recName, "status " + recName},
			wantTarget:  newAccess,
			wantRefresh: newRefresh,
			wantReady:   "True", wantReason: authv1alpha1.ReasonTokenValid,
			wantRevision: 2,
			wantRequeue:  untilRefresh(t0),
			wantEvents:   []string{"Normal Reauthenticated"},
		},
		{
			name:      "a state Secret that cannot be saved stops the reconcile before the target",
			objects:   noToken(),
			failWrite: isState,
			cyclr:     []answer{{access: newAccess, refresh: newRefresh}},

			wantErr:   true,
			wantCalls: []call{{cyclr.GrantPassword, ""}},
		},
		{
			name:    "a refused first sign-in backs off slowly",
			objects: noToken(),
			cyclr:   []answer{{err: &cyclr.AuthError{Status: 401, Code: "invalid_client"}}},

			wantCalls:  []call{{cyclr.GrantPassword, ""}},
			wantWrites: []string{"status " + recName},
			wantReady:  "False", wantReason: authv1alpha1.ReasonAuthenticationFailed, wantMessage: "invalid_client",
			wantFailed:  1,
			wantRequeue: time.Minute,
			wantEvents:  []string{"Warning AuthenticationFailed"},
			then: func(t *testing.T, w *world) {
				// What the attempt was made with, so that a change to it is tried at once, after a restart too.
				cred := w.credential(t)
				if got, want := cred.Status.LastFailureInputs, policy.InputsOf(&cred.Spec, recLoginVersion); got != want {
					t.Errorf("status.lastFailureInputs = %q, want %q", got, want)
				}
			},
		},
		{
			name: "a failed sign-in waits for its backoff",
			objects: func() []client.Object {
				c := newCred()
				// Refused 30 seconds ago: the first retry is a minute after that.
				c.Status = policy.NextStatus(c, policy.Result{Failure: policy.Classify(&cyclr.AuthError{Status: 401})}, t0.Add(-30*time.Second))
				return []client.Object{c, loginSecret()}
			},

			wantReady: "False", wantReason: authv1alpha1.ReasonAuthenticationFailed,
			wantFailed:  1,
			wantRequeue: 30 * time.Second,
		},
		{
			name: "a login changed since a failed sign-in is tried at once, within the backoff",
			objects: func() []client.Object {
				c := newCred()
				failed := policy.Result{Failure: policy.Classify(&cyclr.AuthError{Status: 401}), Inputs: policy.InputsOf(&c.Spec, "login-uid/6")}
				c.Status = policy.NextStatus(c, failed, t0.Add(-30*time.Second))
				return []client.Object{c, loginSecret()} // at version 7: fixed since
			},
			cyclr: []answer{{access: newAccess, refresh: newRefresh}},

			wantCalls:   []call{{cyclr.GrantPassword, ""}},
			wantWrites:  []string{"create " + recStateName, "create " + recName, "status " + recName},
			wantTarget:  newAccess,
			wantRefresh: newRefresh,
			wantReady:   "True", wantReason: authv1alpha1.ReasonTokenValid,
			wantRevision: 1,
			wantRequeue:  untilRefresh(t0),
			wantEvents:   []string{"Normal Issued"},
		},
		{
			name:    "Cyclr down at a planned refresh keeps the valid token and retries soon",
			objects: dueWorld,
			cyclr:   []answer{{err: &cyclr.UnavailableError{Status: 503}}},

			wantCalls:   []call{{cyclr.GrantRefreshToken, oldRefresh}},
			wantWrites:  []string{"status " + recName},
			wantTarget:  oldAccess,
			wantRefresh: oldRefresh,
			wantReady:   "True", wantReason: authv1alpha1.ReasonRefreshFailing, wantMessage: authv1alpha1.ReasonCyclrUnavailable,
			wantRevision: 1,
			wantFailed:   1,
			wantRequeue:  5 * time.Second,
			wantEvents:   []string{"Warning CyclrUnavailable"},
		},
		{
			name: "a missing login Secret leaves the valid token in place",
			objects: func() []client.Object {
				c, s, tg := stored(fresh)
				return []client.Object{c, s, tg}
			},

			wantWrites:  []string{"status " + recName},
			wantTarget:  oldAccess,
			wantRefresh: oldRefresh,
			wantReady:   "True", wantReason: authv1alpha1.ReasonRefreshFailing, wantMessage: authv1alpha1.ReasonCredentialsSecretNotFound,
			wantRevision: 1,
			wantRequeue:  50 * time.Minute, // the token's expiry: no retry is planned
			wantEvents:   []string{"Warning CredentialsSecretNotFound"},
		},
		{
			name: "a lasting missing login Secret behind a valid token is announced once",
			objects: func() []client.Object {
				c, s, tg := stored(fresh)
				missing := &policy.ConfigError{Reason: authv1alpha1.ReasonCredentialsSecretNotFound,
					Message: `credentials Secret "login" not found in namespace "` + recNS + `"`}
				c.Status = policy.NextStatus(c, policy.Result{State: policy.StateFromSecret(s), Failure: missing.Failure()}, t0.Add(-time.Minute))
				return []client.Object{c, s, tg}
			},

			wantTarget:  oldAccess,
			wantRefresh: oldRefresh,
			wantReady:   "True", wantReason: authv1alpha1.ReasonRefreshFailing, wantMessage: authv1alpha1.ReasonCredentialsSecretNotFound,
			wantRevision: 1,
			wantRequeue:  50 * time.Minute,
		},
		{
			name: "a missing login Secret and a deleted target: the target is restored from state",
			objects: func() []client.Object {
				c, s, _ := stored(fresh)
				return []client.Object{c, s}
			},

			wantWrites:  []string{"create " + recName, "status " + recName},
			wantTarget:  oldAccess,
			wantRefresh: oldRefresh,
			wantReady:   "True", wantReason: authv1alpha1.ReasonRefreshFailing, wantMessage: authv1alpha1.ReasonCredentialsSecretNotFound,
			wantRevision: 1,
			wantRequeue:  50 * time.Minute,
			wantEvents:   []string{"Warning CredentialsSecretNotFound", "Normal Restored"},
		},
		{
			name: "a deleted target is restored from state without calling Cyclr",
			objects: func() []client.Object {
				c, s, _ := stored(fresh)
				return []client.Object{c, s, loginSecret()}
			},

			// The status records the version of the restored target, so no later reconcile reads it again.
			wantWrites:  []string{"create " + recName, "status " + recName},
			wantTarget:  oldAccess,
			wantRefresh: oldRefresh,
			wantReady:   "True", wantReason: authv1alpha1.ReasonTokenValid,
			wantRevision: 1,
			wantRequeue:  untilRefresh(fresh),
			wantEvents:   []string{"Normal Restored"},
			then: func(t *testing.T, w *world) {
				if got, want := w.credential(t).Status.TargetResourceVersion, w.secret(t, recName).ResourceVersion; got != want {
					t.Errorf("status.targetResourceVersion = %q, want the restored target's %q", got, want)
				}
			},
		},
		{
			name:    "a newer generation on the API server stops the call the cache asked for",
			objects: noToken(),
			apiEdit: func(c *authv1alpha1.CyclrCredential) { c.Generation, c.Spec.Target.Name = 2, "renamed" },

			wantRequeue: staleCacheRequeue,
			then: func(t *testing.T, w *world) {
				if s := w.secret(t, "renamed"); s != nil {
					t.Error("the renamed target was written")
				}
			},
		},
		{
			name:    "a Secret of someone else's under the target name is left alone",
			objects: foreign(nil),

			wantWrites: []string{"status " + recName},
			wantReady:  "False", wantReason: authv1alpha1.ReasonTargetSecretConflict, wantMessage: `Secret "app" already exists`,
			wantEvents: []string{"Warning TargetSecretConflict"},
			then:       foreignUntouched(nil),
		},
		{
			name: "a lasting conflict is announced once",
			objects: func() []client.Object {
				objs := foreign(nil)()
				c := objs[0].(*authv1alpha1.CyclrCredential)
				c.Status = policy.NextStatus(c, policy.Result{Failure: policy.ConflictError(recName).Failure()}, t0.Add(-time.Hour))
				return objs
			},

			wantReady: "False", wantReason: authv1alpha1.ReasonTargetSecretConflict,
			then: foreignUntouched(nil),
		},
		{
			name:    "a Secret of someone else's is left alone even with the managed-by label",
			objects: foreign(map[string]string{authv1alpha1.ManagedByLabel: authv1alpha1.ManagedByValue}),

			wantWrites: []string{"status " + recName},
			wantReady:  "False", wantReason: authv1alpha1.ReasonTargetSecretConflict,
			wantEvents: []string{"Warning TargetSecretConflict"},
			then:       foreignUntouched(map[string]string{authv1alpha1.ManagedByLabel: authv1alpha1.ManagedByValue}),
		},
		{
			name:    "suspended without a token",
			objects: noToken(func(c *authv1alpha1.CyclrCredential) { c.Spec.Suspend = true }),

			wantWrites: []string{"status " + recName},
			wantReady:  "True", wantReason: authv1alpha1.ReasonSuspended,
		},
		{
			name: "suspended with a valid token, even one due for refresh",
			now:  t0.Add(40 * time.Minute),
			objects: keep(func(c *authv1alpha1.CyclrCredential) {
				c.Spec.Suspend = true
				c.Annotations = map[string]string{refreshAnnot: "v1"}
			}),

			wantWrites:  []string{"status " + recName},
			wantTarget:  oldAccess,
			wantRefresh: oldRefresh,
			wantReady:   "True", wantReason: authv1alpha1.ReasonTokenValid, wantMessage: "suspended",
			wantRevision: 1,
			wantRequeue:  10 * time.Minute, // the token's expiry
		},
		{
			name:    "an apiURL host not allowed: the login is not read, nothing is sent, the target stays",
			objects: keep(func(c *authv1alpha1.CyclrCredential) { c.Spec.APIURL = "https://cyclr.attacker.example" }),

			wantWrites:  []string{"status " + recName},
			wantTarget:  oldAccess,
			wantRefresh: oldRefresh,
			wantReady:   "False", wantReason: authv1alpha1.ReasonAPIHostNotAllowed, wantMessage: "cyclr.attacker.example:443",
			wantRevision: 1,
			wantRequeue:  50 * time.Minute, // the token's expiry, so Ready is recomputed then
			wantEvents:   []string{"Warning APIHostNotAllowed"},
			then:         loginNotRead,
		},
		{
			// An object stored before the CRD refused these: a path a shell would run in
			// apiURL, renamed to BASH_ENV for pods that load the Secret with envFrom.
			name: "a stored spec outside the tenant boundary: the login is not read, nothing is sent or written",
			objects: func() []client.Object {
				c, s, tg := stored(fresh)
				c.Spec.APIURL = "https://api.cyclr.com/$(touch${IFS}/tmp/pwned)/../../.."
				c.Spec.Target.Keys = map[string]authv1alpha1.SecretKeyName{"api_url": "BASH_ENV"}
				return []client.Object{c, s, tg, loginSecret()}
			},

			wantWrites:  []string{"status " + recName},
			wantTarget:  oldAccess,
			wantRefresh: oldRefresh,
			wantReady:   "False", wantReason: authv1alpha1.ReasonSpecInvalid, wantMessage: "spec.apiURL: ",
			wantRevision: 1,
			wantRequeue:  50 * time.Minute, // the token's expiry, so Ready is recomputed then
			wantEvents:   []string{"Warning SpecInvalid"},
			then: func(t *testing.T, w *world) {
				loginNotRead(t, w)
				target := w.secret(t, recName)
				if _, ok := target.Data["BASH_ENV"]; ok || string(target.Data["api_url"]) != "https://api.cyclr.com" {
					t.Errorf("the target Secret took the stored spec: %v", slices.Sorted(maps.Keys(target.Data)))
				}
				if !meta.IsStatusConditionTrue(w.credential(t).Status.Conditions, authv1alpha1.ConditionStalled) {
					t.Error("SpecInvalid is not Stalled")
				}
			},
		},
		{
			name:    "a stored credential whose default target is its login Secret leaves the login alone",
			objects: noToken(func(c *authv1alpha1.CyclrCredential) { c.Spec.CredentialsSecretRef.Name = recName }),

			wantWrites: []string{"status " + recName},
			wantReady:  "False", wantReason: authv1alpha1.ReasonTargetSecretConflict, wantMessage: "set spec.target.name",
			wantEvents: []string{"Warning TargetSecretConflict"},
			then: func(t *testing.T, w *world) {
				if msg := meta.FindStatusCondition(w.credential(t).Status.Conditions, "Ready").Message; strings.Contains(msg, "delete") {
					t.Errorf("the message advises deleting the login Secret: %s", msg)
				}
			},
		},
		{
			name: "a login Secret that is not Opaque or basic-auth is not used",
			objects: func() []client.Object {
				login := loginSecret()
				login.Type = corev1.SecretTypeServiceAccountToken
				return []client.Object{newCred(), login}
			},

			wantWrites: []string{"status " + recName},
			wantReady:  "False", wantReason: authv1alpha1.ReasonCredentialsInvalid, wantMessage: `of type "kubernetes.io/service-account-token"`,
			wantEvents: []string{"Warning CredentialsInvalid"},
		},
		{
			name:        "a refresh request inside the minimum interval waits for it to end",
			minInterval: 30 * time.Minute, // the token was issued 10 minutes ago
			objects:     keep(func(c *authv1alpha1.CyclrCredential) { c.Annotations = map[string]string{refreshAnnot: "v1"} }),

			wantWrites:  []string{"status " + recName},
			wantTarget:  oldAccess,
			wantRefresh: oldRefresh,
			wantReady:   "True", wantReason: authv1alpha1.ReasonTokenValid,
			wantRevision: 1,
			wantRequeue:  20*time.Minute + time.Second, // issued 10 minutes ago, + 30 minutes, + the second status cuts off
			then: func(t *testing.T, w *world) {
				if st := w.credential(t).Status; st.LastRefreshRequest != "" {
					t.Errorf("the request was marked honoured while it waits: %q", st.LastRefreshRequest)
				}
			},
		},
		{
			name:    "a target name with the state Secrets' suffix is refused",
			objects: noToken(func(c *authv1alpha1.CyclrCredential) { c.Spec.Target.Name = "other-cyclr-state" }),

			wantWrites: []string{"status " + recName},
			wantReady:  "False", wantReason: authv1alpha1.ReasonTargetSecretConflict, wantMessage: "reserved",
			wantEvents: []string{"Warning TargetSecretConflict"},
		},
		{
			name: "a spec change that Cyclr cannot serve yet leaves the target as it was",
			objects: func() []client.Object {
				c, s, tg := stored(fresh)   // a partner token, no account
				c.Spec.AccountID = "acct-B" // edited after the token was obtained
				return []client.Object{c, s, tg, loginSecret()}
			},
			cyclr: []answer{{err: &cyclr.UnavailableError{Status: 503}}},

			wantCalls:   []call{{cyclr.GrantPassword, ""}},
			wantWrites:  []string{"status " + recName},
			wantTarget:  oldAccess,
			wantRefresh: oldRefresh,
			wantReady:   "True", wantReason: authv1alpha1.ReasonRefreshFailing, wantMessage: authv1alpha1.ReasonCyclrUnavailable,
			wantRevision: 1,
			wantFailed:   1,
			wantRequeue:  5 * time.Second,
			wantEvents:   []string{"Warning CyclrUnavailable"},
			then: func(t *testing.T, w *world) {
				switch tg := w.secret(t, recName); {
				case tg == nil:
					t.Error("the target Secret is gone")
				case tg.Data["account_id"] != nil:
					t.Errorf("the old partner token was written under the new account %q", tg.Data["account_id"])
				}
			},
		},
		{
			name:    "the client-side rate limit makes a due refresh wait without counting a failure",
			objects: dueWorld,
			cyclr:   []answer{{err: &cyclr.RateLimitedError{Host: "api.cyclr.com", RetryAfter: 1500 * time.Millisecond}}},

			wantCalls:   []call{{cyclr.GrantRefreshToken, oldRefresh}},
			wantWrites:  []string{"status " + recName},
			wantTarget:  oldAccess,
			wantRefresh: oldRefresh,
			wantReady:   "True", wantReason: authv1alpha1.ReasonTokenValid,
			wantRevision: 1,
			wantRequeue:  2 * time.Second, // the limiter's 1.5s, to the whole second status keeps
		},
		{
			name:    "a refresh request is honoured once per value",
			objects: keep(func(c *authv1alpha1.CyclrCredential) { c.Annotations = map[string]string{refreshAnnot: "v1"} }),
			cyclr:   []answer{{access: newAccess, refresh: newRefresh}, {access: "unused", refresh: "unused"}},

			wantCalls:   []call{{cyclr.GrantRefreshToken, oldRefresh}},
			wantWrites:  []string{"update " + recStateName, "update " + recName, "status " + recName},
			wantTarget:  newAccess,
			wantRefresh: newRefresh,
			wantReady:   "True", wantReason: authv1alpha1.ReasonTokenValid,
			wantRevision:    2,
			wantLastRequest: "v1",
			wantRequeue:     untilRefresh(t0),
			wantEvents:      []string{"Normal Refreshed"},
			then: func(t *testing.T, w *world) {
				w.syncCache(t)
				res, err := w.reconcile(t)
				if err != nil || res.RequeueAfter != untilRefresh(t0) {
					t.Errorf("second Reconcile = %+v, %v; want RequeueAfter %v", res, err, untilRefresh(t0))
				}
				if len(w.cyclr.request) != 0 || len(w.writes) != 0 {
					t.Errorf("second Reconcile with the same request: calls %v, writes %v; want none", w.calls(), w.writes)
				}
				if ev := w.drainEvents(); len(ev) != 0 {
					t.Errorf("second Reconcile: events %q", ev)
				}
				if st := w.credential(t).Status; st.Revision != 2 || st.LastRefreshRequest != "v1" {
					t.Errorf("after the second Reconcile: revision %d, lastRefreshRequest %q", st.Revision, st.LastRefreshRequest)
				}
			},
		},
	}

	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			now := row.now
			if now.IsZero() {
				now = t0
			}
			w := newWorld(row.objects(), row.apiEdit, row.failWrite, now, row.cyclr)
			w.r.MinRefreshInterval = row.minInterval
			res, err := w.reconcile(t)

			if (err != nil) != row.wantErr {
				t.Fatalf("Reconcile error = %v, want error %v", err, row.wantErr)
			}
			if res.RequeueAfter != row.wantRequeue {
				t.Errorf("RequeueAfter = %v, want %v", res.RequeueAfter, row.wantRequeue)
			}
			// (a) Cyclr
			if got := w.calls(); !slices.Equal(got, row.wantCalls) {
				t.Errorf("Cyclr calls = %v, want %v", got, row.wantCalls)
			}
			for _, req := range w.cyclr.request {
				signIn := req.Grant == cyclr.GrantPassword
				if req.APIURL != "https://api.cyclr.com" || req.ClientID != recClientID || req.ClientSecret != "" ||
					(req.Username == recUsername) != signIn || (req.Password == recPassword) != signIn ||
					(req.RefreshToken != "") == signIn {
					t.Errorf("request %v does not carry what its grant needs, and only that", req)
				}
			}
			// (b) Secrets
			if !slices.Equal(w.writes, row.wantWrites) {
				t.Errorf("writes = %q, want %q", w.writes, row.wantWrites)
			}
			cred := w.credential(t)
			target := w.secret(t, recName)
			checkOwned(t, target, "target", "access_token", row.wantTarget)
			checkOwned(t, w.secret(t, recStateName), "state", "refresh_token", row.wantRefresh)
			// (c) status
			st := cred.Status
			ready := meta.FindStatusCondition(st.Conditions, authv1alpha1.ConditionReady)
			switch {
			case ready == nil && row.wantReady != "":
				t.Errorf("no Ready condition, want %s %s", row.wantReady, row.wantReason)
			case ready != nil && (string(ready.Status) != row.wantReady || ready.Reason != row.wantReason ||
				!strings.Contains(ready.Message, row.wantMessage) || ready.ObservedGeneration != 1):
				t.Errorf("Ready = %s %s %q (generation %d), want %s %s containing %q (generation 1)",
					ready.Status, ready.Reason, ready.Message, ready.ObservedGeneration, row.wantReady, row.wantReason, row.wantMessage)
			}
			wantGen := int64(0) // no status was written
			if row.wantReady != "" {
				wantGen = 1
			}
			if st.ObservedGeneration != wantGen {
				t.Errorf("observedGeneration = %d, want %d", st.ObservedGeneration, wantGen)
			}
			if st.Revision != row.wantRevision || st.FailedAttempts != row.wantFailed || st.LastRefreshRequest != row.wantLastRequest {
				t.Errorf("revision, failedAttempts, lastRefreshRequest = %d, %d, %q; want %d, %d, %q", st.Revision,
					st.FailedAttempts, st.LastRefreshRequest, row.wantRevision, row.wantFailed, row.wantLastRequest)
			}
			// (d) events
			evs := w.drainEvents()
			var reasons []string
			for _, e := range evs {
				f := strings.Fields(e)
				reasons = append(reasons, strings.Join(f[:min(2, len(f))], " "))
			}
			if !slices.Equal(reasons, row.wantEvents) {
				t.Errorf("events = %q, want reasons %q", evs, row.wantEvents)
			}
			// No secret outside the Secrets, and no refresh token in the target.
			statusJSON, _ := json.Marshal(st)
			for _, v := range secretValues {
				for _, e := range evs {
					if strings.Contains(e, v) {
						t.Errorf("event %q holds a secret", e)
					}
				}
				if strings.Contains(string(statusJSON), v) {
					t.Errorf("status holds the secret %q: %s", v, statusJSON)
				}
				if isRefresh := v == oldRefresh || v == newRefresh; isRefresh && target != nil {
					for k, d := range target.Data {
						if strings.Contains(string(d), v) {
							t.Errorf("target key %q holds a refresh token", k)
						}
					}
				}
			}
			if row.then != nil {
				row.then(t, w)
			}
		})
	}
}

// checkOwned checks that s (a target or state Secret) is the credential's and holds want
// under key, or, when want is "", that the credential owns no such Secret.
func checkOwned(t *testing.T, s *corev1.Secret, what, key, want string) {
	t.Helper()
	owner := (*metav1.OwnerReference)(nil)
	if s != nil {
		owner = metav1.GetControllerOf(s)
	}
	ours := owner != nil && owner.UID == recUID && owner.Kind == "CyclrCredential" &&
		owner.APIVersion == authv1alpha1.GroupVersion.String()
	switch {
	case want == "" && ours:
		t.Errorf("%s Secret written, holding %s %q; want none", what, key, s.Data[key])
	case want == "":
	case !ours:
		t.Errorf("%s Secret = %v, want one controlled by the credential", what, s)
	case string(s.Data[key]) != want:
		t.Errorf("%s Secret %s = %q, want %q", what, key, s.Data[key], want)
	case s.Labels[authv1alpha1.ManagedByLabel] != authv1alpha1.ManagedByValue || s.Labels[authv1alpha1.CredentialLabel] != recName:
		t.Errorf("%s Secret labels = %v, want the managed-by labels", what, s.Labels)
	}
}

// foreignUntouched checks that the Secret of someone else's under the target name is as seeded.
func foreignUntouched(labels map[string]string) func(t *testing.T, w *world) {
	return func(t *testing.T, w *world) {
		s := w.secret(t, recName)
		if s == nil || s.ResourceVersion != "999" || len(s.OwnerReferences) != 0 ||
			string(s.Data["access_token"]) != "someone-else's" || len(s.Data) != 1 || len(s.Labels) != len(labels) {
			t.Errorf("the conflicting Secret changed: %+v", s)
		}
		if w.secret(t, recStateName) != nil {
			t.Error("a state Secret was written for a credential whose target is taken")
		}
	}
}

// A Secret created under the target name after the caches last synced: the name looked free,
// the token is obtained once and kept in the state Secret, and the other Secret is not
// written; the next reconcile, with the caches caught up, reports the conflict without
// calling Cyclr.
func TestTargetCreatedBehindTheCaches(t *testing.T) {
	w := newWorld([]client.Object{newCred(), loginSecret()}, nil, nil, t0, []answer{{access: newAccess, refresh: newRefresh}})
	foreign := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: recNS, Name: recName},
		Data: map[string][]byte{"access_token": []byte("someone-else's")}}
	if err := w.api.Create(t.Context(), foreign); err != nil {
		t.Fatal(err)
	}
	if _, err := w.reconcile(t); err == nil {
		t.Error("Reconcile wrote over, or around, the other Secret")
	}
	if s := w.secret(t, recName); len(s.OwnerReferences) != 0 || string(s.Data["access_token"]) != "someone-else's" {
		t.Errorf("the other Secret changed: %+v", s)
	}
	if s := w.secret(t, recStateName); s == nil || string(s.Data["refresh_token"]) != newRefresh {
		t.Error("the token Cyclr issued was not kept in the state Secret")
	}
	w.syncCache(t)
	if _, err := w.reconcile(t); err != nil {
		t.Fatal(err)
	}
	cond := meta.FindStatusCondition(w.credential(t).Status.Conditions, authv1alpha1.ConditionReady)
	if cond == nil || cond.Reason != authv1alpha1.ReasonTargetSecretConflict {
		t.Errorf("Ready = %+v, want %s", cond, authv1alpha1.ReasonTargetSecretConflict)
	}
	if w.cyclr.used != 1 {
		t.Errorf("Cyclr was asked %d times, want once", w.cyclr.used)
	}
}

// The state records the inputs of its token (the spec and the login Secret's version): while
// the metadata cache shows the login Secret at that version, a token that is kept needs no read
// of the login Secret; anything that may call Cyclr reads it.
func TestLoginReadOnlyWhenNeeded(t *testing.T) {
	const loginVersion = "login-uid/7"
	login := loginSecret()
	login.UID, login.ResourceVersion = "login-uid", "7"
	storedWorld := func(issued time.Time, edit func(*authv1alpha1.CyclrCredential)) *world {
		cred, state, target := stored(issued)
		state.Data["inputs"] = []byte(policy.InputsOf(&cred.Spec, loginVersion))
		if edit != nil {
			edit(cred)
		}
		return newWorld([]client.Object{cred, state, target, login.DeepCopy()}, nil, nil, t0,
			[]answer{{access: newAccess, refresh: newRefresh}})
	}
	loginRead := func(w *world) bool { return slices.Contains(w.apiReads, "*v1.Secret login") }

	t.Run("a token kept with the same spec and login", func(t *testing.T) {
		w := storedWorld(t0.Add(-10*time.Minute), nil)
		if _, err := w.reconcile(t); err != nil {
			t.Fatal(err)
		}
		if len(w.apiReads) != 0 || len(w.writes) != 0 || w.cyclr.used != 0 {
			t.Errorf("API reads %q, writes %q, Cyclr calls %d; want none", w.apiReads, w.writes, w.cyclr.used)
		}
	})
	t.Run("a token due for refresh", func(t *testing.T) {
		w := storedWorld(t0.Add(-57*time.Minute), nil)
		if _, err := w.reconcile(t); err != nil {
			t.Fatal(err)
		}
		if !loginRead(w) || !slices.Equal(w.calls(), []call{{cyclr.GrantRefreshToken, oldRefresh}}) {
			t.Errorf("API reads %q, Cyclr calls %v; want the login read and one refresh", w.apiReads, w.calls())
		}
		// The new state records the inputs of the new token.
		cred, state := w.credential(t), w.secret(t, recStateName)
		if got := string(state.Data["inputs"]); got != policy.InputsOf(&cred.Spec, loginVersion) {
			t.Errorf("inputs of the new token = %q", got)
		}
	})
	t.Run("a spec change", func(t *testing.T) {
		w := storedWorld(t0.Add(-10*time.Minute), func(c *authv1alpha1.CyclrCredential) { c.Spec.AccountID = "acct-2" })
		if _, err := w.reconcile(t); err != nil {
			t.Fatal(err)
		}
		if !loginRead(w) || !slices.Equal(w.calls(), []call{{cyclr.GrantPassword, ""}}) {
			t.Errorf("API reads %q, Cyclr calls %v; want the login read and a sign-in", w.apiReads, w.calls())
		}
	})
	t.Run("a login Secret edited, to the same values", func(t *testing.T) {
		w := storedWorld(t0.Add(-10*time.Minute), nil)
		edited := login.DeepCopy()
		edited.Labels = map[string]string{"team": "a"}
		if err := w.api.Update(t.Context(), edited); err != nil {
			t.Fatal(err)
		}
		w.syncCache(t)
		if _, err := w.reconcile(t); err != nil {
			t.Fatal(err)
		}
		// The login is read to learn that the token still fits, and the state records the new
		// version, so the next reconcile knows without reading.
		if !loginRead(w) || w.cyclr.used != 0 || !slices.Equal(w.writes, []string{"update " + recStateName}) {
			t.Errorf("API reads %q, writes %q, Cyclr calls %d; want the login read, the state updated, no call",
				w.apiReads, w.writes, w.cyclr.used)
		}
		w.syncCache(t)
		w.apiReads = nil
		if _, err := w.reconcile(t); err != nil {
			t.Fatal(err)
		}
		if len(w.apiReads) != 0 || len(w.writes) != 0 || w.cyclr.used != 0 {
			t.Errorf("next reconcile: API reads %q, writes %q, Cyclr calls %d; want none", w.apiReads, w.writes, w.cyclr.used)
		}
	})
}
