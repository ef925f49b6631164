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

package install

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/controller"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr/cyclrtest"
	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

// The example namespaces of config/namespaced, and one it does not watch.
var watchedNamespaces = []string{"team-a", "team-b"}

const unwatchedNamespace = "other"

// TestNamespacedManifests checks config/namespaced without a cluster: the manager watches
// team-a and team-b, may touch Secrets there and nowhere else, with exactly the rules
// controller-gen generates, and is otherwise config/default's manager.
func TestNamespacedManifests(t *testing.T) {
	objs := testenv.Kustomize(t, filepath.Join(testenv.Root(), "config", "namespaced"))

	u := testenv.Find(objs, "Deployment", deploymentName)
	if u == nil {
		t.Fatalf("no Deployment %s", deploymentName)
	}
	checkDeployment(t, u) // config/default's checks, --leader-elect included
	args := testenv.PodTemplate(t, u).Spec.Containers[0].Args
	if want := "--namespaces=" + strings.Join(watchedNamespaces, ","); !slices.Contains(args, want) {
		t.Errorf("manager args %q lack %s", args, want)
	}

	clusterRoles := map[string][]rbacv1.PolicyRule{}
	for _, u := range objs {
		if u.GetKind() == "ClusterRole" {
			clusterRoles[u.GetName()] = testenv.Convert[rbacv1.ClusterRole](t, u).Rules
		}
	}
	var secretNamespaces []string
	for _, u := range objs {
		switch u.GetKind() {
		case "ClusterRole":
			if grantsSecrets(clusterRoles[u.GetName()]) {
				t.Errorf("%s grants access to Secrets", testenv.Describe(u))
			}
		case "ClusterRoleBinding", "RoleBinding":
			// A binding to a ClusterRole not in the installation (cluster-admin, edit, ...)
			// could grant Secrets.
			if ref := testenv.Convert[rbacv1.RoleBinding](t, u).RoleRef; ref.Kind == "ClusterRole" {
				if _, ok := clusterRoles[ref.Name]; !ok {
					t.Errorf("%s binds ClusterRole %s, which the installation does not define", testenv.Describe(u), ref.Name)
				}
			}
		case "Role":
			if grantsSecrets(testenv.Convert[rbacv1.Role](t, u).Rules) {
				secretNamespaces = append(secretNamespaces, u.GetNamespace())
			}
		}
	}
	slices.Sort(secretNamespaces)
	if !slices.Equal(secretNamespaces, watchedNamespaces) {
		t.Errorf("Roles granting Secrets are in namespaces %q, want one in each of %q", secretNamespaces, watchedNamespaces)
	}

	generated := generatedRules(t)
	for _, ns := range watchedNamespaces {
		role := testenv.FindIn(objs, "Role", ns, "cyclr-token-operator-manager-role")
		if role == nil {
			t.Errorf("no manager Role in %s", ns)
		} else if got := testenv.Convert[rbacv1.Role](t, role).Rules; !reflect.DeepEqual(got, generated) {
			t.Errorf("the manager Role in %s differs from config/rbac/role.yaml:\n got %+v\nwant %+v", ns, got, generated)
		}
		binding := testenv.FindIn(objs, "RoleBinding", ns, "cyclr-token-operator-manager-rolebinding")
		want := []rbacv1.Subject{{Kind: "ServiceAccount", Name: serviceAccount, Namespace: operatorNamespace}}
		if binding == nil {
			t.Errorf("no manager RoleBinding in %s", ns)
		} else if rb := testenv.Convert[rbacv1.RoleBinding](t, binding); rb.RoleRef.Kind != "Role" ||
			rb.RoleRef.Name != "cyclr-token-operator-manager-role" || !reflect.DeepEqual(rb.Subjects, want) {
			t.Errorf("the manager RoleBinding in %s binds %+v to %+v, want the manager Role to %+v", ns, rb.RoleRef, rb.Subjects, want)
		}
	}
	if testenv.FindIn(objs, "Role", operatorNamespace, "cyclr-token-operator-leader-election-role") == nil {
		t.Errorf("no leader election Role in %s", operatorNamespace)
	}
}

