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
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
)

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
