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
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
)

// phaseLoad: an empty manager's memory, then N credentials created at once.
func (b *bench) phaseLoad(ctx context.Context) error {
	if err := b.startManager(ctx); err != nil {
		return err
	}
	var err error
	if b.fig.memEmpty, _, err = b.mgr.settledMemory(ctx, b.c.settle, b.c.gcWait); err != nil {
		return err
	}
	if err := ensureNamespace(ctx, b.k8s, nsLoad); err != nil {
		return err
	}
	if err := loginSecret(ctx, b.k8s, nsLoad); err != nil {
		return err
	}
	if err := b.mgr.waitIdle(ctx, time.Second, time.Minute); err != nil {
		return err
	}
	before, beforeReads, err := b.apiWrites(ctx)
	if err != nil {
		return err
	}
	recs0, err := b.mgr.reconcileState(ctx)
	if err != nil {
		return err
	}
	b.cyclr.Reset()

	start := time.Now()
	if err := createCredentials(ctx, b.k8s, nsLoad, b.c.n, b.c.createWorkers, b.cyclr.URL); err != nil {
		return err
	}
	b.fig.created = time.Since(start)
	logf("created %d credentials in %s", b.c.n, b.fig.created.Round(time.Millisecond))
	readyAt, err := waitCredentials(ctx, b.view, nsLoad, b.c.n, 15*time.Minute, "Ready", isReady)
	if err != nil {
		return err
	}
	b.fig.ready = readyAt.Sub(start)
	logf("all %d Ready (TokenValid) %s after the first create", b.c.n, b.fig.ready.Round(time.Millisecond))

	// Let late reconciles (watch events of the operator's own writes) finish before counting.
	if err := b.mgr.waitIdle(ctx, 3*time.Second, 5*time.Minute); err != nil {
		return err
	}
	after, afterReads, err := b.apiWrites(ctx)
	if err != nil {
		return err
	}
	recs1, err := b.mgr.reconcileState(ctx)
	if err != nil {
		return err
	}
	b.fig.loadWrites, b.fig.loadReads = after.minus(before), afterReads.minus(beforeReads)
	b.fig.loadRecs = recs1.reconciles - recs0.reconciles
	b.fig.loadRequests = b.cyclr.Requests()

	var list authv1alpha1.CyclrCredentialList
	if err := b.k8s.List(ctx, &list, client.InNamespace(nsLoad)); err != nil {
		return err
	}
	b.fig.spread = refreshSpread(list.Items)
	return nil
}
