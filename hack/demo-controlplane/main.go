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

// Command demo-controlplane runs a throwaway Kubernetes control plane (etcd and
// kube-apiserver, the binaries hack/build-control-plane.sh builds) for the local demo
// (hack/demo.sh), writes a kubeconfig for it, and keeps it running until SIGINT or SIGTERM,
// or until the process that started it goes away. Then it stops both processes and removes
// their data: nothing outlives it.
//
//	demo-controlplane --assets bin/k8s/1.37.2-linux-amd64 --write-kubeconfig bin/demo/kubeconfig
//
// There is no kubelet, scheduler or controller-manager: objects are stored and validated,
// Deployments never get pods. That is all the operator needs.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

const contextName = "cyclr-demo"

func main() {
	// A flag set of its own: controller-runtime registers --kubeconfig on the global one.
	flags := flag.NewFlagSet("demo-controlplane", flag.ExitOnError)
	assets := flags.String("assets", os.Getenv("KUBEBUILDER_ASSETS"),
		"directory holding the etcd and kube-apiserver binaries (default $KUBEBUILDER_ASSETS)")
	kubeconfig := flags.String("write-kubeconfig", filepath.Join("bin", "demo", "kubeconfig"),
		"where to write the kubeconfig of the control plane's admin user")
	_ = flags.Parse(os.Args[1:])
	if err := run(*assets, *kubeconfig); err != nil {
		fmt.Fprintln(os.Stderr, "demo-controlplane:", err)
		os.Exit(1)
	}
}

func run(assets, kubeconfig string) error {
	if assets == "" {
		return errors.New("no control plane binaries: pass --assets $(hack/build-control-plane.sh)")
	}
	// Listen for signals before anything starts, so an early Ctrl-C still stops what started.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	parent := os.Getppid()

	env := &envtest.Environment{
		BinaryAssetsDirectory:    assets,
		ControlPlaneStartTimeout: 2 * time.Minute, // two shared cores: a cold start can be slow
		ControlPlaneStopTimeout:  30 * time.Second,
	}
	fmt.Fprintln(os.Stderr, "demo-controlplane: starting etcd and kube-apiserver from", assets)
	if _, err := env.Start(); err != nil {
		_ = env.Stop()
		return fmt.Errorf("starting the control plane: %w", err)
	}
	err := writeKubeconfig(env, kubeconfig)
	if err == nil {
		fmt.Fprintln(os.Stderr, "demo-controlplane: API server at", env.Config.Host, "- kubeconfig", kubeconfig)
		err = wait(signals, parent)
	}
	// The kubeconfig names a server that is about to disappear.
	_ = os.Remove(kubeconfig)
	fmt.Fprintln(os.Stderr, "demo-controlplane: stopping")
	if stopErr := env.Stop(); stopErr != nil {
		return errors.Join(err, fmt.Errorf("stopping the control plane: %w", stopErr))
	}
	fmt.Fprintln(os.Stderr, "demo-controlplane: stopped")
	return err
}

// wait blocks until a signal arrives or the parent process is gone (the demo script was
// killed without running its trap): etcd and kube-apiserver run in process groups of their
// own, so nothing else would stop them.
func wait(signals <-chan os.Signal, parent int) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case sig := <-signals:
			fmt.Fprintln(os.Stderr, "demo-controlplane: got", sig)
			return nil
		case <-tick.C:
			if os.Getppid() != parent {
				return errors.New("the process that started the control plane is gone")
			}
		}
	}
}

// writeKubeconfig writes a kubeconfig for a system:masters user, atomically, so whoever polls
// for the file never reads half of it.
func writeKubeconfig(env *envtest.Environment, path string) error {
	user, err := env.AddUser(envtest.User{Name: "demo", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("adding the demo user: %w", err)
	}
	raw, err := user.KubeConfig()
	if err != nil {
		return fmt.Errorf("building the kubeconfig: %w", err)
	}
	cfg, err := clientcmd.Load(raw)
	if err != nil {
		return fmt.Errorf("reading back the kubeconfig: %w", err)
	}
	// Give the cluster, user and context one recognisable name and a default namespace.
	for name, cluster := range cfg.Clusters {
		delete(cfg.Clusters, name)
		cfg.Clusters[contextName] = cluster
	}
	for name, auth := range cfg.AuthInfos {
		delete(cfg.AuthInfos, name)
		cfg.AuthInfos["demo"] = auth
	}
	for name, ctx := range cfg.Contexts {
		delete(cfg.Contexts, name)
		ctx.Cluster, ctx.AuthInfo, ctx.Namespace = contextName, "demo", "default"
		cfg.Contexts[contextName] = ctx
	}
	cfg.CurrentContext = contextName
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := clientcmd.WriteToFile(*cfg, tmp); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
