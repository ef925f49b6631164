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
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
)

// cachedSecret reads a Secret the operator manages from the cache; nil when absent.
func (r *CyclrCredentialReconciler) cachedSecret(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	secret := &corev1.Secret{}
	err := r.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, secret)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading Secret %q: %w", name, err)
	}
	return secret, nil
}

// ownedState is the token in the state Secret, if cred owns it.
func ownedState(secret *corev1.Secret, cred *authv1alpha1.CyclrCredential) *policy.TokenState {
	if secret == nil || !ownedBy(secret, cred) {
		return nil
	}
	return policy.StateFromSecret(secret)
}

// readTarget returns the target Secret (nil when absent), or a policy.ConfigError when the name
// belongs to a Secret this credential does not own. The manager's cache holds the labelled
// Secrets and the metadata cache all others, so a name neither holds is free: a Secret created
// by someone else meanwhile makes the create fail, and writeOwnedSecret never writes a Secret
// it does not own. A Secret that is there but not ours is confirmed with a metadata-only read
// from the API server (the metadata cache keeps no annotations, which adoption reads, and a
// cache may lag behind the event that started this reconcile).
func (r *CyclrCredentialReconciler) readTarget(ctx context.Context, cred *authv1alpha1.CyclrCredential) (*corev1.Secret, error) {
	name := cred.TargetSecretName()
	secret, err := r.cachedSecret(ctx, cred.Namespace, name)
	if err != nil {
		return nil, err
	}
	if secret == nil {
		other, err := r.unmanagedSecret(ctx, client.ObjectKey{Namespace: cred.Namespace, Name: name})
		if other == nil || err != nil {
			return nil, err
		}
	}
	if secret == nil || !ownedBy(secret, cred) {
		meta := &metav1.PartialObjectMetadata{}
		meta.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
		err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: cred.Namespace, Name: name}, meta)
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading target Secret %q: %w", name, err)
		}
		// Ours but not in the cache yet (or its labels were removed): rewritten whole below.
		secret = &corev1.Secret{ObjectMeta: meta.ObjectMeta}
	}
	if !mayWrite(secret, cred) {
		return nil, policy.ConflictError(name)
	}
	return secret, nil
}

// unmanagedSecret is the Secret key as the metadata cache holds it; nil when it holds none.
func (r *CyclrCredentialReconciler) unmanagedSecret(ctx context.Context, key client.ObjectKey) (*metav1.PartialObjectMetadata, error) {
	meta := &metav1.PartialObjectMetadata{}
	meta.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	err := r.unmanagedSecrets.Get(ctx, key, meta)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading Secret %q from the metadata cache: %w", key.Name, err)
	}
	return meta, nil
}

// mayWrite reports whether cred may write secret: one it controls, or a target a deleted
// credential of its name retained.
func mayWrite(secret *corev1.Secret, cred *authv1alpha1.CyclrCredential) bool {
	return ownedBy(secret, cred) || adoptable(secret, cred)
}

// ensureTarget writes the token of res into the target Secret when it differs, and announces a
// restore (a deleted or edited target put back without calling Cyclr) with an event. A write
// conflict is retried on the live Secret, so a token just obtained reaches the target in the
// same reconcile.
func (r *CyclrCredentialReconciler) ensureTarget(ctx context.Context,
	cred *authv1alpha1.CyclrCredential, existing *corev1.Secret, res policy.Result,
) error {
	key := client.ObjectKey{Namespace: cred.Namespace, Name: cred.TargetSecretName()}
	written, err := r.writeOwnedSecret(ctx, cred, key, existing, func(secret *corev1.Secret) (bool, error) {
		// An adopted Secret is ours from this write on.
		_, adopted := secret.Annotations[authv1alpha1.RetainedFromAnnotation]
		delete(secret.Annotations, authv1alpha1.RetainedFromAnnotation)
		changed, err := applyTarget(secret, cred, res.State, r.Scheme)
		return changed || adopted, err
	})
	if err != nil {
		return fmt.Errorf("writing target Secret %q: %w", key.Name, err)
	}
	// A write after a spec change (spec.target.keys or formats, say) reshapes the target: no
	// restore to announce.
	if written && !res.Renewed && cred.Generation == cred.Status.ObservedGeneration {
		r.Recorder.Eventf(cred, nil, corev1.EventTypeNormal, EventRestored, "WriteSecret",
			"restored target Secret %q from the stored token, valid until %s", key.Name, policy.Stamp(res.State.Token.ExpiresAt))
	}
	return nil
}
