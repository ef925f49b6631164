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
	"time"

	"golang.org/x/time/rate"
)

// maxHostLimiters bounds the number of hosts with a limiter of their own.
// apiURL hosts are chosen by whoever may create a CyclrCredential, and a
// wildcard entry of --allowed-api-hosts allows any number of subdomains;
// limiters are never dropped (that would reset a host's budget), so without a
// bound memory would grow with every host named. Hosts beyond the bound share
// one overflow limiter: they are all throttled together, which is safe, and
// the first hosts seen (in practice Cyclr's own) keep their budgets.
const maxHostLimiters = 256

// hostLimiters keeps one token bucket per API host, created on first use:
// credentials of different Cyclr regions or private instances do not slow
// each other down, while a thousand credentials on api.cyclr.com share one
// budget toward it.
type hostLimiters struct {
	qps   rate.Limit
	burst int

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
	overflow *rate.Limiter // for hosts beyond maxHostLimiters
}

func newHostLimiters(qps float64, burst int) *hostLimiters {
	return &hostLimiters{
		qps: rate.Limit(qps), burst: burst,
		limiters: map[string]*rate.Limiter{},
		overflow: rate.NewLimiter(rate.Limit(qps), burst),
	}
}

// get returns the limiter for host (host[:port] of the token URL).
func (h *hostLimiters) get(host string) *rate.Limiter {
	host = strings.ToLower(host)
	h.mu.Lock()
	defer h.mu.Unlock()
	l, ok := h.limiters[host]
	if !ok {
		if len(h.limiters) >= maxHostLimiters {
			return h.overflow
		}
		l = rate.NewLimiter(h.qps, h.burst)
		h.limiters[host] = l
	}
	return l
}

// reserve takes one token of host's budget at now, or returns a
// *RateLimitedError, leaving the budget as it was, when none is left. It never
// waits: a worker blocked on one host would delay every other credential.
func (h *hostLimiters) reserve(host string, now time.Time) error {
	r := h.get(host).ReserveN(now, 1)
	// !OK only if burst < 1, which NewClient rules out.
	if !r.OK() {
		return &RateLimitedError{Host: strings.ToLower(host), RetryAfter: time.Second}
	}
	d := r.DelayFrom(now)
	if d <= 0 {
		return nil
	}
	r.CancelAt(now)
	// Rounded up, so that retrying after RetryAfter finds a token, and a
	// whole number of milliseconds keeps the message readable.
	if rem := d % time.Millisecond; rem != 0 {
		d += time.Millisecond - rem
	}
	return &RateLimitedError{Host: strings.ToLower(host), RetryAfter: d}
}
