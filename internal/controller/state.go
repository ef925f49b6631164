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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
)

// cachedState is the state Secret as the cache holds it: its metadata (nil when there is none),
// and the token its annotations describe (nil when they describe none: damaged, or written by
// an older version, whose state only its data describes). A name taken by a Secret cred does
// not own is a policy.ConfigError.
func (r *CyclrCredentialReconciler) cachedState(ctx context.Context,
	cred *authv1alpha1.CyclrCredential,
) (*metav1.PartialObjectMetadata, *policy.TokenState, error) {
	meta, err := r.cachedSecret(ctx, cred.Namespace, policy.StateSecretName(cred.Name))
	if meta == nil || err != nil {
		return nil, nil, err
	}
	if err := writable(meta, cred, true); err != nil {
		return nil, nil, err
	}
	return meta, policy.StateFromMetadata(meta.Annotations), nil
}

// liveState reads the state Secret, data and all, from the API server: the Secret (nil when
// there is none) and its token (nil when there is none or it is damaged).
func (r *CyclrCredentialReconciler) liveState(ctx context.Context,
	cred *authv1alpha1.CyclrCredential,
) (*corev1.Secret, *policy.TokenState, error) {
	secret, err := r.liveSecret(ctx, cred, policy.StateSecretName(cred.Name), true)
	if secret == nil || err != nil {
		return nil, nil, err
	}
	return secret, policy.StateFromSecret(secret), nil
}

// saveState writes the state Secret (current is its live copy, nil when there is none) and
// notes the write for awaitCache: once Cyclr has answered, the new tokens must be kept.
func (r *CyclrCredentialReconciler) saveState(ctx context.Context, t *tokenPass, current *corev1.Secret, s *policy.TokenState) error {
	secret, _, err := r.writeOwnedSecret(ctx, t.cred, policy.StateSecretName(t.cred.Name), current, true,
		func(secret *corev1.Secret) (bool, error) {
			before := secretContent(secret)
			err := applyState(secret, t.cred, s, r.Scheme)
			return secretContent(secret) != before, err
		})
	if err != nil {
		return fmt.Errorf("writing state Secret: %w", err)
	}
	t.written = append(t.written, secret)
	return nil
}
