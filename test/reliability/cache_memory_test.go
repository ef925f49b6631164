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

package reliability

import (
	"crypto/rand"
	"fmt"
	"runtime"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8srand "k8s.io/apimachinery/pkg/util/rand"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/controller"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

// TestCacheMemoryOfLabelledSecrets: the operator caches only the metadata of Secrets, its own
// included, so anyone who may create Secrets cannot make it hold their data: fifty 1 MiB
// Secrets with the managed-by label, owned by no credential, must not cost the operator (256Mi
// limit) their size in memory. The manager runs the operator's own controller, so the
// informers are the ones it starts.
//
// Not parallel: it measures this process's heap, which other tests' managers would share.
// Parallel tests wait until the sequential ones are done.
func TestCacheMemoryOfLabelledSecrets(t *testing.T) {
	const (
		count     = 50
		size      = 1 << 20 // the API server's limit for a Secret's data
		maxGrowth = 10 << 20
	)
	ctx := t.Context()
	ns := "rel-cache-" + k8srand.String(8)
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	opts := suite.ManagerOptions(&testenv.LogBuffer{})
	opts.Cache = controller.CacheOptions([]string{ns})
	mgr, err := ctrl.NewManager(suite.Config, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := controller.NewReconciler(mgr, cyclr.NewClient(cyclr.Options{}), testenv.AnyLoopbackHost).
		SetupWithManager(mgr, controller.Options{}); err != nil {
		t.Fatal(err)
	}
	running := testenv.Run("cache", mgr)
	t.Cleanup(func() { running.Stop(t) })

	// cached lists the Secrets of the namespace from the cache (which keeps no labels to select
	// on); the list is a copy, dropped by the caller.
	cached := func() []metav1.PartialObjectMetadata {
		t.Helper()
		list := &metav1.PartialObjectMetadataList{}
		list.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("SecretList"))
		if err := mgr.GetClient().List(ctx, list, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		return list.Items
	}
	// create builds, creates and drops one labelled Secret of random bytes (nothing to dedup or
	// compress), so the test holds no copy of the data when it measures.
	create := func(name string, n int) error {
		data := make([]byte, n)
		_, _ = rand.Read(data)
		return k8s.Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name,
				Labels: map[string]string{authv1alpha1.ManagedByLabel: authv1alpha1.ManagedByValue}},
			Data: map[string][]byte{"blob": data},
		})
	}
	waitCached := func(want int) {
		t.Helper()
		testenv.Eventually(t, 2*time.Minute, func() error {
			if n := len(cached()); n != want {
				return fmt.Errorf("%d of %d Secrets cached", n, want)
			}
			return nil
		})
	}

	// The informer started, synced and through one event before the baseline, so what it
	// allocates once does not count.
	if err := create("warm-up", size); err != nil {
		t.Fatal(err)
	}
	waitCached(1)
	before := heapAlloc()

	for i := range count {
		if err := create(fmt.Sprintf("big-%02d", i), size); err != nil {
			t.Fatal(err)
		}
	}
	waitCached(count + 1)
	after := heapAlloc()

	growth := int64(after) - int64(before)
	t.Logf("heap: %.1f MiB before, %.1f MiB after %d Secrets of %d KiB: growth %.1f MiB",
		mib(before), mib(after), count, size>>10, float64(growth)/(1<<20))
	if growth >= maxGrowth {
		t.Errorf("the heap grew by %.1f MiB, want < %d MiB", float64(growth)/(1<<20), maxGrowth>>20)
	}
	for _, s := range cached() {
		if len(s.Labels)+len(s.Annotations) != 0 {
			t.Errorf("Secret %s is cached with labels %v and annotations %v", s.Name, s.Labels, s.Annotations)
		}
	}
}

// heapAlloc is the live heap after a full collection.
func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
