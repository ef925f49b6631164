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

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
)

// Options tune the controller; cmd/main.go fills them from flags.
type Options struct {
	// MaxConcurrentReconciles is how many credentials are reconciled in parallel.
	MaxConcurrentReconciles int
}

// NewReconciler is the reconciler wired to mgr's clients, recorder and scheme, asking tokens
// for Cyclr tokens for the API hosts hosts allows, on the real clock.
func NewReconciler(mgr ctrl.Manager, tokens TokenClient, hosts cyclr.HostChecker) *CyclrCredentialReconciler {
	return &CyclrCredentialReconciler{
		Hosts:              hosts,
		MinRefreshInterval: policy.DefaultMinRefreshInterval,
		Client:             mgr.GetClient(),
		APIReader:          mgr.GetAPIReader(),
		Scheme:             mgr.GetScheme(),
		Cyclr:              tokens,
		Recorder:           mgr.GetEventRecorder("cyclr-token-operator"),
		Clock:              clock.RealClock{},
		cacheWait:          defaultCacheWait,
	}
}

// SetupWithManager registers the controller: it watches the CyclrCredentials, and the metadata
// of every Secret (one informer): those a credential controls, to restore a target that was
// changed or deleted; any other, to notice a change to a login Secret or a conflicting target
// name being freed.
func (r *CyclrCredentialReconciler) SetupWithManager(mgr ctrl.Manager, opts Options) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&authv1alpha1.CyclrCredential{}, builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		// An informer's resync hands every object over again unchanged: the credential plans
		// its own next look.
		Owns(&corev1.Secret{}, builder.OnlyMetadata, builder.WithPredicates(predicate.ResourceVersionChangedPredicate{})).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.credentialsUsingSecret), builder.OnlyMetadata,
			builder.WithPredicates(predicate.ResourceVersionChangedPredicate{}, skipCredentialControlled())).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(opts.MaxConcurrentReconciles, 1)}).
		Named("cyclrcredential").
		Complete(r)
}

// skipCredentialControlled drops the create and update events of Secrets a CyclrCredential
// controls from the by-name watch: the Owns watch handles those. Deletions pass, so a
// credential waiting for a conflicting target name to be freed hears of it.
func skipCredentialControlled() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc: func(e event.CreateEvent) bool { return !credentialControlled(e.Object) },
		UpdateFunc: func(e event.UpdateEvent) bool { return !credentialControlled(e.ObjectNew) },
	}
}

func credentialControlled(obj metav1.Object) bool {
	ref := metav1.GetControllerOfNoCopy(obj)
	return ref != nil && ref.Kind == "CyclrCredential" && ref.APIVersion == authv1alpha1.GroupVersion.String()
}

// credentialsUsingSecret are the credentials of secret's namespace that read it (their login)
// or write it (their target). They are found by a scan of the namespace's credentials in the
// cache, not an index: an index entry per credential would cost more memory than the scan
// costs time, for events that are rare (a login edited, a conflicting Secret removed).
func (r *CyclrCredentialReconciler) credentialsUsingSecret(ctx context.Context, secret client.Object) []reconcile.Request {
	var creds authv1alpha1.CyclrCredentialList
	if err := r.List(ctx, &creds, client.InNamespace(secret.GetNamespace()), client.UnsafeDisableDeepCopy); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing CyclrCredentials for a Secret", "secret", secret.GetName())
		return nil
	}
	var reqs []reconcile.Request
	for i := range creds.Items {
		c := &creds.Items[i]
		if c.Spec.CredentialsSecretRef.Name == secret.GetName() || c.TargetSecretName() == secret.GetName() {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(c)})
		}
	}
	return reqs
}
