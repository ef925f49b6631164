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
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/krew/pkg/index"
	"sigs.k8s.io/yaml"
)

// Platforms are the os/arch pairs of a release, each one archive and one platform of the
// krew manifest.
var Platforms = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64"}

// ReleaseURL is where docs/releasing.md has the maintainer attach dist/: the GitHub release
// named after the tag v<version>.
const ReleaseURL = "https://github.com/cyclr-operator/cyclr-token-operator/releases/download/"

// TemplateVersion and PlaceholderSHA256 are what plugins/cyclr.yaml holds in place of a
// release's version and archive digests: valid for krew, rendered by Render.
const (
	TemplateVersion   = "0.0.0"
	PlaceholderSHA256 = "0000000000000000000000000000000000000000000000000000000000000000"
)

// ArchiveName is the release file of one platform.
func ArchiveName(version, goos, goarch string) string {
	return fmt.Sprintf("%s-%s-%s-%s.tar.gz", Binary, version, goos, goarch)
}

// ArchiveURL is where krew downloads that file from.
func ArchiveURL(version, goos, goarch string) string {
	return ReleaseURL + "v" + version + "/" + ArchiveName(version, goos, goarch)
}

// Render sets the manifest's version, and each platform's uri and sha256 to the archive of
// that platform in dir, which must exist.
func Render(manifest []byte, version, dir string) ([]byte, error) {
	var plugin index.Plugin
	if err := yaml.UnmarshalStrict(manifest, &plugin); err != nil {
		return nil, fmt.Errorf("parsing the krew manifest: %w", err)
	}
	plugin.Spec.Version = "v" + version
	for i := range plugin.Spec.Platforms {
		p := &plugin.Spec.Platforms[i]
		goos, goarch := p.Selector.MatchLabels["os"], p.Selector.MatchLabels["arch"]
		sum, err := fileSHA256(filepath.Join(dir, ArchiveName(version, goos, goarch)))
		if err != nil {
			return nil, fmt.Errorf("platform %s/%s: %w", goos, goarch, err)
		}
		p.URI, p.Sha256 = ArchiveURL(version, goos, goarch), sum
	}
	out, err := yaml.Marshal(plugin)
	if err != nil {
		return nil, fmt.Errorf("encoding the krew manifest: %w", err)
	}
	return out, nil
}

func fileSHA256(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading the archive: %w", err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}
