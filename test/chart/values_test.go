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
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

// The options README.md's values table gives, each enabled, for lint and the API server.
var allOptions = []string{
	"--set", "metrics.serviceMonitor.enabled=true,prometheusRule.enabled=true,grafanaDashboard.enabled=true",
	"--set", "networkPolicy.enabled=true,replicaCount=2,logLevel=debug,minRefreshInterval=1m",
	"--set", "allowedApiHosts={api.cyclr.com,*.cyclr.example.com}",
	"--set", "extraArgs={--cyclr-qps=2}",
	"--set", "extraEnv[0].name=GOGC", "--set-string", "extraEnv[0].value=50",
	"--set", "nodeSelector.kubernetes\\.io/os=linux",
	"--set", "tolerations[0].key=dedicated,tolerations[0].operator=Exists",
}

// TestLint: `helm lint --strict` (warnings fail too) with the default values, namespaced,
// and with every option on.
func TestLint(t *testing.T) {
	for name, values := range map[string][]string{
		"default":    nil,
		"namespaced": namespacedValues,
		"options":    append(slices.Clone(allOptions), "--set-file", "extraCA="+caBundle(t)),
	} {
		t.Run(name, func(t *testing.T) {
			out, err := helm(t, append([]string{"lint", "--strict", chartDir()}, values...)...).CombinedOutput()
			if err != nil {
				t.Errorf("helm lint --strict: %v\n%s", err, out)
			}
		})
	}
}

// TestSchemaRefusesTypos: values.schema.json refuses unknown keys at every level the chart
// defines and values of the wrong kind, naming the culprit, so that a misspelt value fails
// the install instead of being silently ignored.
func TestSchemaRefusesTypos(t *testing.T) {
	for set, want := range map[string]string{
		"imagee.tag=x":                               "additional properties 'imagee' not allowed",
		"image.tagg=x":                               "at '/image': additional properties 'tagg' not allowed",
		"crds.keeep=false":                           "at '/crds': additional properties 'keeep' not allowed",
		"metrics.serviceMonitor.enable=true":         "at '/metrics/serviceMonitor': additional properties 'enable' not allowed",
		"resources.limit.cpu=1":                      "at '/resources': additional properties 'limit' not allowed",
		"replicaCount=two":                           "at '/replicaCount'",
		"logLevel=verbose":                           "at '/logLevel'",
		"extraEnv[0].name=GOMEMLIMIT":                "at '/extraEnv/0/name'",
		"extraEnv[0].name=GOGC,extraEnv[0].value=50": "at '/extraEnv/0/value'",
		"minRefreshInterval=soon":                    "at '/minRefreshInterval'",
		"namespaces={Team_A}":                        "at '/namespaces/0'",
		"extraCA=not-a-pem":                          "at '/extraCA'",
		"image.digest=latest":                        "at '/image/digest'",
		"networkPolicy.enabled=yes-please":           "at '/networkPolicy/enabled'",
		"prometheusRule.labels.release=false":        "at '/prometheusRule/labels/release'",
	} {
		t.Run(set, func(t *testing.T) {
			stderr := renderFails(t, "--set", set)
			if !strings.Contains(stderr, "values don't meet the specifications of the schema") || !strings.Contains(stderr, want) {
				t.Errorf("helm template --set %s: want a schema error containing %q, got:\n%s", set, want, stderr)
			}
		})
	}
}

// TestCRDValues: the CRD comes with the release unless crds.enabled=false, and carries
// helm.sh/resource-policy: keep unless crds.keep=false.
func TestCRDValues(t *testing.T) {
	const crdName = "cyclrcredentials.auth.cyclr-operator.io"
	for name, c := range map[string]struct {
		values    []string
		installed bool
		kept      bool
	}{
		"default":       {nil, true, true},
		"not kept":      {[]string{"--set", "crds.keep=false"}, true, false},
		"not installed": {[]string{"--set", "crds.enabled=false"}, false, false},
	} {
		t.Run(name, func(t *testing.T) {
			objs := render(t, c.values...)
			crd := testenv.Find(objs, "CustomResourceDefinition", crdName)
			if (crd != nil) != c.installed {
				t.Fatalf("CRD %s rendered: %v, want %v", crdName, crd != nil, c.installed)
			}
			if crd != nil {
				if policy, ok := crd.GetAnnotations()["helm.sh/resource-policy"]; (ok && policy == "keep") != c.kept {
					t.Errorf("annotations %v: want helm.sh/resource-policy: keep %v", crd.GetAnnotations(), c.kept)
				}
			}
			if testenv.Find(objs, "Deployment", release+"-controller-manager") == nil {
				t.Error("no manager Deployment")
			}
		})
	}
}

// TestImage: the tag defaults to the chart's appVersion; a digest wins over the tag.
func TestImage(t *testing.T) {
	var chart struct {
		AppVersion string `json:"appVersion"`
	}
	readYAML(t, &chart, "charts", "cyclr-token-operator", "Chart.yaml")
	const repository = "ghcr.io/cyclr-operator/cyclr-token-operator"
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for want, values := range map[string][]string{
		repository + ":" + chart.AppVersion: nil,
		repository + ":1.2.3":               {"--set", "image.tag=1.2.3"},
		"example.com/mirror/op@" + digest:   {"--set", "image.repository=example.com/mirror/op,image.tag=1.2.3,image.digest=" + digest},
	} {
		if got := manager(t, render(t, values...)).Image; got != want {
			t.Errorf("%q: image %s, want %s", values, got, want)
		}
	}
}

