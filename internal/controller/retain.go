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
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
)

// +kubebuilder:rbac:groups=auth.cyclr-operator.io,resources=cyclrcredentials,verbs=patch

// A credential with deletionPolicy Retain carries RetainFinalizer, and only such a credential:
// a finalizer on every credential would leave them all stuck in deletion whenever the
// operator is not running. On deletion the finalizer waits until the target Secret has been
// released (owner reference removed, RetainedFromAnnotation set), so the garbage collector,
// which deletes the owned state Secret, leaves the target alone.

// syncFinalizer adds or removes RetainFinalizer as spec.target.deletionPolicy says.
func (r *CyclrCredentialReconciler) syncFinalizer(ctx context.Context, cred *authv1alpha1.CyclrCredential) error {
	return r.setFinalizer(ctx, cred, cred.Spec.Target.DeletionPolicy == authv1alpha1.DeletionRetain)
}

// finalize releases the target Secret of a credential being deleted with RetainFinalizer,
// then removes the finalizer. Either step may be repeated after a crash.
func (r *CyclrCredentialReconciler) finalize(ctx context.Context, cred *authv1alpha1.CyclrCredential) error {
	if !controllerutil.ContainsFinalizer(cred, authv1alpha1.RetainFinalizer) {
		return nil
	}
	if err := r.releaseTarget(ctx, cred); err != nil {
		return err
	}
	return r.setFinalizer(ctx, cred, false)
}

// setFinalizer makes cred carry RetainFinalizer or not, with a patch that fails on a stale
// copy rather than drop a finalizer someone else added meanwhile.
func (r *CyclrCredentialReconciler) setFinalizer(ctx context.Context, cred *authv1alpha1.CyclrCredential, want bool) error {
	if want == controllerutil.ContainsFinalizer(cred, authv1alpha1.RetainFinalizer) {
		return nil
	}
	patch := client.MergeFromWithOptions(cred.DeepCopy(), client.MergeFromWithOptimisticLock{})
	if want {
		controllerutil.AddFinalizer(cred, authv1alpha1.RetainFinalizer)
	} else {
		controllerutil.RemoveFinalizer(cred, authv1alpha1.RetainFinalizer)
	}
	err := r.Patch(ctx, cred, patch)
	if err != nil && (want || !apierrors.IsNotFound(err)) { // removed from a credential already gone: done
		return fmt.Errorf("updating the finalizers of CyclrCredential: %w", err)
	}
	return nil
}

// releaseTarget leaves the target Secret, token and all, without cred's owner reference and
// marked as retained from cred's name. A target cred does not own is not touched.
func (r *CyclrCredentialReconciler) releaseTarget(ctx context.Context, cred *authv1alpha1.CyclrCredential) error {
	secret := &corev1.Secret{}
	err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: cred.Namespace, Name: cred.TargetSecretName()}, secret)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading target Secret: %w", err)
	}
	if !ownedBy(secret, cred) {
		return nil
	}
	refs := secret.OwnerReferences[:0]
	for _, ref := range secret.OwnerReferences {
		if ref.UID != cred.UID {
			refs = append(refs, ref)
		}
	}
	secret.OwnerReferences = refs
	secret.Annotations = mergeInto(secret.Annotations, map[string]string{authv1alpha1.RetainedFromAnnotation: cred.Name})
	if err := r.Update(ctx, secret); err != nil {
		return fmt.Errorf("releasing target Secret %q: %w", secret.Name, err)
	}
	r.Recorder.Eventf(cred, nil, corev1.EventTypeNormal, EventRetained, "DeleteCredential",
		"kept target Secret %q with its last token (deletionPolicy Retain)", secret.Name)
	return nil
}

// adoptable reports whether secret is a target released by a deleted credential of cred's
// name: cred may take it over. Any other Secret it does not own is a TargetSecretConflict.
func adoptable(secret metav1.Object, cred *authv1alpha1.CyclrCredential) bool {
	return metav1.GetControllerOfNoCopy(secret) == nil && secret.GetAnnotations()[authv1alpha1.RetainedFromAnnotation] == cred.Name
}
