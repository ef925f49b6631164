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
)

func TestOwnWritesSkipEchoes(t *testing.T) {
	secret := func(name, rv string) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, ResourceVersion: rv}}
	}
	var w ownWrites
	p := w.skipEchoes()
	w.record(secret("target", "5"))

	steps := []struct {
		name string
		pass bool
	}{
		{"create event of our write", p.Create(event.CreateEvent{Object: secret("target", "5")})},
		{"update event of our write", p.Update(event.UpdateEvent{ObjectOld: secret("target", "4"), ObjectNew: secret("target", "5")})},
		{"someone else's later write", p.Update(event.UpdateEvent{ObjectOld: secret("target", "5"), ObjectNew: secret("target", "6")})},
		{"a Secret we never wrote", p.Create(event.CreateEvent{Object: secret("other", "5")})},
		{"deletion", p.Delete(event.DeleteEvent{Object: secret("target", "6")})},
		{"after the deletion, the same version", p.Create(event.CreateEvent{Object: secret("target", "5")})},
		{"generic event", p.Generic(event.GenericEvent{Object: secret("other", "1")})},
	}
	want := []bool{false, false, true, true, true, true, true}
	for i, s := range steps {
		if s.pass != want[i] {
			t.Errorf("%s: passes = %v, want %v", s.name, s.pass, want[i])
		}
	}
}
