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

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
)

// writeOwnedSecret creates or updates the Secret key of cred (current is its copy, nil when
// there is none) with apply, which reports whether it changed anything. A write conflict
// (someone else updated or created the Secret meanwhile) is retried on the live Secret read
// from the API server, so tokens Cyclr just issued are not dropped over a stale
// resourceVersion; a Secret the credential does not own is refused, never written.
func (r *CyclrCredentialReconciler) writeOwnedSecret(ctx context.Context, cred *authv1alpha1.CyclrCredential,
	key client.ObjectKey, current *corev1.Secret, apply func(*corev1.Secret) (bool, error),
) (written bool, err error) {
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
		if current != nil {
			secret = current.DeepCopy()
		}
		changed, err := apply(secret)
		if err != nil || !changed {
			return err
		}
		r.writes.expect(secret)
		if current == nil {
			err = r.Create(ctx, secret)
		} else {
			err = r.Update(ctx, secret)
		}
		if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
			live, lerr := r.liveOwnedSecret(ctx, cred, key)
			switch {
			case apierrors.IsNotFound(lerr):
				current = nil
			case lerr != nil:
				return lerr
			default:
				current = live
			}
			return apierrors.NewConflict(corev1.Resource("secrets"), key.Name, errors.New("changed while writing"))
		}
		written = err == nil
		return err
	})
	return written, err
}

// liveOwnedSecret reads a Secret from the API server and refuses one the credential may not write.
func (r *CyclrCredentialReconciler) liveOwnedSecret(ctx context.Context,
	cred *authv1alpha1.CyclrCredential, key client.ObjectKey,
) (*corev1.Secret, error) {
	secret := &corev1.Secret{}
	if err := r.APIReader.Get(ctx, key, secret); err != nil {
		return nil, err
	}
	if !mayWrite(secret, cred) {
		return nil, policy.ConflictError(key.Name)
	}
	return secret, nil
}
