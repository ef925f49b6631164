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
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
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

// secretNamesIndex indexes CyclrCredentials by the Secrets they read or write, so a change to
// any of those Secrets finds its credentials. A target named after its credential (the
// default) is found by that name instead: an index entry per credential would cost more
// memory than the credential's own cached copy.
const secretNamesIndex = "cyclr.secretNames"

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
	indexer := mgr.GetFieldIndexer()
	if err := indexer.IndexField(context.Background(), &authv1alpha1.CyclrCredential{}, secretNamesIndex, secretNames); err != nil {
		return fmt.Errorf("indexing CyclrCredentials by Secret: %w", err)
	}
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

func secretNames(obj client.Object) []string {
	cred := obj.(*authv1alpha1.CyclrCredential)
	names := []string{cred.Spec.CredentialsSecretRef.Name}
	if target := cred.TargetSecretName(); target != cred.Name {
		names = append(names, target)
	}
	return names
}

// credentialsUsingSecret are the credentials that read or write secret: those the index finds,
// and the credential of the same name when that is its target.
func (r *CyclrCredentialReconciler) credentialsUsingSecret(ctx context.Context, secret client.Object) []reconcile.Request {
	key := client.ObjectKeyFromObject(secret)
	var creds authv1alpha1.CyclrCredentialList
	if err := r.List(ctx, &creds, client.InNamespace(key.Namespace), client.MatchingFields{secretNamesIndex: key.Name},
		client.UnsafeDisableDeepCopy); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing CyclrCredentials for a Secret", "secret", key.Name)
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(creds.Items)+1)
	for _, c := range creds.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&c)})
	}
	namesake := &authv1alpha1.CyclrCredential{}
	err := r.Get(ctx, key, namesake)
	switch {
	case err == nil && namesake.TargetSecretName() == key.Name:
		reqs = append(reqs, reconcile.Request{NamespacedName: key}) // the queue merges a duplicate
	case err != nil && !apierrors.IsNotFound(err):
		ctrl.LoggerFrom(ctx).Error(err, "reading the CyclrCredential named like a Secret", "secret", key.Name)
	}
	return reqs
}
