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
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// changelog is a Keep a Changelog file: Unreleased, two releases and a pre-release, and the
// version links at the end.
const changelog = `# Changelog

All notable changes are recorded here.

## [Unreleased]

### Fixed

- Not released yet.

## [0.2.0-rc.1] - 2026-08-01

- A release candidate.

## [0.2.0] - 2026-08-15

### Breaking

- **A field is renamed.** Write ` + "`spec.b`" + `, not ` + "`spec.a`" + `.

### Added

- Something.


## [0.1.0] - 2026-07-01

- First release.
  See [the design](docs/design.md).

[unreleased]: https://github.com/o/r/compare/v0.2.0...HEAD
[0.2.0]: https://github.com/o/r/compare/v0.1.0...v0.2.0
[0.1.0]: https://github.com/o/r/releases/tag/v0.1.0
`

func TestSection(t *testing.T) {
	tests := []struct {
		name      string
		changelog string
		version   string
		want      string
		wantErr   string
	}{
		{name: "a middle section, up to the next heading, trailing blank lines dropped", changelog: changelog, version: "0.2.0",
			want: "## [0.2.0] - 2026-08-15\n\n### Breaking\n\n- **A field is renamed.** Write `spec.b`, not `spec.a`.\n\n" +
				"### Added\n\n- Something.\n"},
		{name: "a pre-release is its own section", changelog: changelog, version: "0.2.0-rc.1",
			want: "## [0.2.0-rc.1] - 2026-08-01\n\n- A release candidate.\n"},
		{name: "the last section, without the version links after it", changelog: changelog, version: "0.1.0",
			want: "## [0.1.0] - 2026-07-01\n\n- First release.\n  See [the design](docs/design.md).\n"},
		{name: "a heading without a date, at the end of a file without a newline",
			changelog: "# Changelog\n\n## [1.0.0]\n- Done.", version: "1.0.0", want: "## [1.0.0]\n- Done.\n"},
		{name: "no such section", changelog: changelog, version: "0.3.0",
			wantErr: `no section "## [0.3.0]": add one`},
		{name: "a prefix of another version is not that version", changelog: changelog, version: "0.2",
			wantErr: `no section "## [0.2]"`},
		{name: "only Unreleased", changelog: "# Changelog\n\n## [Unreleased]\n\n- Soon.\n", version: "0.1.0",
			wantErr: `no section "## [0.1.0]"`},
		{name: "an empty section", changelog: "## [0.2.0]\n\n\n## [0.1.0]\n- First.\n", version: "0.2.0",
			wantErr: `"## [0.2.0]" (line 1) is empty`},
		{name: "two sections of one version", changelog: "## [0.1.0]\n- A.\n## [0.1.0] - again\n- B.\n", version: "0.1.0",
			wantErr: `two sections are headed "## [0.1.0]" (lines 1 and 3)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := section(tt.changelog, tt.version)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("section:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestRun writes the notes of a temporary changelog where -out says, creating its directory,
// and names the changelog when the version has no section.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "CHANGELOG.md")
	if err := os.WriteFile(file, []byte(changelog), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "dist", "RELEASE-NOTES-0.1.0.md")
	if err := run([]string{"-version", "0.1.0", "-changelog", file, "-out", out}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := "## [0.1.0] - 2026-07-01\n\n- First release.\n  See [the design](docs/design.md).\n"; string(got) != want {
		t.Errorf("%s:\n%s\nwant:\n%s", out, got, want)
	}

	err = run([]string{"-version", "9.9.9", "-changelog", file, "-out", filepath.Join(dir, "none.md")})
	if err == nil || !strings.HasPrefix(err.Error(), file+`: no section "## [9.9.9]"`) {
		t.Errorf("error %v, want one naming %s and the missing section", err, file)
	}
	if _, statErr := os.Stat(filepath.Join(dir, "none.md")); !os.IsNotExist(statErr) {
		t.Errorf("notes written for a missing section (%v)", statErr)
	}
	if err := run(nil); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Errorf("no -version: %v, want the usage", err)
	}
}
