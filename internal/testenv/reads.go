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

package testenv

import (
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ReadCounts counts reads by object name; the readers below embed it.
type ReadCounts struct {
	mu    sync.Mutex
	names map[string]int
}

// Count records one read of name.
func (c *ReadCounts) Count(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.names == nil {
		c.names = map[string]int{}
	}
	c.names[name]++
}

// Of is how many times name was read.
func (c *ReadCounts) Of(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.names[name]
}

// SecretReads wraps a reconciler's API reader and counts the full Secrets it reads, by name:
// proof that a login Secret was, or was not, read.
type SecretReads struct {
	client.Reader
	ReadCounts
}

func (s *SecretReads) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if _, ok := obj.(*corev1.Secret); ok {
		s.Count(key.Name)
	}
	return s.Reader.Get(ctx, key, obj, opts...)
}
