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
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
)

func TestOwnWritesSkipEchoes(t *testing.T) {
	written := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "target", Labels: map[string]string{"a": "1"}},
		Data:       map[string][]byte{"access_token": []byte("tok-1")},
	}
	// As the API server returns it: the same content with server-set metadata.
	stored := func(rv string, edit func(*corev1.Secret)) *corev1.Secret {
		s := written.DeepCopy()
		s.ResourceVersion, s.UID = rv, "uid-1"
		if edit != nil {
			edit(s)
		}
		return s
	}
	var w ownWrites
	p := w.skipEchoes()
	expect := func() bool { w.expect(written); return true }

	steps := []struct {
		name string
		pass bool
		want bool
	}{
		{"create event of our write", expect() && p.Create(event.CreateEvent{Object: stored("5", nil)}), false},
		{"the echo came: the same content again", p.Create(event.CreateEvent{Object: stored("5", nil)}), true},
		{"update event of our write", expect() && p.Update(event.UpdateEvent{ObjectOld: stored("4", nil), ObjectNew: stored("5", nil)}), false},
		{"a resync (nothing changed)", p.Update(event.UpdateEvent{ObjectOld: stored("5", nil), ObjectNew: stored("5", nil)}), false},
		{"data edited by someone else", expect() && p.Update(event.UpdateEvent{ObjectNew: stored("6", func(s *corev1.Secret) {
			s.Data["access_token"] = []byte("tampered")
		})}), true},
		{"a label removed", p.Update(event.UpdateEvent{ObjectNew: stored("7", func(s *corev1.Secret) { s.Labels = nil })}), true},
		{"a Secret we never wrote", p.Create(event.CreateEvent{Object: stored("5", func(s *corev1.Secret) { s.Name = "other" })}), true},
		{"deletion", p.Delete(event.DeleteEvent{Object: stored("8", nil)}), true},
		{"after the deletion, the same content", p.Create(event.CreateEvent{Object: stored("9", nil)}), true},
		{"generic event", p.Generic(event.GenericEvent{Object: stored("9", nil)}), true},
	}
	for _, s := range steps {
		if s.pass != s.want {
			t.Errorf("%s: passes = %v, want %v", s.name, s.pass, s.want)
		}
	}
	if len(w.contents.m) != 0 {
		t.Errorf("%d writes still remembered after their echo or deletion", len(w.contents.m))
	}
}

func TestMetadataWatchLeavesCredentialSecretsToOwns(t *testing.T) {
	controlledBy := func(apiVersion, kind string) *metav1.PartialObjectMetadata {
		return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "s", OwnerReferences: []metav1.OwnerReference{
			{APIVersion: apiVersion, Kind: kind, Name: "owner", UID: "u", Controller: new(true)},
		}}}
	}
	ours := controlledBy(authv1alpha1.GroupVersion.String(), "CyclrCredential")
	p := skipCredentialControlled()
	cases := []struct {
		name string
		pass bool
		want bool
	}{
		{"create of a credential's Secret", p.Create(event.CreateEvent{Object: ours}), false},
		{"update of a credential's Secret", p.Update(event.UpdateEvent{ObjectOld: ours, ObjectNew: ours}), false},
		{"deletion of a credential's Secret", p.Delete(event.DeleteEvent{Object: ours}), true},
		{"a Secret controlled by something else", p.Update(event.UpdateEvent{ObjectNew: controlledBy("apps/v1", "Deployment")}), true},
		{"a Secret with no owner", p.Create(event.CreateEvent{Object: &metav1.PartialObjectMetadata{}}), true},
	}
	for _, c := range cases {
		if c.pass != c.want {
			t.Errorf("%s: passes = %v, want %v", c.name, c.pass, c.want)
		}
	}
	// The metadata cache keeps that owner reference, and nothing else of an unrelated Secret.
	kept, _ := keepIdentityOnly(ours)
	if !credentialControlled(kept.(*metav1.PartialObjectMetadata)) {
		t.Error("keepIdentityOnly dropped the CyclrCredential owner reference")
	}
	other, _ := keepIdentityOnly(controlledBy("apps/v1", "Deployment"))
	if refs := other.(*metav1.PartialObjectMetadata).OwnerReferences; len(refs) != 0 {
		t.Errorf("keepIdentityOnly kept %v of an unrelated Secret", refs)
	}
}
