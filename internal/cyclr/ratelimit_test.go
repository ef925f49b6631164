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
	"errors"
	"fmt"
	"testing"
	"time"
)

// Hosts are chosen by namespace users: past maxHostLimiters they share one
// limiter instead of growing the map.
func TestHostLimitersBounded(t *testing.T) {
	h := newHostLimiters(1, 1)
	host := func(i int) string { return fmt.Sprintf("t%d.Example.com:443", i) }
	own := map[int]bool{}
	for i := range 300 {
		l := h.get(host(i))
		if l == h.overflow {
			continue
		}
		own[i] = true
		if h.get(host(i)) != l {
			t.Fatalf("host %d got a different limiter the second time", i)
		}
	}
	if len(h.limiters) != maxHostLimiters || len(own) != maxHostLimiters {
		t.Errorf("%d limiters kept, %d hosts with their own; want %d", len(h.limiters), len(own), maxHostLimiters)
	}
	for i := range maxHostLimiters { // the first hosts keep theirs, case-insensitively
		if !own[i] || h.get(fmt.Sprintf("T%d.EXAMPLE.COM:443", i)) == h.overflow {
			t.Errorf("host %d has no limiter of its own", i)
		}
	}
	if h.get("one-more.example.com") != h.overflow || len(h.limiters) != maxHostLimiters {
		t.Error("a host past the bound got a limiter of its own")
	}
}

func TestReserve(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	h := newHostLimiters(3, 1) // a token every 333.33...ms
	if err := h.reserve("API.cyclr.com", now); err != nil {
		t.Fatalf("first reservation: %v", err)
	}
	for range 2 { // a refused reservation gives its token back
		err := h.reserve("api.cyclr.com", now.Add(100*time.Millisecond))
		rl, ok := errors.AsType[*RateLimitedError](err)
		// 233.33...ms rounded up to whole milliseconds.
		if !ok || rl.Host != "api.cyclr.com" || rl.RetryAfter != 234*time.Millisecond {
			t.Fatalf("got %#v, want a RateLimitedError for api.cyclr.com, retry in 234ms", err)
		}
	}
	if err := h.reserve("api.cyclr.com", now.Add(334*time.Millisecond)); err != nil {
		t.Errorf("after RetryAfter: %v", err)
	}
}
