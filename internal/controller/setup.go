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
	// Namespaces limits what is watched; empty means all.
	Namespaces []string
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
	}
}

// CacheOptions configures the manager's cache: only Secrets labelled as managed by the
// operator are cached, so memory does not grow with the cluster's other Secrets. Anyone who may
// edit a Secret can add that label, so the label does not decide what is kept: see
// trimCachedSecret. Every cached object is stored without managedFields.
func CacheOptions(namespaces []string) cache.Options {
	managed, _ := labels.NewRequirement(authv1alpha1.ManagedByLabel, selection.Equals, []string{authv1alpha1.ManagedByValue})
	return cache.Options{
		DefaultNamespaces: namespaceConfigs(namespaces),
		DefaultTransform:  cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			// A type's Transform replaces DefaultTransform: both strip managedFields too.
			&corev1.Secret{}:                {Label: labels.NewSelector().Add(*managed), Transform: trimCachedSecret},
			&authv1alpha1.CyclrCredential{}: {Transform: trimCachedCredential},
		},
	}
}

// knownSecretKeys are the data keys the operator writes under fixed names: the state Secret's
// (named by internal/policy), the target Secret's section-4 keys and the formats' keys. One set
// for both, rather than one chosen by the role label: anyone who can edit the Secret can change
// that label, and a state Secret trimmed to the target keys would look damaged.
var knownSecretKeys = func() map[string]bool {
	keys := map[string]bool{authv1alpha1.EnvFormatKey: true, authv1alpha1.JSONFormatKey: true}
	for _, k := range policy.TargetKeys() {
		keys[k] = true
	}
	for k := range (&policy.TokenState{}).SecretData() {
		keys[k] = true
	}
	return keys
}()

// Bounds on the unknown data keys a controlled Secret keeps whole in the cache. The names
// spec.target.keys gives are unknown here; there are at most as many as section 4 has keys,
// and their values (the token twice, a time, a URL, an account ID) fit in far less than 16 KiB.
var maxKeptUnknownKeys = len(policy.TargetKeys())

const maxKeptUnknownBytes = 16 << 10

// knownData is what the cache keeps of a controlled Secret's data: every known key, and the
// unknown keys whole while they are within the bounds above; beyond them all unknown keys are
// replaced by strippedKeysMarker. Kept whole, a renamed target's cached copy is exactly what
// the operator wrote, so it is neither rewritten at every reconcile nor missed by the echo
// filter. It is idempotent, as the transform must be: a second pass finds at most the marker,
// one small unknown key, and keeps it. The marked data is a new map: a map never shrinks, so
// one emptied of many keys would keep their room.
func knownData(data map[string][]byte) map[string][]byte {
	unknownKeys, unknownBytes := 0, 0
	for k, v := range data {
		if !knownSecretKeys[k] {
			unknownKeys++
			unknownBytes += len(k) + len(v)
		}
	}
	if unknownKeys <= maxKeptUnknownKeys && unknownBytes <= maxKeptUnknownBytes {
		return data
	}
	kept := make(map[string][]byte, len(knownSecretKeys)+1)
	for k, v := range data {
		if !knownSecretKeys[k] {
			k, v = strippedKeysMarker, nil
		}
		kept[k] = v
	}
	return kept
}

// strippedKeysMarker stands, in a cached Secret, for the data keys trimCachedSecret dropped.
// The '/' makes it an invalid Secret key: it cannot clash with a real one, and the API server
// would refuse it should it ever be written (it is not: applyTarget and applyState replace Data).
const strippedKeysMarker = "cyclr-token-operator/stripped-keys"

