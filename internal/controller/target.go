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

// cachedTarget is the target Secret's metadata as the cache holds it (nil when absent), or a
// policy.ConfigError when the name belongs to a Secret this credential may not write. A Secret
// created under the name after the cache last synced makes the create fail, and
// writeOwnedSecret never writes a Secret it may not.
func (r *CyclrCredentialReconciler) cachedTarget(ctx context.Context,
	cred *authv1alpha1.CyclrCredential,
) (*metav1.PartialObjectMetadata, error) {
	target, err := r.cachedSecret(ctx, cred.Namespace, cred.TargetSecretName())
	if target == nil || err != nil {
		return nil, err
	}
	return target, writable(target, cred, false)
}

// targetCurrent reports whether the target Secret holds what the operator last wrote or checked
// for the spec it acted on: there, at the version status records, with no spec change since.
func targetCurrent(cred *authv1alpha1.CyclrCredential, target *metav1.PartialObjectMetadata) bool {
	return target != nil && target.ResourceVersion == cred.Status.TargetResourceVersion &&
		cred.Generation == cred.Status.ObservedGeneration
}

// ensureTarget makes the target Secret hold the token of res when it is not current (res.State
// is then whole: the reconcile read the state Secret's data), records the version it wrote or
// checked in res, notes a write for awaitCache, and announces a restore (a deleted or edited
// target put back without calling Cyclr) with an event.
func (r *CyclrCredentialReconciler) ensureTarget(ctx context.Context, t *tokenPass,
	target *metav1.PartialObjectMetadata, res *policy.Result,
) error {
	cred := t.cred
	if !res.Renewed && targetCurrent(cred, target) {
		return nil
	}
	state, name := res.State, cred.TargetSecretName()
	if state.MetadataOnly {
		return fmt.Errorf("the target Secret %q needs the state Secret's data, which was not read", name)
	}
	var (
		current *corev1.Secret
		err     error
	)
	if target != nil {
		if current, err = r.liveSecret(ctx, cred, name, false); err != nil {
			return err
		}
	}
	secret, written, err := r.writeOwnedSecret(ctx, cred, name, current, false, func(secret *corev1.Secret) (bool, error) {
		return applyTarget(secret, cred, state, r.Scheme)
	})
	if err != nil {
		return fmt.Errorf("writing target Secret %q: %w", name, err)
	}
	res.TargetVersion = secret.ResourceVersion
	if !written {
		return nil
	}
	t.written = append(t.written, secret)
	// A write after a spec change (spec.target.keys or formats, say) reshapes the target: no
	// restore to announce.
	if !res.Renewed && cred.Generation == cred.Status.ObservedGeneration {
		r.Recorder.Eventf(cred, nil, corev1.EventTypeNormal, EventRestored, "WriteSecret",
			"restored target Secret %q from the stored token, valid until %s", name, policy.Stamp(state.Token.ExpiresAt))
	}
	return nil
}
