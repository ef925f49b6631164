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
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

func TestLoginReaderReadsEachVersionOnce(t *testing.T) {
	login := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "cyclr-login"},
		Data: map[string][]byte{"password": []byte("pw1")}}
	gets := 0
	api := fake.NewClientBuilder().WithScheme(clientgoscheme.Scheme).WithObjects(login).
		WithInterceptorFuncs(interceptor.Funcs{Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if _, full := obj.(*corev1.Secret); full { // not the metadata cache's reads below
				gets++
			}
			return c.Get(ctx, key, obj, opts...)
		}}).Build()
	key := client.ObjectKeyFromObject(login)
	// The metadata cache: what the API server holds now, or nothing.
	cached := true
	metadata := func(ctx context.Context, key client.ObjectKey) (*metav1.PartialObjectMetadata, error) {
		if !cached {
			return nil, nil
		}
		meta := &metav1.PartialObjectMetadata{}
		meta.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
		if err := api.Get(ctx, key, meta); err != nil {
			return nil, client.IgnoreNotFound(err)
		}
		return meta, nil
	}
	clk := clocktesting.NewFakePassiveClock(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
	reader := loginReader{Reader: api, metadata: metadata, recent: &recentLogins{}, clock: clk}
	read := func(wantPassword string, wantGets int) *corev1.Secret {
		t.Helper()
		got := &corev1.Secret{}
		if err := reader.Get(t.Context(), key, got); err != nil {
			t.Fatal(err)
		}
		if string(got.Data["password"]) != wantPassword || gets != wantGets {
			t.Fatalf("password %q after %d API reads, want %q after %d", got.Data["password"], gets, wantPassword, wantGets)
		}
		return got
	}

	read("pw1", 1)
	// Within the TTL and at the same version: the Secret read before, a copy of it.
	read("pw1", 1).Data["password"][0] = 'X'
	clk.SetTime(clk.Now().Add(recentLoginTTL - time.Second))
	read("pw1", 1)

	// A new version, as the metadata cache shows it: read again.
	login.Data["password"] = []byte("pw2")
	if err := api.Update(t.Context(), login); err != nil {
		t.Fatal(err)
	}
	read("pw2", 2)
	read("pw2", 2)

	// The TTL over: read again.
	clk.SetTime(clk.Now().Add(recentLoginTTL))
	read("pw2", 3)

	// A Secret the metadata cache does not hold is always read.
	cached = false
	read("pw2", 4)
	read("pw2", 5)

	// A missing Secret is the API server's NotFound, and not remembered.
	cached = true
	if err := api.Delete(t.Context(), login); err != nil {
		t.Fatal(err)
	}
	if err := reader.Get(t.Context(), key, &corev1.Secret{}); !apierrors.IsNotFound(err) {
		t.Fatalf("deleted login: err = %v, want NotFound", err)
	}
}

func TestRecentLoginsIsBounded(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	var m recentLogins
	for i := range maxRecentLogins + 5 {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: string(rune('a' + i)), ResourceVersion: "1"}}
		m.remember(client.ObjectKeyFromObject(s), s, now)
	}
	if len(m.entries) != maxRecentLogins {
		t.Fatalf("%d entries, want at most %d", len(m.entries), maxRecentLogins)
	}
	// Expired entries are forgotten at the next use, and make room.
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "late", ResourceVersion: "1"}}
	m.remember(client.ObjectKeyFromObject(s), s, now.Add(recentLoginTTL))
	if len(m.entries) != 1 || m.get(client.ObjectKeyFromObject(s), secretVersion(s), now.Add(recentLoginTTL)) == nil {
		t.Fatalf("after the TTL: %d entries, want only the new one", len(m.entries))
	}
}
