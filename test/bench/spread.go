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

package main

import (
	"time"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
)

// spread describes the planned refresh times of credentials created together.
type spread struct {
	n                        int
	created                  [2]time.Time // first and last creationTimestamp
	min, max                 time.Time
	distinct, maxPerSecond   int
	lifetime                 time.Duration
	outOfWindow, missingPlan int
}

func refreshSpread(items []authv1alpha1.CyclrCredential) *spread {
	s := &spread{n: len(items)}
	perSecond := map[int64]int{}
	for i, c := range items {
		ct := c.CreationTimestamp.Time
		if i == 0 || ct.Before(s.created[0]) {
			s.created[0] = ct
		}
		if ct.After(s.created[1]) {
			s.created[1] = ct
		}
		st := c.Status
		if st.RefreshAt == nil || st.IssuedAt == nil || st.ExpiresAt == nil {
			s.missingPlan++
			continue
		}
		at := st.RefreshAt.Time
		if s.min.IsZero() || at.Before(s.min) {
			s.min = at
		}
		if at.After(s.max) {
			s.max = at
		}
		perSecond[at.Unix()]++
		lifetime := st.ExpiresAt.Sub(st.IssuedAt.Time)
		s.lifetime = max(s.lifetime, lifetime)
		// refreshAt = expiresAt - lifetime/3 - jitter, jitter in [0, 5% of the lifetime]; the
		// status keeps whole seconds, so allow one second either side.
		latest := st.ExpiresAt.Add(-lifetime / 3)
		earliest := latest.Add(-lifetime / 20)
		if at.Before(earliest.Add(-time.Second)) || at.After(latest.Add(time.Second)) {
			s.outOfWindow++
		}
	}
	s.distinct = len(perSecond)
	for _, v := range perSecond {
		s.maxPerSecond = max(s.maxPerSecond, v)
	}
	return s
}
