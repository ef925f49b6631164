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
	"slices"
	"testing"
)

// recorder is a testing.TB that keeps the errors it is given instead of failing.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestLeakSetCheck(t *testing.T) {
	var l LeakSet
	l.Add("password", "pw-secret-1234")
	l.Add("refresh token", "rt-0123456789")
	l.Add("short", "abc") // too common to search for
	if n := l.Len(); n != 2 {
		t.Fatalf("Len %d, want 2", n)
	}
	r := &recorder{TB: t}
	l.Check(r, map[string]string{
		"log":    "signing in with pw-secret-1234",
		"event":  "refresh token " + base64.StdEncoding.EncodeToString([]byte("rt-0123456789")),
		"status": "nothing secret, abc",
	})
	want := []string{
		"LEAK: the password appears in log",
		"LEAK: the refresh token appears in event",
	}
	slices.Sort(r.errors)
	if !slices.Equal(r.errors, want) {
		t.Errorf("Check reported %q, want %q", r.errors, want)
	}
}
