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
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
)

// managedLabels mark every Secret the operator writes; the manager's cache selects on the
// first, so these Secrets are the only ones it holds in full.
func managedLabels(cred *authv1alpha1.CyclrCredential) map[string]string {
	return map[string]string{
		authv1alpha1.ManagedByLabel:  authv1alpha1.ManagedByValue,
		authv1alpha1.CredentialLabel: cred.Name,
	}
}

// ownedBy reports whether secret is controlled by cred; a Secret that is not, whatever its
// labels say, is never written (TargetSecretConflict).
func ownedBy(secret *corev1.Secret, cred *authv1alpha1.CyclrCredential) bool {
	return metav1.IsControlledBy(secret, cred)
}

// applyTarget makes secret the target Secret for s, keeping labels and annotations that others
// added. It reports whether anything changed.
func applyTarget(secret *corev1.Secret, cred *authv1alpha1.CyclrCredential, s *policy.TokenState, scheme *runtime.Scheme) (bool, error) {
	before := secretContent(secret)
	// Ours win over spec.target.labels: the cache selects on them.
	labels := mergeInto(maps.Clone(cred.Spec.Target.Labels), managedLabels(cred))
	secret.Labels = mergeInto(secret.Labels, labels)
	secret.Annotations = mergeInto(secret.Annotations, cred.Spec.Target.Annotations)
	secret.Type = corev1.SecretTypeOpaque
	secret.Data = policy.TargetData(&cred.Spec, s.ForTarget())
	secret.StringData = nil
	if err := controllerutil.SetControllerReference(cred, secret, scheme); err != nil {
		return false, fmt.Errorf("setting owner of Secret %q: %w", secret.Name, err)
	}
	return secretContent(secret) != before, nil
}

// applyState makes secret the state Secret holding s.
func applyState(secret *corev1.Secret, cred *authv1alpha1.CyclrCredential, s *policy.TokenState, scheme *runtime.Scheme) error {
	labels := managedLabels(cred)
	labels[authv1alpha1.RoleLabel] = authv1alpha1.RoleState
	secret.Labels = mergeInto(secret.Labels, labels)
	secret.Type = corev1.SecretTypeOpaque
	secret.Data = s.SecretData()
	if err := controllerutil.SetControllerReference(cred, secret, scheme); err != nil {
		return fmt.Errorf("setting owner of Secret %q: %w", secret.Name, err)
	}
	return nil
}

func mergeInto(dst, src map[string]string) map[string]string {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[string]string, len(src))
	}
	maps.Copy(dst, src)
	return dst
}

// secretContent is a digest of what the reconciler reads and writes in a Secret: it tells
// whether a write would change anything, and whether a watch event is the echo of a write.
func secretContent(s *corev1.Secret) string {
	owners := make([]string, 0, len(s.OwnerReferences))
	for _, o := range s.OwnerReferences {
		owners = append(owners, string(o.UID))
	}
	b, _ := json.Marshal(struct { // maps of strings and bytes: cannot fail; keys come sorted
		Type        corev1.SecretType
		Labels      map[string]string
		Annotations map[string]string
		Data        map[string][]byte
		Owners      []string
	}{s.Type, s.Labels, s.Annotations, s.Data, owners})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
