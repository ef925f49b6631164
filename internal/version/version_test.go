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

package version

import (
	"runtime/debug"
	"testing"
)

func TestResolveRevision(t *testing.T) {
	const commit = "0123456789abcdef0123456789abcdef01234567"
	vcs := &debug.BuildInfo{Settings: []debug.BuildSetting{
		{Key: "-trimpath", Value: "true"},
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "fedcba9876543210fedcba9876543210fedcba98"},
		{Key: "vcs.modified", Value: "false"},
	}}
	noVCS := &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "-trimpath", Value: "true"}}}
	tests := []struct {
		name    string
		stamped string
		info    *debug.BuildInfo
		want    string
	}{
		{name: "stamped wins over the VCS", stamped: commit, info: vcs, want: commit},
		{name: "stamped, no build info", stamped: commit, want: commit},
		{name: "unset: the VCS revision", stamped: DefaultRevision, info: vcs, want: vcs.Settings[2].Value},
		{name: "stamped empty: the VCS revision", stamped: "", info: vcs, want: vcs.Settings[2].Value},
		{name: "unset, no VCS settings", stamped: DefaultRevision, info: noVCS, want: DefaultRevision},
		{name: "unset, no build info", stamped: DefaultRevision, want: DefaultRevision},
		{name: "stamped empty, no build info", stamped: "", want: DefaultRevision},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resolveRevision(tt.stamped, tt.info); got != tt.want {
				t.Errorf("resolveRevision(%q) = %q, want %q", tt.stamped, got, tt.want)
			}
		})
	}
}

func TestString(t *testing.T) {
	defer func(v, r string) { Version, Revision = v, r }(Version, Revision)
	Version, Revision = "1.2.3", "0123456789abcdef0123456789abcdef01234567"
	if got, want := String(), "cyclr-token-operator 1.2.3 0123456789abcdef0123456789abcdef01234567"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// TestDefaults: go test stamps nothing and records no VCS settings, so the defaults show.
func TestDefaults(t *testing.T) {
	if Version != DefaultVersion || Revision != DefaultRevision {
		t.Errorf("Version %q, Revision %q; want the defaults %q, %q", Version, Revision, DefaultVersion, DefaultRevision)
	}
}
