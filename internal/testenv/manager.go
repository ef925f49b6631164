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

package testenv

import (
	"bytes"
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/cyclr-operator/cyclr-token-operator/internal/logging"
)

// zapDebugAll asks for every V-level, as a user turning verbosity all the way up would; the
// operator's cap (logging.Capped) still applies, so a leak check sees all it can ever log.
const zapDebugAll = zapcore.Level(-10)

// ManagerOptions are the options of an in-process manager like cmd/main.go's, logging at the
// highest verbosity the operator allows into logs, with no metrics or probe listener (many
// managers run at once). The caller adds the cache options and, if it wants, leader election.
func (s *Suite) ManagerOptions(logs io.Writer) ctrl.Options {
	return ctrl.Options{
		Scheme:                 s.Scheme,
		Logger:                 zap.New(zap.WriteTo(logs), zap.UseDevMode(false), zap.Level(logging.Capped(zapDebugAll))),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: new(true)},
	}
}

// Running is a started manager.
type Running struct {
	Name    string
	cancel  context.CancelFunc
	done    chan error
	stopped bool
}

// Run runs mgr until Stop.
func Run(name string, mgr ctrl.Manager) *Running {
	ctx, cancel := context.WithCancel(context.Background())
	r := &Running{Name: name, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- mgr.Start(ctx) }()
	return r
}

// Stop stops the manager as SIGTERM does and checks that it exits cleanly. A second call
// does nothing.
func (r *Running) Stop(t testing.TB) {
	t.Helper()
	if r.stopped {
		return
	}
	r.stopped = true
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("%s exited with %v", r.Name, err)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("%s did not stop within 30s", r.Name)
	}
}

// LogBuffer collects managers' log output; it is safe for concurrent writers.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