// TestValuesReachTheManager: each value becomes the flag, field or object it documents.
func TestValuesReachTheManager(t *testing.T) {
	bundle := caBundle(t)
	objs := render(t, append(slices.Clone(allOptions), "--set-file", "extraCA="+bundle,
		"--set", "metrics.serviceMonitor.labels.release=kube-prometheus-stack,prometheusRule.labels.release=kube-prometheus-stack")...)
	deployment := testenv.Find(objs, "Deployment", release+"-controller-manager")
	if deployment == nil {
		t.Fatal("no manager Deployment")
	}
	if replicas := testenv.Convert[appsv1.Deployment](t, deployment).Spec.Replicas; replicas == nil || *replicas != 2 {
		t.Errorf("replicas %v, want 2", replicas)
	}
	pod := testenv.PodTemplate(t, deployment)
	c := manager(t, objs)
	for _, arg := range []string{"--leader-elect", "--zap-log-level=debug", "--min-refresh-interval=1m",
		"--allowed-api-hosts=api.cyclr.com,*.cyclr.example.com", "--cyclr-qps=2"} {
		if !slices.Contains(c.Args, arg) {
			t.Errorf("manager args %q lack %s", c.Args, arg)
		}
	}
	if i := slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "GOGC" }); i < 0 || c.Env[i].Value != "50" ||
		!slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "GOMEMLIMIT" && e.ValueFrom != nil }) {
		t.Errorf("manager env %+v: want GOGC=50 besides GOMEMLIMIT from the memory limit", c.Env)
	}
	if pod.Spec.NodeSelector["kubernetes.io/os"] != "linux" || len(pod.Spec.Tolerations) != 1 || pod.Spec.Tolerations[0].Key != "dedicated" {
		t.Errorf("nodeSelector %v and tolerations %+v: want kubernetes.io/os=linux and dedicated", pod.Spec.NodeSelector, pod.Spec.Tolerations)
	}
	checkExtraCA(t, objs, pod, c, bundle)

	dashboard := testenv.Find(objs, "ConfigMap", release+"-grafana-dashboard")
	if dashboard == nil {
		t.Fatal("no Grafana dashboard ConfigMap")
	}
	if dashboard.GetLabels()["grafana_dashboard"] != "1" {
		t.Errorf("the dashboard ConfigMap's labels %v lack grafana_dashboard: \"1\" (the sidecar's default)", dashboard.GetLabels())
	}
	want, err := os.ReadFile(filepath.Join(testenv.Root(), "config", "grafana", "cyclr-token-operator.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _, _ := unstructured.NestedString(dashboard.Object, "data", "cyclr-token-operator.json"); got != string(want) {
		t.Error("the dashboard ConfigMap does not hold config/grafana/cyclr-token-operator.json as it is")
	}
	for _, kind := range []string{"ServiceMonitor", "PrometheusRule"} {
		i := slices.IndexFunc(objs, func(u *unstructured.Unstructured) bool { return u.GetKind() == kind })
		if i < 0 || objs[i].GetLabels()["release"] != "kube-prometheus-stack" {
			t.Errorf("no %s labelled release: kube-prometheus-stack", kind)
		}
	}
}

// checkExtraCA: the bundle is in a ConfigMap, mounted read-only, and --extra-ca-file names
// its file in the mount; the pod template changes with the bundle, as the manager reads it
// only at start.
func checkExtraCA(t *testing.T, objs []*unstructured.Unstructured, pod corev1.PodTemplateSpec, c corev1.Container, bundle string) {
	t.Helper()
	pem, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	cm := testenv.Find(objs, "ConfigMap", release+"-extra-ca")
	if cm == nil {
		t.Fatal("no extra CA ConfigMap")
	}
	if got, _, _ := unstructured.NestedString(cm.Object, "data", "ca.crt"); got != string(pem) {
		t.Errorf("the ConfigMap's ca.crt is %q, want the bundle %q", got, pem)
	}
	i := slices.IndexFunc(pod.Spec.Volumes, func(v corev1.Volume) bool {
		return v.ConfigMap != nil && v.ConfigMap.Name == cm.GetName()
	})
	if i < 0 {
		t.Fatalf("no volume of ConfigMap %s in %+v", cm.GetName(), pod.Spec.Volumes)
	}
	m := slices.IndexFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == pod.Spec.Volumes[i].Name })
	if m < 0 || !c.VolumeMounts[m].ReadOnly {
		t.Fatalf("volume %s is not mounted read-only: %+v", pod.Spec.Volumes[i].Name, c.VolumeMounts)
	}
	if want := "--extra-ca-file=" + path.Join(c.VolumeMounts[m].MountPath, "ca.crt"); !slices.Contains(c.Args, want) {
		t.Errorf("manager args %q lack %s", c.Args, want)
	}
	if pod.Annotations["checksum/extra-ca"] == "" {
		t.Errorf("the pod template has no checksum/extra-ca annotation: a new bundle would not restart the manager")
	}
}

// manager is the manager container of the Deployment in objs.
func manager(t *testing.T, objs []*unstructured.Unstructured) corev1.Container {
	t.Helper()
	deployment := testenv.Find(objs, "Deployment", release+"-controller-manager")
	if deployment == nil {
		t.Fatal("no manager Deployment")
	}
	containers := testenv.PodTemplate(t, deployment).Spec.Containers
	i := slices.IndexFunc(containers, func(c corev1.Container) bool { return c.Name == "manager" })
	if i < 0 {
		t.Fatalf("no manager container in %s", testenv.Describe(deployment))
	}
	return containers[i]
}

// caBundle writes a PEM bundle for extraCA (`--set-file extraCA=ca.pem`, as README.md
// shows). The chart only carries it; the manager parses it (internal/cyclr's tests).
func caBundle(t *testing.T) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "ca.pem")
	pem := "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"
	if err := os.WriteFile(file, []byte(pem), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}
