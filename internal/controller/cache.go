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
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
)

// CacheOptions configures the manager's cache. CyclrCredentials are cached whole (less what
// trimCachedCredential drops); Secrets, the operator's own included, only as metadata
// (trimSecretMetadata): what the reconciler needs of a Secret's data it reads from the API
// server when it needs it, so memory grows neither with the cluster's other Secrets nor
// with the tokens the operator writes.
func CacheOptions(namespaces []string) cache.Options {
	return cache.Options{
		DefaultNamespaces: namespaceConfigs(namespaces),
		DefaultTransform:  cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			// Keyed by kind, so this applies to the metadata-only informer of Secrets; a type's
			// Transform replaces DefaultTransform.
			&corev1.Secret{}:                {Transform: trimSecretMetadata},
			&authv1alpha1.CyclrCredential{}: {Transform: trimCachedCredential},
		},
	}
}

// keptSecretAnnotations are the annotations the reconciler reads from a cached Secret: the
// state Secret's description of its token, and the mark of a target a deleted credential
// retained. maxKeptAnnotationBytes bounds each: longer values are not the operator's.
var keptSecretAnnotations = append([]string{authv1alpha1.RetainedFromAnnotation}, policy.StateAnnotations...)

const maxKeptAnnotationBytes = 256

// trimSecretMetadata is the cache transform of Secrets' metadata: it keeps what identifies a
// Secret, its controller reference (whose it is) and keptSecretAnnotations. Not other labels
// or annotations: `kubectl apply` keeps a Secret's whole data in one, and anyone who may edit
// a Secret may add as many as they like. The informer hands it each object before anyone
// else sees it; it must be idempotent.
func trimSecretMetadata(obj any) (any, error) {
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return obj, nil
	}
	kept := &metav1.PartialObjectMetadata{TypeMeta: m.TypeMeta, ObjectMeta: metav1.ObjectMeta{
		Name: m.Name, Namespace: m.Namespace, UID: m.UID, ResourceVersion: m.ResourceVersion,
	}}
	if ref := metav1.GetControllerOfNoCopy(m); ref != nil {
		kept.OwnerReferences = []metav1.OwnerReference{*ref}
	}
	for _, k := range keptSecretAnnotations {
		if v, ok := m.Annotations[k]; ok && len(v) <= maxKeptAnnotationBytes {
			if kept.Annotations == nil {
				kept.Annotations = map[string]string{}
			}
			kept.Annotations[k] = v
		}
	}
	return kept, nil
}

// lastAppliedAnnotation is where `kubectl apply` keeps the whole manifest it applied.
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// trimCachedCredential is the cache transform of CyclrCredentials: it drops managedFields and
// kubectl's last-applied-configuration, a second copy of the spec that the reconciler never
// reads. Nothing is written back from the cached copy but merge patches of the status and the
// finalizers, which leave the annotations as they are on the live object.
func trimCachedCredential(obj any) (any, error) {
	cred, ok := obj.(*authv1alpha1.CyclrCredential)
	if !ok {
		return obj, nil
	}
	cred.ManagedFields = nil
	delete(cred.Annotations, lastAppliedAnnotation)
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
