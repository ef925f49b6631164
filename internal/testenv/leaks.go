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
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// LeakSet is the secrets a leak check looks for, by value, each with what it is. It is safe
// for concurrent use: token clients add what Cyclr issues while managers run.
type LeakSet struct {
	mu sync.Mutex
	m  map[string]string
}

// Add records a secret; values shorter than 8 bytes are too common to search for.
func (l *LeakSet) Add(what, value string) {
	if len(value) < 8 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]string{}
	}
	if _, ok := l.m[value]; !ok {
		l.m[value] = what
	}
}

// Count is how many distinct secrets were added as what.
func (l *LeakSet) Count(what string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, w := range l.m {
		if w == what {
			n++
		}
	}
	return n
}

// Len is how many distinct secrets were added.
func (l *LeakSet) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}

// Check fails t for every secret that appears, raw or base64-encoded, in one of places (a
// description of where mapped to its text).
func (l *LeakSet) Check(t testing.TB, places map[string]string) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	values := slices.SortedFunc(maps.Keys(l.m), func(a, b string) int { return strings.Compare(l.m[a], l.m[b]) })
	for _, where := range slices.Sorted(maps.Keys(places)) {
		for _, v := range values {
			if strings.Contains(places[where], v) ||
				strings.Contains(places[where], base64.StdEncoding.EncodeToString([]byte(v))) {
				t.Errorf("LEAK: the %s appears in %s", l.m[v], where)
			}
		}
	}
}

// Metrics renders every metric of controller-runtime's registry, label values included.
func Metrics(t testing.TB) string {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Errorf("gathering metrics: %v", err)
		return ""
	}
	var b strings.Builder
	for _, mf := range families {
		for _, m := range mf.GetMetric() {
			b.WriteString(mf.GetName())
			for _, l := range m.GetLabel() {
				fmt.Fprintf(&b, " %s=%q", l.GetName(), l.GetValue())
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}
