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

package cyclr

import (
	"strings"
	"sync"

	"golang.org/x/time/rate"
)

// hostLimiters keeps one token bucket per API host, created on first use:
// credentials of different Cyclr regions or private instances do not slow
// each other down, while a thousand credentials on api.cyclr.com share one
// budget toward it.
type hostLimiters struct {
	qps   rate.Limit
	burst int

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
}

func newHostLimiters(qps float64, burst int) *hostLimiters {
	return &hostLimiters{qps: rate.Limit(qps), burst: burst, limiters: map[string]*rate.Limiter{}}
}

// get returns the limiter for host (host[:port] of the token URL).
func (h *hostLimiters) get(host string) *rate.Limiter {
	host = strings.ToLower(host)
	h.mu.Lock()
	defer h.mu.Unlock()
	l, ok := h.limiters[host]
	if !ok {
		l = rate.NewLimiter(h.qps, h.burst)
		h.limiters[host] = l
	}
	return l
}
