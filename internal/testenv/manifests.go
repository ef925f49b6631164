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

package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// What test/install and test/chart share: rendering the installation with the pinned tools,
// finding objects in it, and sending it to the API server.

// Tool is the pinned binary the environment variable env names (`make test` sets KUSTOMIZE
// and HELM), else bin/<name>.
func Tool(t testing.TB, env, name string) string {
	t.Helper()
	bin := os.Getenv(env)
	if bin == "" {
		bin = filepath.Join(Root(), "bin", name)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s not found at %s: run 'make %s' (make test does), or set %s", name, bin, name, env)
	}
	return bin
}

// Render runs a command that prints manifests (kustomize build, helm template) and decodes
// what it prints; it fails the test when the command fails or prints no object.
func Render(t testing.TB, cmd *exec.Cmd) []*unstructured.Unstructured {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	what := strings.Join(append([]string{filepath.Base(cmd.Path)}, cmd.Args[1:]...), " ")
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, stderr.String())
	}
	objs, err := Decode(stdout.Bytes())
	if err != nil {
		t.Fatalf("decoding the output of %s: %v", what, err)
	}
	if len(objs) == 0 {
		t.Fatalf("%s rendered no objects", what)
	}
	return objs
}

// Kustomize renders dir with the pinned kustomize.
func Kustomize(t testing.TB, dir string) []*unstructured.Unstructured {
	t.Helper()
	return Render(t, exec.Command(Tool(t, "KUSTOMIZE", "kustomize"), "build", dir))
}

// ConfigWith copies config/ into a temporary directory and adds resources (e.g.
// "../network-policy") to config/default's, after "- ../manager", as the comments in
// config/ tell users to. It returns the copy's config directory.
func ConfigWith(t testing.TB, resources ...string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(Root(), "config"))); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "default", "kustomization.yaml")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines strings.Builder
	for _, r := range resources {
		lines.WriteString("- " + r + "\n")
	}
	added := strings.Replace(string(raw), "\n- ../manager\n", "\n- ../manager\n"+lines.String(), 1)
	if added == string(raw) {
		t.Fatal("config/default/kustomization.yaml has no '- ../manager' line to add to")
	}
	if err := os.WriteFile(path, []byte(added), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Decode reads a stream of YAML or JSON objects.
func Decode(manifest []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(manifest), 4096)
	var objs []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		err := dec.Decode(&u.Object)
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, err
		}
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
}

// Describe names an object in messages: kind, namespace and name.
func Describe(u *unstructured.Unstructured) string {
	if ns := u.GetNamespace(); ns != "" {
		return fmt.Sprintf("%s %s/%s", u.GetKind(), ns, u.GetName())
	}
	return fmt.Sprintf("%s %s", u.GetKind(), u.GetName())
}

// Find is the object of kind and name, in whatever namespace.
func Find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, u := range objs {
		if u.GetKind() == kind && u.GetName() == name {
			return u
		}
	}
	return nil
}

// FindIn is the object of kind and name in namespace.
func FindIn(objs []*unstructured.Unstructured, kind, namespace, name string) *unstructured.Unstructured {
	for _, u := range objs {
		if u.GetKind() == kind && u.GetNamespace() == namespace && u.GetName() == name {
			return u
		}
	}
	return nil
}

// Convert turns an unstructured object into a typed one.
func Convert[T any](t testing.TB, u *unstructured.Unstructured) *T {
	t.Helper()
	out := new(T)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, out); err != nil {
		t.Fatalf("converting %s: %v", Describe(u), err)
	}
	return out
}

// DryRunInstall sends an installation to the API server: its CRDs and Namespaces for real
// (what lives in them cannot be dry-run without them), then every other object with
// server-side apply in dry-run, so schema, CEL and RBAC validation run on each. It returns
// the objects it dry-ran.
func DryRunInstall(ctx context.Context, t testing.TB, k8s client.Client, owner client.FieldOwner,
	objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	t.Helper()
	var rest []*unstructured.Unstructured
	for _, u := range objs {
		switch u.GetKind() {
		case "CustomResourceDefinition", "Namespace":
			Apply(ctx, t, k8s, owner, u)
		default:
			rest = append(rest, u)
		}
	}
	for _, u := range rest {
		DryRunApply(ctx, t, k8s, owner, u)
	}
	return rest
}

