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

// managerPackage is the manager's main package, relative to the module root.
const managerPackage = "./cmd"

// buildManager cross-builds the manager for platform into dir and returns
// the binary's path. The flags are the Dockerfile's: static (no cgo, so it
// runs on an image without a libc), no local paths (-trimpath: the bytes do
// not depend on where the tree is checked out) and no symbol or DWARF tables
// (-s -w: a smaller image).
func buildManager(platform v1.Platform, dir string) (string, error) {
	binary := filepath.Join(dir, "manager-"+platform.OS+"-"+platform.Architecture)
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", binary, managerPackage)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+platform.OS, "GOARCH="+platform.Architecture)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s for %s: %w", managerPackage, platform, err)
	}
	return binary, nil
}