// grantsSecrets: some rule applies to core Secrets.
func grantsSecrets(rules []rbacv1.PolicyRule) bool {
	for _, r := range rules {
		core := slices.Contains(r.APIGroups, "") || slices.Contains(r.APIGroups, "*")
		if core && (slices.Contains(r.Resources, "secrets") || slices.Contains(r.Resources, "*")) {
			return true
		}
	}
	return false
}

// TestNamespacedNetworkPolicy adds config/network-policy to config/default as its comment says,
// and checks, in both installations, that the policy selects the manager's pods and allows
// egress to DNS, HTTPS and the API server's 6443 only.
func TestNamespacedNetworkPolicy(t *testing.T) {
	dir := testenv.ConfigWith(t, "../network-policy")
	for _, overlay := range []string{"default", "namespaced"} {
		t.Run(overlay, func(t *testing.T) { checkNetworkPolicy(t, testenv.Kustomize(t, filepath.Join(dir, overlay))) })
	}
}

func checkNetworkPolicy(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	u := testenv.Find(objs, "NetworkPolicy", "cyclr-token-operator-controller-manager-egress")
	if u == nil {
		t.Fatal("no NetworkPolicy cyclr-token-operator-controller-manager-egress")
	}
	if u.GetNamespace() != operatorNamespace {
		t.Errorf("NetworkPolicy namespace %q, want %s", u.GetNamespace(), operatorNamespace)
	}
	selector, _, _ := unstructured.NestedStringMap(u.Object, "spec", "podSelector", "matchLabels")
	labels := testenv.PodTemplate(t, testenv.Find(objs, "Deployment", deploymentName)).Labels
	if len(selector) == 0 {
		t.Error("the NetworkPolicy selects every pod of the namespace")
	}
	for k, v := range selector {
		if labels[k] != v {
			t.Errorf("the NetworkPolicy selects %s=%s, which the manager's pods lack", k, v)
		}
	}
	types, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "policyTypes")
	if !slices.Equal(types, []string{"Egress"}) {
		t.Errorf("policyTypes %q, want [Egress]", types)
	}
	rules, _, _ := unstructured.NestedSlice(u.Object, "spec", "egress")
	var ports []string
	for _, r := range rules {
		rulePorts, _ := r.(map[string]any)["ports"].([]any)
		if len(rulePorts) == 0 {
			t.Errorf("egress rule %v allows every port", r)
		}
		for _, p := range rulePorts {
			ports = append(ports, fmt.Sprintf("%v/%v", p.(map[string]any)["protocol"], p.(map[string]any)["port"]))
		}
	}
	slices.Sort(ports)
	if want := []string{"TCP/443", "TCP/53", "TCP/6443", "UDP/53"}; !slices.Equal(ports, want) {
		t.Errorf("egress ports %q, want %q", ports, want)
	}
}

