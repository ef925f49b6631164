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
	"slices"
	"strings"
	"testing"
)

// TestStampedVersion: the tag and the revision given to hack/image are the labels and what
// the binary is stamped with; a revision that would split the -ldflags list is refused.
func TestStampedVersion(t *testing.T) {
	const commit = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name     string
		revision string
		wantErr  bool
	}{
		{name: "a commit", revision: commit},
		{name: "a space", revision: commit + " -X main.x=y", wantErr: true},
		{name: "a quote", revision: `"` + commit, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, err := parseOptions([]string{"-ref", "ghcr.io/org/op:1.2.3-rc.1", "-out", "x.tar",
				"-revision", tt.revision, "-source-date-epoch", "1700000000"})
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseOptions: %v, want an error: %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if got := opts.meta.labels()["org.opencontainers.image.version"]; got != "1.2.3-rc.1" {
				t.Errorf("version label %q, want the tag", got)
			}
			flags := strings.Fields(ldflags(opts.meta))
			want := []string{"-s", "-w",
				"-X", versionPackage + ".Version=1.2.3-rc.1",
				"-X", versionPackage + ".Revision=" + commit}
			if !slices.Equal(flags, want) {
				t.Errorf("ldflags %q, want %q", flags, want)
			}
		})
	}
}
