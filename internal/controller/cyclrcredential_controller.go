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
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
)

// TokenClient obtains tokens from Cyclr; *cyclr.Client is the real one.
type TokenClient interface {
	Token(ctx context.Context, req cyclr.Request) (cyclr.Token, error)
}

// CyclrCredentialReconciler keeps each CyclrCredential's target Secret holding a valid token.
type CyclrCredentialReconciler struct {
	// Client reads from the manager's cache: CyclrCredentials whole, Secrets' metadata only.
	client.Client
	// APIReader reads straight from the API server: what a write or a call to Cyclr needs (the
	// login, the state Secret's data, the credential itself), so a stale cache never causes a
	// second sign-in.
	APIReader client.Reader
	Scheme    *runtime.Scheme
	Cyclr     TokenClient
	// Hosts is the trust boundary: a credential whose apiURL it refuses is never sent anything,
	// and its login Secret is not even read.
	Hosts cyclr.HostChecker
	// MinRefreshInterval is the least time between two calls to Cyclr for one credential,
	// manual requests included; a token that lives shorter is refused (--min-refresh-interval).
	MinRefreshInterval time.Duration
	Recorder           events.EventRecorder
	Clock              clock.PassiveClock

	lastCalls lastCalls
	// cacheWait bounds awaitCache; zero: a reconcile does not wait for the cache.
	cacheWait time.Duration
}

// +kubebuilder:rbac:groups=auth.cyclr-operator.io,resources=cyclrcredentials,verbs=get;list;watch
// +kubebuilder:rbac:groups=auth.cyclr-operator.io,resources=cyclrcredentials/status,verbs=get;patch
// The Secrets' owner references set blockOwnerDeletion: where the
// OwnerReferencesPermissionEnforcement admission plugin runs (OpenShift), that needs update on
// the owner's finalizers, or every Secret write is refused.
// +kubebuilder:rbac:groups=auth.cyclr-operator.io,resources=cyclrcredentials/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Event reasons for a token written: constant, so users can filter on them. Failures are
// reported with the Ready condition's reason (AuthenticationFailed, CyclrUnavailable,
// TargetSecretConflict, ...). Notes name objects, keys and error codes, never a secret.
const (
	EventIssued          = "Issued"
	EventRefreshed       = "Refreshed"
	EventReauthenticated = "Reauthenticated"
	EventRestored        = "Restored"

	// EventRolloutRestarted: a rollout restart target was restarted for a new token.
	EventRolloutRestarted = "RolloutRestarted"
	// EventRolloutRestartFailed (Warning): a rollout restart target is missing, forbidden or
	// could not be patched; Ready is unaffected.
	EventRolloutRestartFailed = "RolloutRestartFailed"
	// EventRetained: the target Secret was released, ownerless, when the credential was deleted.
	EventRetained = "Retained"
)

// staleCacheRequeue is how soon a credential whose spec changed while it was reconciled is
// looked at again; the watch event of that change usually comes first.
const staleCacheRequeue = time.Second

// errSpecChanged: the API server holds a newer generation than the cache gave this reconcile;
// acting on the old spec could send a token to a target the user has just renamed.
var errSpecChanged = errors.New("the CyclrCredential changed while it was reconciled")

