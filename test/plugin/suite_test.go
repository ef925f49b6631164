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

// Package plugin tests kubectl cyclr (internal/plugin) against a real API server, as a user
// whose RBAC allows only what `kubectl get` of the listed kinds and a patch of a
// CyclrCredential need: no Secret at all. No operator runs; the tests write the status the
// operator would, and play the operator where refresh --wait needs one.
package plugin

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-logr/logr"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/cyclr-operator/cyclr-token-operator/internal/plugin"
	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

var (
	k8s        client.Client // the tests' own admin client, never through a cache
	kubeconfig string        // the same API server, for the plugin's --kubeconfig
)

// pluginUser is who the plugin runs as (--as): bound to pluginUserRole only.
const pluginUser = "plugin-user"

// pluginUserRole is what docs/kubectl-plugin.md says the plugin needs, and nothing more.
var pluginUserRole = []rbacv1.PolicyRule{
	{APIGroups: []string{"auth.cyclr-operator.io"}, Resources: []string{"cyclrcredentials"}, Verbs: []string{"get", "list", "patch"}},
	{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list"}},
	{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets", "daemonsets", "replicasets"}, Verbs: []string{"list"}},
	{APIGroups: []string{"batch"}, Resources: []string{"jobs", "cronjobs"}, Verbs: []string{"list"}},
}

func TestMain(m *testing.M) {
	ctrl.SetLogger(logr.Discard())
	dir, err := os.MkdirTemp("", "kubectl-cyclr-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir) //nolint:errcheck // a temporary directory; testenv.Main exits below
	testenv.Main(m, func(s *testenv.Suite) error {
		k8s = s.Client
		kubeconfig = filepath.Join(dir, "kubeconfig")
		if err := writeKubeconfig(s, kubeconfig); err != nil {
			return err
		}
		return grantPluginUser(context.Background())
	})
}

// writeKubeconfig writes the suite's admin connection as a kubeconfig file, the way a user
// has one.
func writeKubeconfig(s *testenv.Suite, path string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["envtest"] = &clientcmdapi.Cluster{Server: s.Config.Host, CertificateAuthorityData: s.Config.CAData}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{
		ClientCertificateData: s.Config.CertData, ClientKeyData: s.Config.KeyData, Token: s.Config.BearerToken,
	}
	cfg.Contexts["envtest"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "admin", Namespace: "default"}
	cfg.CurrentContext = "envtest"
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("writing the kubeconfig: %w", err)
	}
	return nil
}

func grantPluginUser(ctx context.Context) error {
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "kubectl-cyclr"}, Rules: pluginUserRole}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "kubectl-cyclr"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: pluginUser}},
	}
	for _, obj := range []client.Object{role, binding} {
		if err := k8s.Create(ctx, obj); err != nil {
			return fmt.Errorf("creating the plugin user's RBAC: %w", err)
		}
	}
	return nil
}

// result is what one run of kubectl cyclr printed and returned.
type result struct {
	stdout, stderr string
	err            error
}

// kubectlCyclr runs the plugin in-process with args, as the plugin user, and with the
// kubeconfig of the test API server.
func kubectlCyclr(t *testing.T, args ...string) result {
	t.Helper()
	streams, _, stdout, stderr := genericiooptions.NewTestIOStreams()
	cmd := plugin.NewCommand(streams)
	cmd.SetArgs(append(args, "--kubeconfig", kubeconfig, "--as", pluginUser))
	err := cmd.ExecuteContext(t.Context())
	return result{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// mustRun is kubectlCyclr for a run that must succeed.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	r := kubectlCyclr(t, args...)
	if r.err != nil {
		t.Fatalf("kubectl cyclr %v: %v\nstdout:\n%s\nstderr:\n%s", args, r.err, r.stdout, r.stderr)
	}
	return r.stdout
}
