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

	"k8s.io/apimachinery/pkg/types"
)

func TestFailureMemory(t *testing.T) {
	var m failureMemory
	a := types.NamespacedName{Namespace: "ns", Name: "a"}
	b := types.NamespacedName{Namespace: "ns", Name: "b"}
	if m.changed(a, "fp1") {
		t.Error("nothing failed yet, but changed() = true")
	}
	m.remember(a, "fp1")
	if m.changed(a, "fp1") {
		t.Error("same inputs as the failure, but changed() = true")
	}
	if !m.changed(a, "fp2") {
		t.Error("inputs differ from the failed ones, but changed() = false")
	}
	if m.changed(b, "fp2") {
		t.Error("another credential's failure leaked")
	}
	m.forget(a)
	if m.changed(a, "fp2") {
		t.Error("forgotten, but changed() = true")
	}
}
