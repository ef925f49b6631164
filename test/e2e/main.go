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

// Command e2e is `make e2e` (hack/e2e.sh builds what it needs and runs it as root): a real
// single-node Kubernetes (etcd, kube-apiserver, controller-manager, scheduler, kubelet,
// kube-proxy, containerd and runc) inside network, mount and PID namespaces of its own; the
// operator installed from its image with the Helm chart and with dist/install.yaml; the Cyclr
// emulator and token consumers as pods; then the scenarios of scenarios.go, which assert
// counts and print the figures of docs/benchmarks.md.
//
// The program runs twice: as itself (outside), it prepares the cgroup root and mount points,
// starts itself again under unshare (inside), and after that ends, for whatever reason,
// removes what the kernel does not and checks that the host is as it found it (sandbox.go).
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

// config is the command line, the same outside and inside.
type config struct {
	k8sDir      string // kube-* binaries, etcd and kubectl (hack/build-control-plane.sh node)
	helm        string
	plugin      string // kubectl-cyclr, from its release archive (scenario plugin)
	imagesDir   string // every *.tar in it is imported into containerd
	chart       string // packaged chart of version
	chartNext   string // packaged chart of nextVersion, for the upgrade
	installYAML string // dist/install.yaml naming the image of version
	version     string // operator image tag installed first
	nextVersion string // operator image tag of the upgrade
	figures     string // where to write the measured figures (Markdown)
	logsDir     string // the components' logs, kept after the run
	only        string // comma-separated scenario names to run; empty: all

	// Set by the outside run for the inside one.
	inside     bool
	workDir    string
	cgroupRoot string
}

func main() {
	var cfg config
	flag.StringVar(&cfg.k8sDir, "k8s", "", "directory of etcd, kube-apiserver, kubelet, ... (required)")
	flag.StringVar(&cfg.helm, "helm", "", "helm binary (required)")
	flag.StringVar(&cfg.plugin, "kubectl-cyclr", "", "kubectl-cyclr binary, from its release archive (required)")
	flag.StringVar(&cfg.imagesDir, "images", "", "directory of OCI image archives to import (required)")
	flag.StringVar(&cfg.chart, "chart", "", "packaged chart to install (required)")
	flag.StringVar(&cfg.chartNext, "chart-next", "", "packaged chart to upgrade to (required)")
	flag.StringVar(&cfg.installYAML, "install-yaml", "", "dist/install.yaml (required)")
	flag.StringVar(&cfg.version, "version", "", "operator image tag of -chart and -install-yaml (required)")
	flag.StringVar(&cfg.nextVersion, "next-version", "", "operator image tag of -chart-next (required)")
	flag.StringVar(&cfg.figures, "figures", "", "file to write the measured figures to (Markdown)")
	flag.StringVar(&cfg.logsDir, "logs", "", "directory for the components' logs, kept after the run (required)")
	flag.StringVar(&cfg.only, "only", "", "comma-separated scenarios to run (default all): "+strings.Join(scenarioNames(), ","))
	flag.BoolVar(&cfg.inside, "inside", false, "internal: run inside the namespaces")
	flag.StringVar(&cfg.workDir, "work-dir", "", "internal: the run's directory")
	flag.StringVar(&cfg.cgroupRoot, "cgroup-root", "", "internal: the kubelet's cgroup root")
	flag.Parse()

	run := outside
	if cfg.inside {
		run = inside
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: FAIL:", err)
		os.Exit(1)
	}
}

func (c config) check() error {
	for name, v := range map[string]string{"-k8s": c.k8sDir, "-helm": c.helm, "-kubectl-cyclr": c.plugin, "-images": c.imagesDir,
		"-chart": c.chart, "-chart-next": c.chartNext, "-install-yaml": c.installYAML, "-version": c.version,
		"-next-version": c.nextVersion, "-logs": c.logsDir} {
		if v == "" {
			return fmt.Errorf("%s is required", name)
		}
	}
	return nil
}

func logf(format string, args ...any) {
	fmt.Printf("e2e: "+format+"\n", args...)
}
