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
	"fmt"
	"regexp"
	"strings"
)

// versionLink is a link reference definition of a version or of Unreleased, such as Keep a
// Changelog puts after the last section ("[0.1.0]: https://…/compare/v0.0.1...v0.1.0"): the
// footer of the file, not part of the oldest version's notes.
var versionLink = regexp.MustCompile(`^\[(?i:unreleased|v?[0-9]+\.[0-9]+\.[0-9]+[^\]]*)\]:\s*\S`)

// section returns version's section of changelog: its heading line "## [version]" (anything
// may follow the bracket, such as " - 2026-07-01") and every line up to the next "## [", with
// no trailing blank lines or version links. It is an error when no section or more than one
// has that heading, or when the section holds nothing but its heading.
func section(changelog, version string) (string, error) {
	heading := regexp.MustCompile(`^## \[` + regexp.QuoteMeta(version) + `\](\s|$)`)
	lines := strings.Split(changelog, "\n")
	start := -1
	for i, line := range lines {
		if !heading.MatchString(strings.TrimRight(line, "\r")) {
			continue
		}
		if start >= 0 {
			return "", fmt.Errorf("two sections are headed \"## [%s]\" (lines %d and %d)", version, start+1, i+1)
		}
		start = i
	}
	if start < 0 {
		return "", fmt.Errorf("no section \"## [%s]\": add one (move the entries of \"## [Unreleased]\" under a heading "+
			"\"## [%s] - YYYY-MM-DD\") before releasing %s", version, version, version)
	}
	end := len(lines)
	for i := start + 1; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "## [") {
			end = i
			break
		}
	}
	body := lines[start+1 : end]
	for len(body) > 0 {
		last := strings.TrimSpace(body[len(body)-1])
		if last != "" && (end < len(lines) || !versionLink.MatchString(last)) {
			break
		}
		body = body[:len(body)-1]
	}
	if len(body) == 0 {
		return "", fmt.Errorf("the section \"## [%s]\" (line %d) is empty: nothing to release", version, start+1)
	}
	return strings.Join(append([]string{lines[start]}, body...), "\n") + "\n", nil
}
