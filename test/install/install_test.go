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

// Package install checks the installation manifests: what `make build-installer` writes to
// dist/install.yaml (kustomize build config/default), the samples and the demo's objects. They
// are rendered with the pinned kustomize (bin/kustomize; `make test` passes its path in
// KUSTOMIZE) and sent to a real kube-apiserver (internal/testenv): CRDs and Namespaces are
// applied, every other object is applied with server-side dry-run, so schema, CEL and RBAC
// validation all run. The manager's pod template is also dry-run created as a Pod in the
// operator's namespace, where the "restricted" Pod Security Standard is enforced.
package install

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

const (
	operatorNamespace = "cyclr-token-operator-system"
	deploymentName    = "cyclr-token-operator-controller-manager"
	serviceAccount    = "cyclr-token-operator-controller-manager"
	fieldOwner        = client.FieldOwner("install-test")
)

// kustomize returns the pinned kustomize binary: $KUSTOMIZE (set by `make test`), else
// bin/kustomize.
func kustomize(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("KUSTOMIZE")
	if bin == "" {
		bin = filepath.Join(testenv.Root(), "bin", "kustomize")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("kustomize not found at %s: run 'make kustomize' (make test does), or set KUSTOMIZE", bin)
	}
	return bin
}

// render runs `kustomize build dir` and decodes the objects it prints.
func render(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(kustomize(t), "build", dir)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kustomize build %s: %v\n%s", dir, err, stderr.String())
	}
	objs, err := decode(stdout.Bytes())
	if err != nil {
		t.Fatalf("decoding the output of kustomize build %s: %v", dir, err)
	}
	if len(objs) == 0 {
		t.Fatalf("kustomize build %s rendered no objects", dir)
	}
	return objs
}

func decode(manifest []byte) ([]*unstructured.Unstructured, error) {
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

func describe(u *unstructured.Unstructured) string {
	if ns := u.GetNamespace(); ns != "" {
		return fmt.Sprintf("%s %s/%s", u.GetKind(), ns, u.GetName())
	}
	return fmt.Sprintf("%s %s", u.GetKind(), u.GetName())
}

// find is the object of kind and name, in whatever namespace.
func find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, u := range objs {
		if u.GetKind() == kind && u.GetName() == name {
			return u
		}
	}
	return nil
}

// generatedRules are the manager's rules as controller-gen writes them.
func generatedRules(t *testing.T) []rbacv1.PolicyRule {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testenv.Root(), "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.ClusterRole{}
	if err := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096).Decode(role); err != nil {
		t.Fatalf("config/rbac/role.yaml: %v", err)
	}
	return role.Rules
}

// findIn is the object of kind and name in namespace.
func findIn(objs []*unstructured.Unstructured, kind, namespace, name string) *unstructured.Unstructured {
	for _, u := range objs {
		if u.GetKind() == kind && u.GetNamespace() == namespace && u.GetName() == name {
			return u
		}
	}
	return nil
}

// convert turns an unstructured object into a typed one.
func convert[T any](t *testing.T, u *unstructured.Unstructured) *T {
	t.Helper()
	out := new(T)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, out); err != nil {
		t.Fatalf("converting %s: %v", describe(u), err)
	}
	return out
}

// TestInstallManifests checks dist/install.yaml's content without a cluster: namespace,
// the manager's Deployment (restricted security context, leader election, probes, resources)
// and RBAC no wider than what controller-gen generates.
func TestInstallManifests(t *testing.T) {
	objs := render(t, filepath.Join(testenv.Root(), "config", "default"))

	kinds := map[string]int{}
	for _, u := range objs {
		kinds[u.GetKind()]++
		if u.GetKind() == "NetworkPolicy" {
			t.Errorf("unexpected %s: config/network-policy is not part of the installation", describe(u))
		}
		if u.GetNamespace() != "" && u.GetNamespace() != operatorNamespace {
			t.Errorf("%s: want namespace %s", describe(u), operatorNamespace)
		}
	}
	for _, kind := range []string{"CustomResourceDefinition", "Namespace", "ServiceAccount", "ClusterRole",
		"ClusterRoleBinding", "Role", "RoleBinding", "Service", "Deployment"} {
		if kinds[kind] == 0 {
			t.Errorf("no %s in the installation", kind)
		}
	}
	if ns := find(objs, "Namespace", operatorNamespace); ns == nil {
		t.Errorf("no Namespace %s", operatorNamespace)
	} else if got := ns.GetLabels()["pod-security.kubernetes.io/enforce"]; got != "restricted" {
		t.Errorf("Namespace %s: pod-security.kubernetes.io/enforce = %q, want restricted", operatorNamespace, got)
	}

	u := find(objs, "Deployment", deploymentName)
	if u == nil {
		t.Fatalf("no Deployment %s", deploymentName)
	}
	checkDeployment(t, u)
	checkRBAC(t, objs)
}

