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
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// platformImage is one platform's image of the index.
type platformImage struct {
	platform v1.Platform
	image    v1.Image
}

// labels are the OCI annotations the Dockerfile sets too (as LABELs): they
// go on every image config and on the index, where registries look for them.
func (m metadata) labels() map[string]string {
	return map[string]string{
		"org.opencontainers.image.title":       "cyclr-token-operator",
		"org.opencontainers.image.description": "Keeps Cyclr API tokens fresh in Kubernetes Secrets",
		"org.opencontainers.image.licenses":    "Apache-2.0",
		"org.opencontainers.image.source":      m.source,
		"org.opencontainers.image.version":     m.version,
		"org.opencontainers.image.revision":    m.revision,
	}
}

// managerImage is the manager built for platform, on nothing (FROM scratch),
// run as the nonroot user from /.
func managerImage(binaryPath string, platform v1.Platform, m metadata) (v1.Image, error) {
	layer, err := managerLayer(binaryPath, m.created)
	if err != nil {
		return nil, err
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	base, err = mutate.ConfigFile(base, &v1.ConfigFile{
		Architecture: platform.Architecture,
		OS:           platform.OS,
		Created:      v1.Time{Time: m.created},
		Config: v1.Config{
			User:       "65532:65532",
			Entrypoint: []string{"/manager"},
			WorkingDir: "/",
			Labels:     m.labels(),
		},
	})
	if err != nil {
		return nil, err
	}
	return mutate.Append(base, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   v1.Time{Time: m.created},
			CreatedBy: "hack/image: /manager, /etc/passwd, /etc/group",
		},
	})
}

// imageIndex lists the platforms' images, annotated like their configs.
func imageIndex(images []platformImage, m metadata) v1.ImageIndex {
	index := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, pi := range images {
		index = mutate.AppendManifests(index, mutate.IndexAddendum{
			Add:        pi.image,
			Descriptor: v1.Descriptor{Platform: &pi.platform},
		})
	}
	// Annotations returns an index for an index (its documented use).
	return mutate.Annotations(index, m.labels()).(v1.ImageIndex)
}
