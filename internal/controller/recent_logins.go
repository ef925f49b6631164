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
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Bounds of recentLogins: how long a login Secret read from the API server answers for its
// version, and how many it holds at once.
const (
	recentLoginTTL  = 10 * time.Second
	maxRecentLogins = 64
)

// recentLogins holds the login Secrets read from the API server in the last recentLoginTTL.
// Credentials that share one login Secret (a partner's one OAuth client, with a credential per
// customer account, created at once) would otherwise each read the same Secret: while the
// metadata cache shows it at the version (UID and resourceVersion) read moments ago, a read
// would return what was read then. It keeps only the type and data, for seconds, and forgets
// what is older at every use.
type recentLogins struct {
	mu      sync.Mutex
	entries map[client.ObjectKey]recentLogin
}

type recentLogin struct {
	secret *corev1.Secret
	readAt time.Time
}

// get returns a copy of the Secret read at key, when it was read at version within the TTL.
func (m *recentLogins) get(key client.ObjectKey, version string, now time.Time) *corev1.Secret {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.forgetExpired(now)
	kept, ok := m.entries[key]
	if !ok || secretVersion(kept.secret) != version {
		return nil
	}
	return kept.secret.DeepCopy()
}

func (m *recentLogins) remember(key client.ObjectKey, secret *corev1.Secret, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.forgetExpired(now)
	if _, ok := m.entries[key]; !ok && len(m.entries) >= maxRecentLogins {
		return
	}
	if m.entries == nil {
		m.entries = map[client.ObjectKey]recentLogin{}
	}
	kept := &corev1.Secret{Type: secret.Type, ObjectMeta: metav1.ObjectMeta{
		Namespace: secret.Namespace, Name: secret.Name, UID: secret.UID, ResourceVersion: secret.ResourceVersion,
	}}
	if secret.Data != nil {
		kept.Data = make(map[string][]byte, len(secret.Data))
		for k, v := range secret.Data {
			kept.Data[k] = append([]byte(nil), v...)
		}
	}
	m.entries[key] = recentLogin{secret: kept, readAt: now}
}

func (m *recentLogins) forgetExpired(now time.Time) {
	for key, kept := range m.entries {
		if now.Sub(kept.readAt) >= recentLoginTTL || now.Before(kept.readAt) {
			delete(m.entries, key)
		}
	}
}

// loginReader reads login Secrets for readLogin: from recentLogins when the metadata cache
// shows the Secret at the version read there, otherwise from the API server. A change the
// metadata cache has not seen yet reaches it as a watch event that starts another reconcile,
// which reads the new version: as with knownFingerprint, a change is acted on a moment after
// it is seen. Other objects, and Secrets the metadata cache does not hold (those with the
// managed-by label), are read from the API server.
type loginReader struct {
	client.Reader // the API server
	// metadata is the metadata cache's answer for a Secret: nil when it holds none.
	metadata func(context.Context, client.ObjectKey) (*metav1.PartialObjectMetadata, error)
	recent   *recentLogins
	clock    clock.PassiveClock
}

func (l loginReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	secret, ok := obj.(*corev1.Secret)
	if !ok {
		return l.Reader.Get(ctx, key, obj, opts...)
	}
	if meta, err := l.metadata(ctx, key); meta != nil && err == nil {
		if kept := l.recent.get(key, secretVersion(meta), l.clock.Now()); kept != nil {
			*secret = *kept
			return nil
		}
	}
	if err := l.Reader.Get(ctx, key, secret, opts...); err != nil {
		return err
	}
	l.recent.remember(key, secret, l.clock.Now())
	return nil
}

func (r *CyclrCredentialReconciler) loginReader() loginReader {
	return loginReader{Reader: r.APIReader, metadata: r.unmanagedSecret, recent: &r.logins, clock: r.Clock}
}
