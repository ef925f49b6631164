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
	// Client reads from the manager's cache, which holds only the Secrets the operator manages.
	client.Client
	// APIReader reads straight from the API server: the credentials Secret, and the
	// credential and state before any call to Cyclr, so a stale cache never causes a second sign-in.
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

	failures  failureMemory
	lastCalls lastCalls
	writes    ownWrites
	logins    recentLogins // login Secrets read moments ago: loginReader
	// unmanagedSecrets holds the metadata of every Secret the manager's cache does not (those
	// without the managed-by label); SetupWithManager sets it.
	unmanagedSecrets client.Reader
}

// +kubebuilder:rbac:groups=auth.cyclr-operator.io,resources=cyclrcredentials,verbs=get;list;watch
// +kubebuilder:rbac:groups=auth.cyclr-operator.io,resources=cyclrcredentials/status,verbs=get;patch
// The Secrets' owner references set blockOwnerDeletion: where the
// OwnerReferencesPermissionEnforcement admission plugin runs (OpenShift), that needs update on
// the owner's finalizers, or every Secret write is refused.
// +kubebuilder:rbac:groups=auth.cyclr-operator.io,resources=cyclrcredentials/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// staleCacheRequeue is how soon a credential whose spec changed while it was reconciled is
// looked at again; the watch event of that change usually comes first.
const staleCacheRequeue = time.Second

// errSpecChanged: the API server holds a newer generation than the cache gave this reconcile;
// acting on the old spec could send a token to a target the user has just renamed.
var errSpecChanged = errors.New("the CyclrCredential changed while it was reconciled")

