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

package integration

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr/cyclrtest"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
)

// Rollout restarts, counted on real workloads. The test API server runs no controllers, so a
// restart is seen as what `kubectl rollout restart` changes: the pod template annotation, and
// with it metadata.generation (one more per restart).

func TestRolloutRestartOncePerRevision(t *testing.T) {
	h := newHarness(t)
	// 20s tokens refreshed 17s before expiry: the first refresh comes about 3s after the issue.
	h.cyclr.SetLifetime(20 * time.Second)
	h.loginSecret("login", partnerLogin())
	h.workload(&appsv1.Deployment{}, "app")
	h.workload(&appsv1.StatefulSet{}, "db")
	h.workload(&appsv1.DaemonSet{}, "agent")
	h.credential("cred", func(c *authv1alpha1.CyclrCredential) {
		c.Spec.RefreshBefore = &metav1.Duration{Duration: 17 * time.Second}
		c.Spec.RolloutRestartTargets = []authv1alpha1.RolloutRestartTarget{
			{Kind: authv1alpha1.KindDeployment, Name: "app"}, {Kind: authv1alpha1.KindStatefulSet, Name: "db"},
			{Kind: authv1alpha1.KindDaemonSet, Name: "agent"}, {Kind: authv1alpha1.KindDeployment, Name: "missing"},
		}
	})
	workloads := []client.Object{&appsv1.Deployment{}, &appsv1.StatefulSet{}, &appsv1.DaemonSet{}}
	names := []string{"app", "db", "agent"}
	restartedFor := func(revision int64) func() error {
		return func() error {
			c := h.get("cred")
			if c.Status.Revision != revision || c.Status.RolloutRevision != revision {
				return fmt.Errorf("revision %d, rolloutRevision %d; want %d", c.Status.Revision, c.Status.RolloutRevision, revision)
			}
			for i, w := range workloads {
				if err := h.restarts(w, names[i], int(revision), c.Status.IssuedAt.Time); err != nil {
					return err
				}
			}
			return nil
		}
	}

	// Issue, then the timed refresh: one restart each.
	h.eventually(15*time.Second, restartedFor(1))
	h.waitEvent("cred", "RolloutRestartFailed") // the missing Deployment; Ready is unaffected
	h.cyclr.SetLifetime(cyclrtest.DefaultLifetime)
	h.eventually(15*time.Second, restartedFor(2))
	h.waitReady("cred", authv1alpha1.ReasonTokenValid, 5*time.Second)

	// A manual refresh: one more.
	h.annotate("cred", authv1alpha1.RefreshRequestedAtAnnotation, "2026-05-01T10:00:00Z")
	h.eventually(15*time.Second, restartedFor(3))

	// A restored target and an operator restart are no new token: no restart.
	h.must(k8s.Delete(h.ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: "cred"}}))
	h.waitEvent("cred", "Restored")
	h.stopManager()
	h.startManager()
	h.holds(3*time.Second, restartedFor(3))
	h.must(h.requests(3))
}

