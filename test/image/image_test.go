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

// Package image builds the manager's image with hack/image, as `make image`
// does, unpacks it with go-containerregistry and checks what a cluster would
// get: the index and its name, each platform's config and only layer, and
// the binaries themselves, their stamped version included.
package image

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

// What the test asks hack/image for, and so expects to find.
const (
	ref      = "ghcr.io/cyclr-operator/cyclr-token-operator:1.2.3-test"
	version  = "1.2.3-test"
	revision = "0123456789abcdef0123456789abcdef01234567"
	source   = "https://github.com/cyclr-operator/cyclr-token-operator"
	epoch    = 1700000000
)

var wantPlatforms = []string{"linux/amd64", "linux/arm64"}

// archive is the image built once for all tests (TestMain), unpacked is
// the OCI layout in it.
var archive, unpacked string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "image-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = os.RemoveAll(dir) }()
	archive = filepath.Join(dir, "image.oci.tar")
	unpacked = filepath.Join(dir, "layout")
	if err := buildImage(archive); err != nil {
		fmt.Fprintln(os.Stderr, "building the image:", err)
		return 1
	}
	if err := untar(archive, unpacked); err != nil {
		fmt.Fprintln(os.Stderr, "unpacking the image:", err)
		return 1
	}
	return m.Run()
}

