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
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
)

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

// transformed runs the cache transform, checks that a second run changes nothing (the
// informer may hand it an object it has already transformed), and returns the result.
func transformed(t *testing.T, obj any) any {
	t.Helper()
	once, err := trimCachedSecret(obj)
	if err != nil {
		t.Fatal(err)
	}
	before := once.(runtime.Object).DeepCopyObject()
	twice, err := trimCachedSecret(once)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(twice, before) {
		t.Errorf("the transform is not idempotent:\nonce  %+v\ntwice %+v", before, twice)
	}
	return twice
}

// cachedTarget is the cache's copy of the target Secret of cred written for the test state,
// with tamper applied to the live Secret first, and the target as written.
func cachedTarget(t *testing.T, cred *authv1alpha1.CyclrCredential, tamper func(data map[string][]byte)) (cached, written *corev1.Secret) {
	t.Helper()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "cred",
		Annotations:   map[string]string{lastAppliedAnnotation: `{"data":{}}`, "team": "a"},
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}}}
	if _, err := applyTarget(secret, cred, cacheTestState(), cacheScheme); err != nil {
		t.Fatal(err)
	}
	written = secret.DeepCopy()
	written.ManagedFields = nil
	tamper(secret.Data)
	return transformed(t, secret).(*corev1.Secret), written
}

func TestCacheTransformControlledTarget(t *testing.T) {
	cred := cacheTestCredential()
	cached, written := cachedTarget(t, cred, func(map[string][]byte) {})
	if !reflect.DeepEqual(cached, written) {
		t.Errorf("the cached copy of an untampered target differs from what was written:\n%#v\n%#v", cached, written)
	}
	if changed, err := applyTarget(cached, cred, cacheTestState(), cacheScheme); err != nil || changed {
		t.Errorf("applyTarget on the cached copy: changed %v, %v; want no write", changed, err)
	}
}

// TestCacheTransformRenamedTarget: renamed keys are unknown to the cache, yet a target that
// has them is cached as written, so it is not rewritten at every reconcile and the echo
// filter recognises its write.
func TestCacheTransformRenamedTarget(t *testing.T) {
	cred := cacheTestCredential()
	cred.Spec.Target.Keys = map[string]authv1alpha1.SecretKeyName{}
	for _, k := range policy.TargetKeys() {
		cred.Spec.Target.Keys[k] = authv1alpha1.SecretKeyName("CYCLR_" + strings.ToUpper(k))
	}
	cred.Spec.Target.Formats = []authv1alpha1.TargetFormat{authv1alpha1.FormatEnv, authv1alpha1.FormatJSON}
	cached, written := cachedTarget(t, cred, func(map[string][]byte) {})
	if len(written.Data) != len(policy.TargetKeys())+2 || !maps.EqualFunc(cached.Data, written.Data, bytes.Equal) {
		t.Fatalf("cached data keys %v, written %v", slices.Sorted(maps.Keys(cached.Data)), slices.Sorted(maps.Keys(written.Data)))
	}
	if changed, err := applyTarget(cached, cred, cacheTestState(), cacheScheme); err != nil || changed {
		t.Errorf("applyTarget on the cached copy: changed %v, %v; want no write", changed, err)
	}
	var w ownWrites
	w.expect(written)
	if !w.isEcho(cached) {
		t.Error("the event of the operator's own write is not taken for its echo")
	}
}