// Apply applies u for real (server-side, taking ownership) and, for a CRD, waits until it is
// Established.
func Apply(ctx context.Context, t testing.TB, k8s client.Client, owner client.FieldOwner, u *unstructured.Unstructured) {
	t.Helper()
	if err := k8s.Apply(ctx, client.ApplyConfigurationFromUnstructured(u.DeepCopy()), owner, client.ForceOwnership); err != nil {
		t.Fatalf("applying %s: %v", Describe(u), err)
	}
	if u.GetKind() == "CustomResourceDefinition" {
		waitEstablished(ctx, t, k8s, u.GetName())
	}
}

// DryRunApply applies u with server-side dry-run and fails the test if it is rejected.
func DryRunApply(ctx context.Context, t testing.TB, k8s client.Client, owner client.FieldOwner, u *unstructured.Unstructured) {
	t.Helper()
	err := k8s.Apply(ctx, client.ApplyConfigurationFromUnstructured(u.DeepCopy()), owner, client.ForceOwnership, client.DryRunAll)
	if err != nil {
		t.Errorf("%s was rejected: %v", Describe(u), err)
	}
}

func waitEstablished(ctx context.Context, t testing.TB, k8s client.Client, name string) {
	t.Helper()
	crd := &unstructured.Unstructured{}
	crd.SetAPIVersion("apiextensions.k8s.io/v1")
	crd.SetKind("CustomResourceDefinition")
	for {
		if err := k8s.Get(ctx, client.ObjectKey{Name: name}, crd); err == nil {
			conditions, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
			for _, c := range conditions {
				if m, ok := c.(map[string]any); ok && m["type"] == "Established" && m["status"] == "True" {
					return
				}
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("CRD %s not Established", name)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// DryRunRestrictedPod dry-run creates a Pod from deployment's pod template in the
// Deployment's namespace, which must enforce the "restricted" Pod Security Standard: it first
// shows that a pod without a security context is refused there, so that the admission of the
// manager's pod proves something.
func DryRunRestrictedPod(ctx context.Context, t testing.TB, k8s client.Client, deployment *unstructured.Unstructured) {
	t.Helper()
	if deployment == nil {
		t.Fatal("no Deployment to take the pod template from")
	}
	namespace := deployment.GetNamespace()
	bare := &corev1.Pod{}
	bare.Name, bare.Namespace = "pod-security-control", namespace
	bare.Spec.Containers = []corev1.Container{{Name: "c", Image: "example.com/c"}}
	if err := k8s.Create(ctx, bare, client.DryRunAll); err == nil {
		t.Errorf("a pod without a security context was admitted into %s: is Pod Security admission enforced there?", namespace)
	}
	template := PodTemplate(t, deployment)
	pod := &corev1.Pod{ObjectMeta: template.ObjectMeta, Spec: template.Spec}
	pod.Name, pod.Namespace = "manager-pod-security", namespace
	if err := k8s.Create(ctx, pod, client.DryRunAll); err != nil {
		t.Errorf("the manager's pod template is refused in %s (restricted): %v", namespace, err)
	}
}

// PodTemplate is a Deployment's pod template, read without importing the apps/v1 types for
// one field.
func PodTemplate(t testing.TB, deployment *unstructured.Unstructured) corev1.PodTemplateSpec {
	t.Helper()
	var holder struct {
		Spec struct {
			Template corev1.PodTemplateSpec `json:"template"`
		} `json:"spec"`
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(deployment.Object, &holder); err != nil {
		t.Fatalf("the pod template of %s: %v", Describe(deployment), err)
	}
	return holder.Spec.Template
}
