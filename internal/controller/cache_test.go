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
	"maps"
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
)

// The cache keeps of a Secret what identifies it, whose it is, and the annotations the
// reconciler reads; nothing anyone may fill at will.
func TestTrimSecretMetadata(t *testing.T) {
	cred := newCred()
	state := (&policy.TokenState{Token: cyclr.Token{IssuedAt: t0, ExpiresAt: t0.Add(recLifetime)}, Inputs: "in"}).SecretAnnotations()
	yes := true
	in := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{
		Name: "app-cyclr-state", Namespace: recNS, UID: "u1", ResourceVersion: "42", Generation: 3,
		Labels: map[string]string{authv1alpha1.ManagedByLabel: authv1alpha1.ManagedByValue, "team": "a"},
		Annotations: mergeInto(maps.Clone(state), map[string]string{
			lastAppliedAnnotation:               strings.Repeat("x", 4096),
			authv1alpha1.RetainedFromAnnotation: "app",
			"other":                             "v",
		}),
		OwnerReferences: []metav1.OwnerReference{
			{APIVersion: "v1", Kind: "ConfigMap", Name: "not-controller", UID: "u2"},
			{APIVersion: authv1alpha1.GroupVersion.String(), Kind: "CyclrCredential", Name: cred.Name, UID: cred.UID, Controller: &yes},
		},
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}},
	}}
	out, err := trimSecretMetadata(in.DeepCopy())
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*metav1.PartialObjectMetadata)
	wantAnnotations := mergeInto(maps.Clone(state), map[string]string{authv1alpha1.RetainedFromAnnotation: "app"})
	if got.Name != in.Name || got.Namespace != in.Namespace || got.UID != in.UID || got.ResourceVersion != in.ResourceVersion ||
		!reflect.DeepEqual(got.Annotations, wantAnnotations) || len(got.Labels) != 0 || got.ManagedFields != nil ||
		len(got.OwnerReferences) != 1 || !ownedBy(got, cred) {
		t.Errorf("trimmed = %+v", got.ObjectMeta)
	}
	again, _ := trimSecretMetadata(got.DeepCopy())
	if !reflect.DeepEqual(again, got) {
		t.Errorf("not idempotent: %+v, then %+v", got.ObjectMeta, again.(*metav1.PartialObjectMetadata).ObjectMeta)
	}
	// A kept key with a value longer than the operator writes is not the operator's.
	in.Annotations[authv1alpha1.RetainedFromAnnotation] = strings.Repeat("y", maxKeptAnnotationBytes+1)
	out, _ = trimSecretMetadata(in)
	if _, kept := out.(*metav1.PartialObjectMetadata).Annotations[authv1alpha1.RetainedFromAnnotation]; kept {
		t.Error("an overlong retained-from annotation was kept")
	}
}

func TestTrimCachedCredential(t *testing.T) {
	cred := newCred()
	cred.Annotations = map[string]string{lastAppliedAnnotation: "{...}", authv1alpha1.RefreshRequestedAtAnnotation: "now"}
	cred.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}
	out, err := trimCachedCredential(cred)
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*authv1alpha1.CyclrCredential)
	if got.ManagedFields != nil || !reflect.DeepEqual(got.Annotations, map[string]string{authv1alpha1.RefreshRequestedAtAnnotation: "now"}) {
		t.Errorf("trimmed = %+v", got.ObjectMeta)
	}
	if other, _ := trimCachedCredential("not a credential"); other != "not a credential" {
		t.Errorf("another object was changed: %v", other)
	}
}
