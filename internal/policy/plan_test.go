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
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

// cyclrLifetime is the lifetime of a Cyclr Token: expires_in 1209599 seconds.
const cyclrLifetime = 1209599 * time.Second

var planIssued = time.Date(2026, time.March, 2, 9, 30, 0, 0, time.UTC)

// seededUIDs returns n UUID-shaped UIDs from a fixed seed, so the test is the same every run.
func seededUIDs(n int) []types.UID {
	r := rand.New(rand.NewPCG(20260302, 1))
	uids := make([]types.UID, n)
	for i := range uids {
		a, b := r.Uint64(), r.Uint64()
		uids[i] = types.UID(fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x",
			a>>32, (a>>16)&0xffff, a&0xfff, (b>>48)&0xfff, b&0xffffffffffff))
	}
	return uids
}

func TestRefreshTimeWindow(t *testing.T) {
	const uid = types.UID("0c6d1f0e-2b7a-4d0e-9a57-1d2f3e4a5b6c")
	cases := []struct {
		name          string
		lifetime      time.Duration
		refreshBefore *time.Duration
		// the plan must lie in [latest - 5% of lifetime, latest]
		latest func(expires time.Time) time.Time
	}{
		{name: "default one third of a Cyclr token", lifetime: cyclrLifetime,
			latest: func(e time.Time) time.Time { return e.Add(-cyclrLifetime / 3) }},
		{name: "default one third of an hour", lifetime: time.Hour,
			latest: func(e time.Time) time.Time { return e.Add(-20 * time.Minute) }},
		{name: "refreshBefore 72h honoured", lifetime: cyclrLifetime, refreshBefore: ptr.To(72 * time.Hour),
			latest: func(e time.Time) time.Time { return e.Add(-72 * time.Hour) }},
		{name: "refreshBefore 1h30m honoured", lifetime: 24 * time.Hour, refreshBefore: ptr.To(90 * time.Minute),
			latest: func(e time.Time) time.Time { return e.Add(-90 * time.Minute) }},
		{name: "refreshBefore a minute", lifetime: time.Hour, refreshBefore: ptr.To(time.Minute),
			latest: func(e time.Time) time.Time { return e.Add(-time.Minute) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expires := planIssued.Add(tc.lifetime)
			got := RefreshTime(planIssued, expires, tc.refreshBefore, uid)
			latest := tc.latest(expires)
			earliest := latest.Add(-time.Duration(float64(tc.lifetime) * 0.05))
			if got.After(latest) || got.Before(earliest) {
				t.Errorf("refreshTime = %s, want within [%s, %s]", got, earliest, latest)
			}
			// Exactly the documented formula.
			if want := latest.Add(-jitter(uid, tc.lifetime)); !got.Equal(want) {
				t.Errorf("refreshTime = %s, want expiresAt - refreshBefore - jitter = %s", got, want)
			}
		})
	}
}

func TestRefreshTimeFloor(t *testing.T) {
	const uid = types.UID("b1946ac9-2492-4d34-8c1e-7f0a6b9c9d11")
	lifetime := 10 * time.Hour
	expires := planIssued.Add(lifetime)
	floor := planIssued.Add(lifetime / 10)
	for _, before := range []time.Duration{lifetime - lifetime/10 + time.Second, lifetime, lifetime + time.Second, 100 * lifetime} {
		t.Run(before.String(), func(t *testing.T) {
			got := RefreshTime(planIssued, expires, &before, uid)
			if !got.Equal(floor) {
				t.Errorf("refreshBefore %s of a %s token: refreshTime = %s, want the floor issuedAt+lifetime/10 = %s",
					before, lifetime, got, floor)
			}
		})
	}
	// Just above the floor it is not clamped.
	before := lifetime / 2
	if got := RefreshTime(planIssued, expires, &before, uid); !got.After(floor) {
		t.Errorf("refreshBefore %s: refreshTime = %s clamped to the floor", before, got)
	}
}

func TestRefreshTimeDegenerateLifetime(t *testing.T) {
	for _, lifetime := range []time.Duration{0, -time.Hour} {
		got := RefreshTime(planIssued, planIssued.Add(lifetime), nil, "uid")
		if !got.Equal(planIssued) {
			t.Errorf("lifetime %s: refreshTime = %s, want issuedAt %s (refresh at once)", lifetime, got, planIssued)
		}
	}
}

func TestRefreshTimeDeterministicPerUID(t *testing.T) {
	expires := planIssued.Add(cyclrLifetime)
	a := types.UID("7d9f1b2c-0000-4000-8000-000000000001")
	b := types.UID("7d9f1b2c-0000-4000-8000-000000000002")
	first := RefreshTime(planIssued, expires, nil, a)
	for range 5 {
		if again := RefreshTime(planIssued, expires, nil, a); !again.Equal(first) {
			t.Fatalf("same UID planned %s then %s", first, again)
		}
	}
	if other := RefreshTime(planIssued, expires, nil, b); other.Equal(first) {
		t.Errorf("UIDs %s and %s planned the same instant %s", a, b, first)
	}
	// The plan depends on the token's times, not on when it is computed: the same token and
	// UID give the same plan after a restart, in whatever time zone the operator runs.
	berlin := time.FixedZone("CET", 3600)
	if inZone := RefreshTime(planIssued.In(berlin), expires.In(berlin), nil, a); !inZone.Equal(first) {
		t.Errorf("time zone changed the plan: %s vs %s", inZone, first)
	}
}

func TestJitterBounds(t *testing.T) {
	for _, lifetime := range []time.Duration{time.Minute, time.Hour, cyclrLifetime} {
		limit := time.Duration(float64(lifetime) * 0.05)
		for _, uid := range append(seededUIDs(1000), "", "x") {
			j := jitter(uid, lifetime)
			if j < 0 || j > limit {
				t.Fatalf("jitter(%q, %s) = %s, want within [0, %s]", uid, lifetime, j, limit)
			}
		}
	}
}

// TestJitterSpread: a thousand credentials created together do not refresh together.
func TestJitterSpread(t *testing.T) {
	uids := seededUIDs(1000)
	expires := planIssued.Add(cyclrLifetime)
	latest := expires.Add(-cyclrLifetime / 3)
	window := time.Duration(float64(cyclrLifetime) * 0.05)

	const buckets = 10
	var counts [buckets]int
	perSecond := map[int64]int{}
	for _, uid := range uids {
		at := RefreshTime(planIssued, expires, nil, uid)
		offset := latest.Sub(at)
		if offset < 0 || offset > window {
			t.Fatalf("uid %s planned %s outside the jitter window", uid, at)
		}
		counts[min(int(offset*buckets/window), buckets-1)]++
		perSecond[at.Unix()]++
	}
	// Uniform would put 100 in each tenth of the window; 50 is far outside chance.
	for i, c := range counts {
		if c < 50 || c > 150 {
			t.Errorf("tenth %d of the jitter window holds %d of 1000 refreshes; want about 100 (all: %v)", i, c, counts)
		}
	}
	busiest := 0
	for _, c := range perSecond {
		busiest = max(busiest, c)
	}
	if busiest > 3 || len(perSecond) < 950 {
		t.Errorf("1000 credentials refresh in %d distinct seconds, up to %d in one", len(perSecond), busiest)
	}
}
