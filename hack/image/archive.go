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
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// writeArchive writes index as an OCI image layout, in a tar file at out,
// and returns the index's digest. index.json names the image twice, as
// Docker's OCI exporter does: org.opencontainers.image.ref.name is the tag
// (as the image-layout spec shows it) and io.containerd.image.name the full
// reference, which `ctr images import` takes as the image's name (from a tag
// alone it would make up import-<date>:<tag>). The layout is written to
// workDir first, then packed with fixed metadata (writeTar).
func writeArchive(out string, index v1.ImageIndex, ref name.Tag, mtime time.Time, workDir string) (v1.Hash, error) {
	digest, err := index.Digest()
	if err != nil {
		return v1.Hash{}, err
	}
	layoutDir := filepath.Join(workDir, "layout")
	named := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{
		Add: index,
		Descriptor: v1.Descriptor{Annotations: map[string]string{
			"org.opencontainers.image.ref.name": ref.TagStr(),
			"io.containerd.image.name":          ref.String(),
		}},
	})
	if _, err := layout.Write(layoutDir, named); err != nil {
		return v1.Hash{}, fmt.Errorf("write OCI layout: %w", err)
	}
	entries, err := layoutEntries(layoutDir)
	if err != nil {
		return v1.Hash{}, err
	}
	return digest, writeFileAtomically(out, func(f *os.File) error { return writeTar(f, mtime, entries) })
}

// layoutEntries lists the layout directory's contents in lexical order, the
// paths relative to it, each file read whole (the blobs are a few tens of MB).
func layoutEntries(dir string) ([]tarEntry, error) {
	var entries []tarEntry
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			entries = append(entries, tarEntry{name: rel + "/", mode: 0o755, dir: true})
			return nil
		}
		data, err := os.ReadFile(path)
		entries = append(entries, tarEntry{name: rel, mode: 0o644, data: data})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read OCI layout: %w", err)
	}
	return entries, nil
}

// writeFileAtomically writes path through a temporary file in the same
// directory, renamed into place only when write succeeded: a failed or
// interrupted build leaves no truncated archive behind.
func writeFileAtomically(path string, write func(*os.File) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // a no-op after the rename
	if err := write(tmp); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
