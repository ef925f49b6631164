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
	"fmt"
	"io"
	"os"
	goruntime "runtime"
	"slices"
	"strings"
	"time"
)

// Targets of issue 15 (docs/benchmarks.md).
const (
	maxReadyRatio        = 1.5
	maxRestartAll        = 10 * time.Second
	maxHeapPerCredential = 4096
)

// report prints every figure next to its floor or target.
func (b *bench) report(w io.Writer, runErr error) {
	c, f := b.c, &b.fig
	pf := func(format string, args ...any) { _, _ = fmt.Fprintf(w, format, args...) }
	n := float64(c.n)
	mib := func(v int64) string { return fmt.Sprintf("%.1f MiB", float64(v)/(1<<20)) }
	check := func(ok bool, what string) string {
		if ok {
			return "OK"
		}
		b.failed = append(b.failed, what)
		return "MISSED"
	}
	pf("\n=== cyclr-token-operator benchmark ===\n")
	pf("machine: %d CPUs (GOMAXPROCS %d), %s/%s, %s; kube-apiserver + etcd from %s\n",
		goruntime.NumCPU(), goruntime.GOMAXPROCS(0), goruntime.GOOS, goruntime.GOARCH, goruntime.Version(), os.Getenv("KUBEBUILDER_ASSETS"))
	pf("manager: %s --kubeconfig=... --metrics-bind-address=127.0.0.1:PORT %s\n", c.manager, strings.Join(c.managerFlags(), " "))
	pf("bench:   -n %d -refresh-n %d -lifetime %s -unrelated %d -unrelated-size %d -concurrency %d -create-workers %d -restart-window %s\n\n",
		c.n, c.refreshN, c.lifetime, c.unrelated, c.unrelatedSize, c.concurrency, c.createWorkers, c.restartWindow)

	if f.ready > 0 {
		pf("(1) %d CyclrCredentials created at once, all Ready (TokenValid): %s (creating them took %s)\n",
			c.n, f.ready.Round(time.Millisecond), f.created.Round(time.Millisecond))
		if f.baseline > 0 {
			ratio := f.ready.Seconds() / f.baseline.Seconds()
			pf("    floor: the same writes done directly (%d target + %d state Secrets + %d status patches, %d workers): %s\n",
				c.n, c.n, c.n, c.concurrency, f.baseline.Round(time.Millisecond))
			pf("    ratio: %.2f  (%.1f credentials/s vs %.1f/s)   target: at most %.1f   %s\n", ratio, n/f.ready.Seconds(),
				n/f.baseline.Seconds(), maxReadyRatio, check(ratio <= maxReadyRatio, "(1) time to Ready against the floor"))
		}
		mgrWrites := f.loadWrites.total(func(k writeKey) bool { return k.resource != resourceCredentials || k.subresource != "" })
		reads := f.loadReads.total(func(writeKey) bool { return true })
		pf("    API requests by the manager per credential: %.2f (%.2f writes + %.2f GETs) vs 3 in the floor run; "+
			"%.1f ms of the run per manager request\n",
			(mgrWrites+reads)/n, mgrWrites/n, reads/n, 1000*f.ready.Seconds()/(mgrWrites+reads))
		pf("    manager reconciles: %.0f (%.2f per credential); API writes during the run, by verb/resource/code:\n",
			f.loadRecs, f.loadRecs/n)
		for _, l := range f.loadWrites.lines(n) {
			pf("      %s\n", l)
		}
		pf("    API reads (GET) during the run:\n")
		for _, l := range f.loadReads.lines(n) {
			pf("      %s\n", l)
		}
		perCred := float64(f.loadRequests) / n
		pf("\n(2) Cyclr token requests per credential: %.2f (%d for %d)   floor: exactly 1.00   %s\n\n",
			perCred, f.loadRequests, c.n, check(f.loadRequests == c.n, "(2) Cyclr requests per credential"))
		sw := f.loadWrites.total(isManagerWrite) / n
		pf("    (issue: Secret + status writes per credential: %.2f, floor 3; events %.2f; 409 conflicts %.0f)\n\n",
			sw, f.loadWrites.total(isEvent)/n, f.loadWrites.total(isConflict))
	}
	if f.cycleWrites != nil {
		rn := float64(c.refreshN)
		per := f.cycleWrites.total(isManagerWrite) / rn
		pf("(3) API writes per credential per refresh cycle (%d credentials, %s lifetime): %.2f   floor: 3 (state + target + status)   %s\n",
			c.refreshN, c.lifetime, per, check(per <= 3.0, "(3) writes per refresh cycle"))
		pf("    Secrets %.2f, status %.2f, events %.2f (not in the floor), 409 conflicts %.0f; reconciles %.2f per credential\n",
			f.cycleWrites.total(isSecret)/rn, f.cycleWrites.total(isStatus)/rn, f.cycleWrites.total(isEvent)/rn,
			f.cycleWrites.total(isConflict), f.cycleRecs/rn)
		for _, l := range f.cycleWrites.lines(rn) {
			pf("      %s\n", l)
		}
		pf("    Cyclr requests in the cycle: %d (%d refresh_token successes) for %d credentials   floor: %d   %s\n",
			f.cycleRequests, f.cycleRefresh, c.refreshN, c.refreshN, check(f.cycleRequests == c.refreshN, "(3) Cyclr requests per refresh"))
		pf("    revisions at the end of the window: %v (want all 2)\n\n", f.cycleRevision)
	}
	if f.restartRan {
		pf("(4) restart: SIGTERM exit code %d after %s   %s\n", f.stopExit, f.stopTook.Round(time.Millisecond),
			check(f.stopExit == 0, "(4) SIGTERM exit code"))
		pf("    Cyclr requests in the %s after the restart, all %d tokens valid: %d   floor: 0   %s\n",
			c.restartWindow, c.n, f.restartRequests, check(f.restartRequests == 0, "(4) Cyclr requests after restart"))
		if f.restartDone {
			pf("    every credential reconciled (reconcile_total >= %d, queue empty): %s after the process started (metrics up after %s)"+
				"   target: %s   %s\n", c.n, f.restartAll.Round(time.Millisecond), f.restartUp.Round(time.Millisecond),
				maxRestartAll, check(f.restartAll <= maxRestartAll, "(4) every credential reconciled after a restart"))
		} else {
			pf("    NOT every credential reconciled within %s (reconcile_total %.0f)   MISSED\n", c.restartWindow, f.restartRecs)
			b.failed = append(b.failed, "(4) credentials reconciled after restart")
		}
		rw := f.restartWrites.total(func(writeKey) bool { return true })
		pf("    reconciles in the window: %.0f; API writes in the window: %.0f   floor: 0   %s\n",
			f.restartRecs, rw, check(rw == 0, "(4) API writes after restart"))
		for _, l := range f.restartWrites.lines(n) {
			pf("      %s\n", l)
		}
		pf("\n")
	}
	if f.memFresh.rss > 0 {
		data := int64(c.unrelated) * int64(c.unrelatedSize)
		growth := f.memFresh.rss - f.memManaged.rss
		pf("(5) manager memory: VmRSS (of it anonymous, not the binary's pages); "+
			"Go heap live after the last GC / heap in use (sampled %s after the first GC once idle: %v)\n",
			c.settle, c.gcWait)
		line := func(what string, m memory, maxRSS int64) {
			extra := ""
			if maxRSS > m.rss {
				extra = fmt.Sprintf(" (max %s)", mib(maxRSS))
			}
			pf("    %-58s %s%s (anon %s); heap %s / %s\n", what, mib(m.rss), extra, mib(m.rssAnon), mib(m.heapLive), mib(m.heapInuse))
		}
		line("no credentials, no unrelated Secrets:", f.memEmpty, 0)
		line(fmt.Sprintf("%d credentials, 0 unrelated Secrets (after a restart):", c.n), f.memManaged, f.maxManaged)
		line(fmt.Sprintf("+ %d unrelated Secrets, seen through the watch:", c.unrelated), f.memLive, 0)
		line(fmt.Sprintf("+ %d unrelated Secrets, after a restart:", c.unrelated), f.memFresh, f.maxFresh)
		heapPer := float64(f.memManaged.heapLive-f.memEmpty.heapLive) / n
		pf("    per credential: live heap %.0f bytes, RSS %.0f bytes (%d credentials against none)   target: live heap at most %d bytes   %s\n",
			heapPer, float64(f.memManaged.rss-f.memEmpty.rss)/n, c.n, maxHeapPerCredential,
			check(heapPer <= maxHeapPerCredential, "(5) live heap per credential"))
		pf("    %d credentials + %d unrelated Secrets: RSS %s = %.0f%% of the %s limit (anonymous %s = %.0f%%)   target: at most half   %s\n",
			c.n, c.unrelated, mib(max(f.memFresh.rss, f.maxFresh)), 100*float64(max(f.memFresh.rss, f.maxFresh))/float64(c.memoryLimit),
			mib(c.memoryLimit), mib(f.memFresh.rssAnon), 100*float64(f.memFresh.rssAnon)/float64(c.memoryLimit),
			check(2*max(f.memFresh.rss, f.maxFresh) <= c.memoryLimit, "(5) RSS against half the memory limit"))
		pf("    growth from %s of unrelated Secret data: RSS %+.1f MiB (%.1f%% of the data), live heap %+.1f MiB (%.0f bytes per Secret)\n",
			mib(data), float64(growth)/(1<<20), 100*float64(growth)/float64(data),
			float64(f.memFresh.heapLive-f.memManaged.heapLive)/(1<<20),
			float64(f.memFresh.heapLive-f.memManaged.heapLive)/float64(max(c.unrelated, 1)))
		perSecret := float64(f.memFresh.heapLive-f.memManaged.heapLive) / float64(max(c.unrelated, 1))
		pf("    target: RSS growth < 1/3 of the data, and < 1 KiB of live heap per unrelated Secret (a metadata-only\n"+
			"    cache entry; a cached copy would cost at least its %d bytes of data)   %s\n",
			c.unrelatedSize, check(float64(growth) < float64(data)/3 && perSecret < 1024, "(5) memory growth with unrelated Secrets"))
		pf("\n")
	}
	if s := f.spread; s != nil {
		pf("(6) planned refreshes (status.refreshAt) of %d credentials created within %s (token lifetime %s)\n",
			s.n, s.created[1].Sub(s.created[0]), s.lifetime)
		pf("    min %s, max %s (spread %s); %d distinct seconds, at most %d in one second\n",
			s.min.UTC().Format(time.RFC3339), s.max.UTC().Format(time.RFC3339), s.max.Sub(s.min), s.distinct, s.maxPerSecond)
		pf("    outside [expiresAt - lifetime/3 - 5%%, expiresAt - lifetime/3]: %d; without a plan: %d   %s\n\n",
			s.outOfWindow, s.missingPlan, check(s.outOfWindow == 0 && s.missingPlan == 0, "(6) refresh plan window"))
	}
	if runErr != nil {
		pf("the run stopped early: %v\n", runErr)
	}
	if len(b.failed) > 0 {
		slices.Sort(b.failed)
		pf("missed: %s\n", strings.Join(b.failed, "; "))
	}
}
