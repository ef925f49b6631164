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
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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

// TestInstallManifests checks dist/install.yaml's content without a cluster: namespace,
// the manager's Deployment (restricted security context, leader election, probes, resources)
// and RBAC no wider than what controller-gen generates.
func TestInstallManifests(t *testing.T) {
	objs := testenv.Kustomize(t, filepath.Join(testenv.Root(), "config", "default"))

	kinds := map[string]int{}
	for _, u := range objs {
		kinds[u.GetKind()]++
		if u.GetKind() == "NetworkPolicy" {
			t.Errorf("unexpected %s: config/network-policy is not part of the installation", testenv.Describe(u))
		}
		if u.GetNamespace() != "" && u.GetNamespace() != operatorNamespace {
			t.Errorf("%s: want namespace %s", testenv.Describe(u), operatorNamespace)
		}
	}
	for _, kind := range []string{"CustomResourceDefinition", "Namespace", "ServiceAccount", "ClusterRole",
		"ClusterRoleBinding", "Role", "RoleBinding", "Service", "Deployment"} {
		if kinds[kind] == 0 {
			t.Errorf("no %s in the installation", kind)
		}
	}
	if ns := testenv.Find(objs, "Namespace", operatorNamespace); ns == nil {
		t.Errorf("no Namespace %s", operatorNamespace)
	} else if got := ns.GetLabels()["pod-security.kubernetes.io/enforce"]; got != "restricted" {
		t.Errorf("Namespace %s: pod-security.kubernetes.io/enforce = %q, want restricted", operatorNamespace, got)
	}

	u := testenv.Find(objs, "Deployment", deploymentName)
	if u == nil {
		t.Fatalf("no Deployment %s", deploymentName)
	}
	checkDeployment(t, u)
	checkRBAC(t, objs)
}

func checkDeployment(t *testing.T, u *unstructured.Unstructured) {
	t.Helper()
	pod := testenv.PodTemplate(t, u).Spec
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

// checkRBAC: the manager's ClusterRole is exactly config/rbac/role.yaml (what controller-gen
// generates from the +kubebuilder:rbac markers), the leader-election Role only touches Leases
// and events, and no role of the operator's uses wildcards.
func checkRBAC(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	generated := generatedRules(t)
	u := testenv.Find(objs, "ClusterRole", "cyclr-token-operator-manager-role")
	if u == nil {
		t.Fatal("no ClusterRole cyclr-token-operator-manager-role")
	}
	if got := testenv.Convert[rbacv1.ClusterRole](t, u); !reflect.DeepEqual(got.Rules, generated) {
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
		role := testenv.Convert[rbacv1.ClusterRole](t, u) // Role has the same rules field
		isHelper := strings.HasSuffix(u.GetName(), "-admin-role")
		for _, rule := range role.Rules {
			if !isHelper && (slices.Contains(rule.Verbs, "*") || slices.Contains(rule.Resources, "*") || slices.Contains(rule.APIGroups, "*")) {
				t.Errorf("%s has a wildcard rule: %+v", testenv.Describe(u), rule)
			}
		}
	}
	le := testenv.Find(objs, "Role", "cyclr-token-operator-leader-election-role")
	if le == nil {
		t.Fatal("no leader election Role")
	}
	for _, rule := range testenv.Convert[rbacv1.Role](t, le).Rules {
		for _, res := range rule.Resources {
			if res != "leases" && res != "events" {
				t.Errorf("the leader election Role grants %s: only leases (and events) are needed", res)
			}
		}
		// get and update only the operator's own Lease (cmd/main.go's LeaderElectionID); create
		// cannot name its object.
		if slices.Contains(rule.Resources, "leases") && !slices.Equal(rule.Verbs, []string{"create"}) &&
			!slices.Equal(rule.ResourceNames, []string{"cyclr-token-operator.cyclr-operator.io"}) {
			t.Errorf("the leader election Role grants %v on leases other than the operator's own: %+v", rule.Verbs, rule)
		}
	}
}

// TestInstallApplies sends every object of the installation, the samples and the demo's
// objects to a real API server.
func TestInstallApplies(t *testing.T) {
	install := testenv.Kustomize(t, filepath.Join(testenv.Root(), "config", "default"))
	samples := testenv.Kustomize(t, filepath.Join(testenv.Root(), "config", "samples"))
	demo := testenv.Kustomize(t, filepath.Join(testenv.Root(), "hack", "demo"))

	k8s := testenv.StartSuite(t).Client
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	if rest := testenv.DryRunInstall(ctx, t, k8s, fieldOwner, install); len(rest) == 0 {
		t.Fatal("nothing besides CRDs and Namespaces in the installation")
	}
	testenv.DryRunRestrictedPod(ctx, t, k8s, testenv.Find(install, "Deployment", deploymentName))

	// Samples and demo objects, into an existing namespace.
	for _, u := range append(samples, demo...) {
		u.SetNamespace("default")
		testenv.DryRunApply(ctx, t, k8s, fieldOwner, u)
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
	objs := testenv.Kustomize(t, filepath.Join(dir, "default"))

	monitor := testenv.Find(objs, "ServiceMonitor", "cyclr-token-operator-controller-manager-metrics-monitor")
	service := testenv.Find(objs, "Service", "cyclr-token-operator-controller-manager-metrics-service")
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
