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
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr/cyclrtest"
)

// Namespaces of the bench's phases.
const (
	nsBaseline  = "bench-baseline"
	nsLoad      = "bench-load"
	nsRefresh   = "bench-refresh"
	nsUnrelated = "bench-unrelated"
)

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
