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
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestVersionFlag builds the manager as a bare go build does (nothing stamped, no VCS
// settings) and runs `manager --version` with no cluster to reach: it prints the one line on
// stdout, nothing on stderr (no logger, no kubeconfig, no manager started), and exits 0. The
// stamped line is checked where the stamping is done: hack/image's TestStampedVersion (the
// flags) and test/image's TestManagerRuns (the image's binary), so one link is enough here.
func TestVersionFlag(t *testing.T) {
	dir := t.TempDir()
	manager := filepath.Join(dir, "manager")
	// -buildvcs=false: otherwise a build in a git checkout records vcs.revision, which the
	// unstamped binary would print instead of "unknown".
	build := exec.Command("go", "build", "-buildvcs=false", "-o", manager, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	run := exec.Command(manager, "--version")
	run.Env = append(os.Environ(), "KUBECONFIG="+filepath.Join(dir, "no-such-kubeconfig"))
	var stdout, stderr bytes.Buffer
	run.Stdout, run.Stderr = &stdout, &stderr
	if err := run.Run(); err != nil {
		t.Fatalf("manager --version: %v\n%s", err, stderr.String())
	}
	const want = "cyclr-token-operator dev unknown\n"
	if stdout.String() != want || stderr.Len() != 0 {
		t.Errorf("manager --version printed %q on stdout and %q on stderr, want %q and nothing",
			stdout.String(), stderr.String(), want)
	}
}