// TestCacheTransformTamperedTarget: a target with keys added never looks like what the
// operator wrote, so it is restored; what the cache keeps of the added keys is bounded.
func TestCacheTransformTamperedTarget(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(data map[string][]byte)
		marked bool // the added keys are replaced by strippedKeysMarker
	}{
		{"one small key", func(d map[string][]byte) { d["extra"] = []byte("x") }, false},
		{"as many keys as a renamed target has", func(d map[string][]byte) { addKeys(d, maxKeptUnknownKeys, 10) }, false},
		{"one key more", func(d map[string][]byte) { addKeys(d, maxKeptUnknownKeys+1, 10) }, true},
		{"keys as large as allowed", func(d map[string][]byte) { addKeys(d, 2, maxKeptUnknownBytes/2-len("extra-0")) }, false},
		{"one byte more", func(d map[string][]byte) { addKeys(d, 2, maxKeptUnknownBytes/2-len("extra-0")+1) }, true},
		{"a large value", func(d map[string][]byte) { d["blob"] = bytes.Repeat([]byte("x"), 1<<20) }, true},
		{"a key of the state Secret", func(d map[string][]byte) { d["refresh_token"] = []byte("planted") }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cred := cacheTestCredential()
			tampered := map[string][]byte{}
			cached, written := cachedTarget(t, cred, func(d map[string][]byte) {
				tc.tamper(d)
				maps.Copy(tampered, d)
			})
			want := tampered
			if tc.marked {
				want = maps.Clone(written.Data)
				want[strippedKeysMarker] = nil
			}
			if !maps.EqualFunc(cached.Data, want, bytes.Equal) {
				t.Errorf("cached data keys %v, want %v", slices.Sorted(maps.Keys(cached.Data)), slices.Sorted(maps.Keys(want)))
			}
			if !maps.Equal(cached.Annotations, written.Annotations) || !maps.Equal(cached.Labels, written.Labels) ||
				!reflect.DeepEqual(cached.OwnerReferences, written.OwnerReferences) || cached.ManagedFields != nil {
				t.Errorf("metadata of a controlled Secret must be kept (it is updated from the cache): %+v", cached.ObjectMeta)
			}
			// The tampering must show as a change, so the target is restored and the event of
			// the tampering is not taken for the echo of the operator's own write.
			var w ownWrites
			w.expect(written)
			if w.isEcho(cached) {
				t.Error("a target with added keys is taken for the echo of the operator's write")
			}
			if changed, err := applyTarget(cached, cred, cacheTestState(), cacheScheme); err != nil || !changed {
				t.Errorf("applyTarget on the cached copy: changed %v, %v; want a rewrite", changed, err)
			}
			if !maps.EqualFunc(cached.Data, written.Data, bytes.Equal) {
				t.Errorf("the rewrite would write keys %v", slices.Sorted(maps.Keys(cached.Data)))
			}
		})
	}
}

// addKeys adds n keys extra-0, extra-1, ... of size bytes each.
func addKeys(data map[string][]byte, n, size int) {
	for i := range n {
		data[fmt.Sprintf("extra-%d", i)] = bytes.Repeat([]byte("x"), size)
	}
}

// TestCacheKnowsEveryFixedTargetKey: whatever TargetData writes under a fixed name is kept by
// the cache, however large; only renamed keys count against the bound.
func TestCacheKnowsEveryFixedTargetKey(t *testing.T) {
	spec := cacheTestCredential().Spec
	spec.Target.Formats = []authv1alpha1.TargetFormat{authv1alpha1.FormatEnv, authv1alpha1.FormatJSON}
	for k := range policy.TargetData(&spec, cacheTestState().ForTarget()) {
		if !knownSecretKeys[k] {
			t.Errorf("the target key %q is unknown to the cache", k)
		}
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
			Annotations:     map[string]string{lastAppliedAnnotation: string(big)},
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

	// Claiming a CyclrCredential as controller is what keeps data; even then not large unknown keys.
	secret.OwnerReferences = []metav1.OwnerReference{{APIVersion: authv1alpha1.GroupVersion.String(),
		Kind: "CyclrCredential", Name: "cred", UID: "x", Controller: new(true)}}
	got = transformed(t, secret).(*corev1.Secret)
	if len(got.Data) != 2 || len(got.Data[strippedKeysMarker]) != 0 || string(got.Data["access_token"]) != "t" {
		t.Errorf("data of a Secret claiming a CyclrCredential: %v", slices.Sorted(maps.Keys(got.Data)))
	}
}

func TestCacheTransformOtherObjects(t *testing.T) {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c", Annotations: map[string]string{lastAppliedAnnotation: "{}"}},
		Data: map[string]string{"k": "v"}}
	if got := transformed(t, cm); got != any(cm) || cm.Data["k"] != "v" || cm.Annotations[lastAppliedAnnotation] != "{}" {
		t.Errorf("a ConfigMap was changed: %+v", got)
	}
	meta := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "s"}}
	if got := transformed(t, meta); got != any(meta) {
		t.Errorf("metadata was changed: %+v", got)
	}
}

func TestCacheTransformCredential(t *testing.T) {
	cred := cacheTestCredential()
	cred.Annotations = map[string]string{
		lastAppliedAnnotation:                     `{"spec":{"apiURL":"https://api.example"}}`,
		authv1alpha1.RefreshRequestedAtAnnotation: "2026-01-02",
	}
	cred.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}
	cred.Status.Revision = 3
	want := cred.DeepCopy()
	want.ManagedFields, want.Annotations = nil, map[string]string{authv1alpha1.RefreshRequestedAtAnnotation: "2026-01-02"}

	once, err := trimCachedCredential(cred)
	if err != nil {
		t.Fatal(err)
	}
	twice, err := trimCachedCredential(once)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(twice, want) {
		t.Errorf("cached credential:\n%+v\nwant (no managedFields, no last-applied-configuration, the rest as it was):\n%+v", twice, want)
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{lastAppliedAnnotation: "{}"}}}
	if out, err := trimCachedCredential(secret); err != nil || out != any(secret) || len(secret.Annotations) != 1 {
		t.Error("the credential transform touched a Secret")
	}
}
