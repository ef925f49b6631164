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

// Command release-notes writes one version's release notes: its section of the changelog
// (Keep a Changelog format), from its heading "## [x.y.z] ..." up to the next "## [". `make
// release` runs it first, so that a version the changelog does not describe fails before
// anything is built:
//
//	go run ./hack/release-notes -version 0.1.0 -out dist/RELEASE-NOTES-0.1.0.md
//
// With no -out the notes go to standard output.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "release-notes:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("release-notes", flag.ContinueOnError)
	version := fs.String("version", "", "the version whose section to take, as in its heading: 0.1.0 for \"## [0.1.0]\" (required)")
	changelog := fs.String("changelog", "CHANGELOG.md", "the changelog to read")
	out := fs.String("out", "", "file to write (default: standard output)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *version == "" || fs.NArg() != 0 {
		return errors.New("usage: release-notes -version x.y.z [-changelog CHANGELOG.md] [-out FILE]")
	}
	text, err := os.ReadFile(*changelog)
	if err != nil {
		return err
	}
	notes, err := section(string(text), *version)
	if err != nil {
		return fmt.Errorf("%s: %w", *changelog, err)
	}
	if *out == "" {
		_, err = os.Stdout.WriteString(notes)
		return err
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return err
	}
	return os.WriteFile(*out, []byte(notes), 0o644)
}