// Reconcile brings one CyclrCredential's token and Secrets up to date and writes its status once.
func (r *CyclrCredentialReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	cred := &authv1alpha1.CyclrCredential{}
	if err := r.Get(ctx, req.NamespacedName, cred); err != nil {
		if apierrors.IsNotFound(err) {
			credentialMetrics.forget(req.NamespacedName)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if !cred.DeletionTimestamp.IsZero() {
		// The Secrets go with it, through their owner reference, unless the target is retained.
		return ctrl.Result{}, r.finalize(ctx, cred)
	}
	if err := r.syncFinalizer(ctx, cred); err != nil {
		return ctrl.Result{}, err
	}
	now := r.Clock.Now()
	t := &tokenPass{now: now, cred: cred}
	res, err := r.reconcileToken(ctx, t)
	if errors.Is(err, errSpecChanged) {
		return ctrl.Result{RequeueAfter: staleCacheRequeue}, nil
	}
	// A failure after a new token was saved (a target write) still records that token in
	// status, so the retry neither honours the same refresh request again nor miscounts revisions.
	if err != nil && !res.Renewed {
		return ctrl.Result{}, err
	}
	if serr := r.writeStatus(ctx, t, policy.NextStatus(t.cred, res, now)); serr != nil || err != nil {
		return ctrl.Result{}, errors.Join(err, serr)
	}
	r.awaitCache(ctx, t.written)
	credentialMetrics.record(t.cred)
	return ctrl.Result{RequeueAfter: policy.RequeueAfter(t.cred.Status, res.State, now)}, nil
}

// tokenPass is one reconcile's working set: the credential (the cache's copy, then the API
// server's once anything is to be written), and the objects written, for awaitCache.
type tokenPass struct {
	now     time.Time
	cred    *authv1alpha1.CyclrCredential
	written []client.Object
}

// reconcileToken decides whether a token is needed, obtains it and writes the Secrets, and
// returns what it did. It decides first on what the cache holds, and reads from the API server
// only when something is to be written or Cyclr called, or when only the login's values can
// tell whether the stored token still fits.
func (r *CyclrCredentialReconciler) reconcileToken(ctx context.Context, t *tokenPass) (policy.Result, error) {
	cred := t.cred
	stateMeta, state, err := r.cachedState(ctx, cred)
	annotated := state != nil // the cache's state Secret describes its token
	if err != nil {
		return r.configFailure(cred, nil, err)
	}
	if cred.Spec.Suspend {
		return policy.Result{State: state, Suspended: true}, nil
	}
	// The trust boundary comes first: a spec outside the tenant boundary, or aimed at a host the
	// operator may not talk to, gets its login Secret neither read nor sent, and its target
	// Secret stays as it is.
	if err := r.checkBoundary(cred); err != nil {
		return r.configFailure(cred, state, err)
	}
	target, err := r.cachedTarget(ctx, cred)
	if err != nil {
		return r.configFailure(cred, state, err)
	}
	inputs, err := r.cachedInputs(ctx, cred)
	if err != nil {
		return policy.Result{}, err
	}
	sit := policy.Situation{Now: t.now, Credential: cred, State: state, Inputs: inputs, MinInterval: r.MinRefreshInterval,
		LastCall: r.lastCalls.last(client.ObjectKeyFromObject(cred))}
	act := policy.Decide(sit)

	var stateSecret *corev1.Secret
	var login cyclr.Request
	if act.CallsCyclr() || !state.Fits(inputs, "", t.now) || !targetCurrent(cred, target) {
		// The guard: what follows is decided again on the API server's copies, not the cache's.
		if stateSecret, state, err = r.reread(ctx, t, stateMeta != nil); err != nil {
			return r.configFailure(t.cred, nil, err)
		}
		cred, sit.Credential, sit.State = t.cred, t.cred, state
		// The login Secret is read before any call to Cyclr (the request needs it), and when
		// only its values can tell whether the token still fits.
		if !state.Fits(inputs, "", t.now) || policy.Decide(sit).CallsCyclr() {
			var loginVersion string
			if login, loginVersion, err = readLogin(ctx, r.APIReader, cred); err != nil {
				return r.loginFailure(ctx, t, target, state, err)
			}
			sit.Inputs, sit.Fingerprint = policy.InputsOf(&cred.Spec, loginVersion), policy.Fingerprint(&cred.Spec, login)
		}
		act = policy.Decide(sit)
	}

	res := policy.Result{State: state, Inputs: sit.Inputs}
	switch {
	case act == policy.ActionWait:
		res.Waited, res.NotBefore = true, sit.NextAttempt()
	case act.CallsCyclr():
		if err := r.callCyclr(ctx, t, act, sit, login, stateSecret, &res); err != nil {
			return policy.Result{}, err
		}
	case state != nil && (!annotated || state.Inputs != sit.Inputs) && state.Fits(sit.Inputs, sit.Fingerprint, t.now):
		// A token that fits, found so by reading the login (its Secret was edited, to the same
		// values) or in a state written by an older version: recorded as it is now, so the
		// next reconcile knows without reading.
		recorded := *state
		recorded.Inputs = sit.Inputs
		if err := r.saveState(ctx, t, stateSecret, &recorded); err != nil {
			return policy.Result{}, err
		}
	}
	// A token from before a spec change (another account, another apiURL) is not written
	// under the new spec's account_id and api_url: the target keeps what it has until a new
	// token comes, and no consumer is restarted for it.
	if !res.State.Fits(sit.Inputs, sit.Fingerprint, t.now) {
		return res, nil
	}
	if err := r.ensureTarget(ctx, t, target, &res); err != nil {
		return res, err
	}
	if policy.PendingRollout(cred, res) {
		res.RolledOut, err = r.rolloutRestart(ctx, cred, res.State)
	}
	return res, err
}

// checkBoundary refuses a stored spec outside the tenant boundary (the CRD refuses it too;
// this guards objects stored before) and an apiURL whose host the operator may not talk to.
func (r *CyclrCredentialReconciler) checkBoundary(cred *authv1alpha1.CyclrCredential) error {
	if cfg := policy.CheckSpec(cred); cfg != nil {
		return cfg
	}
	if err := r.Hosts.Check(cred.Spec.APIURL); err != nil {
		return &policy.ConfigError{Reason: authv1alpha1.ReasonAPIHostNotAllowed, Message: err.Error()}
	}
	return nil
}

// cachedInputs identifies cred's spec and its login Secret's version as the cache holds it
// (policy.InputsOf): equal to the state's, the stored token was obtained with them, and the
// login need not be read. A change the cache has not seen yet reaches it as a watch event,
// which starts another reconcile: as a read would, a moment later.
func (r *CyclrCredentialReconciler) cachedInputs(ctx context.Context, cred *authv1alpha1.CyclrCredential) (string, error) {
	login, err := r.cachedSecret(ctx, cred.Namespace, cred.Spec.CredentialsSecretRef.Name)
	if login == nil || err != nil {
		return "", err
	}
	return policy.InputsOf(&cred.Spec, secretVersion(login)), nil
}

// reread replaces t.cred with the API server's copy, and reads the state Secret, data and all,
// when the cache holds one (a state the cache does not know yet makes the create fail, and
// --min-refresh-interval holds back a second call in the meantime). A credential whose
// generation differs from the cached one is errSpecChanged: the target and login were looked
// at for the old spec.
func (r *CyclrCredentialReconciler) reread(ctx context.Context, t *tokenPass,
	stateCached bool,
) (*corev1.Secret, *policy.TokenState, error) {
	fresh := &authv1alpha1.CyclrCredential{}
	if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(t.cred), fresh); err != nil {
		return nil, nil, fmt.Errorf("reading CyclrCredential: %w", err)
	}
	if fresh.Generation != t.cred.Generation || !fresh.DeletionTimestamp.IsZero() {
		return nil, nil, errSpecChanged
	}
	t.cred = fresh
	if !stateCached {
		return nil, nil, nil
	}
	return r.liveState(ctx, fresh)
}

// loginFailure reports a login Secret that cannot be used; a valid token stays in the target
// Secret meanwhile (restored if it was changed).
func (r *CyclrCredentialReconciler) loginFailure(ctx context.Context, t *tokenPass,
	target *metav1.PartialObjectMetadata, state *policy.TokenState, err error,
) (policy.Result, error) {
	res, err := r.configFailure(t.cred, state, err)
	if err == nil && state.Valid(t.now) {
		err = r.ensureTarget(ctx, t, target, &res)
	}
	return res, err
}

// configFailure turns a problem the user must fix in Kubernetes into a result, and returns any
// other error (an API server hiccup) for the workqueue to retry.
func (r *CyclrCredentialReconciler) configFailure(cred *authv1alpha1.CyclrCredential,
	state *policy.TokenState, err error,
) (policy.Result, error) {
	cfg, ok := errors.AsType[*policy.ConfigError](err)
	if !ok {
		return policy.Result{}, err
	}
	// A lasting problem is announced by one event, not one per reconcile. The stored reason,
	// not Ready's: with a valid token Ready says RefreshFailing whatever the cause.
	if cred.Status.LastFailureReason != cfg.Reason {
		r.Recorder.Eventf(cred, nil, corev1.EventTypeWarning, cfg.Reason, "ReadCredentials", "%s", policy.Bounded(cfg.Message))
	}
	return policy.Result{State: state, Failure: cfg.Failure()}, nil
}

// callCyclr obtains a token as act says and saves it in the state Secret before anything else:
// a single-use refresh token lost here is lost for good. A failure is recorded in res.
func (r *CyclrCredentialReconciler) callCyclr(ctx context.Context, t *tokenPass, act policy.Action,
	sit policy.Situation, login cyclr.Request, stateSecret *corev1.Secret, res *policy.Result,
) error {
	res.Honoured = sit.RefreshRequest()
	tok, how, err := r.obtain(ctx, t.cred, act, sit.State, login)
	if err == nil {
		if err = policy.CheckLifetime(tok, r.MinRefreshInterval); err != nil {
			if serr := r.keepRefreshChain(ctx, t, stateSecret, sit.State, tok); serr != nil {
				return serr
			}
		}
	}
	if wait, limited := cyclr.IsRateLimited(err); limited {
		// Nothing was sent: not a failure, just later (without holding a worker meanwhile).
		res.Waited, res.NotBefore, res.Honoured = true, t.now.Add(wait), ""
		return nil
	}
	if err != nil {
		res.Failure = policy.Classify(err)
		r.Recorder.Eventf(t.cred, nil, corev1.EventTypeWarning, res.Failure.Reason, "RequestToken", "%s", policy.Bounded(res.Failure.Message))
		logf.FromContext(ctx).Info("token request failed", "reason", res.Failure.Reason, "error", err.Error())
		return nil
	}
	res.State, res.Renewed = &policy.TokenState{Token: tok, Fingerprint: sit.Fingerprint, Inputs: sit.Inputs}, true
	if err := r.saveState(ctx, t, stateSecret, res.State); err != nil {
		return err
	}
	r.Recorder.Eventf(t.cred, nil, corev1.EventTypeNormal, how, "RequestToken",
		"obtained a token with the %s grant, valid until %s", tok.Grant, policy.Stamp(tok.ExpiresAt))
	logf.FromContext(ctx).Info("token written", "event", how, "grant", string(tok.Grant), "expiresAt", policy.Stamp(tok.ExpiresAt))
	return nil
}

// keepRefreshChain saves the new refresh token of a refresh answer that is refused (its
// lifetime is too short): the refresh used up the stored one, so without it the next attempt
// could only sign in again with the password. The stored access token stays as it was; the
// refused one is neither saved nor written.
func (r *CyclrCredentialReconciler) keepRefreshChain(ctx context.Context, t *tokenPass,
	current *corev1.Secret, state *policy.TokenState, refused cyclr.Token,
) error {
	if state == nil || refused.Grant != cyclr.GrantRefreshToken || refused.RefreshToken == "" {
		return nil
	}
	kept := *state
	kept.Token.RefreshToken = refused.RefreshToken
	return r.saveState(ctx, t, current, &kept)
}

// writeStatus patches the status when it changed; a patch after Secret writes is noted for awaitCache.
func (r *CyclrCredentialReconciler) writeStatus(ctx context.Context, t *tokenPass, status authv1alpha1.CyclrCredentialStatus) error {
	if equality.Semantic.DeepEqual(t.cred.Status, status) {
		return nil
	}
	patch := client.MergeFrom(t.cred.DeepCopy())
	t.cred.Status = status
	if err := r.Status().Patch(ctx, t.cred, patch); err != nil {
		return fmt.Errorf("writing status: %w", err)
	}
	if len(t.written) > 0 {
		t.written = append(t.written, t.cred)
	}
	return nil
}