// TestNamespacedOperator installs config/namespaced (everything but the Deployment) on a real
// API server and runs the operator in-process as its ServiceAccount, through impersonation:
// with exactly the installed permissions it serves team-a and team-b, and leaves a credential
// in another namespace alone. The API server enforces owner-reference permissions, as
// OpenShift's does: the Secrets' owner references (blockOwnerDeletion) need update on
// cyclrcredentials/finalizers, which the shipped RBAC must grant.
func TestNamespacedOperator(t *testing.T) {
	objs := testenv.Kustomize(t, filepath.Join(testenv.Root(), "config", "namespaced"))
	sa := testenv.Find(objs, "ServiceAccount", serviceAccount)
	if sa == nil {
		t.Fatalf("no ServiceAccount %s", serviceAccount)
	}

	suite := testenv.StartSuite(t, "OwnerReferencesPermissionEnforcement")
	cfg, k8s := suite.Config, suite.Client
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()

	all := append(slices.Clone(watchedNamespaces), unwatchedNamespace)
	for _, ns := range all {
		if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
	}
	applyAllButDeployment(ctx, t, k8s, objs)

	// The operator's identity: what a pod of the Deployment authenticates as with its token
	// (the API server adds system:authenticated).
	asOperator := rest.CopyConfig(cfg)
	asOperator.Impersonate = rest.ImpersonationConfig{
		UserName: fmt.Sprintf("system:serviceaccount:%s:%s", sa.GetNamespace(), sa.GetName()),
		Groups:   []string{"system:serviceaccounts", "system:serviceaccounts:" + sa.GetNamespace()},
	}
	// RBAC is enforced for that identity: without that, the rest would prove nothing.
	operatorClient, err := client.New(asOperator, client.Options{Scheme: suite.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{unwatchedNamespace, ""} {
		if err := operatorClient.List(ctx, &corev1.SecretList{}, client.InNamespace(ns)); !apierrors.IsForbidden(err) {
			t.Fatalf("the operator listing Secrets in namespace %q: got %v, want forbidden", ns, err)
		}
	}

	// One emulator per namespace: each one's requests tell whose login was sent.
	servers := map[string]*cyclrtest.Server{}
	for _, ns := range all {
		servers[ns] = cyclrtest.NewServer()
		t.Cleanup(servers[ns].Close)
		servers[ns].AddPartner("partner-client", "user-"+ns, "pw-"+ns+"-S3CRET")
	}
	logs := &testenv.LogBuffer{}
	running := startOperator(t, suite, asOperator, sa.GetNamespace(), logs)
	// A permission the operator lacks shows in its log: leader election, the caches' list
	// and watch and the reconciles all log "... is forbidden".
	noneForbidden := func() error {
		for line := range strings.Lines(logs.String()) {
			if strings.Contains(strings.ToLower(line), "forbidden") {
				return fmt.Errorf("the manager was refused something it needs: %s", strings.TrimSpace(line))
			}
		}
		return nil
	}

	for _, ns := range all {
		login := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "login"}, StringData: map[string]string{
			"username": "user-" + ns, "password": "pw-" + ns + "-S3CRET", "client_id": "partner-client"}}
		if err := k8s.Create(ctx, login); err != nil {
			t.Fatal(err)
		}
		if err := k8s.Create(ctx, testenv.Credential(ns, "cred", servers[ns].URL)); err != nil {
			t.Fatal(err)
		}
	}

	for _, ns := range watchedNamespaces {
		testenv.Eventually(t, time.Minute, func() error {
			if err := noneForbidden(); err != nil {
				t.Fatal(err) // waiting longer would not help
			}
			cred := &authv1alpha1.CyclrCredential{}
			if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cred"}, cred); err != nil {
				return err
			}
			if err := testenv.ReadyFor(cred, authv1alpha1.ReasonTokenValid); err != nil {
				return fmt.Errorf("%s: %w", ns, err)
			}
			if !meta.IsStatusConditionTrue(cred.Status.Conditions, authv1alpha1.ConditionReady) {
				return fmt.Errorf("%s: Ready is not True", ns)
			}
			target := &corev1.Secret{}
			if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: cred.TargetSecretName()}, target); err != nil {
				return err
			}
			if !servers[ns].TokenValid(string(target.Data["access_token"])) {
				return fmt.Errorf("%s: the target Secret holds no token the emulator issued", ns)
			}
			return nil
		})
	}

	// The unwatched credential, created with the others, is never touched, and only the
	// watched namespaces' logins reach Cyclr, once each.
	testenv.Holds(t, 3*time.Second, func() error {
		cred := &authv1alpha1.CyclrCredential{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: unwatchedNamespace, Name: "cred"}, cred); err != nil {
			return err
		}
		if !reflect.DeepEqual(cred.Status, authv1alpha1.CyclrCredentialStatus{}) {
			return fmt.Errorf("the credential in %s got a status: %+v", unwatchedNamespace, cred.Status)
		}
		var secrets corev1.SecretList
		if err := k8s.List(ctx, &secrets, client.InNamespace(unwatchedNamespace)); err != nil {
			return err
		}
		for _, s := range secrets.Items {
			if s.Name != "login" {
				return fmt.Errorf("a Secret %s appeared in %s", s.Name, unwatchedNamespace)
			}
		}
		for ns, srv := range servers {
			want := 1
			if ns == unwatchedNamespace {
				want = 0
			}
			if err := testenv.Requests(srv, want); err != nil {
				return fmt.Errorf("%s's login: %w", ns, err)
			}
		}
		return noneForbidden()
	})

	// Events (events.k8s.io, in the credential's namespace) were allowed too.
	for _, ns := range watchedNamespaces {
		if _, ok := testenv.FindEvent(suite.Events(ctx, t, ns), "cred", controller.EventIssued); !ok {
			t.Errorf("no %s event for the credential in %s", controller.EventIssued, ns)
		}
	}

	// A clean stop releases the lease: the leader-election Role allows updating it.
	running.Stop(t)
	lease := &coordinationv1.Lease{}
	if err := k8s.Get(ctx, client.ObjectKey{Namespace: sa.GetNamespace(), Name: leaderElectionID}, lease); err != nil {
		t.Errorf("the leader election Lease: %v", err)
	} else if h := lease.Spec.HolderIdentity; h != nil && *h != "" {
		t.Errorf("the Lease is still held by %s after the manager stopped", *h)
	}
	if err := noneForbidden(); err != nil {
		t.Error(err)
	}
}

