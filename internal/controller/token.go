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
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
)

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

// defaultCacheWait bounds how long a reconcile waits for the cache to show its writes; it is
// reached only when someone else writes the same object at once.
const defaultCacheWait = 2 * time.Second

// awaitCache returns once the cache holds the objects as this reconcile wrote them, or after
// r.cacheWait. The watch events of its Secret writes start another reconcile of the credential
// at once; decided on older copies (a status without the token just written), it would read
// the state and target again and write the same status a second time.
func (r *CyclrCredentialReconciler) awaitCache(ctx context.Context, written []client.Object) {
	if len(written) == 0 || r.cacheWait <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, r.cacheWait)
	defer cancel()
	for _, obj := range written {
		var probe client.Object = &authv1alpha1.CyclrCredential{}
		if _, isSecret := obj.(*corev1.Secret); isSecret {
			meta := &metav1.PartialObjectMetadata{}
			meta.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
			probe = meta
		}
		_ = wait.PollUntilContextCancel(ctx, 5*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			err := r.Get(ctx, client.ObjectKeyFromObject(obj), probe)
			return err == nil && probe.GetResourceVersion() == obj.GetResourceVersion(), nil
		})
	}
}

// lastCalls remembers when this process last called Cyclr for each namespace and name, for
// as long as --min-refresh-interval can still hold a call back. Status keeps that time too,
// but status goes with the object: without this, deleting and re-creating a CyclrCredential
// would sign in again at once, as often as a tenant cares to (an account-lockout risk, and
// the per-host budget is shared by every tenant). It survives delete and re-create, not a
// restart of the operator; a restart is not a tenant's to make.
type lastCalls struct {
	mu    sync.Mutex
	calls map[types.NamespacedName]time.Time
}

// record notes a call made at t, and forgets calls older than keep: they hold nothing back.
func (m *lastCalls) record(key types.NamespacedName, t time.Time, keep time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.calls == nil {
		m.calls = map[types.NamespacedName]time.Time{}
	}
	for k, at := range m.calls {
		if t.Sub(at) > keep {
			delete(m.calls, k)
		}
	}
	m.calls[key] = t
}

// last is when this process last called Cyclr for key; zero when not within the interval.
func (m *lastCalls) last(key types.NamespacedName) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[key]
}
