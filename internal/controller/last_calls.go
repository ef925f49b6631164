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
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// lastCalls remembers when this process last called Cyclr for each namespace and name, for
// as long as --min-refresh-interval can still hold a call back. Status keeps that time too,
// but status goes with the object: without this, deleting and re-creating a CyclrCredential
// would sign in again at once, as often as a tenant cares to (an account-lockout risk, and
// the per-host budget is shared by every tenant). It survives delete and re-create, not a
// restart of the operator; a restart is not a tenant's to make.
type lastCalls struct {
	mu    sync.Mutex
	calls map[types.NamespacedName]time.Time
}

// record notes a call made at t, and forgets calls older than keep: they hold nothing back.
func (m *lastCalls) record(key types.NamespacedName, t time.Time, keep time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.calls == nil {
		m.calls = map[types.NamespacedName]time.Time{}
	}
	for k, at := range m.calls {
		if t.Sub(at) > keep {
			delete(m.calls, k)
		}
	}
	m.calls[key] = t
}

// last is when this process last called Cyclr for key; zero when not within the interval.
func (m *lastCalls) last(key types.NamespacedName) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[key]
}