// leaderElectionID is cmd/main.go's.
const leaderElectionID = "cyclr-token-operator.cyclr-operator.io"

// applyAllButDeployment applies objs for real, Namespaces and CRDs first; the manager runs
// in-process instead of the Deployment.
func applyAllButDeployment(ctx context.Context, t *testing.T, k8s client.Client, objs []*unstructured.Unstructured) {
	t.Helper()
	first := func(u *unstructured.Unstructured) bool {
		return u.GetKind() == "Namespace" || u.GetKind() == "CustomResourceDefinition"
	}
	for _, pass := range []bool{true, false} {
		for _, u := range objs {
			if first(u) != pass || u.GetKind() == "Deployment" {
				continue
			}
			testenv.Apply(ctx, t, k8s, fieldOwner, u)
		}
	}
}

// startOperator runs a manager like cmd/main.go's with --namespaces=team-a,team-b and
// --leader-elect (short durations, as in test/reliability), as the identity in cfg.
func startOperator(t *testing.T, suite *testenv.Suite, cfg *rest.Config, leaseNamespace string, logs *testenv.LogBuffer) *testenv.Running {
	t.Helper()
	opts := suite.ManagerOptions(logs)
	// client-go's reflectors log through controller-runtime's global logger, not the
	// manager's: their list and watch errors must reach the buffer too.
	ctrl.SetLogger(opts.Logger)
	t.Cleanup(func() { ctrl.SetLogger(logr.Discard()) })
	opts.Cache = controller.CacheOptions(watchedNamespaces)
	opts.LeaderElection = true
	opts.LeaderElectionNamespace = leaseNamespace
	opts.LeaderElectionID = leaderElectionID
	opts.LeaderElectionReleaseOnCancel = true
	opts.LeaseDuration = new(4 * time.Second)
	opts.RenewDeadline = new(3 * time.Second)
	opts.RetryPeriod = new(200 * time.Millisecond)
	mgr, err := ctrl.NewManager(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	err = controller.NewReconciler(mgr, cyclr.NewClient(cyclr.Options{}), testenv.AnyLoopbackHost).
		SetupWithManager(mgr, controller.Options{})
	if err != nil {
		t.Fatal(err)
	}
	running := testenv.Run("namespaced manager", mgr)
	t.Cleanup(func() {
		running.Stop(t)
		if t.Failed() {
			t.Logf("manager log:\n%s", logs.String())
		}
	})
	return running
}
