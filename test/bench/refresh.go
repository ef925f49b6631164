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
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr/cyclrtest"
)

// phaseRefreshCycle: a batch with a short token lifetime; API writes over one refresh cycle.
func (b *bench) phaseRefreshCycle(ctx context.Context) error {
	n := b.c.refreshN
	if err := ensureNamespace(ctx, b.k8s, nsRefresh); err != nil {
		return err
	}
	if err := loginSecret(ctx, b.k8s, nsRefresh); err != nil {
		return err
	}
	if err := createCredentials(ctx, b.k8s, nsRefresh, n, b.c.createWorkers, b.cyclrShort.URL); err != nil {
		return err
	}
	revision := func(rev int64) func(*authv1alpha1.CyclrCredential) bool {
		return func(c *authv1alpha1.CyclrCredential) bool { return isReady(c) && c.Status.Revision >= rev }
	}
	if _, err := waitCredentials(ctx, b.view, nsRefresh, n, 5*time.Minute, "Ready with revision 1", revision(1)); err != nil {
		return err
	}
	if err := b.mgr.waitIdle(ctx, 2*time.Second, time.Minute); err != nil {
		return err
	}
	var list authv1alpha1.CyclrCredentialList
	if err := b.k8s.List(ctx, &list, client.InNamespace(nsRefresh)); err != nil {
		return err
	}
	for _, c := range list.Items {
		if c.Status.Revision != 1 {
			return fmt.Errorf("%s reached revision %d before the window opened: lifetime %s too short for this machine",
				c.Name, c.Status.Revision, b.c.lifetime)
		}
	}
	before, _, err := b.apiWrites(ctx)
	if err != nil {
		return err
	}
	recs0, err := b.mgr.reconcileState(ctx)
	if err != nil {
		return err
	}
	b.cyclrShort.Reset()
	if _, err := waitCredentials(ctx, b.view, nsRefresh, n, 2*b.c.lifetime+time.Minute, "refreshed (revision 2)", revision(2)); err != nil {
		return err
	}
	// Late reconciles: idle for 2s; the next refresh is about two thirds of a lifetime away.
	if err := b.mgr.waitIdle(ctx, 2*time.Second, b.c.lifetime/3); err != nil {
		return err
	}
	after, _, err := b.apiWrites(ctx)
	if err != nil {
		return err
	}
	recs1, err := b.mgr.reconcileState(ctx)
	if err != nil {
		return err
	}
	b.fig.cycleWrites = after.minus(before)
	b.fig.cycleRequests = b.cyclrShort.Requests()
	b.fig.cycleRefresh = b.cyclrShort.Count("refresh_token", cyclrtest.OutcomeSuccess)
	b.fig.cycleRecs = recs1.reconciles - recs0.reconciles
	if err := b.k8s.List(ctx, &list, client.InNamespace(nsRefresh)); err != nil {
		return err
	}
	b.fig.cycleRevision = map[int64]int{}
	for _, c := range list.Items {
		b.fig.cycleRevision[c.Status.Revision]++
	}
	// Remove the batch, so it does not refresh during the restart figure.
	if err := b.k8s.DeleteAllOf(ctx, &authv1alpha1.CyclrCredential{}, client.InNamespace(nsRefresh)); err != nil {
		return err
	}
	if err := b.k8s.DeleteAllOf(ctx, &corev1.Secret{}, client.InNamespace(nsRefresh)); err != nil {
		return err
	}
	return b.mgr.waitIdle(ctx, 2*time.Second, time.Minute)
}
