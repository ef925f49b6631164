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
	Recorder  events.EventRecorder
	Clock     clock.PassiveClock

	failures failureMemory
	writes   ownWrites
}

// +kubebuilder:rbac:groups=auth.cyclr-operator.io,resources=cyclrcredentials,verbs=get;list;watch
// +kubebuilder:rbac:groups=auth.cyclr-operator.io,resources=cyclrcredentials/status,verbs=get;patch
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile brings one CyclrCredential's token and Secrets up to date and writes its status once.
func (r *CyclrCredentialReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	cred := &authv1alpha1.CyclrCredential{}
	if err := r.Get(ctx, req.NamespacedName, cred); err != nil {
		if apierrors.IsNotFound(err) {
			forgetCredentialMetrics(req.Namespace, req.Name)
			r.failures.forget(req.NamespacedName)
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	if !cred.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil // the Secrets go with it, through their owner reference
	}
	now := r.Clock.Now()
	res, err := r.reconcileToken(ctx, cred, now)
	// A failure after a new token was saved (a target write) still records that token in
	// status, so the retry neither honours the same refresh request again nor miscounts revisions.
	if err != nil && !res.renewed {
		return ctrl.Result{}, err
	}
	if serr := r.writeStatus(ctx, cred, nextStatus(cred, res, now)); serr != nil || err != nil {
		return ctrl.Result{}, errors.Join(err, serr)
	}
	recordCredentialMetrics(cred)
	return ctrl.Result{RequeueAfter: requeueAfter(cred.Status, res.state, now)}, nil
}

// reconcileToken decides whether a token is needed, obtains it and writes the Secrets. It may
// replace *cred with a fresher copy read from the API server.
func (r *CyclrCredentialReconciler) reconcileToken(ctx context.Context, cred *authv1alpha1.CyclrCredential, now time.Time) (result, error) {
	stateSecret, err := r.cachedSecret(ctx, cred.Namespace, stateSecretName(cred.Name))
	if err != nil {
		return result{}, err
	}
	state := ownedState(stateSecret, cred)
	if cred.Spec.Suspend {
		return result{state: state, suspended: true}, nil
	}
	target, err := r.readTarget(ctx, cred)
	if err != nil {
		return r.configFailure(cred, state, err)
	}
	login, err := readLogin(ctx, r.APIReader, cred)
	if err != nil {
		res, err := r.configFailure(cred, state, err)
		if err == nil && state.valid(now) {
			err = r.ensureTarget(ctx, cred, target, res)
		}
		return res, err
	}

	sit := situation{now: now, credential: cred, state: state, fingerprint: fingerprint(&cred.Spec, login)}
	sit.loginChangedSinceFailure = r.failures.changed(client.ObjectKeyFromObject(cred), sit.fingerprint)
	act := decide(sit)
	if act.callsCyclr() {
		// Confirm against the API server, not the cache, that the token is still needed.
		if stateSecret, err = r.refreshFromAPIServer(ctx, cred); err != nil {
			return r.configFailure(cred, state, err)
		}
		state = ownedState(stateSecret, cred)
		sit.state, sit.fingerprint = state, fingerprint(&cred.Spec, login)
		act = decide(sit)
	}

	res := result{state: state, honoured: sit.refreshRequest(), waited: act == actionWait}
	if act.callsCyclr() {
		tok, how, err := r.obtain(ctx, cred, act, state, login)
		if err != nil {
			res.failure = attemptFailure(err)
			r.failures.remember(client.ObjectKeyFromObject(cred), sit.fingerprint)
			r.Recorder.Eventf(cred, nil, corev1.EventTypeWarning, res.failure.reason, "RequestToken", "%s", res.failure.message)
			logf.FromContext(ctx).Info("token request failed", "reason", res.failure.reason, "error", err.Error())
		} else {
			r.failures.forget(client.ObjectKeyFromObject(cred))
			res.state, res.renewed = &tokenState{token: tok, fingerprint: sit.fingerprint}, true
			// Persist before anything else: a single-use refresh token lost here is lost for good.
			if err := r.saveState(ctx, cred, stateSecret, res.state); err != nil {
				return result{}, err
			}
			r.Recorder.Eventf(cred, nil, corev1.EventTypeNormal, how, "RequestToken",
				"obtained a token with the %s grant, valid until %s", tok.Grant, stamp(tok.ExpiresAt))
			logf.FromContext(ctx).Info("token written", "event", how, "grant", string(tok.Grant), "expiresAt", stamp(tok.ExpiresAt))
		}
	}
	if res.state.valid(now) {
		err = r.ensureTarget(ctx, cred, target, res)
	}
	return res, err
}

// configFailure turns a problem the user must fix in Kubernetes into a result, and returns any
// other error (an API server hiccup) for the workqueue to retry.
func (r *CyclrCredentialReconciler) configFailure(cred *authv1alpha1.CyclrCredential, state *tokenState, err error) (result, error) {
	var cfg *configError
	if !errors.As(err, &cfg) {
		return result{}, err
	}
	if !readyReasonIs(cred, cfg.reason) {
		r.Recorder.Eventf(cred, nil, corev1.EventTypeWarning, cfg.reason, "ReadCredentials", "%s", cfg.message)
	}
	return result{state: state, failure: &failure{reason: cfg.reason, message: cfg.message}}, nil
}

// refreshFromAPIServer re-reads the credential and its state Secret from the API server into
// *cred and returns the state Secret (nil when there is none).
func (r *CyclrCredentialReconciler) refreshFromAPIServer(ctx context.Context, cred *authv1alpha1.CyclrCredential) (*corev1.Secret, error) {
	if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(cred), cred); err != nil {
		return nil, fmt.Errorf("reading CyclrCredential: %w", err)
	}
	secret := &corev1.Secret{}
	err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: cred.Namespace, Name: stateSecretName(cred.Name)}, secret)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading state Secret: %w", err)
	case !ownedBy(secret, cred):
		return nil, conflictError(secret.Name)
	}
	return secret, nil
}

