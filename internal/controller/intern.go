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

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
)

// Bounds of stringPool: how many strings it keeps, and how long one may be.
const (
	maxPooledStrings = 4096
	maxPooledLength  = 64
)

// stringPool keeps one copy of the short strings that the cached objects repeat: namespaces,
// label and data keys, owner kinds, enum values, default key names. The informers decode every
// string of every object into an allocation of its own, and with ten thousand credentials the
// same few dozen strings would be held some fifty thousand times. The cache transforms pool
// only fields that take few distinct values; the pool is bounded, so that a field someone
// fills with unique values costs at most its bound, and strings beyond it stay as they are.
type stringPool struct {
	mu sync.Mutex
	m  map[string]string
}

var pooled stringPool

func (p *stringPool) intern(s string) string {
	if len(s) > maxPooledLength {
		return s
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if kept, ok := p.m[s]; ok {
		return kept
	}
	if len(p.m) >= maxPooledStrings {
		return s
	}
	if p.m == nil {
		p.m = map[string]string{}
	}
	p.m[s] = s
	return s
}

// internKeys returns m with its keys pooled (a new map: a key cannot be replaced in place).
func internKeys[V any](m map[string]V) map[string]V {
	if len(m) == 0 {
		return m
	}
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[pooled.intern(k)] = v
	}
	return out
}

// internSecret pools the repeated strings of a cached Secret: its namespace, type, label and
// data keys, the values of the operator's own labels (not the credential label, which differs
// from Secret to Secret), and its owners' kinds.
func internSecret(s *corev1.Secret) {
	s.Namespace = pooled.intern(s.Namespace)
	s.Type = corev1.SecretType(pooled.intern(string(s.Type)))
	s.Labels = internKeys(s.Labels)
	for _, k := range []string{authv1alpha1.ManagedByLabel, authv1alpha1.RoleLabel} {
		if v, ok := s.Labels[k]; ok {
			s.Labels[k] = pooled.intern(v)
		}
	}
	s.Data = internKeys(s.Data)
	for i := range s.OwnerReferences {
		ref := &s.OwnerReferences[i]
		ref.APIVersion, ref.Kind = pooled.intern(ref.APIVersion), pooled.intern(ref.Kind)
	}
}

// internCredential pools the repeated strings of a cached CyclrCredential: its namespace, the
// enums and defaults of its spec, the API URL and login Secret name that many credentials
// share, and the condition types, statuses and reasons of its status.
func internCredential(c *authv1alpha1.CyclrCredential) {
	c.Namespace = pooled.intern(c.Namespace)
	spec := &c.Spec
	spec.APIURL = pooled.intern(spec.APIURL)
	spec.Grant = authv1alpha1.GrantType(pooled.intern(string(spec.Grant)))
	spec.Rotation = authv1alpha1.RotationStrategy(pooled.intern(string(spec.Rotation)))
	spec.Target.DeletionPolicy = authv1alpha1.DeletionPolicy(pooled.intern(string(spec.Target.DeletionPolicy)))
	ref := &spec.CredentialsSecretRef
	for _, field := range []*string{&ref.Name, &ref.UsernameKey, &ref.PasswordKey, &ref.ClientIDKey, &ref.ClientSecretKey} {
		*field = pooled.intern(*field)
	}
	c.Status.LastGrant = pooled.intern(c.Status.LastGrant)
	for i := range c.Status.Conditions {
		cond := &c.Status.Conditions[i]
		cond.Type, cond.Reason = pooled.intern(cond.Type), pooled.intern(cond.Reason)
		cond.Status = metav1.ConditionStatus(pooled.intern(string(cond.Status)))
	}
}
