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

// Command bench measures the operator under load against a real kube-apiserver (the test
// control plane) and the Cyclr emulator, running bin/manager as a subprocess, and prints each
// figure next to its floor or target. `make bench` builds bin/manager and runs it; see
// docs/benchmarks.md for the figures and what they mean.
//
//	go run ./test/bench -n 1000 -unrelated 10000   # the full run
//	go run ./test/bench -n 50 -unrelated 500       # a quick one
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr/cyclrtest"
	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

// Namespaces of the bench's phases.
const (
	nsBaseline  = "bench-baseline"
	nsLoad      = "bench-load"
	nsRefresh   = "bench-refresh"
	nsUnrelated = "bench-unrelated"
)

type benchConfig struct {
	n, refreshN, unrelated, unrelatedSize int
	lifetime                              time.Duration
	concurrency, createWorkers            int
	cyclrQPS                              float64
	cyclrBurst                            int
	restartWindow, settle, timeout        time.Duration
	manager, workDir                      string
	keep, gcWait, strict                  bool
}

func main() {
	c := &benchConfig{}
	flag.IntVar(&c.n, "n", 1000, "CyclrCredentials created at once (figures 1, 2, 4, 6)")
	flag.IntVar(&c.refreshN, "refresh-n", 100, "CyclrCredentials of the refresh-cycle batch (figure 3)")
	flag.DurationVar(&c.lifetime, "lifetime", 30*time.Second, "token lifetime of the refresh-cycle batch")
	flag.IntVar(&c.unrelated, "unrelated", 10000, "unrelated Secrets created for the memory figure (5)")
	flag.IntVar(&c.unrelatedSize, "unrelated-size", 4096, "bytes of data in each unrelated Secret")
	flag.IntVar(&c.concurrency, "concurrency", 4, "the manager's --max-concurrent-reconciles, and the baseline's parallelism")
	flag.IntVar(&c.createWorkers, "create-workers", 32, "parallel clients creating the CyclrCredentials")
	flag.Float64Var(&c.cyclrQPS, "cyclr-qps", 1000, "the manager's --cyclr-qps")
	flag.IntVar(&c.cyclrBurst, "cyclr-burst", 1000, "the manager's --cyclr-burst")
	flag.DurationVar(&c.restartWindow, "restart-window", time.Minute, "how long Cyclr requests are counted after a restart (figure 4)")
	flag.DurationVar(&c.settle, "settle", 5*time.Second, "how long memory is sampled (once a second) once the manager is idle")
	flag.BoolVar(&c.gcWait, "gc-wait", true,
		"before sampling memory, wait for the manager's first GC after it went idle (up to 2 minutes each)")
	flag.DurationVar(&c.timeout, "timeout", 40*time.Minute, "bound on the whole run")
	flag.StringVar(&c.manager, "manager", "bin/manager", "the manager binary (go build -o bin/manager ./cmd)")
	flag.BoolVar(&c.strict, "strict", false, "exit with status 1 when a figure misses its floor (the run itself failing always does)")
	flag.BoolVar(&c.keep, "keep-logs", false, "keep the manager logs and kubeconfig even when the run succeeds")
	flag.Parse()

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, c.timeout)
	defer cancelTimeout()

	err := run(ctx, c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// bench holds what the phases share.
type bench struct {
	c          *benchConfig
	cfg        *rest.Config
	k8s        client.Client // direct to the API server
	view       client.Reader // the bench's informer cache of CyclrCredentials
	apiHTTP    *http.Client
	kubeconfig string
	cyclr      *cyclrtest.Server // Cyclr for the load batch (default lifetime)
	cyclrShort *cyclrtest.Server // Cyclr for the refresh-cycle batch (short lifetime)
	mgr        *managerProc
	mgrCount   int
	fig        figures
	failed     []string
}

// figures are the numbers the report prints.
type figures struct {
	// (1)
	baseline, created, ready time.Duration
	// (2)
	loadRequests int
	loadWrites   writes
	loadReads    writes
	loadRecs     float64
	// (3)
	cycleWrites   writes
	cycleRequests int
	cycleRefresh  int
	cycleRecs     float64
	cycleRevision map[int64]int
	// (4)
	stopExit                int
	stopTook                time.Duration
	restartUp, restartAll   time.Duration
	restartRecs             float64
	restartRequests         int
	restartWrites           writes
	restartDone, restartRan bool
	// (5)
	memEmpty, memManaged, memLive, memFresh memory
	maxManaged, maxFresh                    int64
	unrelatedTook                           time.Duration
	// (6)
	spread *spread
}

func run(ctx context.Context, c *benchConfig) (err error) {
	if _, err := os.Stat(c.manager); err != nil {
		return fmt.Errorf("%s: %w (build it with: go build -o bin/manager ./cmd)", c.manager, err)
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	b := &bench{c: c}
	if c.workDir, err = os.MkdirTemp("", "cyclr-bench-"); err != nil {
		return err
	}
	defer func() {
		if err != nil || len(b.failed) > 0 || c.keep {
			fmt.Printf("\nmanager logs and kubeconfig kept in %s\n", c.workDir)
		} else {
			_ = os.RemoveAll(c.workDir)
		}
	}()

	logf("starting the control plane (KUBEBUILDER_ASSETS=%s)", os.Getenv("KUBEBUILDER_ASSETS"))
	cfg, stopEnv, err := testenv.Start()
	if err != nil {
		return err
	}
	defer func() {
		if serr := stopEnv(); serr != nil {
			logf("stopping the control plane: %v", serr)
		}
	}()
	cfg.QPS = -1 // like the manager (controller-runtime's default): no client-side limit
	b.cfg = cfg
	if b.apiHTTP, err = rest.HTTPClientFor(cfg); err != nil {
		return err
	}
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = authv1alpha1.AddToScheme(scheme)
	if b.k8s, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		return err
	}
	view, err := cache.New(cfg, cache.Options{Scheme: scheme, ByObject: map[client.Object]cache.ByObject{
		&authv1alpha1.CyclrCredential{}: {},
	}})
	if err != nil {
		return err
	}
	if _, err := view.GetInformer(ctx, &authv1alpha1.CyclrCredential{}); err != nil {
		return err
	}
	viewCtx, stopView := context.WithCancel(ctx)
	defer stopView()
	go func() { _ = view.Start(viewCtx) }()
	if !view.WaitForCacheSync(ctx) {
		return errors.New("the bench's cache did not sync")
	}
	b.view = view

	b.kubeconfig = filepath.Join(c.workDir, "kubeconfig")
	if err := writeKubeconfig(cfg, b.kubeconfig); err != nil {
		return err
	}
	b.cyclr = cyclrtest.NewServer()
	defer b.cyclr.Close()
	b.cyclrShort = cyclrtest.NewServer(cyclrtest.WithLifetime(c.lifetime))
	defer b.cyclrShort.Close()
	for _, s := range []*cyclrtest.Server{b.cyclr, b.cyclrShort} {
		s.AddPartner(clientID, username, password)
	}
	defer func() { b.mgr.kill() }()

	phases := []struct {
		name string
		f    func(context.Context) error
	}{
		{"baseline: direct writes", b.phaseBaseline},
		{"load: N credentials at once", b.phaseLoad},
		{"refresh cycle", b.phaseRefreshCycle},
		{"restart", b.phaseRestart},
		{"unrelated Secrets", b.phaseUnrelated},
	}
	for _, p := range phases {
		logf("phase: %s", p.name)
		if err = p.f(ctx); err != nil {
			err = fmt.Errorf("phase %q: %w", p.name, err)
			break
		}
	}
	if b.mgr != nil {
		code, took, serr := b.mgr.stop()
		if serr != nil || code != 0 {
			b.failed = append(b.failed, fmt.Sprintf("final SIGTERM: exit code %d after %s (%v)", code, took, serr))
		}
		b.mgr = nil
	}
	b.report(os.Stdout, err)
	if err == nil && len(b.failed) > 0 && c.strict {
		err = fmt.Errorf("%d figure(s) missed their floor: %s", len(b.failed), strings.Join(b.failed, "; "))
	}
	return err
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

func (b *bench) apiserverMetrics(ctx context.Context) ([]sample, error) {
	return scrape(ctx, b.apiHTTP, strings.TrimRight(b.cfg.Host, "/")+"/metrics")
}

func (b *bench) apiWrites(ctx context.Context) (writes, writes, error) {
	s, err := b.apiserverMetrics(ctx)
	if err != nil {
		return nil, nil, err
	}
	return writesFrom(s), requestsFrom(s, readVerbs), nil
}

func (b *bench) startManager(ctx context.Context) error {
	b.mgrCount++
	m, err := startManager(ctx, b.c, b.kubeconfig, filepath.Join(b.c.workDir, fmt.Sprintf("manager-%d.log", b.mgrCount)))
	if err != nil {
		return err
	}
	b.mgr = m
	return nil
}

// phaseBaseline: the writes the work needs, done directly, before any manager runs.
func (b *bench) phaseBaseline(ctx context.Context) error {
	if err := ensureNamespace(ctx, b.k8s, nsBaseline); err != nil {
		return err
	}
	took, err := baselineWrites(ctx, b.k8s, nsBaseline, b.c.n, b.c.concurrency, b.c.createWorkers, b.cyclr.URL)
	if err != nil {
		return err
	}
	b.fig.baseline = took
	logf("baseline: %d x (2 Secret creates + 1 status patch) on %d workers took %s", b.c.n, b.c.concurrency, took.Round(time.Millisecond))
	// Clean up so the manager never sees them (envtest runs no garbage collector).
	if err := b.k8s.DeleteAllOf(ctx, &corev1.Secret{}, client.InNamespace(nsBaseline)); err != nil {
		return err
	}
	return b.k8s.DeleteAllOf(ctx, &authv1alpha1.CyclrCredential{}, client.InNamespace(nsBaseline))
}

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
	b.fig.memManaged, b.fig.maxManaged, err = b.mgr.settledMemory(ctx, b.c.settle, b.c.gcWait)
	return err
}

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

// spread describes the planned refresh times of credentials created together.
type spread struct {
	n                        int
	created                  [2]time.Time // first and last creationTimestamp
	min, max                 time.Time
	distinct, maxPerSecond   int
	lifetime                 time.Duration
	outOfWindow, missingPlan int
}

func refreshSpread(items []authv1alpha1.CyclrCredential) *spread {
	s := &spread{n: len(items)}
	perSecond := map[int64]int{}
	for i, c := range items {
		ct := c.CreationTimestamp.Time
		if i == 0 || ct.Before(s.created[0]) {
			s.created[0] = ct
		}
		if ct.After(s.created[1]) {
			s.created[1] = ct
		}
		st := c.Status
		if st.RefreshAt == nil || st.IssuedAt == nil || st.ExpiresAt == nil {
			s.missingPlan++
			continue
		}
		at := st.RefreshAt.Time
		if s.min.IsZero() || at.Before(s.min) {
			s.min = at
		}
		if at.After(s.max) {
			s.max = at
		}
		perSecond[at.Unix()]++
		lifetime := st.ExpiresAt.Sub(st.IssuedAt.Time)
		s.lifetime = max(s.lifetime, lifetime)
		// refreshAt = expiresAt - lifetime/3 - jitter, jitter in [0, 5% of the lifetime]; the
		// status keeps whole seconds, so allow one second either side.
		latest := st.ExpiresAt.Add(-lifetime / 3)
		earliest := latest.Add(-lifetime / 20)
		if at.Before(earliest.Add(-time.Second)) || at.After(latest.Add(time.Second)) {
			s.outOfWindow++
		}
	}
	s.distinct = len(perSecond)
	for _, v := range perSecond {
		s.maxPerSecond = max(s.maxPerSecond, v)
	}
	return s
}

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
		ratio := f.ready.Seconds() / f.baseline.Seconds()
		pf("(1) %d CyclrCredentials created at once, all Ready (TokenValid): %s (creating them took %s)\n",
			c.n, f.ready.Round(time.Millisecond), f.created.Round(time.Millisecond))
		pf("    floor: the same writes done directly (%d target + %d state Secrets + %d status patches, %d workers): %s\n",
			c.n, c.n, c.n, c.concurrency, f.baseline.Round(time.Millisecond))
		pf("    ratio: %.2f  (%.1f credentials/s vs %.1f/s)\n", ratio, n/f.ready.Seconds(), n/f.baseline.Seconds())
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
			pf("    every credential reconciled (reconcile_total >= %d, queue empty): %s after the process started (metrics up after %s)\n",
				c.n, f.restartAll.Round(time.Millisecond), f.restartUp.Round(time.Millisecond))
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
		pf("(5) manager memory: VmRSS; Go heap live after the last GC / heap in use (sampled %s after the first GC once idle: %v)\n",
			c.settle, c.gcWait)
		line := func(what string, m memory, maxRSS int64) {
			extra := ""
			if maxRSS > m.rss {
				extra = fmt.Sprintf(" (max %s)", mib(maxRSS))
			}
			pf("    %-58s %s%s; heap %s / %s\n", what, mib(m.rss), extra, mib(m.heapLive), mib(m.heapInuse))
		}
		line("no credentials, no unrelated Secrets:", f.memEmpty, 0)
		line(fmt.Sprintf("%d credentials, 0 unrelated Secrets (after a restart):", c.n), f.memManaged, f.maxManaged)
		line(fmt.Sprintf("+ %d unrelated Secrets, seen through the watch:", c.unrelated), f.memLive, 0)
		line(fmt.Sprintf("+ %d unrelated Secrets, after a restart:", c.unrelated), f.memFresh, f.maxFresh)
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
