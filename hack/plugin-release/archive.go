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
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Binary is the plugin's executable, as kubectl finds plugins: kubectl-<name>.
const Binary = "kubectl-cyclr"

// versionPackage holds the variables `kubectl cyclr version` prints.
const versionPackage = "github.com/cyclr-operator/cyclr-token-operator/internal/version"

// build cross-builds the plugin with hack/image's flags for the manager: static, no local
// paths, no symbol tables, the version and commit stamped.
func build(goos, goarch, version, revision, dir string) (string, error) {
	binary := filepath.Join(dir, Binary+"-"+goos+"-"+goarch)
	ldflags := "-s -w -X " + versionPackage + ".Version=" + version + " -X " + versionPackage + ".Revision=" + revision
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags="+ldflags, "-o", binary, "./cmd/kubectl-cyclr")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/kubectl-cyclr for %s/%s: %w", goos, goarch, err)
	}
	return binary, nil
}

// writeArchive writes a tar.gz of the binary (as kubectl-cyclr) and the license, with no
// times, owners or names in the headers: the same inputs give the same bytes.
func writeArchive(path, binary string, license []byte) (err error) {
	program, err := os.ReadFile(binary)
	if err != nil {
		return fmt.Errorf("reading %s: %w", binary, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	gz := gzip.NewWriter(f) // an empty header: no name, no modification time
	tw := tar.NewWriter(gz)
	for _, file := range []struct {
		name string
		mode int64
		data []byte
	}{{Binary, 0o755, program}, {"LICENSE", 0o644, license}} {
		hdr := &tar.Header{Name: file.name, Mode: file.mode, Size: int64(len(file.data)), Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		if _, err := tw.Write(file.data); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	if err := errors.Join(tw.Close(), gz.Close()); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
