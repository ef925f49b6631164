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

// Package testenv is what every envtest suite of the project shares: the test control plane
// (a real kube-apiserver and etcd, built from source by hack/build-control-plane.sh) with the
// project's CRDs installed, in-process managers, polling with a deadline, and the leak check.
package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
)

// Root is the repository's root directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Suite is a running control plane: its config, the scheme of the project's types, and a
// client that talks to the API server directly, never through a cache.
type Suite struct {
	Config *rest.Config
	Scheme *k8sruntime.Scheme
	Client client.Client
}

// Main is a TestMain: it starts the control plane, hands it to ready (which may prepare
// what all tests share; an error stops there), runs the tests, stops the control plane and
// exits with the tests' code.
func Main(m *testing.M, ready func(*Suite) error) {
	os.Exit(run(m, ready))
}

func run(m *testing.M, ready func(*Suite) error) int {
	cfg, stop, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the test control plane:", err)
		}
	}()
	s, err := newSuite(cfg)
	if err == nil {
		err = ready(s)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// Start starts a control plane; call the returned stop function when done. It fails when
// KUBEBUILDER_ASSETS is unset rather than skipping: `make test` always sets it.
func Start() (*rest.Config, func() error, error) { return startWith(nil) }

// startWith starts a control plane whose kube-apiserver also enables the admission plugins
// named, as a distribution's does (OpenShift's OwnerReferencesPermissionEnforcement).
func startWith(plugins []string) (*rest.Config, func() error, error) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return nil, nil, errors.New("KUBEBUILDER_ASSETS is not set: run the tests with 'make test', " +
			"or export KUBEBUILDER_ASSETS=$(hack/build-control-plane.sh)")
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(Root(), "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	if len(plugins) > 0 {
		env.ControlPlane.GetAPIServer().Configure().Append("enable-admission-plugins", strings.Join(plugins, ","))
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, nil, fmt.Errorf("starting the test control plane: %w", err)
	}
	// Many managers and clients share one API server in tests: lift the client-side limit.
	cfg.QPS, cfg.Burst = 500, 1000
	return cfg, env.Stop, nil
}

// StartSuite starts a control plane of t's own, stopped when t ends: for a test that changes
// cluster-wide objects the package's other tests must not see, or needs admission plugins.
func StartSuite(t testing.TB, plugins ...string) *Suite {
	t.Helper()
	cfg, stop, err := startWith(plugins)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stopping the control plane: %v", err)
		}
	})
	s, err := newSuite(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newSuite(cfg *rest.Config) (*Suite, error) {
	s := &Suite{Config: cfg, Scheme: k8sruntime.NewScheme()}
	err := errors.Join(clientgoscheme.AddToScheme(s.Scheme), authv1alpha1.AddToScheme(s.Scheme))
	if err != nil {
		return nil, fmt.Errorf("building the scheme: %w", err)
	}
	if s.Client, err = client.New(cfg, client.Options{Scheme: s.Scheme}); err != nil {
		return nil, fmt.Errorf("building the client: %w", err)
	}
	return s, nil
}
