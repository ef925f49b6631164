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
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/krew/pkg/index"
	"sigs.k8s.io/yaml"
)

const template = "../../plugins/cyclr.yaml"

// validateWithKrew runs krew v0.4.3's own manifest check (its internal validation package,
// the selectors' coverage and overlap) on a manifest file named cyclr.yaml.
func validateWithKrew(t *testing.T, manifest string) {
	t.Helper()
	out, err := exec.Command("go", "tool", "validate-krew-manifest", "-manifest", manifest, "-skip-install").CombinedOutput()
	if err != nil {
		t.Fatalf("validate-krew-manifest %s: %v\n%s", manifest, err, out)
	}
}

func readManifest(t *testing.T, path string) index.Plugin {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var p index.Plugin
	if err := yaml.UnmarshalStrict(data, &p); err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	return p
}

// checkPlatforms: one platform per release platform, each with the archive URL make release
// publishes for version and the digest want gives.
func checkPlatforms(t *testing.T, p index.Plugin, version string, want func(goos, goarch string) string) {
	t.Helper()
	if p.Name != "cyclr" || p.Spec.Version != "v"+version {
		t.Errorf("name %q, version %q; want cyclr, v%s", p.Name, p.Spec.Version, version)
	}
	got := make([]string, 0, len(p.Spec.Platforms))
	for _, pl := range p.Spec.Platforms {
		goos, goarch := pl.Selector.MatchLabels["os"], pl.Selector.MatchLabels["arch"]
		got = append(got, goos+"/"+goarch)
		if pl.URI != ArchiveURL(version, goos, goarch) {
			t.Errorf("%s/%s: uri %s, want %s", goos, goarch, pl.URI, ArchiveURL(version, goos, goarch))
		}
		if pl.Sha256 != want(goos, goarch) {
			t.Errorf("%s/%s: sha256 %s, want %s", goos, goarch, pl.Sha256, want(goos, goarch))
		}
		if pl.Bin != Binary {
			t.Errorf("%s/%s: bin %q, want %q", goos, goarch, pl.Bin, Binary)
		}
	}
	if !slices.Equal(got, Platforms) {
		t.Errorf("platforms %v, want %v", got, Platforms)
	}
}

func TestTemplateIsAValidKrewManifest(t *testing.T) {
	validateWithKrew(t, template)
	checkPlatforms(t, readManifest(t, template), TemplateVersion, func(string, string) string { return PlaceholderSHA256 })
}

// TestRenderedManifest renders the template over archives as make release writes them, and
// checks that krew accepts the result and that each digest is its archive's.
func TestRenderedManifest(t *testing.T) {
	dir := t.TempDir()
	const version = "1.2.3-rc.1"
	sums := map[string]string{}
	for _, platform := range Platforms {
		goos, goarch, _ := strings.Cut(platform, "/")
		binary := filepath.Join(dir, "bin-"+goos+"-"+goarch)
		if err := os.WriteFile(binary, []byte("a "+platform+" binary"), 0o755); err != nil {
			t.Fatal(err)
		}
		archive := filepath.Join(dir, ArchiveName(version, goos, goarch))
		if err := writeArchive(archive, binary, []byte("license")); err != nil {
			t.Fatal(err)
		}
		sum, err := fileSHA256(archive)
		if err != nil {
			t.Fatal(err)
		}
		sums[platform] = sum
	}
	manifest, err := os.ReadFile(template)
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := Render(manifest, version, dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "cyclr.yaml")
	if err := os.WriteFile(path, rendered, 0o644); err != nil {
		t.Fatal(err)
	}
	validateWithKrew(t, path)
	checkPlatforms(t, readManifest(t, path), version, func(goos, goarch string) string { return sums[goos+"/"+goarch] })
}

// TestArchive: kubectl-cyclr (executable) and LICENSE, as the manifest's files name them,
// and the same bytes each time.
func TestArchive(t *testing.T) {
	dir := t.TempDir()
	binary := filepath.Join(dir, "bin")
	if err := os.WriteFile(binary, []byte("program"), 0o755); err != nil {
		t.Fatal(err)
	}
	var archives [2][]byte
	for i := range archives {
		path := filepath.Join(dir, "a.tar.gz")
		if err := writeArchive(path, binary, []byte("license text")); err != nil {
			t.Fatal(err)
		}
		var err error
		if archives[i], err = os.ReadFile(path); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(archives[0], archives[1]) {
		t.Error("two archives of the same files differ")
	}
	gz, err := gzip.NewReader(bytes.NewReader(archives[0]))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	want := []struct {
		name, data string
		mode       int64
	}{{"kubectl-cyclr", "program", 0o755}, {"LICENSE", "license text", 0o644}}
	for _, w := range want {
		hdr, err := tr.Next()
		if err != nil {
			t.Fatalf("reading the archive: %v", err)
		}
		data, _ := io.ReadAll(tr)
		if hdr.Name != w.name || hdr.Mode != w.mode || string(data) != w.data {
			t.Errorf("entry %s mode %o holding %q, want %s mode %o holding %q", hdr.Name, hdr.Mode, data, w.name, w.mode, w.data)
		}
	}
	if _, err := tr.Next(); err != io.EOF {
		t.Errorf("the archive holds more than kubectl-cyclr and LICENSE (%v)", err)
	}
}