func checkDeployment(t *testing.T, u *unstructured.Unstructured) {
	t.Helper()
	pod := convert[podTemplateHolder](t, u).Spec.Template.Spec
	if pod.ServiceAccountName != serviceAccount {
		t.Errorf("serviceAccountName = %q, want %s", pod.ServiceAccountName, serviceAccount)
	}
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Errorf("pod securityContext.runAsNonRoot is not true")
	}
	if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext.seccompProfile.type is not RuntimeDefault")
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("want 1 container, got %d", len(pod.Containers))
	}
	c := pod.Containers[0]
	for _, arg := range []string{"--leader-elect", "--health-probe-bind-address=:8081", "--metrics-bind-address=:8443"} {
		if !slices.Contains(c.Args, arg) {
			t.Errorf("manager args %q lack %s", c.Args, arg)
		}
	}
	for _, arg := range c.Args {
		if strings.HasPrefix(arg, "--metrics-secure=false") || strings.HasPrefix(arg, "--leader-elect=false") {
			t.Errorf("manager arg %s: the deployed metrics are served securely and leader election is on", arg)
		}
	}
	if sc := c.SecurityContext; sc == nil {
		t.Errorf("container has no securityContext")
	} else {
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("container securityContext.allowPrivilegeEscalation is not false")
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Errorf("container securityContext.readOnlyRootFilesystem is not true")
		}
		if sc.Capabilities == nil || !reflect.DeepEqual(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 {
			t.Errorf("container capabilities: want drop [ALL] and nothing added, got %+v", sc.Capabilities)
		}
		if sc.Privileged != nil && *sc.Privileged {
			t.Errorf("container is privileged")
		}
	}
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := c.Resources.Requests[res]; !ok {
			t.Errorf("no %s request", res)
		}
	}
	if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
		t.Errorf("no memory limit")
	}
	// The Go runtime must know the limit, or it collects too late and the kernel kills it.
	if !slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool {
		return e.Name == "GOMEMLIMIT" && e.ValueFrom != nil && e.ValueFrom.ResourceFieldRef != nil &&
			e.ValueFrom.ResourceFieldRef.Resource == "limits.memory"
	}) {
		t.Errorf("no GOMEMLIMIT taken from limits.memory in %+v", c.Env)
	}
	for name, probe := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Port.IntValue() != 8081 {
			t.Errorf("%s probe: want an HTTP probe on port 8081, got %+v", name, probe)
		}
	}
}

// podTemplateHolder decodes the parts of a Deployment the checks need, without importing
// the apps/v1 types for one field.
type podTemplateHolder struct {
	Spec struct {
		Template corev1.PodTemplateSpec `json:"template"`
	} `json:"spec"`
}

// checkRBAC: the manager's ClusterRole is exactly config/rbac/role.yaml (what controller-gen
// generates from the +kubebuilder:rbac markers), the leader-election Role only touches Leases
// and events, and no role of the operator's uses wildcards.
func checkRBAC(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	generated := generatedRules(t)
	u := find(objs, "ClusterRole", "cyclr-token-operator-manager-role")
	if u == nil {
		t.Fatal("no ClusterRole cyclr-token-operator-manager-role")
	}
	if got := convert[rbacv1.ClusterRole](t, u); !reflect.DeepEqual(got.Rules, generated) {
		t.Errorf("the installed manager ClusterRole differs from config/rbac/role.yaml:\n got %+v\nwant %+v", got.Rules, generated)
	}
	for _, rule := range generated {
		if slices.Contains(rule.Resources, "secrets") && slices.Contains(rule.Verbs, "delete") {
			t.Errorf("the manager may delete Secrets: it never needs to (owner references clean up)")
		}
	}
	for _, u := range objs {
		if u.GetKind() != "ClusterRole" && u.GetKind() != "Role" {
			continue
		}
		role := convert[rbacv1.ClusterRole](t, u) // Role has the same rules field
		isHelper := strings.HasSuffix(u.GetName(), "-admin-role")
		for _, rule := range role.Rules {
			if !isHelper && (slices.Contains(rule.Verbs, "*") || slices.Contains(rule.Resources, "*") || slices.Contains(rule.APIGroups, "*")) {
				t.Errorf("%s has a wildcard rule: %+v", describe(u), rule)
			}
		}
	}
	le := find(objs, "Role", "cyclr-token-operator-leader-election-role")
	if le == nil {
		t.Fatal("no leader election Role")
	}
	for _, rule := range convert[rbacv1.Role](t, le).Rules {
		for _, res := range rule.Resources {
			if res != "leases" && res != "events" {
				t.Errorf("the leader election Role grants %s: only leases (and events) are needed", res)
			}
		}
	}
}

