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
	"os"
	"os/exec"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// versionPackage holds the variables `manager --version` prints.
const versionPackage = "github.com/cyclr-operator/cyclr-token-operator/internal/version"

// build cross-builds c for platform into dir and returns
// the binary's path. The flags are the Dockerfile's: static (no cgo, so it
// runs on an image without a libc), no local paths (-trimpath: the bytes do
// not depend on where the tree is checked out) and no symbol or DWARF tables
// (-s -w: a smaller image). The image's version and revision labels are
// stamped into the binary too (ldflags), so that the manager's --version, its
// start log line and its build_info metric say what the labels say. A command
// that does not link internal/version (the e2e images) is not changed by it.
func build(c command, platform v1.Platform, m metadata, dir string) (string, error) {
	binary := filepath.Join(dir, c.binary+"-"+platform.OS+"-"+platform.Architecture)
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags="+ldflags(m), "-o", binary, c.pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+platform.OS, "GOARCH="+platform.Architecture)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s for %s: %w", c.pkg, platform, err)
	}
	return binary, nil
}

// ldflags are the linker flags of every build. Version and revision hold no
// space or quote (parseOptions checks), so each -X is one word of the list.
func ldflags(m metadata) string {
	return "-s -w -X " + versionPackage + ".Version=" + m.version + " -X " + versionPackage + ".Revision=" + m.revision
}