// trimCachedSecret is the cache transform of Secrets; it bounds what a Secret that merely
// carries the managed-by label costs in memory. The informer hands it each object before
// anyone else sees it, so it may change it in place; it must be idempotent.
//
// A Secret a CyclrCredential controls keeps its metadata whole, because the reconciler updates
// it from the cached copy (writeOwnedSecret) and anything dropped here would be erased on the
// live Secret. Of its data it keeps the known keys and a few small unknown ones (knownData);
// more or larger unknown keys are replaced by strippedKeysMarker. That is safe: no reader
// looks at unknown keys (policy.StateFromSecret reads the state keys; the target is only
// compared and rewritten), and every write replaces Data whole, so the dropped keys are never
// written back, while on the live Secret they go at the next write as before. A tampered
// target (a key added) never looks like what the operator wrote: a few small added keys are
// kept, and more are stood for by the marker, so the echo filter (skipEchoes) lets its event
// through and applyTarget sees a change, and the target is restored at once as before.
//
// Any other Secret keeps only what the reconciler needs to see that it exists and who
// controls it. Not its data or annotations (kubectl's last-applied-configuration holds the
// whole data), nor labels or owner references beyond the operator's labels and the controller
// reference: with no limit on their number, they could hold as much.
func trimCachedSecret(obj any) (any, error) {
	s, ok := obj.(*corev1.Secret)
	if !ok {
		return obj, nil
	}
	if credentialControlled(s) {
		s.ManagedFields = nil
		s.Data = knownData(s.Data)
		internSecret(s)
		return s, nil
	}
	kept := &corev1.Secret{TypeMeta: s.TypeMeta, Type: s.Type, ObjectMeta: metav1.ObjectMeta{
		Name: s.Name, Namespace: s.Namespace, UID: s.UID, ResourceVersion: s.ResourceVersion,
	}}
	for _, k := range []string{authv1alpha1.ManagedByLabel, authv1alpha1.CredentialLabel, authv1alpha1.RoleLabel} {
		if v, ok := s.Labels[k]; ok {
			if kept.Labels == nil {
				kept.Labels = map[string]string{}
			}
			kept.Labels[k] = v
		}
	}
	if ref := metav1.GetControllerOfNoCopy(s); ref != nil {
		kept.OwnerReferences = []metav1.OwnerReference{*ref}
	}
	internSecret(kept)
	return kept, nil
}

// lastAppliedAnnotation is where `kubectl apply` keeps the whole manifest it applied.
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// trimCachedCredential is the cache transform of CyclrCredentials: it drops managedFields and
// kubectl's last-applied-configuration, a second copy of the spec that the reconciler never
// reads, and pools the strings credentials repeat (internCredential). Nothing is written back
// from the cached copy but merge patches of the status and the finalizers, which leave the
// annotations as they are on the live object.
func trimCachedCredential(obj any) (any, error) {
	cred, ok := obj.(*authv1alpha1.CyclrCredential)
	if !ok {
		return obj, nil
	}
	cred.ManagedFields = nil
	delete(cred.Annotations, lastAppliedAnnotation)
	internCredential(cred)
	return cred, nil
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
// own, it watches the metadata of every Secret without the managed-by label, in a cache of its
// own that keeps only names (a shared cache would apply the managed-Secret label selector to
// them too), so a change to a credentials Secret or the removal of a conflicting target is
// noticed, and a target name neither cache knows is known to be free.
func (r *CyclrCredentialReconciler) SetupWithManager(mgr ctrl.Manager, opts Options) error {
	ctx := context.Background()
	if err := mgr.GetFieldIndexer().IndexField(ctx, &authv1alpha1.CyclrCredential{}, secretNamesIndex, secretNames); err != nil {
		return fmt.Errorf("indexing CyclrCredentials by Secret: %w", err)
	}
	// The Secrets the manager's cache holds (the managed-by label) are left out: the metadata
	// of the operator's own Secrets would cost two more entries per credential, and their
	// watch events would reach the operator twice.
	unmanaged, _ := labels.NewRequirement(authv1alpha1.ManagedByLabel, selection.NotEquals, []string{authv1alpha1.ManagedByValue})
	secretMetadata, err := cache.New(mgr.GetConfig(), cache.Options{
		HTTPClient:           mgr.GetHTTPClient(),
		Scheme:               mgr.GetScheme(),
		Mapper:               mgr.GetRESTMapper(),
		DefaultNamespaces:    namespaceConfigs(opts.Namespaces),
		DefaultLabelSelector: labels.NewSelector().Add(*unmanaged),
		DefaultTransform:     keepIdentityOnly,
	})
	if err != nil {
		return fmt.Errorf("creating the Secret metadata cache: %w", err)
	}
	if err := mgr.Add(metadataCache{secretMetadata}); err != nil {
		return err
	}
	r.unmanagedSecrets = secretMetadata
	secretMeta := &metav1.PartialObjectMetadata{}
	secretMeta.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))

	return ctrl.NewControllerManagedBy(mgr).
		For(&authv1alpha1.CyclrCredential{}, builder.WithPredicates(
			predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		Owns(&corev1.Secret{}, builder.WithPredicates(r.writes.skipEchoes())).
		// A labelled Secret no credential controls may still be a login Secret or stand in the
		// way of a target: those are found by name, as in the metadata watch.
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.credentialsUsingSecret),
			builder.WithPredicates(skipCredentialControlled())).
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
