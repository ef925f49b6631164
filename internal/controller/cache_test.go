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
	"bytes"
	"maps"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
)

const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// cacheScheme knows the owner type, for SetControllerReference.
var cacheScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := authv1alpha1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}()

func cacheTestCredential() *authv1alpha1.CyclrCredential {
	return &authv1alpha1.CyclrCredential{
		TypeMeta:   metav1.TypeMeta{APIVersion: authv1alpha1.GroupVersion.String(), Kind: "CyclrCredential"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "cred", UID: "cred-uid"},
		Spec:       authv1alpha1.CyclrCredentialSpec{APIURL: "https://api.example", AccountID: "acct"},
	}
}

func cacheTestState() *policy.TokenState {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return &policy.TokenState{Fingerprint: "fp", Token: cyclr.Token{AccessToken: "at", RefreshToken: "rt",
		TokenType: "bearer", Grant: cyclr.GrantPassword, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}}
}

// transformed runs the cache transform twice (it must be idempotent) and returns the result.
func transformed(t *testing.T, obj any) any {
	t.Helper()
	out, err := trimCachedSecret(obj)
	if err == nil {
		out, err = trimCachedSecret(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCacheTransformControlledTarget(t *testing.T) {
	cred := cacheTestCredential()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "cred",
		Annotations:   map[string]string{lastApplied: `{"data":{}}`, "team": "a"},
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}}}
	if _, err := applyTarget(secret, cred, cacheTestState(), cacheScheme); err != nil {
		t.Fatal(err)
	}
	written := secret.DeepCopy()
	secret.Data["extra"] = bytes.Repeat([]byte("x"), 1024)

	got := transformed(t, secret).(*corev1.Secret)
	want := maps.Clone(written.Data)
	want[strippedKeysMarker] = nil
	if !maps.EqualFunc(got.Data, want, bytes.Equal) {
		t.Errorf("data keys %v, want %v", slices.Sorted(maps.Keys(got.Data)), slices.Sorted(maps.Keys(want)))
	}
	if got.Annotations[lastApplied] == "" || got.Annotations["team"] != "a" {
		t.Errorf("annotations of a controlled Secret must be kept (it is updated from the cache): %v", got.Annotations)
	}
	if !maps.Equal(got.Labels, written.Labels) || len(got.OwnerReferences) != 1 || got.ManagedFields != nil {
		t.Errorf("metadata changed: labels %v, owners %v, managedFields %v", got.Labels, got.OwnerReferences, got.ManagedFields)
	}
	// The extra key must still show as a change, so the target is restored and the event of
	// the tampering is not taken for the echo of the operator's own write.
	if secretContent(got) == secretContent(written) {
		t.Error("a target with an added key looks like what the operator wrote")
	}
	if changed, err := applyTarget(got, cred, cacheTestState(), cacheScheme); err != nil || !changed {
		t.Errorf("applyTarget on the cached copy: changed %v, %v; want a rewrite", changed, err)
	}
	if _, ok := got.Data[strippedKeysMarker]; ok {
		t.Error("the marker would be written to the API server")
	}

	// Untampered, the cached copy is exactly what was written.
	clean := transformed(t, written.DeepCopy()).(*corev1.Secret)
	if secretContent(clean) != secretContent(written) {
		t.Error("the cached copy of an untampered target differs from what was written")
	}
}

func TestCacheTransformControlledState(t *testing.T) {
	cred := cacheTestCredential()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: policy.StateSecretName(cred.Name)}}
	if err := applyState(secret, cred, cacheTestState(), cacheScheme); err != nil {
		t.Fatal(err)
	}
	want := maps.Clone(secret.Data)
	secret.Labels[authv1alpha1.RoleLabel] = "edited" // the keys kept do not hang on the role label

	got := transformed(t, secret).(*corev1.Secret)
	if !maps.EqualFunc(got.Data, want, bytes.Equal) {
		t.Errorf("data keys %v, want %v", slices.Sorted(maps.Keys(got.Data)), slices.Sorted(maps.Keys(want)))
	}
	if s := policy.StateFromSecret(got); s == nil || s.Token.RefreshToken != "rt" {
		t.Errorf("state read from the cached copy: %+v", s)
	}
}

func TestCacheTransformForeignSecret(t *testing.T) {
	big := bytes.Repeat([]byte("y"), 1<<20)
	owner := metav1.OwnerReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "d", UID: "d-uid", Controller: new(true)}
	other := metav1.OwnerReference{APIVersion: "v1", Kind: "ConfigMap", Name: "c", UID: "c-uid"}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "foreign", UID: "s-uid", ResourceVersion: "42",
			Labels:          map[string]string{authv1alpha1.ManagedByLabel: authv1alpha1.ManagedByValue, "filler": "z"},
			Annotations:     map[string]string{lastApplied: string(big)},
			OwnerReferences: []metav1.OwnerReference{other, owner},
			ManagedFields:   []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{"blob": big, "access_token": []byte("t")},
		StringData: map[string]string{"more": string(big)},
	}

	got := transformed(t, secret).(*corev1.Secret)
	want := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "foreign", UID: "s-uid", ResourceVersion: "42",
			Labels:          map[string]string{authv1alpha1.ManagedByLabel: authv1alpha1.ManagedByValue},
			OwnerReferences: []metav1.OwnerReference{owner}},
		Type: corev1.SecretTypeOpaque,
	}
	if got.Data != nil || got.StringData != nil || got.Annotations != nil {
		t.Errorf("kept %d data keys, %d stringData keys, annotations %d", len(got.Data), len(got.StringData), len(got.Annotations))
	}
	if secretContent(got) != secretContent(want) || got.Name != want.Name || got.UID != want.UID ||
		got.ResourceVersion != want.ResourceVersion || got.ManagedFields != nil {
		t.Errorf("got %+v\nwant %+v", got.ObjectMeta, want.ObjectMeta)
	}

	// Claiming a CyclrCredential as controller is what keeps data; even then only known keys.
	secret.OwnerReferences = []metav1.OwnerReference{{APIVersion: authv1alpha1.GroupVersion.String(),
		Kind: "CyclrCredential", Name: "cred", UID: "x", Controller: new(true)}}
	got = transformed(t, secret).(*corev1.Secret)
	if len(got.Data) != 2 || len(got.Data[strippedKeysMarker]) != 0 || string(got.Data["access_token"]) != "t" {
		t.Errorf("data of a Secret claiming a CyclrCredential: %v", slices.Sorted(maps.Keys(got.Data)))
	}
}

func TestCacheTransformOtherObjects(t *testing.T) {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c", Annotations: map[string]string{lastApplied: "{}"}},
		Data: map[string]string{"k": "v"}}
	if got := transformed(t, cm); got != any(cm) || cm.Data["k"] != "v" || cm.Annotations[lastApplied] != "{}" {
		t.Errorf("a ConfigMap was changed: %+v", got)
	}
	meta := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "s"}}
	if got := transformed(t, meta); got != any(meta) {
		t.Errorf("metadata was changed: %+v", got)
	}
}
