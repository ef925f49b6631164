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
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
)

// deletionPolicy Retain: a GitOps prune-and-recreate of the CyclrCredential never leaves pods
// without their Secret.

func TestRetainedTargetSurvivesAndIsAdopted(t *testing.T) {
	h := newHarness(t)
	h.loginSecret("login", partnerLogin())
	retain := func(c *authv1alpha1.CyclrCredential) { c.Spec.Target.DeletionPolicy = authv1alpha1.DeletionRetain }
	h.credential("cred", retain)
	first := h.waitReady("cred", authv1alpha1.ReasonTokenValid, 15*time.Second)
	if !slices.Contains(first.Finalizers, authv1alpha1.RetainFinalizer) {
		t.Fatalf("finalizers %v, want %s", first.Finalizers, authv1alpha1.RetainFinalizer)
	}
	target, err := h.secret("cred")
	h.must(err)
	token := string(target.Data["access_token"])

	// Every change to the target from here on: it must never be deleted.
	watcher, err := client.NewWithWatch(suite.Config, client.Options{Scheme: suite.Scheme})
	h.must(err)
	w, err := watcher.Watch(h.ctx, &corev1.SecretList{}, client.InNamespace(h.ns))
	h.must(err)
	defer w.Stop()
	deleted := make(chan string, 10)
	go func() {
		for e := range w.ResultChan() {
			if s, ok := e.Object.(*corev1.Secret); ok && e.Type == watch.Deleted && s.Name == "cred" {
				deleted <- s.ResourceVersion
			}
		}
	}()

	h.must(k8s.Delete(h.ctx, first))
	h.eventually(10*time.Second, func() error { _, err := k8sGetCred(h, "cred"); return notFound(err) })
	kept, err := h.secret("cred")
	h.must(err)
	if len(kept.OwnerReferences) != 0 || kept.Annotations[authv1alpha1.RetainedFromAnnotation] != "cred" ||
		string(kept.Data["access_token"]) != token {
		t.Fatalf("retained Secret: owners %v, annotations %v, same token %v", kept.OwnerReferences, kept.Annotations,
			string(kept.Data["access_token"]) == token)
	}
	h.waitEvent("cred", "Retained")
	// The test API server has no garbage collector: delete the state Secret as it would.
	h.must(k8s.Delete(h.ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: policy.StateSecretName("cred")}}))

	// A new credential of the same name adopts the Secret: one sign-in, an update in place.
	second := h.credential("cred")
	h.waitReady("cred", authv1alpha1.ReasonTokenValid, 15*time.Second)
	adopted, err := h.secret("cred")
	h.must(err)
	if adopted.UID != target.UID || !metav1.IsControlledBy(adopted, second) {
		t.Errorf("adopted Secret: UID %s (was %s), owners %v", adopted.UID, target.UID, adopted.OwnerReferences)
	}
	if _, ok := adopted.Annotations[authv1alpha1.RetainedFromAnnotation]; ok {
		t.Error("the adopted Secret still carries the retained-from annotation")
	}
	if got := string(adopted.Data["access_token"]); got == token || !h.cyclr.TokenValid(got) {
		t.Error("the adopted Secret does not hold the new credential's token")
	}
	if c := h.get("cred"); len(c.Finalizers) != 0 {
		t.Errorf("finalizers %v on a credential with deletionPolicy Delete", c.Finalizers)
	}
	h.must(h.requests(2))
	select {
	case rv := <-deleted:
		t.Errorf("the target Secret was deleted (resourceVersion %s): pods would have found it missing", rv)
	default:
	}
}

// TestRetainOnlyFromTheSameName: a Secret released by a credential of another name, or never
// released at all, is someone else's: TargetSecretConflict, untouched.
func TestRetainOnlyFromTheSameName(t *testing.T) {
	h := newHarness(t)
	h.loginSecret("login", partnerLogin())
	for name, annotations := range map[string]map[string]string{
		"never-retained": nil,
		"other-name":     {authv1alpha1.RetainedFromAnnotation: "someone-else"},
	} {
		h.must(k8s.Create(h.ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: h.ns, Name: name, Annotations: annotations},
			StringData: map[string]string{"mine": "yes"}}))
		h.credential(name)
		h.waitReady(name, authv1alpha1.ReasonTargetSecretConflict, 15*time.Second)
		s, err := h.secret(name)
		h.must(err)
		if string(s.Data["mine"]) != "yes" || len(s.Data) != 1 || len(s.OwnerReferences) != 0 {
			t.Errorf("%s: the Secret was changed: keys %d, owners %v", name, len(s.Data), s.OwnerReferences)
		}
	}
	h.must(h.requests(0))
}

// TestRetainFinalizerFollowsThePolicy: only Retain adds the finalizer; switching back removes
// it, and deletion then takes the target with the credential as before.
func TestRetainFinalizerFollowsThePolicy(t *testing.T) {
	h := newHarness(t)
	h.loginSecret("login", partnerLogin())
	h.credential("cred")
	if c := h.waitReady("cred", authv1alpha1.ReasonTokenValid, 15*time.Second); len(c.Finalizers) != 0 {
		t.Fatalf("finalizers %v with the default deletionPolicy", c.Finalizers)
	}
	hasFinalizer := func(want bool) func() error {
		return func() error {
			if got := slices.Contains(h.get("cred").Finalizers, authv1alpha1.RetainFinalizer); got != want {
				return fmt.Errorf("finalizer present %v, want %v", got, want)
			}
			return nil
		}
	}
	h.update("cred", func(c *authv1alpha1.CyclrCredential) { c.Spec.Target.DeletionPolicy = authv1alpha1.DeletionRetain })
	h.eventually(10*time.Second, hasFinalizer(true))
	h.update("cred", func(c *authv1alpha1.CyclrCredential) { c.Spec.Target.DeletionPolicy = authv1alpha1.DeletionDelete })
	h.eventually(10*time.Second, hasFinalizer(false))
	s, err := h.secret("cred")
	h.must(err)
	if len(s.OwnerReferences) != 1 {
		t.Errorf("target owners %v, want the credential", s.OwnerReferences)
	}
	h.must(h.requests(1)) // the policy is no reason for a new token
}

func k8sGetCred(h *harness, name string) (*authv1alpha1.CyclrCredential, error) {
	c := &authv1alpha1.CyclrCredential{}
	return c, k8s.Get(h.ctx, client.ObjectKey{Namespace: h.ns, Name: name}, c)
}
