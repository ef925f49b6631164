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
	"fmt"
	"strings"
	"testing"
	"unsafe"

	corev1 "k8s.io/api/core/v1"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
)

// fresh is s in an allocation of its own, as a decoder makes it.
func fresh(s string) string { return string([]byte(s)) }

func sameMemory(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }

func TestStringPool(t *testing.T) {
	var p stringPool
	first := p.intern(fresh("team-a"))
	if again := p.intern(fresh("team-a")); again != "team-a" || !sameMemory(first, again) {
		t.Error("an equal string was not shared")
	}
	long := fresh(strings.Repeat("x", maxPooledLength+1))
	if got := p.intern(long); !sameMemory(got, long) || len(p.m) != 1 {
		t.Error("a string over the length bound was pooled")
	}
	for i := range 2 * maxPooledStrings {
		p.intern(fmt.Sprint(i))
	}
	if len(p.m) != maxPooledStrings {
		t.Errorf("the pool holds %d strings, want at most %d", len(p.m), maxPooledStrings)
	}
	if again := p.intern(fresh("team-a")); !sameMemory(first, again) {
		t.Error("a pooled string was forgotten when the pool filled up")
	}
}

func TestCacheTransformsPoolRepeatedStrings(t *testing.T) {
	cred := cacheTestCredential()
	// A target as an informer decodes it: every string in an allocation of its own.
	decoded := func() *corev1.Secret {
		_, s := cachedTarget(t, cred, func(map[string][]byte) {})
		s.Namespace = fresh(s.Namespace)
		labels := map[string]string{}
		for k, v := range s.Labels {
			labels[fresh(k)] = fresh(v)
		}
		s.Labels = labels
		return transformed(t, s).(*corev1.Secret)
	}
	first, second := decoded(), decoded()
	if !sameMemory(first.Namespace, second.Namespace) {
		t.Error("two cached Secrets hold their namespace twice")
	}
	for k, v := range first.Labels {
		for k2, v2 := range second.Labels {
			if k == k2 && (!sameMemory(k, k2) || (k == authv1alpha1.ManagedByLabel && !sameMemory(v, v2))) {
				t.Errorf("two cached Secrets hold the label %s twice", k)
			}
		}
	}
	creds := [2]*authv1alpha1.CyclrCredential{cacheTestCredential(), cacheTestCredential()}
	for _, c := range creds {
		c.Spec.APIURL = fresh(c.Spec.APIURL)
		if _, err := trimCachedCredential(c); err != nil {
			t.Fatal(err)
		}
	}
	if !sameMemory(creds[0].Spec.APIURL, creds[1].Spec.APIURL) {
		t.Error("two cached credentials hold their apiURL twice")
	}
}
