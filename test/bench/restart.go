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
)

// phaseRestart: SIGTERM, a new manager, Cyclr requests and API writes for a minute.
func (b *bench) phaseRestart(ctx context.Context) error {
	code, took, err := b.mgr.stop()
	b.mgr = nil
	b.fig.stopExit, b.fig.stopTook = code, took
	if err != nil {
		return err
	}
	b.cyclr.Reset()
	b.cyclrShort.Reset()
	before, _, err := b.apiWrites(ctx)
	if err != nil {
		return err
	}
	b.fig.restartRan = true
	if err := b.startManager(ctx); err != nil {
		return err
	}
	start := b.mgr.started
	b.fig.restartUp = time.Since(start)
	end := start.Add(b.c.restartWindow)
	for time.Now().Before(end) {
		st, err := b.mgr.reconcileState(ctx)
		if err != nil {
			return err
		}
		if !b.fig.restartDone && st.reconciles >= float64(b.c.n) && st.depth == 0 && st.active == 0 {
			b.fig.restartAll, b.fig.restartDone = time.Since(start), true
			logf("after the restart: %0.f reconciles, queue empty, %s after the process started",
				st.reconciles, b.fig.restartAll.Round(time.Millisecond))
		}
		b.fig.restartRecs = st.reconciles
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	after, _, err := b.apiWrites(ctx)
	if err != nil {
		return err
	}
	b.fig.restartWrites = after.minus(before)
	b.fig.restartRequests = b.cyclr.Requests() + b.cyclrShort.Requests()
	if b.fig.memManaged, b.fig.maxManaged, err = b.mgr.settledMemory(ctx, b.c.settle, b.c.gcWait); err != nil {
		return err
	}
	if b.c.heapProfile != "" {
		if err := b.mgr.saveHeapProfile(ctx, b.c.heapProfile); err != nil {
			return err
		}
		logf("heap profile with %d credentials written to %s", b.c.n, b.c.heapProfile)
	}
	return nil
}
