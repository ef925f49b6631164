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
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
)

func TestReadLogin(t *testing.T) {
	login := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "cyclr-login"},
		Data: map[string][]byte{"client_id": []byte("cid"), "username": []byte("alice"), "password": []byte("pw")}}
	elsewhere := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-b", Name: "other-login"},
		Data: map[string][]byte{"client_id": []byte("cid"), "username": []byte("mallory"), "password": []byte("pw")}}
	reader := fake.NewClientBuilder().WithScheme(clientgoscheme.Scheme).WithObjects(login, elsewhere).Build()

	cred := &authv1alpha1.CyclrCredential{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "partner"},
		Spec: authv1alpha1.CyclrCredentialSpec{CredentialsSecretRef: authv1alpha1.CredentialsSecretRef{
			Name: "cyclr-login", ClientIDKey: "client_id", UsernameKey: "username", PasswordKey: "password"}}}
	req, version, err := readLogin(t.Context(), reader, cred)
	if err != nil {
		t.Fatal(err)
	}
	if req.Username != "alice" || req.Password != "pw" || req.ClientID != "cid" {
		t.Errorf("request = %#v", req)
	}
	if want := secretVersion(login); version != want || version == "/" {
		t.Errorf("version = %q, want %q", version, want)
	}

	// A Secret of the same name in another namespace is not used.
	cred.Spec.CredentialsSecretRef.Name = "other-login"
	_, _, err = readLogin(t.Context(), reader, cred)
	var ce *policy.ConfigError
	if !errors.As(err, &ce) || ce.Reason != authv1alpha1.ReasonCredentialsSecretNotFound {
		t.Fatalf("missing Secret: err = %v, want a CredentialsSecretNotFound configError", err)
	}
	if !strings.Contains(err.Error(), `"other-login"`) || !strings.Contains(err.Error(), `"team-a"`) {
		t.Errorf("message does not name the Secret and namespace: %s", err)
	}
}
