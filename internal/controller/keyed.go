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

	"k8s.io/apimachinery/pkg/types"
)

// keyedStrings is a string per object key, safe for concurrent reconciles and watch handlers.
type keyedStrings struct {
	mu sync.Mutex
	m  map[types.NamespacedName]string
}

func (k *keyedStrings) set(key types.NamespacedName, value string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = map[types.NamespacedName]string{}
	}
	k.m[key] = value
}

func (k *keyedStrings) get(key types.NamespacedName) (string, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[key]
	return v, ok
}

func (k *keyedStrings) delete(key types.NamespacedName) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, key)
}

// deleteIf deletes key's value when it is value, and reports whether it did.
func (k *keyedStrings) deleteIf(key types.NamespacedName, value string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[key]
	if ok && v == value {
		delete(k.m, key)
	}
	return ok && v == value
}
