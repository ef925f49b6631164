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
	"bytes"
	"compress/gzip"
	"embed"
	"fmt"
	"io"
	"os"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// rootfs holds the image's /etc/passwd and /etc/group, which the Dockerfile
// copies too: root, and 65532, distroless' "nonroot", which `USER
// 65532:65532` and the Deployment's runAsNonRoot expect. Its home is "/",
// which exists (the root filesystem is read-only in the Deployment anyway).
// Runtimes and tools resolve the user's name and groups through them.
//
//go:embed rootfs/etc/passwd rootfs/etc/group
var rootfs embed.FS

// managerLayer returns the image's single layer: /etc/passwd, /etc/group and
// /manager, owned by root, every time stamp set to created so that the same
// binary gives the same layer digest.
func managerLayer(binaryPath string, created time.Time) (v1.Layer, error) {
	binary, err := os.ReadFile(binaryPath)
	if err != nil {
		return nil, err
	}
	entries := []tarEntry{{name: "etc/", mode: 0o755, dir: true}}
	for _, name := range []string{"etc/group", "etc/passwd"} {
		data, err := rootfs.ReadFile("rootfs/" + name)
		if err != nil {
			return nil, err
		}
		entries = append(entries, tarEntry{name: name, mode: 0o644, data: data})
	}
	entries = append(entries, tarEntry{name: "manager", mode: 0o755, data: binary})
	var buf bytes.Buffer
	if err := writeTar(&buf, created, entries); err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	uncompressed := buf.Bytes()
	return tarball.LayerFromOpener(
		func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(uncompressed)), nil },
		tarball.WithMediaType(types.OCILayer),
		// The layer is read several times (digest, size, writing); compress once.
		tarball.WithCompressedCaching,
		// The library's default is BestSpeed; the default level is 11% smaller
		// for twice the time, and BestCompression 1% smaller still for three times more.
		tarball.WithCompressionLevel(gzip.DefaultCompression),
	)
}