// buildImage runs hack/image from the module root, as `make image` does,
// with the test's metadata and any further flags.
func buildImage(out string, flags ...string) error {
	args := append([]string{"run", "./hack/image", "-ref", ref, "-out", out,
		"-revision", revision, "-source-date-epoch", strconv.Itoa(epoch)}, flags...)
	cmd := exec.Command("go", args...)
	cmd.Dir = testenv.Root()
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

// namedIndex returns the descriptor index.json holds and the image index it
// points to.
func namedIndex(t *testing.T) (v1.Descriptor, v1.ImageIndex) {
	t.Helper()
	return namedIndexIn(t, unpacked)
}

// namedIndexIn is namedIndex of the OCI layout in dir.
func namedIndexIn(t *testing.T, dir string) (v1.Descriptor, v1.ImageIndex) {
	t.Helper()
	top, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := top.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(manifest.Manifests) != 1 {
		t.Fatalf("index.json lists %d manifests, want the one image index", len(manifest.Manifests))
	}
	desc := manifest.Manifests[0]
	index, err := top.ImageIndex(desc.Digest)
	if err != nil {
		t.Fatalf("index.json's entry is not an image index: %v", err)
	}
	return desc, index
}

// platformImages returns the index's images by "os/arch".
func platformImages(t *testing.T) map[string]v1.Image {
	t.Helper()
	_, index := namedIndex(t)
	manifest, err := index.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	images := map[string]v1.Image{}
	for _, desc := range manifest.Manifests {
		if desc.Platform == nil {
			t.Fatalf("manifest %s has no platform", desc.Digest)
		}
		if desc.MediaType != types.OCIManifestSchema1 {
			t.Errorf("%s: media type %s, want %s", desc.Platform, desc.MediaType, types.OCIManifestSchema1)
		}
		img, err := index.Image(desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		images[desc.Platform.String()] = img
	}
	return images
}

func wantLabels() map[string]string {
	return map[string]string{
		"org.opencontainers.image.source":   source,
		"org.opencontainers.image.version":  version,
		"org.opencontainers.image.revision": revision,
		"org.opencontainers.image.title":    "cyclr-token-operator",
		"org.opencontainers.image.licenses": "Apache-2.0",
	}
}

func checkLabels(t *testing.T, what string, got map[string]string) {
	t.Helper()
	for key, want := range wantLabels() {
		if got[key] != want {
			t.Errorf("%s: %s = %q, want %q", what, key, got[key], want)
		}
	}
}

func TestIndexJSONNamesTheImage(t *testing.T) {
	// Importers (containerd's among them) look for this file first.
	var marker struct {
		Version string `json:"imageLayoutVersion"`
	}
	raw, err := os.ReadFile(filepath.Join(unpacked, "oci-layout"))
	if err == nil {
		err = json.Unmarshal(raw, &marker)
	}
	if err != nil || marker.Version != "1.0.0" {
		t.Errorf("oci-layout: %q, %v; want image layout version 1.0.0", raw, err)
	}
	desc, _ := namedIndex(t)
	if desc.MediaType != types.OCIImageIndex {
		t.Errorf("media type %s, want %s", desc.MediaType, types.OCIImageIndex)
	}
	for key, want := range map[string]string{
		"org.opencontainers.image.ref.name": version,
		"io.containerd.image.name":          ref, // what `ctr images import` names the image
	} {
		if got := desc.Annotations[key]; got != want {
			t.Errorf("index.json annotation %s = %q, want %q", key, got, want)
		}
	}
}

func TestIndexHasExactlyTheTwoPlatforms(t *testing.T) {
	if got := slices.Sorted(maps.Keys(platformImages(t))); !slices.Equal(got, wantPlatforms) {
		t.Errorf("platforms %v, want %v", got, wantPlatforms)
	}
	_, index := namedIndex(t)
	manifest, err := index.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	checkLabels(t, "index annotations", manifest.Annotations)
}

func TestConfig(t *testing.T) {
	for platform, img := range platformImages(t) {
		cfg, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.OS + "/" + cfg.Architecture; got != platform {
			t.Errorf("%s: config says %s", platform, got)
		}
		if cfg.Config.User != "65532:65532" {
			t.Errorf("%s: user %q, want 65532:65532", platform, cfg.Config.User)
		}
		if !slices.Equal(cfg.Config.Entrypoint, []string{"/manager"}) || len(cfg.Config.Cmd) != 0 {
			t.Errorf("%s: entrypoint %q cmd %q, want [/manager] and no cmd", platform, cfg.Config.Entrypoint, cfg.Config.Cmd)
		}
		if cfg.Config.WorkingDir != "/" {
			t.Errorf("%s: working dir %q, want /", platform, cfg.Config.WorkingDir)
		}
		if !cfg.Created.Equal(time.Unix(epoch, 0)) {
			t.Errorf("%s: created %v, want the source date epoch", platform, cfg.Created)
		}
		checkLabels(t, platform+" labels", cfg.Config.Labels)
	}
}

// TestLayerHoldsOnlyTheManager: one layer with /manager, /etc/passwd and
// /etc/group and nothing else: no shell (/bin/sh), no CA bundle, no base.
func TestLayerHoldsOnlyTheManager(t *testing.T) {
	want := []string{"etc/", "etc/group", "etc/passwd", "manager"}
	for platform, img := range platformImages(t) {
		files := layerFiles(t, img)
		if got := slices.Sorted(maps.Keys(files)); !slices.Equal(got, want) {
			t.Errorf("%s: layer holds %v, want exactly %v", platform, got, want)
		}
		for name, f := range files {
			if f.header.Uid != 0 || f.header.Gid != 0 || !f.header.ModTime.Equal(time.Unix(epoch, 0)) {
				t.Errorf("%s: %s owned by %d:%d, modified %v; want root's, at the source date epoch",
					platform, name, f.header.Uid, f.header.Gid, f.header.ModTime)
			}
		}
		if mode := files["manager"].header.Mode; mode != 0o755 {
			t.Errorf("%s: /manager mode %o, want 755", platform, mode)
		}
		for name, line := range map[string]string{
			"etc/passwd": "nonroot:x:65532:65532:",
			"etc/group":  "nonroot:x:65532:",
		} {
			if !bytes.Contains(files[name].data, []byte("\n"+line)) {
				t.Errorf("%s: /%s has no %q line:\n%s", platform, name, line, files[name].data)
			}
		}
	}
}

// TestManagerBuild reads the build settings Go records in each binary (the
// Dockerfile's flags, the platform, the Mozilla roots linked in) and, since
// Go does not record -ldflags with -trimpath, checks the effect of -s -w:
// no symbol table and no DWARF.
func TestManagerBuild(t *testing.T) {
	for platform, img := range platformImages(t) {
		binary := bytes.NewReader(layerFiles(t, img)["manager"].data)
		info, err := buildinfo.Read(binary)
		if err != nil {
			t.Fatalf("%s: /manager: %v", platform, err)
		}
		goos, goarch, _ := strings.Cut(platform, "/")
		settings := map[string]string{}
		for _, s := range info.Settings {
			settings[s.Key] = s.Value
		}
		for key, want := range map[string]string{"CGO_ENABLED": "0", "GOOS": goos, "GOARCH": goarch, "-trimpath": "true"} {
			if settings[key] != want {
				t.Errorf("%s: /manager built with %s=%q, want %q", platform, key, settings[key], want)
			}
		}
		if !slices.ContainsFunc(info.Deps, func(m *debug.Module) bool { return m.Path == "golang.org/x/crypto/x509roots/fallback" }) {
			t.Errorf("%s: /manager does not embed golang.org/x/crypto/x509roots/fallback", platform)
		}
		exe, err := elf.NewFile(binary)
		if err != nil {
			t.Fatalf("%s: /manager: %v", platform, err)
		}
		for _, section := range exe.Sections {
			if section.Name == ".symtab" || strings.HasPrefix(section.Name, ".debug_") || strings.HasPrefix(section.Name, ".zdebug_") {
				t.Errorf("%s: /manager has a %s section: not built with -ldflags \"-s -w\"", platform, section.Name)
			}
		}
	}
}

// TestManagerRuns runs the binary built for this machine (amd64 in CI): its --help, and its
// --version, which must say what the labels say (hack/image stamps the tag and the revision).
func TestManagerRuns(t *testing.T) {
	platform := runtime.GOOS + "/" + runtime.GOARCH
	img, ok := platformImages(t)[platform]
	if !ok {
		t.Skipf("the image has no %s binary to run here", platform)
	}
	manager := filepath.Join(t.TempDir(), "manager")
	if err := os.WriteFile(manager, layerFiles(t, img)["manager"].data, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(manager, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("/manager --help: %v\n%s", err, out)
	}
	for _, flag := range []string{"-allowed-api-hosts", "-extra-ca-file", "-namespaces", "-leader-elect", "-version"} {
		if !bytes.Contains(out, []byte(flag)) {
			t.Errorf("/manager --help does not mention %s:\n%s", flag, out)
		}
	}
	out, err = exec.Command(manager, "--version").Output()
	if want := "cyclr-token-operator " + version + " " + revision + "\n"; err != nil || string(out) != want {
		t.Errorf("/manager --version: %q, %v; want %q", out, err, want)
	}
}

// TestReproducible builds the native platform's image a second time: the same
// sources, revision and epoch must give the same image, to the digest. One
// platform is enough: every platform's binary is built by the same `go build`
// flags and packed by the same code, and a second cross-build would double
// the package's time on a cold machine.
func TestReproducible(t *testing.T) {
	native := "linux/" + runtime.GOARCH
	dir := t.TempDir()
	again := filepath.Join(dir, "again.oci.tar")
	if err := buildImage(again, "-platforms", native); err != nil {
		t.Fatal(err)
	}
	if err := untar(again, filepath.Join(dir, "layout")); err != nil {
		t.Fatal(err)
	}
	first := platformDigests(t, unpacked)
	second := platformDigests(t, filepath.Join(dir, "layout"))
	if len(second) != 1 || first[native] == (v1.Hash{}) || second[native] != first[native] {
		t.Errorf("two builds of %s: %v and %v, want one and the same image digest", native, first, second)
	}
}

// platformDigests are the image digests, by "os/arch", of the image index in the OCI layout dir.
func platformDigests(t *testing.T, dir string) map[string]v1.Hash {
	t.Helper()
	_, index := namedIndexIn(t, dir)
	manifest, err := index.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	digests := map[string]v1.Hash{}
	for _, desc := range manifest.Manifests {
		if desc.Platform != nil {
			digests[desc.Platform.String()] = desc.Digest
		}
	}
	return digests
}
