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

// Package chart checks the Helm chart charts/cyclr-token-operator with the pinned helm
// (bin/helm; `make test` passes its path in HELM): that it lints, that its schema refuses
// misspelt values, that with the default values it renders what `kustomize build
// config/default` does (and config/namespaced, and the optional parts) but for labels, the
// image and the Namespace, that its values reach the manager, that README.md documents every
// value, that packaged as `make release` does it carries the release's version, and that its
// renders are accepted by a real API server (internal/testenv).
package chart

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

const (
	// The release and namespace of README.md's `helm install`, with which the chart names its
	// objects as config/default does.
	release   = "cyclr-token-operator"
	namespace = "cyclr-token-operator-system"
)

// The watched namespaces of config/namespaced, given to the chart as values.
var namespacedValues = []string{"--set", "namespaces={team-a,team-b}"}

func chartDir() string {
	return filepath.Join(testenv.Root(), "charts", "cyclr-token-operator")
}

// helm is a command of the pinned helm with its configuration, cache and data kept in a
// temporary directory, so that nothing of the user's Helm setup (repositories, plugins) takes
// part.
func helm(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(testenv.Tool(t, "HELM", "helm"), args...)
	cmd.Env = append(os.Environ(),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"))
	return cmd
}

// templateArgs is `helm template` of the chart as README.md installs it, with values flags.
func templateArgs(values ...string) []string {
	return append([]string{"template", release, chartDir(), "--namespace", namespace}, values...)
}

// render is what `helm template` prints with these values flags (--set, -f, ...).
func render(t *testing.T, values ...string) []*unstructured.Unstructured {
	t.Helper()
	return testenv.Render(t, helm(t, templateArgs(values...)...))
}

// renderFails runs `helm template` with values that must be refused, and returns its error
// output.
func renderFails(t *testing.T, values ...string) string {
	t.Helper()
	var stderr bytes.Buffer
	cmd := helm(t, templateArgs(values...)...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		t.Fatalf("helm template %q succeeded; want it refused", values)
	}
	return stderr.String()
}

// readYAML decodes a YAML file of the repository into out.
func readYAML(t *testing.T, out any, path ...string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(append([]string{testenv.Root()}, path...)...))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, out); err != nil {
		t.Fatalf("%s: %v", filepath.Join(path...), err)
	}
}