// TestInstallApplies sends every object of the installation, the samples and the demo's
// objects to a real API server.
func TestInstallApplies(t *testing.T) {
	install := render(t, filepath.Join(testenv.Root(), "config", "default"))
	samples := render(t, filepath.Join(testenv.Root(), "config", "samples"))
	demo := render(t, filepath.Join(testenv.Root(), "hack", "demo"))

	k8s := testenv.StartSuite(t).Client
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// CRDs and Namespaces for real: the dry-run of what lives in them needs them to exist.
	var rest []*unstructured.Unstructured
	for _, u := range install {
		switch u.GetKind() {
		case "CustomResourceDefinition", "Namespace":
			if err := k8s.Apply(ctx, client.ApplyConfigurationFromUnstructured(u.DeepCopy()), fieldOwner, client.ForceOwnership); err != nil {
				t.Fatalf("applying %s: %v", describe(u), err)
			}
			if u.GetKind() == "CustomResourceDefinition" {
				waitEstablished(ctx, t, k8s, u.GetName())
			}
		default:
			rest = append(rest, u)
		}
	}
	if len(rest) == 0 {
		t.Fatal("nothing besides CRDs and Namespaces in the installation")
	}
	for _, u := range rest {
		dryRunApply(ctx, t, k8s, u)
	}

	// The manager's pod must pass the "restricted" Pod Security Standard that its namespace
	// enforces. First show that this API server enforces it at all.
	bare := &corev1.Pod{}
	bare.Name, bare.Namespace = "pod-security-control", operatorNamespace
	bare.Spec.Containers = []corev1.Container{{Name: "c", Image: "example.com/c"}}
	if err := k8s.Create(ctx, bare, client.DryRunAll); err == nil {
		t.Errorf("a pod without a security context was admitted into %s: is Pod Security admission enforced there?", operatorNamespace)
	}
	template := convert[podTemplateHolder](t, find(install, "Deployment", deploymentName)).Spec.Template
	pod := &corev1.Pod{ObjectMeta: template.ObjectMeta, Spec: template.Spec}
	pod.Name, pod.Namespace = "manager-pod-security", operatorNamespace
	if err := k8s.Create(ctx, pod, client.DryRunAll); err != nil {
		t.Errorf("the manager's pod template is refused in %s (restricted): %v", operatorNamespace, err)
	}

	// Samples and demo objects, into an existing namespace.
	for _, u := range append(samples, demo...) {
		u.SetNamespace("default")
		dryRunApply(ctx, t, k8s, u)
	}
}

func dryRunApply(ctx context.Context, t *testing.T, k8s client.Client, u *unstructured.Unstructured) {
	t.Helper()
	err := k8s.Apply(ctx, client.ApplyConfigurationFromUnstructured(u.DeepCopy()), fieldOwner, client.ForceOwnership, client.DryRunAll)
	if err != nil {
		t.Errorf("%s was rejected: %v", describe(u), err)
	}
}

func waitEstablished(ctx context.Context, t *testing.T, k8s client.Client, name string) {
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

// TestPrometheusOverlay renders config/default with the ServiceMonitor enabled (as the comment
// in config/default/kustomization.yaml says) and checks that it selects the metrics Service
// and scrapes its https port. It cannot be applied here: its CRD comes with the Prometheus
// Operator.
func TestPrometheusOverlay(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(testenv.Root(), "config"))); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "default", "kustomization.yaml")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	enabled := strings.Replace(string(raw), "\n#- ../prometheus\n", "\n- ../prometheus\n", 1)
	if enabled == string(raw) {
		t.Fatal("config/default/kustomization.yaml has no '#- ../prometheus' line to uncomment")
	}
	if err := os.WriteFile(path, []byte(enabled), fs.FileMode(0o644)); err != nil {
		t.Fatal(err)
	}
	objs := render(t, filepath.Join(dir, "default"))

	monitor := find(objs, "ServiceMonitor", "cyclr-token-operator-controller-manager-metrics-monitor")
	service := find(objs, "Service", "cyclr-token-operator-controller-manager-metrics-service")
	if monitor == nil || service == nil {
		t.Fatalf("want the ServiceMonitor and the metrics Service, got monitor=%v service=%v", monitor != nil, service != nil)
	}
	if monitor.GetNamespace() != operatorNamespace {
		t.Errorf("ServiceMonitor namespace %q, want %s", monitor.GetNamespace(), operatorNamespace)
	}
	selector, _, _ := unstructured.NestedStringMap(monitor.Object, "spec", "selector", "matchLabels")
	labels := service.GetLabels()
	for k, v := range selector {
		if labels[k] != v {
			t.Errorf("the ServiceMonitor selects %s=%s, which the metrics Service lacks", k, v)
		}
	}
	endpoints, _, _ := unstructured.NestedSlice(monitor.Object, "spec", "endpoints")
	ports, _, _ := unstructured.NestedSlice(service.Object, "spec", "ports")
	if len(endpoints) == 0 || len(ports) == 0 {
		t.Fatal("no endpoints in the ServiceMonitor or no ports in the Service")
	}
	port := endpoints[0].(map[string]any)["port"]
	scheme := endpoints[0].(map[string]any)["scheme"]
	if port != ports[0].(map[string]any)["name"] || scheme != "https" {
		t.Errorf("the ServiceMonitor scrapes port %v over %v; the Service's port is %v (https)", port, scheme, ports[0].(map[string]any)["name"])
	}
}
