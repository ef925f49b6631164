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

package chart

import (
	"path/filepath"
	"testing"

	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

// TestReleasePackage packages the chart as `make release VERSION=…` does (`helm package
// --version V --app-version V`) and renders the archive: the default image is the release's
// tag and every object's app.kubernetes.io/version is the release, whatever Chart.yaml says.
func TestReleasePackage(t *testing.T) {
	const releaseVersion = "1.2.3-test"
	dir := t.TempDir()
	pkg := helm(t, "package", chartDir(), "--version", releaseVersion, "--app-version", releaseVersion, "-d", dir)
	if out, err := pkg.CombinedOutput(); err != nil {
		t.Fatalf("helm package: %v\n%s", err, out)
	}
	archive := filepath.Join(dir, "cyclr-token-operator-"+releaseVersion+".tgz")
	objs := testenv.Render(t, helm(t, "template", release, archive, "--namespace", namespace))
	if got, want := manager(t, objs).Image, "ghcr.io/cyclr-operator/cyclr-token-operator:"+releaseVersion; got != want {
		t.Errorf("image %s, want %s", got, want)
	}
	for _, obj := range objs {
		if got := obj.GetLabels()["app.kubernetes.io/version"]; got != releaseVersion {
			t.Errorf("%s: app.kubernetes.io/version %q, want %q", testenv.Describe(obj), got, releaseVersion)
		}
	}
}
