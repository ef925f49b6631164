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
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// The cluster's addresses, all inside the run's network namespace.
const (
	nodeName    = "e2e-node"
	nodeIP      = "10.200.0.10" // on the bridge node0: the kubelet refuses a loopback node IP
	podCIDR     = "10.244.0.0/24"
	serviceCIDR = "10.96.0.0/16"
	apiService  = "10.96.0.1"
	// emulatorIP is the Cyclr emulator Service's fixed ClusterIP: there is no cluster DNS, and
	// the emulator's certificate names this address.
	emulatorIP = "10.96.100.100"
	apiServer  = "https://" + nodeIP + ":6443"
	// syncFrequency is the kubelet's: how late a pod may see a Secret's new content.
	syncFrequency = 10 * time.Second
)

// node is the running cluster: its files and its processes.
type node struct {
	cfg        config
	dir        string // the run's files, on a tmpfs
	ca         *authority
	kubeconfig string // admin (system:masters)
	procs      []*exec.Cmd
}

// startNode mounts the private dirs, sets up the network, writes certificates and configs and
// starts every component, returning once the API server answers.
func startNode(ctx context.Context, cfg config) (*node, error) {
	n := &node{cfg: cfg, dir: filepath.Join(cfg.workDir, "node")}
	if err := n.mountPrivateDirs(); err != nil {
		return nil, err
	}
	if err := setupNetwork(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.logsDir, 0o755); err != nil {
		return nil, err
	}
	steps := []struct {
		name string
		run  func(context.Context) error
	}{
		{"certificates", func(context.Context) error { return n.writePKI() }},
		{"etcd", n.startEtcd},
		{"kube-apiserver", n.startAPIServer},
		{"containerd", n.startContainerd},
		{"controllers, scheduler, kubelet, kube-proxy", n.startRest},
	}
	for _, s := range steps {
		if err := s.run(ctx); err != nil {
			return n, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return n, nil
}

func (n *node) mountPrivateDirs() error {
	for _, dir := range append(privateDirs, n.cfg.workDir) {
		if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "mode=755"); err != nil {
			return fmt.Errorf("tmpfs on %s: %w", dir, err)
		}
	}
	return os.MkdirAll(n.dir, 0o755)
}

// setupNetwork brings up loopback and the node's bridge, and lets the node route between pods
// and Services (a new network namespace starts with forwarding off).
func setupNetwork() error {
	for _, command := range []string{
		"link set lo up",
		"link add node0 type bridge",
		"addr add " + nodeIP + "/24 dev node0",
		"link set node0 up",
		// Components look for a default route to pick their address; this one leads nowhere
		// outside the namespace.
		"route add default dev node0",
	} {
		args := strings.Fields(command)
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %v: %w: %s", args, err, out)
		}
	}
	return os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644)
}

// start runs a component with its output in logsDir/name.log. The PID namespace ends it.
func (n *node) start(name, binary string, args ...string) error {
	log, err := os.Create(filepath.Join(n.cfg.logsDir, name+".log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", name, err)
	}
	n.procs = append(n.procs, cmd)
	go func() {
		err := cmd.Wait()
		logf("%s exited: %v (log: %s)", name, err, log.Name())
	}()
	return nil
}

func (n *node) k8s(binary string) string { return filepath.Join(n.cfg.k8sDir, binary) }

func (n *node) path(name string) string { return filepath.Join(n.dir, name) }

func (n *node) startEtcd(context.Context) error {
	return n.start("etcd", n.k8s("etcd"), "--data-dir", n.path("etcd"),
		"--listen-client-urls", "http://127.0.0.1:2379", "--advertise-client-urls", "http://127.0.0.1:2379",
		"--listen-peer-urls", "http://127.0.0.1:2380", "--unsafe-no-fsync", "--log-level", "warn")
}

func (n *node) startAPIServer(ctx context.Context) error {
	saKey, saPub := n.path("sa.key"), n.path("sa.pub")
	err := n.start("kube-apiserver", n.k8s("kube-apiserver"),
		"--etcd-servers", "http://127.0.0.1:2379",
		"--bind-address", "0.0.0.0", "--secure-port", "6443", "--advertise-address", nodeIP,
		"--service-cluster-ip-range", serviceCIDR,
		"--client-ca-file", n.ca.certFile,
		"--tls-cert-file", n.path("apiserver.crt"), "--tls-private-key-file", n.path("apiserver.key"),
		"--kubelet-client-certificate", n.path("apiserver-kubelet-client.crt"),
		"--kubelet-client-key", n.path("apiserver-kubelet-client.key"),
		// No cluster DNS to resolve the node's name: reach the kubelet (pod logs) by its IP.
		"--kubelet-preferred-address-types", "InternalIP",
		"--service-account-issuer", "https://kubernetes.default.svc",
		"--service-account-key-file", saPub, "--service-account-signing-key-file", saKey,
		"--authorization-mode", "Node,RBAC", "--enable-admission-plugins", "NodeRestriction",
		"--cert-dir", n.path("apiserver-certs"))
	if err != nil {
		return err
	}
	return n.waitHealthy(ctx, apiServer+"/readyz")
}

// waitHealthy polls url with the admin certificate until it answers 200.
func (n *node) waitHealthy(ctx context.Context, url string) error {
	cert, err := tls.LoadX509KeyPair(n.path("admin.crt"), n.path("admin.key"))
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AddCert(n.ca.cert)
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}}
	return poll(ctx, time.Minute, func() (bool, error) {
		resp, err := client.Get(url)
		if err != nil {
			return false, nil
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
}

func (n *node) startRest(ctx context.Context) error {
	if err := n.writeComponentConfigs(); err != nil {
		return err
	}
	starts := []func() error{
		func() error {
			return n.start("kube-controller-manager", n.k8s("kube-controller-manager"),
				"--kubeconfig", n.path("controller-manager.kubeconfig"), "--use-service-account-credentials",
				"--service-account-private-key-file", n.path("sa.key"), "--root-ca-file", n.ca.certFile,
				"--leader-elect=false", "--allocate-node-cidrs=false", "--bind-address", "127.0.0.1")
		},
		func() error {
			return n.start("kube-scheduler", n.k8s("kube-scheduler"),
				"--kubeconfig", n.path("scheduler.kubeconfig"), "--leader-elect=false", "--bind-address", "127.0.0.1")
		},
		func() error {
			return n.start("kubelet", n.k8s("kubelet"), "--config", n.path("kubelet.yaml"),
				"--kubeconfig", n.path("kubelet.kubeconfig"), "--node-ip", nodeIP, "--hostname-override", nodeName)
		},
		func() error {
			return n.start("kube-proxy", n.k8s("kube-proxy"), "--config", n.path("kube-proxy.yaml"))
		},
	}
	for _, start := range starts {
		if err := start(); err != nil {
			return err
		}
	}
	return nil
}

// poll calls check until it reports done, it fails, or timeout passes.
func poll(ctx context.Context, timeout time.Duration, check func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		done, err := check()
		if err != nil || done {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not done within %s: %w", timeout, ctx.Err())
		case <-tick.C:
		}
	}
}
