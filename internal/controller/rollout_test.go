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

package controller

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
)

// allowing is a Deployment whose owner allows the credentials named to restart it.
func allowing(name string, credentials string) *appsv1.Deployment {
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: recNS, Name: name,
		Annotations: map[string]string{authv1alpha1.AllowRestartByAnnotation: credentials}}}
}

// TestRolloutRestartFailures: what each kind of failure to restart a workload does. A missing,
// forbidden or not allowing workload is reported once and not retried (the rollout counts as
// done); any other error makes the rollout undone, so that the reconcile retries it.
func TestRolloutRestartFailures(t *testing.T) {
	deployment := func(name string) *appsv1.Deployment { return allowing(name, "other, "+recName) }
	failPatch := map[string]error{
		"forbidden": apierrors.NewForbidden(appsv1.Resource("deployments"), "forbidden", errors.New("RBAC")),
		"flaky":     apierrors.NewServiceUnavailable("etcd is busy"),
	}
	issued := time.Date(2026, time.March, 2, 9, 0, 0, 123456789, time.UTC)
	cases := []struct {
		targets    []string
		wantDone   bool
		wantEvents []string
	}{
		{targets: []string{"ok"}, wantDone: true, wantEvents: []string{"Normal RolloutRestarted"}},
		{targets: []string{"missing", "ok"}, wantDone: true,
			wantEvents: []string{"Warning RolloutRestartFailed", "Normal RolloutRestarted"}},
		{targets: []string{"forbidden"}, wantDone: true, wantEvents: []string{"Warning RolloutRestartFailed"}},
		{targets: []string{"flaky", "ok"}, wantDone: false,
			wantEvents: []string{"Warning RolloutRestartFailed", "Normal RolloutRestarted"}},
		{targets: []string{"unannotated", "other-only", "prefix-only", "ok"}, wantDone: true,
			wantEvents: []string{"Warning RolloutRestartFailed", "Warning RolloutRestartFailed",
				"Warning RolloutRestartFailed", "Normal RolloutRestarted"}},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.targets, ","), func(t *testing.T) {
			patched := map[string]bool{}
			api := interceptor.NewClient(fakeClient(deployment("ok"), deployment("forbidden"), deployment("flaky"),
				&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: recNS, Name: "unannotated"}},
				allowing("other-only", "other"), allowing("prefix-only", recName+"-2,x"+recName)), interceptor.Funcs{
				Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
					patched[obj.GetName()] = true
					if err := failPatch[obj.GetName()]; err != nil {
						return err
					}
					return c.Patch(ctx, obj, patch, opts...)
				},
			})
			recorder := events.NewFakeRecorder(8)
			r := &CyclrCredentialReconciler{Client: api, APIReader: api, Recorder: recorder}
			cred := newCred(func(c *authv1alpha1.CyclrCredential) {
				for _, name := range tc.targets {
					c.Spec.RolloutRestartTargets = append(c.Spec.RolloutRestartTargets,
						authv1alpha1.RolloutRestartTarget{Kind: authv1alpha1.KindDeployment, Name: name})
				}
			})
			done, err := r.rolloutRestart(t.Context(), cred, &policy.TokenState{Token: cyclr.Token{IssuedAt: issued}})
			if done != tc.wantDone || (err != nil) == tc.wantDone {
				t.Errorf("done %v, err %v; want done %v with an error only when not done", done, err, tc.wantDone)
			}
			close(recorder.Events)
			var got []string
			for e := range recorder.Events {
				fields := strings.Fields(e)
				got = append(got, fields[0]+" "+fields[1])
				if strings.Contains(e, "does not allow") && !strings.Contains(e, authv1alpha1.AllowRestartByAnnotation) {
					t.Errorf("event %q does not name the annotation that allows the restart", e)
				}
			}
			if strings.Join(got, "; ") != strings.Join(tc.wantEvents, "; ") {
				t.Errorf("events %q, want %q", got, tc.wantEvents)
			}
			for _, name := range []string{"unannotated", "other-only", "prefix-only"} {
				if patched[name] {
					t.Errorf("%s, which does not allow %s, was patched", name, recName)
				}
			}
			ok := &appsv1.Deployment{}
			if err := api.Get(t.Context(), client.ObjectKeyFromObject(deployment("ok")), ok); err != nil {
				t.Fatal(err)
			}
			want := ""
			for _, name := range tc.targets {
				if name == "ok" {
					want = "2026-03-02T09:00:00.123456789Z"
				}
			}
			if got := ok.Spec.Template.Annotations[authv1alpha1.RestartedAtAnnotation]; got != want {
				t.Errorf("restarted-at %q, want %q", got, want)
			}
		})
	}
}

// TestRolloutRestartIsIdempotent: restarting again for the same token (a crash before status
// recorded the first restart) patches nothing.
func TestRolloutRestartIsIdempotent(t *testing.T) {
	patches := 0
	api := interceptor.NewClient(fakeClient(allowing("app", recName)), interceptor.Funcs{
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			patches++
			return c.Patch(ctx, obj, patch, opts...)
		},
	})
	r := &CyclrCredentialReconciler{Client: api, APIReader: api, Recorder: events.NewFakeRecorder(8)}
	cred := newCred(func(c *authv1alpha1.CyclrCredential) {
		c.Spec.RolloutRestartTargets = []authv1alpha1.RolloutRestartTarget{{Kind: authv1alpha1.KindDeployment, Name: "app"}}
	})
	s := &policy.TokenState{Token: cyclr.Token{IssuedAt: time.Date(2026, time.March, 2, 9, 0, 0, 0, time.UTC)}}
	for range 2 {
		if done, err := r.rolloutRestart(t.Context(), cred, s); !done || err != nil {
			t.Fatalf("done %v, err %v", done, err)
		}
	}
	if patches != 1 {
		t.Errorf("%d patches for one token, want 1", patches)
	}
}
