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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
)

// secretNamesIndex indexes CyclrCredentials by the Secrets they read or write, so a change to
// any of those Secrets finds its credentials.
const secretNamesIndex = "cyclr.secretNames"

// Options tune the controller; cmd/main.go fills them from flags.
type Options struct {
	// Namespaces limits what is watched; empty means all.
	Namespaces []string
	// MaxConcurrentReconciles is how many credentials are reconciled in parallel.
	MaxConcurrentReconciles int
}

// NewReconciler is the reconciler wired to mgr's clients, recorder and scheme, asking tokens
// for Cyclr tokens for the API hosts hosts allows, on the real clock.
func NewReconciler(mgr ctrl.Manager, tokens TokenClient, hosts HostChecker) *CyclrCredentialReconciler {
	return &CyclrCredentialReconciler{
		Hosts:     hosts,
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Scheme:    mgr.GetScheme(),
		Cyclr:     tokens,
		Recorder:  mgr.GetEventRecorder("cyclr-token-operator"),
		Clock:     clock.RealClock{},
	}
}

// CacheOptions configures the manager's cache: Secrets are cached in full only when the
// operator manages them (selected by label), so memory does not grow with the cluster's other
// Secrets. Every cached object is stored without managedFields.
func CacheOptions(namespaces []string) cache.Options {
	managed, _ := labels.NewRequirement(authv1alpha1.ManagedByLabel, selection.Equals, []string{authv1alpha1.ManagedByValue})
	return cache.Options{
		DefaultNamespaces: namespaceConfigs(namespaces),
		DefaultTransform:  cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Secret{}: {Label: labels.NewSelector().Add(*managed)},
		},
	}
}

func namespaceConfigs(namespaces []string) map[string]cache.Config {
	if len(namespaces) == 0 {
		return nil
	}
	configs := make(map[string]cache.Config, len(namespaces))
	for _, ns := range namespaces {
		configs[ns] = cache.Config{}
	}
	return configs
}

// SetupWithManager registers the controller. Besides the CyclrCredentials and the Secrets they
// own, it watches the metadata of all Secrets, in a cache of its own that keeps only names
// (a shared cache would apply the managed-Secret label selector to them too), so a change to
// a credentials Secret or the removal of a conflicting target is noticed.
func (r *CyclrCredentialReconciler) SetupWithManager(mgr ctrl.Manager, opts Options) error {
	ctx := context.Background()
	if err := mgr.GetFieldIndexer().IndexField(ctx, &authv1alpha1.CyclrCredential{}, secretNamesIndex, secretNames); err != nil {
		return fmt.Errorf("indexing CyclrCredentials by Secret: %w", err)
	}
	secretMetadata, err := cache.New(mgr.GetConfig(), cache.Options{
		HTTPClient:        mgr.GetHTTPClient(),
		Scheme:            mgr.GetScheme(),
		Mapper:            mgr.GetRESTMapper(),
		DefaultNamespaces: namespaceConfigs(opts.Namespaces),
		DefaultTransform:  keepIdentityOnly,
	})
	if err != nil {
		return fmt.Errorf("creating the Secret metadata cache: %w", err)
	}
	if err := mgr.Add(metadataCache{secretMetadata}); err != nil {
		return err
	}
	secretMeta := &metav1.PartialObjectMetadata{}
	secretMeta.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))

	return ctrl.NewControllerManagedBy(mgr).
		For(&authv1alpha1.CyclrCredential{}, builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		Owns(&corev1.Secret{}, builder.WithPredicates(r.writes.skipEchoes())).
		WatchesRawSource(source.Kind(secretMetadata, client.Object(secretMeta),
			handler.EnqueueRequestsFromMapFunc(r.credentialsUsingSecret), skipCredentialControlled())).
		WithOptions(controller.Options{MaxConcurrentReconciles: max(opts.MaxConcurrentReconciles, 1)}).
		Named("cyclrcredential").
		Complete(r)
}

// metadataCache lets the manager start the Secret metadata cache with its other caches,
// before the controllers, and wait for it to sync.
type metadataCache struct{ cache.Cache }

func (c metadataCache) GetCache() cache.Cache { return c.Cache }

// keepIdentityOnly drops everything from a cached Secret's metadata but what identifies it
// (and, for a Secret a CyclrCredential controls, that owner reference): labels and annotations
// of unrelated Secrets (kubectl's last-applied-configuration holds a Secret's whole data) must
// not sit in the operator's memory.
func keepIdentityOnly(obj any) (any, error) {
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return obj, nil
	}
	kept := &metav1.PartialObjectMetadata{TypeMeta: m.TypeMeta, ObjectMeta: metav1.ObjectMeta{
		Name: m.Name, Namespace: m.Namespace, UID: m.UID, ResourceVersion: m.ResourceVersion,
	}}
	if credentialControlled(m) {
		kept.OwnerReferences = []metav1.OwnerReference{*metav1.GetControllerOfNoCopy(m)}
	}
	return kept, nil
}

func secretNames(obj client.Object) []string {
	cred := obj.(*authv1alpha1.CyclrCredential)
	return []string{cred.Spec.CredentialsSecretRef.Name, cred.TargetSecretName()}
}

func (r *CyclrCredentialReconciler) credentialsUsingSecret(ctx context.Context, secret client.Object) []reconcile.Request {
	var creds authv1alpha1.CyclrCredentialList
	if err := r.List(ctx, &creds, client.InNamespace(secret.GetNamespace()),
		client.MatchingFields{secretNamesIndex: secret.GetName()}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing CyclrCredentials for a Secret", "secret", secret.GetName())
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(creds.Items))
	for _, c := range creds.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&c)})
	}
	return reqs
}
