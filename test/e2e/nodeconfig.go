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
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// pauseImage is containerd's sandbox image: test/e2e/images/pause, imported, never pulled.
const pauseImage = "e2e.local/pause:1"

// clientIdentities are the certificates the components present to the API server.
var clientIdentities = map[string]leaf{
	"admin":              {commonName: "e2e-admin", organization: "system:masters"},
	"kubelet":            {commonName: "system:node:" + nodeName, organization: "system:nodes"},
	"controller-manager": {commonName: "system:kube-controller-manager"},
	"scheduler":          {commonName: "system:kube-scheduler"},
	"kube-proxy":         {commonName: "system:kube-proxy"},
	// The API server's client to the kubelet (pod logs): allowed everything by the kubelet's
	// webhook authorization through system:masters.
	"apiserver-kubelet-client": {commonName: "kube-apiserver-kubelet-client", organization: "system:masters"},
}

func (n *node) writePKI() error {
	ca, err := newAuthority(n.dir, "cluster-ca")
	if err != nil {
		return err
	}
	n.ca = ca
	if _, _, err := ca.issue(n.dir, "apiserver", leaf{commonName: "kube-apiserver", server: true,
		ips:      []net.IP{net.ParseIP(nodeIP), net.ParseIP(apiService), net.ParseIP("127.0.0.1")},
		dnsNames: []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
	}); err != nil {
		return err
	}
	for name, id := range clientIdentities {
		if _, _, err := ca.issue(n.dir, name, id); err != nil {
			return err
		}
		if name == "apiserver-kubelet-client" {
			continue
		}
		if err := n.writeKubeconfig(name); err != nil {
			return err
		}
	}
	n.kubeconfig = n.path("admin.kubeconfig")
	_, _, err = writeServiceAccountKey(n.dir)
	return err
}

func (n *node) writeKubeconfig(name string) error {
	return writeFile(n.path(name+".kubeconfig"), fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster: {server: %q, certificate-authority: %q}
users:
- name: %[3]s
  user: {client-certificate: %q, client-key: %q}
contexts:
- name: e2e
  context: {cluster: e2e, user: %[3]s}
current-context: e2e
`, apiServer, n.ca.certFile, name, n.path(name+".crt"), n.path(name+".key")))
}

// writeComponentConfigs writes the kubelet's and kube-proxy's configurations. Each setting
// that is not a default says why; docs/development.md, "The real cluster", has the pitfalls.
func (n *node) writeComponentConfigs() error {
	kubelet := fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# kubelet >= 1.35 refuses cgroup v1 unless told not to; these machines have only v1.
failCgroupV1: false
cgroupDriver: cgroupfs
# A cgroup root of the run's own, which it removes at the end (cgroups are not namespaced).
cgroupRoot: /%s
failSwapOn: false
makeIPTablesUtilChains: false
# Imported images cannot be pulled again: never collect them.
imageGCHighThresholdPercent: 100
evictionHard: {memory.available: 1Mi, nodefs.available: 1%%, imagefs.available: 1%%}
# How soon a pod sees a Secret's new content (default 1m); docs/benchmarks.md states it.
syncFrequency: %s
containerRuntimeEndpoint: unix:///run/containerd/containerd.sock
resolvConf: ""
readOnlyPort: 0
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: %q}
authorization: {mode: Webhook}
`, n.cfg.cgroupRoot, syncFrequency, n.ca.certFile)
	proxy := fmt.Sprintf(`apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: %q}
hostnameOverride: %s
mode: iptables
clusterCIDR: %s
# Masquerade Service traffic, so that a pod's reply from a pod on the same bridge comes back
# through the node, where the Service address is restored.
iptables: {masqueradeAll: true}
# Leave the conntrack sysctls alone: this machine does not let them be set.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
metricsBindAddress: 127.0.0.1:10249
`, n.path("kube-proxy.kubeconfig"), nodeName, podCIDR)
	if err := writeFile(n.path("kubelet.yaml"), kubelet); err != nil {
		return err
	}
	return writeFile(n.path("kube-proxy.yaml"), proxy)
}

// startContainerd starts containerd with the CRI settings this machine needs, then imports every
// image archive of the run.
func (n *node) startContainerd(ctx context.Context) error {
	cniConf := n.path("cni")
	if err := os.MkdirAll(cniConf, 0o755); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(cniConf, "10-e2e.conflist"), fmt.Sprintf(`{
  "cniVersion": "0.4.0", "name": "e2e",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": %q}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
`, podCIDR)); err != nil {
		return err
	}
	config := fmt.Sprintf(`version = 2
# /opt/containerd would be created on the host.
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %q
  # runc cannot write oom_score_adj here (no CAP_SYS_RESOURCE): without this every sandbox fails.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = %q
`, pauseImage, cniConf)
	if err := writeFile(n.path("containerd.toml"), config); err != nil {
		return err
	}
	if err := n.start("containerd", "containerd", "--config", n.path("containerd.toml")); err != nil {
		return err
	}
	if err := poll(ctx, 30*time.Second, func() (bool, error) {
		return exec.CommandContext(ctx, "ctr", "version").Run() == nil, nil
	}); err != nil {
		return fmt.Errorf("containerd does not answer: %w", err)
	}
	return n.importImages(ctx)
}

// importImages imports every archive of imagesDir into containerd's k8s.io namespace, where the
// kubelet finds them: nothing is ever pulled.
func (n *node) importImages(ctx context.Context) error {
	archives, err := filepath.Glob(filepath.Join(n.cfg.imagesDir, "*.tar"))
	if err != nil || len(archives) == 0 {
		return fmt.Errorf("no image archives in %s: %w", n.cfg.imagesDir, err)
	}
	for _, a := range archives {
		out, err := exec.CommandContext(ctx, "ctr", "-n", "k8s.io", "images", "import", a).CombinedOutput()
		if err != nil {
			return fmt.Errorf("importing %s: %w: %s", a, err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}

func writeFile(path, content string) error {
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
