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
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
)

// cachedSecret is the metadata of a Secret as the cache holds it (trimSecretMetadata); nil
// when there is none.
func (r *CyclrCredentialReconciler) cachedSecret(ctx context.Context, namespace, name string) (*metav1.PartialObjectMetadata, error) {
	meta := &metav1.PartialObjectMetadata{}
	meta.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	err := r.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, meta)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading Secret %q from the cache: %w", name, err)
	}
	return meta, nil
}

// liveSecret reads a Secret, data and all, from the API server; nil when there is none. One
// cred may not write is refused with a policy.ConfigError (stateSecret picks which).
func (r *CyclrCredentialReconciler) liveSecret(ctx context.Context, cred *authv1alpha1.CyclrCredential,
	name string, stateSecret bool,
) (*corev1.Secret, error) {
	secret := &corev1.Secret{}
	err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: cred.Namespace, Name: name}, secret)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading Secret %q: %w", name, err)
	}
	return secret, writable(secret, cred, stateSecret)
}

// writable refuses a Secret cred may not write: one it does not control, unless it is a
// target a deleted credential of its name retained.
func writable(secret metav1.Object, cred *authv1alpha1.CyclrCredential, stateSecret bool) error {
	switch {
	case ownedBy(secret, cred):
		return nil
	case stateSecret:
		return policy.StateConflictError(secret.GetName())
	case adoptable(secret, cred):
		return nil
	}
	return policy.ConflictError(secret.GetName())
}

// writeOwnedSecret creates or updates the Secret name of cred with apply, which reports whether
// it changed anything. current is the live Secret, nil when it is taken to be absent. A write
// conflict (someone else updated or created the Secret meanwhile) is retried on the Secret read
// again from the API server, so tokens Cyclr just issued are not dropped over a stale
// resourceVersion; a Secret the credential may not write is refused, never written. It returns
// the Secret as written (or as found, when apply changed nothing) and whether it wrote it.
func (r *CyclrCredentialReconciler) writeOwnedSecret(ctx context.Context, cred *authv1alpha1.CyclrCredential,
	name string, current *corev1.Secret, stateSecret bool, apply func(*corev1.Secret) (bool, error),
) (secret *corev1.Secret, written bool, err error) {
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		secret = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: cred.Namespace, Name: name}}
		if current != nil {
			secret = current.DeepCopy()
		}
		changed, err := apply(secret)
		if err != nil || !changed {
			return err
		}
		if current == nil {
			err = r.Create(ctx, secret)
		} else {
			err = r.Update(ctx, secret)
		}
		if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
			if current, err = r.liveSecret(ctx, cred, name, stateSecret); err != nil {
				return err
			}
			return apierrors.NewConflict(corev1.Resource("secrets"), name, errors.New("changed while writing"))
		}
		written = err == nil
		return err
	})
	return secret, written, err
}

// managedLabels mark every Secret the operator writes.
func managedLabels(cred *authv1alpha1.CyclrCredential) map[string]string {
	return map[string]string{
		authv1alpha1.ManagedByLabel:  authv1alpha1.ManagedByValue,
		authv1alpha1.CredentialLabel: cred.Name,
	}
}

// ownedBy reports whether secret is controlled by cred; a Secret that is not, whatever its
// labels say, is never written (TargetSecretConflict).
func ownedBy(secret metav1.Object, cred *authv1alpha1.CyclrCredential) bool {
	return metav1.IsControlledBy(secret, cred)
}

// applyTarget makes secret the target Secret for s, keeping labels and annotations that others
// added. It reports whether anything changed.
func applyTarget(secret *corev1.Secret, cred *authv1alpha1.CyclrCredential, s *policy.TokenState, scheme *runtime.Scheme) (bool, error) {
	before := secretContent(secret)
	// An adopted Secret is ours from this write on.
	delete(secret.Annotations, authv1alpha1.RetainedFromAnnotation)
	// Ours win over spec.target.labels.
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

// applyState makes secret the state Secret holding s: its data for the next call to Cyclr, its
// annotations for deciding without reading the data.
func applyState(secret *corev1.Secret, cred *authv1alpha1.CyclrCredential, s *policy.TokenState, scheme *runtime.Scheme) error {
	labels := managedLabels(cred)
	labels[authv1alpha1.RoleLabel] = authv1alpha1.RoleState
	secret.Labels = mergeInto(secret.Labels, labels)
	secret.Annotations = mergeInto(secret.Annotations, s.SecretAnnotations())
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

// secretContent is a digest of what the reconciler writes in a Secret: it tells whether a
// write would change anything.
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

// readLogin reads the credentials Secret straight from the API server (it is not cached: the
// operator caches only the Secrets it manages) and turns it into a token request. It also
// returns the version of the Secret it read (secretVersion).
func readLogin(ctx context.Context, reader client.Reader, cred *authv1alpha1.CyclrCredential) (cyclr.Request, string, error) {
	ref := cred.Spec.CredentialsSecretRef
	secret := &corev1.Secret{}
	err := reader.Get(ctx, client.ObjectKey{Namespace: cred.Namespace, Name: ref.Name}, secret)
	if apierrors.IsNotFound(err) {
		return cyclr.Request{}, "", &policy.ConfigError{
			Reason:  authv1alpha1.ReasonCredentialsSecretNotFound,
			Message: fmt.Sprintf("credentials Secret %q not found in namespace %q", ref.Name, cred.Namespace),
		}
	}
	if err != nil {
		return cyclr.Request{}, "", fmt.Errorf("reading credentials Secret %q: %w", ref.Name, err)
	}
	// A ServiceAccount token, a registry login or a TLS key is not a Cyclr login: a credential
	// naming one must not get it posted anywhere, and its keys are not even looked at.
	switch secret.Type {
	case corev1.SecretTypeOpaque, corev1.SecretTypeBasicAuth, "":
	default:
		return cyclr.Request{}, "", &policy.ConfigError{
			Reason: authv1alpha1.ReasonCredentialsInvalid,
			Message: fmt.Sprintf("credentials Secret %q is of type %q; only %s and %s Secrets are read",
				ref.Name, secret.Type, corev1.SecretTypeOpaque, corev1.SecretTypeBasicAuth),
		}
	}
	req, err := policy.LoginFromSecret(&cred.Spec, ref.Name, secret.Data)
	return req, secretVersion(secret), err
}

// secretVersion identifies one version of a Secret: an edit changes its resourceVersion, a
// re-creation its UID.
func secretVersion(secret metav1.Object) string {
	return string(secret.GetUID()) + "/" + secret.GetResourceVersion()
}
