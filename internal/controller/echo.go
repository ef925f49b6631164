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
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
)

// ownWrites remembers the resourceVersion of the operator's last write to each Secret it
// manages. The watch event such a write causes is an echo: the reconcile that made it has
// already acted, and reconciling again would cost a read of the credentials Secret and, when
// the cache has not yet seen the status just written, a redundant status patch. A write by
// anyone else carries another resourceVersion and is reconciled, so a tampered target is
// still restored. Missing an echo (the event arrived before record) costs one idle reconcile.
type ownWrites struct{ versions keyedStrings }

func (w *ownWrites) record(secret client.Object) {
	w.versions.set(client.ObjectKeyFromObject(secret), secret.GetResourceVersion())
}

func (w *ownWrites) isEcho(obj client.Object) bool {
	rv, ok := w.versions.get(client.ObjectKeyFromObject(obj))
	return ok && rv == obj.GetResourceVersion()
}

// skipEchoes drops the create and update events of the operator's own writes; a deletion
// always passes, and the memory of that Secret goes with it.
func (w *ownWrites) skipEchoes() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc: func(e event.CreateEvent) bool { return !w.isEcho(e.Object) },
		UpdateFunc: func(e event.UpdateEvent) bool { return !w.isEcho(e.ObjectNew) },
		DeleteFunc: func(e event.DeleteEvent) bool {
			w.versions.delete(client.ObjectKeyFromObject(e.Object))
			return true
		},
	}
}
