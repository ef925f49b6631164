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

package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// phaseUnrelated: unrelated Secrets in another namespace, then the manager's memory, live and
// after a restart.
func (b *bench) phaseUnrelated(ctx context.Context) error {
	if err := ensureNamespace(ctx, b.k8s, nsUnrelated); err != nil {
		return err
	}
	start := time.Now()
	if err := unrelatedSecrets(ctx, b.k8s, nsUnrelated, b.c.unrelated, b.c.unrelatedSize, b.c.createWorkers); err != nil {
		return err
	}
	b.fig.unrelatedTook = time.Since(start)
	logf("created %d unrelated Secrets of %d bytes in %s", b.c.unrelated, b.c.unrelatedSize, b.fig.unrelatedTook.Round(time.Millisecond))
	var err error
	if b.fig.memLive, _, err = b.mgr.settledMemory(ctx, b.c.settle, b.c.gcWait); err != nil {
		return err
	}
	code, took, err := b.mgr.stop()
	b.mgr = nil
	if err != nil || code != 0 {
		b.failed = append(b.failed, fmt.Sprintf("SIGTERM before the memory restart: exit code %d after %s (%v)", code, took, err))
	}
	b.cyclr.Reset()
	if err := b.startManager(ctx); err != nil {
		return err
	}
	if err := b.mgr.waitIdle(ctx, 3*time.Second, 5*time.Minute); err != nil {
		return err
	}
	b.fig.memFresh, b.fig.maxFresh, err = b.mgr.settledMemory(ctx, b.c.settle, b.c.gcWait)
	if err == nil && b.cyclr.Requests() != 0 {
		b.failed = append(b.failed, fmt.Sprintf("second restart: %d Cyclr requests", b.cyclr.Requests()))
	}
	return err
}

// unrelatedSecrets creates n Secrets of size bytes of data each in ns.
func unrelatedSecrets(ctx context.Context, c client.Client, ns string, n, size, workers int) error {
	return parallel(ctx, n, workers, func(ctx context.Context, i int) error {
		data := make([]byte, size)
		_, _ = rand.Read(data)
		s := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("unrelated-%05d", i),
				Labels: map[string]string{"app": "unrelated"}},
			Data: map[string][]byte{"blob": data},
		}
		return retryWrite(func() error { return c.Create(ctx, s) })
	})
}
