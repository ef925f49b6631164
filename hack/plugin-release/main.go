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

// Command plugin-release builds the kubectl plugin's release files (`make release` runs it from
// the module root):
//
//	go run ./hack/plugin-release -version 0.1.0 -revision "$(git rev-parse HEAD)" -out dist
//
// For each platform it cross-builds ./cmd/kubectl-cyclr (stamped like the manager) and writes
// dist/kubectl-cyclr-<version>-<os>-<arch>.tar.gz holding kubectl-cyclr and LICENSE, as krew
// installs it. Then it renders the krew manifest plugins/cyclr.yaml into dist/cyclr.yaml: the
// version, and each platform's archive URL on the GitHub release v<version> with its SHA-256.
// The archives carry no time, owner or local path, so the same commit built with the same Go
// gives the same bytes.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "plugin-release:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("plugin-release", flag.ContinueOnError)
	version := fs.String("version", "", "the release, x.y.z (no leading v)")
	revision := fs.String("revision", "unknown", "the commit, stamped into the binary")
	platforms := fs.String("platforms", strings.Join(Platforms, ","), "os/arch pairs, comma-separated")
	template := fs.String("manifest", "plugins/cyclr.yaml", "the krew manifest template")
	out := fs.String("out", "dist", "where to write the archives and cyclr.yaml")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *version == "" || strings.HasPrefix(*version, "v") || strings.ContainsAny(*version+*revision, " \"'") {
		return errors.New("-version must be x.y.z without a leading v, and neither it nor -revision may hold a space or quote")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", *out, err)
	}
	license, err := os.ReadFile("LICENSE")
	if err != nil {
		return fmt.Errorf("reading the LICENSE that each archive holds: %w", err)
	}
	tmp, err := os.MkdirTemp("", "plugin-release")
	if err != nil {
		return fmt.Errorf("creating a build directory: %w", err)
	}
	defer os.RemoveAll(tmp) //nolint:errcheck // a temporary directory
	built := strings.Split(*platforms, ",")
	for _, platform := range built {
		goos, goarch, ok := strings.Cut(platform, "/")
		if !ok {
			return fmt.Errorf("platform %q is not os/arch", platform)
		}
		binary, err := build(goos, goarch, *version, *revision, tmp)
		if err != nil {
			return err
		}
		archive := filepath.Join(*out, ArchiveName(*version, goos, goarch))
		if err := writeArchive(archive, binary, license); err != nil {
			return err
		}
		fmt.Println(archive)
	}
	// The manifest lists every platform: a partial release (make e2e builds its own platform
	// only) has none to render.
	if !slices.Equal(slices.Sorted(slices.Values(built)), slices.Sorted(slices.Values(Platforms))) {
		fmt.Fprintf(os.Stderr, "plugin-release: no krew manifest: it lists %v, and only %v were built\n", Platforms, built)
		return nil
	}
	manifest, err := os.ReadFile(*template)
	if err != nil {
		return fmt.Errorf("reading the krew manifest template: %w", err)
	}
	rendered, err := Render(manifest, *version, *out)
	if err != nil {
		return err
	}
	path := filepath.Join(*out, filepath.Base(*template))
	if err := os.WriteFile(path, rendered, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	fmt.Println(path)
	return nil
}
