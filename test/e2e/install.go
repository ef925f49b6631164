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
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	operatorNamespace = "cyclr-token-operator-system"
	releaseName       = "cyclr-token-operator"
	// operatorDeployment is the manager's Deployment, the same name from the chart (release
	// cyclr-token-operator) and from install.yaml.
	operatorDeployment = "cyclr-token-operator-controller-manager"
	leaseName          = "cyclr-token-operator.cyclr-operator.io"
	emulatorNamespace  = "cyclr-emulator"
	emulatorImage      = "e2e.local/cyclr-emulator:1"
	emulatorURL        = "https://" + emulatorIP
	// emulatorLifetime is the lifetime of the tokens the emulator issues at first: short, so
	// that the rotation scenarios see several refreshes in a few minutes.
	emulatorLifetime = 60 * time.Second
)

// restrictedNamespace is a namespace that enforces the restricted Pod Security Standard.
func restrictedNamespace(name string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata:
  name: %s
  labels: {pod-security.kubernetes.io/enforce: restricted}
`, name)
}

// restrictedContainer is the security context every test pod runs with.
const restrictedContainer = `securityContext:
          runAsNonRoot: true
          runAsUser: 65532
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL]}
          seccompProfile: {type: RuntimeDefault}`

// deployEmulator runs the Cyclr emulator from its image behind a Service at emulatorIP, over
// TLS with a certificate of the test CA (which the operator and the consumers trust).
func (c *cluster) deployEmulator(ctx context.Context) error {
	testCA, err := newAuthority(c.dir, "test-ca")
	if err != nil {
		return err
	}
	certFile, keyFile, err := testCA.issue(c.dir, "emulator", leaf{commonName: "cyclr-emulator", server: true,
		ips: []net.IP{net.ParseIP(emulatorIP)}})
	if err != nil {
		return err
	}
	manifest := restrictedNamespace(emulatorNamespace) + fmt.Sprintf(`---
apiVersion: v1
kind: Service
metadata: {name: cyclr-emulator, namespace: %[1]s}
spec:
  clusterIP: %[2]s
  selector: {app: cyclr-emulator}
  ports: [{port: 443, targetPort: 8443}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: cyclr-emulator, namespace: %[1]s}
spec:
  selector: {matchLabels: {app: cyclr-emulator}}
  template:
    metadata: {labels: {app: cyclr-emulator}}
    spec:
      containers:
      - name: emulator
        image: %[3]s
        imagePullPolicy: Never
        args: [--listen=:8443, --allow-non-loopback, --tls-cert-file=/tls/tls.crt, --tls-key-file=/tls/tls.key,
               --lifetime=%[4]s, --partner=e2e-client:e2e-user:e2e-pass]
        volumeMounts: [{name: tls, mountPath: /tls, readOnly: true}]
        readinessProbe: {tcpSocket: {port: 8443}, periodSeconds: 1}
        %[5]s
      volumes: [{name: tls, secret: {secretName: cyclr-emulator-tls}}]
`, emulatorNamespace, emulatorIP, emulatorImage, emulatorLifetime, restrictedContainer)
	if _, err := c.kubectl(ctx, restrictedNamespace(emulatorNamespace), "apply", "-f", "-"); err != nil {
		return err
	}
	if _, err := c.kubectl(ctx, "", "-n", emulatorNamespace, "create", "secret", "tls", "cyclr-emulator-tls",
		"--cert", certFile, "--key", keyFile); err != nil {
		return err
	}
	if _, err := c.kubectl(ctx, manifest, "apply", "-f", "-"); err != nil {
		return err
	}
	c.testCAFile = testCA.certFile
	if err := c.waitDeploymentReady(ctx, emulatorNamespace, "cyclr-emulator", 1); err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	return nil
}

// emulator calls the emulator's controls (hack/cyclr-emulator/admin.go) through its Service.
func (c *cluster) emulator(ctx context.Context, method, path string, out any) error {
	pem, err := os.ReadFile(c.testCAFile)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	hc := &http.Client{Timeout: 5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	req, err := http.NewRequestWithContext(ctx, method, emulatorURL+path, bytes.NewReader(nil))
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("emulator %s %s: %w", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("emulator %s %s: HTTP %d", method, path, resp.StatusCode)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// tokenRequests is how many token requests the emulator has received since its last reset.
func (c *cluster) tokenRequests(ctx context.Context) (int, error) {
	var stats struct {
		Requests int `json:"requests"`
	}
	err := c.emulator(ctx, http.MethodGet, "/emulator/stats", &stats)
	return stats.Requests, err
}

// helmInstall installs (or upgrades to) chart with the values every scenario needs: the
// emulator as the only allowed API host, the test CA as extraCA, and extra.
func (c *cluster) helmInstall(ctx context.Context, chart string, extra ...string) error {
	args := append([]string{"upgrade", "--install", releaseName, chart, "-n", operatorNamespace,
		"--set-json", fmt.Sprintf(`allowedApiHosts=[%q]`, emulatorIP),
		"--set-file", "extraCA=" + c.testCAFile}, extra...)
	if _, err := c.helm(ctx, args...); err != nil {
		return err
	}
	return nil
}

// installYAML applies dist/install.yaml with the emulator allowed and the test CA trusted: the
// two settings a user of install.yaml would patch in (here with kubectl, after the apply).
func (c *cluster) applyInstallYAML(ctx context.Context) error {
	if _, err := c.kubectl(ctx, "", "apply", "-f", c.cfg.installYAML); err != nil {
		return err
	}
	if _, err := c.kubectl(ctx, "", "-n", operatorNamespace, "create", "configmap", "cyclr-extra-ca",
		"--from-file=ca.crt="+c.testCAFile); err != nil {
		return err
	}
	patch := fmt.Sprintf(`[
 {"op": "add", "path": "/spec/template/spec/containers/0/args/-", "value": "--allowed-api-hosts=%s"},
 {"op": "add", "path": "/spec/template/spec/containers/0/args/-", "value": "--extra-ca-file=/etc/cyclr-extra-ca/ca.crt"},
 {"op": "add", "path": "/spec/template/spec/volumes",
  "value": [{"name": "extra-ca", "configMap": {"name": "cyclr-extra-ca"}}]},
 {"op": "add", "path": "/spec/template/spec/containers/0/volumeMounts",
  "value": [{"name": "extra-ca", "mountPath": "/etc/cyclr-extra-ca", "readOnly": true}]}
]`, emulatorIP)
	_, err := c.kubectl(ctx, "", "-n", operatorNamespace, "patch", "deployment", operatorDeployment, "--type=json", "-p", patch)
	return err
}

// waitDeploymentReady waits until the Deployment has rolled out replicas ready pods.
func (c *cluster) waitDeploymentReady(ctx context.Context, namespace, name string, replicas int32) error {
	return poll(ctx, 3*time.Minute, func() (bool, error) {
		d, err := c.kube.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		return rolledOut(d, replicas), nil
	})
}

func rolledOut(d *appsv1.Deployment, replicas int32) bool {
	s := d.Status
	return s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == replicas &&
		s.ReadyReplicas == replicas && s.Replicas == replicas
}

// leader returns the holder of the manager's leader election Lease ("" when none).
func (c *cluster) leader(ctx context.Context) (string, error) {
	lease, err := c.kube.CoordinationV1().Leases(operatorNamespace).Get(ctx, leaseName, metav1.GetOptions{})
	if err != nil || lease.Spec.HolderIdentity == nil {
		return "", err
	}
	return *lease.Spec.HolderIdentity, nil
}