// obtain asks Cyclr for a token: a sign-in for actionIssue; for actionRenew, as spec.rotation
// says. It returns the event reason that describes what happened.
func (r *CyclrCredentialReconciler) obtain(ctx context.Context,
	cred *authv1alpha1.CyclrCredential, act action, state *tokenState, login cyclr.Request,
) (cyclr.Token, string, error) {
	if act == actionIssue {
		tok, err := r.requestToken(ctx, login)
		return tok, EventIssued, err
	}
	if !usesRefreshToken(&cred.Spec) || state.token.RefreshToken == "" {
		tok, err := r.requestToken(ctx, login)
		return tok, EventRefreshed, err
	}
	refresh := cyclr.Request{APIURL: login.APIURL, Grant: cyclr.GrantRefreshToken, ClientID: login.ClientID,
		AccountID: login.AccountID, RefreshToken: state.token.RefreshToken}
	tok, err := r.requestToken(ctx, refresh)
	if !cyclr.IsInvalidGrant(err) {
		return tok, EventRefreshed, err
	}
	// The refresh token was used already (lost after a crash), or revoked: sign in again.
	tok, err = r.requestToken(ctx, login)
	return tok, EventReauthenticated, err
}

func usesRefreshToken(spec *authv1alpha1.CyclrCredentialSpec) bool {
	return spec.Grant != authv1alpha1.GrantClientCredentials && spec.Rotation != authv1alpha1.RotationReauthenticate
}

func (r *CyclrCredentialReconciler) requestToken(ctx context.Context, req cyclr.Request) (cyclr.Token, error) {
	start := r.Clock.Now()
	tok, err := r.Cyclr.Token(ctx, req)
	observeTokenRequest(req.Grant, r.Clock.Since(start), err)
	return tok, err
}

// saveState writes the state Secret: once Cyclr has answered, the new tokens must be kept.
func (r *CyclrCredentialReconciler) saveState(ctx context.Context,
	cred *authv1alpha1.CyclrCredential, current *corev1.Secret, s *tokenState,
) error {
	key := client.ObjectKey{Namespace: cred.Namespace, Name: stateSecretName(cred.Name)}
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
