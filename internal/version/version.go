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

// Package version says which build of the operator is running: `manager --version`, the
// start log line and the cyclr_operator_build_info metric all read it. The Makefile, hack/image
// and the Dockerfile stamp both variables at link time:
//
//	go build -ldflags "-X github.com/cyclr-operator/cyclr-token-operator/internal/version.Version=0.1.0 \
//	    -X github.com/cyclr-operator/cyclr-token-operator/internal/version.Revision=$(git rev-parse HEAD)" ./cmd
//
// Nothing here depends on the time of the build, so a stamped build stays reproducible.
package version

import "runtime/debug"

// Name is the program's name, the first word of String.
const Name = "cyclr-token-operator"

// Defaults when the build stamps nothing (go run, go build without -ldflags, go test).
const (
	DefaultVersion  = "dev"
	DefaultRevision = "unknown"
)

// Version is the release, e.g. 0.1.0, or git's description of the commit; set by -ldflags -X.
var Version = DefaultVersion

// Revision is the full commit the binary was built from; set by -ldflags -X. Unset, it is the
// vcs.revision Go recorded in the binary (go build in a git checkout, unless -buildvcs=false).
var Revision = DefaultRevision

func init() {
	info, _ := debug.ReadBuildInfo() // nil when the binary carries none
	Revision = resolveRevision(Revision, info)
}

// resolveRevision is the stamped revision, else the one Go recorded from the VCS, else
// DefaultRevision. Stamping DefaultRevision (the Dockerfile's REVISION when no build arg is
// given) counts as unset.
func resolveRevision(stamped string, info *debug.BuildInfo) string {
	if stamped != "" && stamped != DefaultRevision {
		return stamped
	}
	if info != nil {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				return s.Value
			}
		}
	}
	return DefaultRevision
}

// String is what `manager --version` prints: "cyclr-token-operator <version> <commit>".
func String() string {
	return Name + " " + Version + " " + Revision
}
