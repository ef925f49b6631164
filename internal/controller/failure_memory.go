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

import "k8s.io/apimachinery/pkg/types"

// failureMemory remembers, per credential, the fingerprint of the inputs whose last token
// request failed, so a change to them (a fixed password) is tried at once instead of after
// the backoff. It is an optimisation only: after a restart the backoff in status applies.
type failureMemory struct{ failed keyedStrings }

func (m *failureMemory) remember(key types.NamespacedName, fingerprint string) {
	m.failed.set(key, fingerprint)
}

func (m *failureMemory) forget(key types.NamespacedName) { m.failed.delete(key) }

// changed reports whether the inputs differ from those that failed last.
func (m *failureMemory) changed(key types.NamespacedName, fingerprint string) bool {
	failed, ok := m.failed.get(key)
	return ok && failed != fingerprint
}