// TestRolloutRestartAfterCrashBeforePatch: the new token reaches the target Secret, then the
// manager dies before restarting anything or writing status. The next manager restarts each
// target exactly once for that token, and never again.
func TestRolloutRestartAfterCrashBeforePatch(t *testing.T) {
	h := newHarness(t)
	h.stopManager()
	var crashed atomic.Bool
	crashed.Store(true)
	failWhileCrashed := func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
		if _, ok := obj.(*appsv1.Deployment); ok && crashed.Load() {
			return errors.New("simulated crash before the rollout restart")
		}
		return c.Patch(ctx, obj, patch, opts...)
	}
	h.wrapClient = func(c client.Client) client.Client {
		return interceptor.NewClient(noWatch{c}, interceptor.Funcs{
			Patch: failWhileCrashed,
			SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
				if crashed.Load() {
					return errors.New("simulated crash before the status write")
				}
				return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
			},
		})
	}
	h.startManager()
	h.loginSecret("login", partnerLogin())
	h.workload(&appsv1.Deployment{}, "app")
	h.credential("cred", func(c *authv1alpha1.CyclrCredential) {
		c.Spec.RolloutRestartTargets = []authv1alpha1.RolloutRestartTarget{{Kind: authv1alpha1.KindDeployment, Name: "app"}}
	})
	h.eventually(15*time.Second, func() error {
		if s, err := h.secret("cred"); err != nil || len(s.Data["access_token"]) == 0 {
			return fmt.Errorf("no token in the target yet: %v", err)
		}
		return nil
	})
	h.stopManager()
	if c := h.get("cred"); c.Status.Revision != 0 {
		t.Fatalf("status was written (revision %d) although the crash should have stopped it", c.Status.Revision)
	}

	crashed.Store(false)
	h.wrapClient = nil
	h.startManager()
	c := h.waitReady("cred", authv1alpha1.ReasonTokenValid, 15*time.Second)
	issued := c.Status.IssuedAt.Time
	h.eventually(10*time.Second, func() error { return h.restarts(&appsv1.Deployment{}, "app", 1, issued) })
	h.holds(2*time.Second, func() error {
		c := h.get("cred")
		if c.Status.Revision != 1 || c.Status.RolloutRevision != 1 {
			return fmt.Errorf("revision %d, rolloutRevision %d; want 1, 1", c.Status.Revision, c.Status.RolloutRevision)
		}
		return h.restarts(&appsv1.Deployment{}, "app", 1, issued)
	})
	h.must(h.requests(1))
}

// noWatch makes the reconciler's client an interceptor.NewClient argument; it never watches.
type noWatch struct{ client.Client }

func (noWatch) Watch(context.Context, client.ObjectList, ...client.ListOption) (watch.Interface, error) {
	return nil, errors.New("the reconciler's client does not watch")
}

// workload creates a minimal Deployment, StatefulSet or DaemonSet (obj's kind) named name,
// whose owner allows the CyclrCredential "cred" to restart it.
func (h *harness) workload(obj client.Object, name string) {
	h.t.Helper()
	h.workloadAllowing(obj, name, "cred")
}

// workloadAllowing is workload with allow-restart-by set to allowed, or absent when it is "".
func (h *harness) workloadAllowing(obj client.Object, name, allowed string) {
	h.t.Helper()
	if allowed != "" {
		obj.SetAnnotations(map[string]string{authv1alpha1.AllowRestartByAnnotation: allowed})
	}
	labels := map[string]string{"app": name}
	template := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "consumer"}}},
	}
	selector := &metav1.LabelSelector{MatchLabels: labels}
	switch w := obj.(type) {
	case *appsv1.Deployment:
		w.Spec = appsv1.DeploymentSpec{Selector: selector, Template: template}
	case *appsv1.StatefulSet:
		w.Spec = appsv1.StatefulSetSpec{Selector: selector, Template: template}
	case *appsv1.DaemonSet:
		w.Spec = appsv1.DaemonSetSpec{Selector: selector, Template: template}
	}
	obj.SetNamespace(h.ns)
	obj.SetName(name)
	h.must(k8s.Create(h.ctx, obj))
}

// restarts is nil when the workload was restarted exactly want times, the last for the token
// issued at issued (status keeps whole seconds; the annotation has the nanoseconds too).
func (h *harness) restarts(obj client.Object, name string, want int, issued time.Time) error {
	if err := k8s.Get(h.ctx, client.ObjectKey{Namespace: h.ns, Name: name}, obj); err != nil {
		return err
	}
	var annotations map[string]string
	switch w := obj.(type) {
	case *appsv1.Deployment:
		annotations = w.Spec.Template.Annotations
	case *appsv1.StatefulSet:
		annotations = w.Spec.Template.Annotations
	case *appsv1.DaemonSet:
		annotations = w.Spec.Template.Annotations
	}
	at, err := time.Parse(time.RFC3339Nano, annotations[authv1alpha1.RestartedAtAnnotation])
	if got := int(obj.GetGeneration() - 1); got != want || err != nil || !at.Truncate(time.Second).Equal(issued) {
		return fmt.Errorf("%T %s: %d restarts, restarted-at %q; want %d, the token issued at %s",
			obj, name, got, annotations[authv1alpha1.RestartedAtAnnotation], want, policy.Stamp(issued))
	}
	return nil
}
