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

package policy

import (
	"hash/fnv"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// maxJitterFraction bounds the UID-derived jitter to 5% of a token's lifetime.
const maxJitterFraction = 0.05

// minRefreshFraction keeps a refresh from being planned sooner than a tenth of the lifetime
// after issue, so a refreshBefore longer than the lifetime cannot turn into a hot loop.
const minRefreshFraction = 0.1

// refreshTime plans the next refresh of a token issued at issuedAt and expiring at expiresAt:
// expiresAt - refreshBefore (default a third of the lifetime) - jitter(uid). The plan depends
// on nothing but its inputs, so it is the same after a restart.
func RefreshTime(issuedAt, expiresAt time.Time, refreshBefore *time.Duration, uid types.UID) time.Time {
	lifetime := expiresAt.Sub(issuedAt)
	if lifetime <= 0 {
		return issuedAt
	}
	before := lifetime / 3
	if refreshBefore != nil {
		before = *refreshBefore
	}
	at := expiresAt.Add(-before).Add(-jitter(uid, lifetime))
	if earliest := issuedAt.Add(time.Duration(float64(lifetime) * minRefreshFraction)); at.Before(earliest) {
		return earliest
	}
	return at
}

// jitter spreads refreshes of credentials created together: a fraction of the lifetime, at
// most maxJitterFraction, derived from the UID so it is stable across restarts and replicas.
func jitter(uid types.UID, lifetime time.Duration) time.Duration {
	h := fnv.New64a()
	_, _ = h.Write([]byte(uid))
	fraction := float64(h.Sum64()) / float64(^uint64(0))
	return time.Duration(fraction * maxJitterFraction * float64(lifetime))
}
