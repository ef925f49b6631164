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
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
)

// ownWrites remembers what the operator is writing to each Secret it manages, recorded before
// the write, until the watch event of that write arrives. That event is an echo: the
// reconcile that made it has already acted, and reconciling again would cost a read of the
// credentials Secret and, when the cache has not yet seen the status just written, a redundant
// status patch. The comparison is by content, not resourceVersion, because the event often
// arrives before the write returns. A Secret that holds anything else (a tampered target) is
// reconciled and restored. The memory of a write goes with its echo, so the operator holds
// nothing per Secret once its writes have come back.
type ownWrites struct{ contents keyedStrings }

// expect records the content secret is about to be written with.
func (w *ownWrites) expect(secret *corev1.Secret) {
	w.contents.set(client.ObjectKeyFromObject(secret), secretContent(secret))
}

// isEcho reports whether obj holds what the operator last wrote to it and, if so, forgets
// that write: one write has one watch event.
func (w *ownWrites) isEcho(obj client.Object) bool {
	secret, ok := obj.(*corev1.Secret)
	if !ok {
		return false
	}
	return w.contents.deleteIf(client.ObjectKeyFromObject(secret), secretContent(secret))
}

// skipEchoes drops the create and update events of Secrets that hold what the operator
// wrote, and the updates that change nothing (an informer's resync or relist hands every
// object over again; the credential plans its own next look). A deletion always passes, and
// the memory of that Secret goes with it.
func (w *ownWrites) skipEchoes() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc: func(e event.CreateEvent) bool { return !w.isEcho(e.Object) },
		UpdateFunc: func(e event.UpdateEvent) bool {
			unchanged := e.ObjectOld != nil && e.ObjectOld.GetResourceVersion() == e.ObjectNew.GetResourceVersion()
			return !unchanged && !w.isEcho(e.ObjectNew)
		},
		DeleteFunc: func(e event.DeleteEvent) bool {
			w.contents.delete(client.ObjectKeyFromObject(e.Object))
			return true
		},
	}
}

// skipCredentialControlled drops the create and update events of Secrets a CyclrCredential
// controls from the metadata watch of all Secrets: the Owns watch, which sees them in full,
// handles those. Deletions pass, so a credential waiting for a conflicting target name to be
// freed hears of it.
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