// Reconcile brings one CyclrCredential's token and Secrets up to date and writes its status once.
func (r *CyclrCredentialReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	cached := &authv1alpha1.CyclrCredential{}
	if err := r.Get(ctx, req.NamespacedName, cached); err != nil {
		if apierrors.IsNotFound(err) {
			credentialMetrics.forget(req.NamespacedName)
			r.failures.forget(req.NamespacedName)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if !cached.DeletionTimestamp.IsZero() {
		// The Secrets go with it, through their owner reference, unless the target is retained.
		return ctrl.Result{}, r.finalize(ctx, cached)
	}
	if err := r.syncFinalizer(ctx, cached); err != nil {
		return ctrl.Result{}, err
	}
	now := r.Clock.Now()
	res, cred, err := r.reconcileToken(ctx, cached, now)
	if errors.Is(err, errSpecChanged) {
		return ctrl.Result{RequeueAfter: staleCacheRequeue}, nil
	}
	// A failure after a new token was saved (a target write) still records that token in
	// status, so the retry neither honours the same refresh request again nor miscounts revisions.
	if err != nil && !res.Renewed {
		return ctrl.Result{}, err
	}
	if serr := r.writeStatus(ctx, cred, policy.NextStatus(cred, res, now)); serr != nil || err != nil {
		return ctrl.Result{}, errors.Join(err, serr)
	}
	credentialMetrics.record(cred)
	return ctrl.Result{RequeueAfter: policy.RequeueAfter(cred.Status, res.State, now)}, nil
}

// reconcileToken decides whether a token is needed, obtains it and writes the Secrets. It
// returns what it did and the copy of the credential the status is to be computed from: the
// cached one, or the fresher one read from the API server before calling Cyclr.
func (r *CyclrCredentialReconciler) reconcileToken(ctx context.Context,
	cred *authv1alpha1.CyclrCredential, now time.Time,
) (policy.Result, *authv1alpha1.CyclrCredential, error) {
	stateSecret, err := r.cachedSecret(ctx, cred.Namespace, policy.StateSecretName(cred.Name))
	if err != nil {
		return policy.Result{}, cred, err
	}
	state := ownedState(stateSecret, cred)
	if cred.Spec.Suspend {
		return policy.Result{State: state, Suspended: true}, cred, nil
	}
	// The trust boundary comes first: a spec outside the tenant boundary, or aimed at a host the
	// operator may not talk to, gets its login Secret neither read nor sent, and its target
	// Secret stays as it is.
	if cfg := policy.CheckSpec(cred); cfg != nil {
		res, err := r.configFailure(cred, state, cfg)
		return res, cred, err
	}
	if err := r.Hosts.Check(cred.Spec.APIURL); err != nil {
		res, err := r.configFailure(cred, state, &policy.ConfigError{Reason: authv1alpha1.ReasonAPIHostNotAllowed, Message: err.Error()})
		return res, cred, err
	}
	target, err := r.readTarget(ctx, cred)
	if err != nil {
		res, err := r.configFailure(cred, state, err)
		return res, cred, err
	}
	sit := policy.Situation{Now: now, Credential: cred, State: state, MinInterval: r.MinRefreshInterval,
		LastCall: r.lastCalls.last(client.ObjectKeyFromObject(cred))}
	setFingerprint := func(fingerprint string) {
		sit.Fingerprint = fingerprint
		sit.LoginChangedSinceFailure = r.failures.changed(client.ObjectKeyFromObject(cred), fingerprint)
	}
	known, err := r.knownFingerprint(ctx, cred, state)
	if err != nil {
		return policy.Result{}, cred, err
	}
	setFingerprint(known)
	act := policy.Decide(sit)
	// A token due whatever the login holds (a first one, one near expiry) needs the re-reads
	// that precede every Cyclr call (below): they are started now, to overlap the login read.
	var reread func() (*authv1alpha1.CyclrCredential, *corev1.Secret, error)
	if act.CallsCyclr() {
		readCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		reread = r.startReadFromAPIServer(readCtx, cred)
	}
	// The login Secret is read when its fingerprint is not known, and always before Cyclr is
	// called: the request needs it, and the decision is made again on what it holds.
	var login cyclr.Request
	var loginVersion string
	if known == "" || act.CallsCyclr() {
		if login, loginVersion, err = readLogin(ctx, r.loginReader(), cred); err != nil {
			res, err := r.configFailure(cred, state, err)
			if err == nil && state.Valid(now) {
				err = r.ensureTarget(ctx, cred, target, res)
			}
			return res, cred, err
		}
		setFingerprint(policy.Fingerprint(&cred.Spec, login))
		act = policy.Decide(sit)
	}
	if act.CallsCyclr() {
		// Confirm against the API server, not the cache, that the token is still needed.
		if reread == nil {
			reread = r.startReadFromAPIServer(ctx, cred)
		}
		fresh, freshState, err := reread()
		if err != nil {
			res, err := r.configFailure(cred, state, err)
			return res, cred, err
		}
		cred, stateSecret, state = fresh, freshState, ownedState(freshState, fresh)
		sit.Credential, sit.State = cred, state
		act = policy.Decide(sit)
	}

	res := policy.Result{State: state}
	if act == policy.ActionWait {
		res.Waited, res.NotBefore = true, sit.NextAttempt()
	}
	if act.CallsCyclr() {
		res.Honoured = sit.RefreshRequest()
		tok, how, err := r.obtain(ctx, cred, act, state, login)
		if err == nil {
			if err = policy.CheckLifetime(tok, r.MinRefreshInterval); err != nil {
				if serr := r.keepRefreshChain(ctx, cred, stateSecret, state, tok); serr != nil {
					return policy.Result{}, cred, serr
				}
			}
		}
		if wait, limited := cyclr.IsRateLimited(err); limited {
			// Nothing was sent: not a failure, just later (without holding a worker meanwhile).
			res.Waited, res.NotBefore, res.Honoured = true, now.Add(wait), ""
		} else if err != nil {
			res.Failure = policy.Classify(err)
			r.failures.remember(client.ObjectKeyFromObject(cred), sit.Fingerprint)
			r.Recorder.Eventf(cred, nil, corev1.EventTypeWarning, res.Failure.Reason, "RequestToken", "%s", policy.Bounded(res.Failure.Message))
			logf.FromContext(ctx).Info("token request failed", "reason", res.Failure.Reason, "error", err.Error())
		} else {
			r.failures.forget(client.ObjectKeyFromObject(cred))
			res.State, res.Renewed = &policy.TokenState{Token: tok, Fingerprint: sit.Fingerprint,
				Inputs: policy.InputsOf(&cred.Spec, loginVersion)}, true
			// Persist before anything else: a single-use refresh token lost here is lost for good.
			if err := r.saveState(ctx, cred, stateSecret, res.State); err != nil {
				return policy.Result{}, cred, err
			}
			r.Recorder.Eventf(cred, nil, corev1.EventTypeNormal, how, "RequestToken",
				"obtained a token with the %s grant, valid until %s", tok.Grant, policy.Stamp(tok.ExpiresAt))
			logf.FromContext(ctx).Info("token written", "event", how, "grant", string(tok.Grant), "expiresAt", policy.Stamp(tok.ExpiresAt))
		}
	}
	// A token from before a spec change (another account, another apiURL) is not written
	// under the new spec's account_id and api_url: the target keeps what it has until a new
	// token comes, and no consumer is restarted for it.
	if !res.State.Fits(sit.Fingerprint, sit.Now) {
		return res, cred, nil
	}
	if err := r.ensureTarget(ctx, cred, target, res); err != nil {
		return res, cred, err
	}
	if policy.PendingRollout(cred, res) {
		res.RolledOut, err = r.rolloutRestart(ctx, cred, res.State)
	}
	return res, cred, err
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

// readFromAPIServer re-reads the credential and its state Secret (nil when there is none) from
// the API server. A credential whose generation differs from cached's is errSpecChanged: the
// target and login were read for the old spec. The two reads do not depend on each other, so
// they are made at once: a reconcile that calls Cyclr waits for one round trip here, not two.
func (r *CyclrCredentialReconciler) readFromAPIServer(ctx context.Context,
	cached *authv1alpha1.CyclrCredential,
) (*authv1alpha1.CyclrCredential, *corev1.Secret, error) {
	secret := &corev1.Secret{}
	stateRead := make(chan error, 1)
	go func() {
		stateRead <- r.APIReader.Get(ctx, client.ObjectKey{Namespace: cached.Namespace, Name: policy.StateSecretName(cached.Name)}, secret)
	}()
	cred := &authv1alpha1.CyclrCredential{}
	credErr := r.APIReader.Get(ctx, client.ObjectKeyFromObject(cached), cred)
	err := <-stateRead
	if credErr != nil {
		return nil, nil, fmt.Errorf("reading CyclrCredential: %w", credErr)
	}
	if cred.Generation != cached.Generation || !cred.DeletionTimestamp.IsZero() {
		return nil, nil, errSpecChanged
	}
	switch {
	case apierrors.IsNotFound(err):
		return cred, nil, nil
	case err != nil:
		return nil, nil, fmt.Errorf("reading state Secret: %w", err)
	case !ownedBy(secret, cred):
		return nil, nil, policy.StateConflictError(secret.Name)
	}
	return cred, secret, nil
}

// startReadFromAPIServer starts readFromAPIServer and returns what waits for its answer.
func (r *CyclrCredentialReconciler) startReadFromAPIServer(ctx context.Context,
	cached *authv1alpha1.CyclrCredential,
) func() (*authv1alpha1.CyclrCredential, *corev1.Secret, error) {
	type read struct {
		cred  *authv1alpha1.CyclrCredential
		state *corev1.Secret
		err   error
	}
	done := make(chan read, 1)
	go func() {
		cred, state, err := r.readFromAPIServer(ctx, cached)
		done <- read{cred, state, err}
	}()
	return func() (*authv1alpha1.CyclrCredential, *corev1.Secret, error) {
		got := <-done
		return got.cred, got.state, got.err
	}
}

// obtain asks Cyclr for a token: a sign-in for ActionIssue; for ActionRenew, as spec.rotation
// says. It returns the event reason that describes what happened.
func (r *CyclrCredentialReconciler) obtain(ctx context.Context,
	cred *authv1alpha1.CyclrCredential, act policy.Action, state *policy.TokenState, login cyclr.Request,
) (cyclr.Token, string, error) {
	if act == policy.ActionIssue {
		tok, err := r.requestToken(ctx, cred, login)
		return tok, EventIssued, err
	}
	if !usesRefreshToken(&cred.Spec) || state.Token.RefreshToken == "" {
		tok, err := r.requestToken(ctx, cred, login)
		return tok, EventRefreshed, err
	}
	refresh := cyclr.Request{APIURL: login.APIURL, Grant: cyclr.GrantRefreshToken, ClientID: login.ClientID,
		AccountID: login.AccountID, RefreshToken: state.Token.RefreshToken}
	tok, err := r.requestToken(ctx, cred, refresh)
	if !cyclr.IsInvalidGrant(err) {
		return tok, EventRefreshed, err
	}
	// The refresh token was used already (lost after a crash), or revoked: sign in again.
	tok, err = r.requestToken(ctx, cred, login)
	return tok, EventReauthenticated, err
}

func usesRefreshToken(spec *authv1alpha1.CyclrCredentialSpec) bool {
	return spec.Grant != authv1alpha1.GrantClientCredentials && spec.Rotation != authv1alpha1.RotationReauthenticate
}

// requestToken makes one token request for cred. A request that was sent is counted in the
// metrics and remembered for --min-refresh-interval; one the rate limit held back is neither.
func (r *CyclrCredentialReconciler) requestToken(ctx context.Context,
	cred *authv1alpha1.CyclrCredential, req cyclr.Request,
) (cyclr.Token, error) {
	start := r.Clock.Now()
	tok, err := r.Cyclr.Token(ctx, req)
	if _, limited := cyclr.IsRateLimited(err); !limited {
		observeTokenRequest(req.Grant, r.Clock.Since(start), err)
		r.lastCalls.record(client.ObjectKeyFromObject(cred), start, r.MinRefreshInterval)
	}
	return tok, err
}

// keepRefreshChain saves the new refresh token of a refresh answer that is refused (its
// lifetime is too short): the refresh used up the stored one, so without it the next attempt
// could only sign in again with the password. The stored access token stays as it was; the
// refused one is neither saved nor written.
func (r *CyclrCredentialReconciler) keepRefreshChain(ctx context.Context,
	cred *authv1alpha1.CyclrCredential, current *corev1.Secret, state *policy.TokenState, refused cyclr.Token,
) error {
	if state == nil || refused.Grant != cyclr.GrantRefreshToken || refused.RefreshToken == "" {
		return nil
	}
	kept := *state
	kept.Token.RefreshToken = refused.RefreshToken
	return r.saveState(ctx, cred, current, &kept)
}

// saveState writes the state Secret: once Cyclr has answered, the new tokens must be kept.
func (r *CyclrCredentialReconciler) saveState(ctx context.Context,
	cred *authv1alpha1.CyclrCredential, current *corev1.Secret, s *policy.TokenState,
) error {
	key := client.ObjectKey{Namespace: cred.Namespace, Name: policy.StateSecretName(cred.Name)}
	_, err := r.writeOwnedSecret(ctx, cred, key, current, func(secret *corev1.Secret) (bool, error) {
		return true, applyState(secret, cred, s, r.Scheme)
	})
	return err
}

func (r *CyclrCredentialReconciler) writeStatus(ctx context.Context,
	cred *authv1alpha1.CyclrCredential, status authv1alpha1.CyclrCredentialStatus,
) error {
	if equality.Semantic.DeepEqual(cred.Status, status) {
		return nil
	}
	patch := client.MergeFrom(cred.DeepCopy())
	cred.Status = status
	if err := r.Status().Patch(ctx, cred, patch); err != nil {
		return fmt.Errorf("writing status: %w", err)
	}
	return nil
}
