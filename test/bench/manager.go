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
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// writeKubeconfig writes an admin kubeconfig for cfg (envtest's admin user, client certificate).
func writeKubeconfig(cfg *rest.Config, path string) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["envtest"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{
		ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken,
	}
	kc.Contexts["envtest"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "admin"}
	kc.CurrentContext = "envtest"
	return clientcmd.WriteToFile(*kc, path)
}

// managerProc is bin/manager running as a subprocess.
type managerProc struct {
	cmd        *exec.Cmd
	metricsURL string
	pprofURL   string // empty unless -heap-profile asked for one
	started    time.Time
	done       chan struct{}
	waitErr    error
	hc         *http.Client
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// managerFlags are the flags the bench runs bin/manager with, besides --kubeconfig and the
// metrics address (printed in the report).
func (c *benchConfig) managerFlags() []string {
	return []string{
		"--metrics-secure=false",
		"--health-probe-bind-address=0",
		"--leader-elect=false",
		"--max-concurrent-reconciles=" + strconv.Itoa(c.concurrency),
		"--cyclr-qps=" + strconv.FormatFloat(c.cyclrQPS, 'f', -1, 64),
		"--cyclr-burst=" + strconv.Itoa(c.cyclrBurst),
		"--allowed-api-hosts=" + strings.Join(c.apiHosts, ","),
		// The refresh-cycle batch renews tokens a few seconds old; the figures are about
		// writes per refresh, not about how often Cyclr may be called.
		"--min-refresh-interval=1s",
	}
}

func startManager(ctx context.Context, c *benchConfig, kubeconfig, logPath string) (*managerProc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	args := append([]string{"--kubeconfig=" + kubeconfig, fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", port)},
		c.managerFlags()...)
	pprofURL := ""
	if c.heapProfile != "" {
		pprofPort, err := freePort()
		if err != nil {
			return nil, err
		}
		pprofURL = fmt.Sprintf("http://127.0.0.1:%d", pprofPort)
		args = append(args, fmt.Sprintf("--pprof-bind-address=127.0.0.1:%d", pprofPort))
	}
	cmd := exec.Command(c.manager, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	m := &managerProc{
		cmd: cmd, metricsURL: fmt.Sprintf("http://127.0.0.1:%d/metrics", port), pprofURL: pprofURL,
		done: make(chan struct{}), hc: &http.Client{Timeout: 10 * time.Second},
	}
	m.started = time.Now()
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", c.manager, err)
	}
	go func() {
		m.waitErr = cmd.Wait()
		_ = logFile.Close()
		close(m.done)
	}()
	// Wait for the metrics endpoint: the manager serves it once started.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := m.metrics(ctx); err == nil {
			return m, nil
		}
		select {
		case <-m.done:
			return nil, fmt.Errorf("manager exited at start (%v); log: %s", m.waitErr, logPath)
		case <-ctx.Done():
			m.kill()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			m.kill()
			return nil, fmt.Errorf("manager metrics endpoint did not come up within 60s; log: %s", logPath)
		}
	}
}

func (m *managerProc) metrics(ctx context.Context) ([]sample, error) {
	return scrape(ctx, m.hc, m.metricsURL)
}

// stop sends SIGTERM and waits; it returns the exit code and how long the exit took.
func (m *managerProc) stop() (int, time.Duration, error) {
	start := time.Now()
	if err := m.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return -1, 0, err
	}
	select {
	case <-m.done:
	case <-time.After(30 * time.Second):
		m.kill()
		<-m.done
		return -1, time.Since(start), errors.New("manager did not exit within 30s of SIGTERM; killed")
	}
	return m.cmd.ProcessState.ExitCode(), time.Since(start), nil
}

// kill stops the manager's process group at once.
func (m *managerProc) kill() {
	if m == nil || m.cmd.Process == nil {
		return
	}
	select {
	case <-m.done:
		return
	default:
	}
	_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
	<-m.done
}

// residentMemory is the manager's resident memory from /proc/PID/status: VmRSS, and its two
// parts that matter here. RssFile is the binary's pages mapped from the page cache (clean: the
// kernel can drop them under the cgroup's limit and read them again); RssAnon is the Go heap,
// stacks and runtime, which it cannot.
type residentMemory struct {
	rss, anon, file int64
}

func (m *managerProc) residentMemory() (residentMemory, error) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(m.cmd.Process.Pid), "status"))
	if err != nil {
		return residentMemory{}, err
	}
	defer func() { _ = f.Close() }()
	var r residentMemory
	fields := map[string]*int64{"VmRSS:": &r.rss, "RssAnon:": &r.anon, "RssFile:": &r.file}
	found := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.Fields(sc.Text())
		dst, ok := fields[parts[0]]
		if !ok {
			continue
		}
		if len(parts) != 3 || parts[2] != "kB" {
			return residentMemory{}, fmt.Errorf("unexpected line %q in /proc status", sc.Text())
		}
		kb, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil {
			return residentMemory{}, err
		}
		*dst = kb * 1024
		found++
	}
	if found != len(fields) {
		return residentMemory{}, errors.New("no VmRSS, RssAnon or RssFile in /proc status")
	}
	return r, sc.Err()
}

// controllerName is the operator's controller, as its metrics label it.
const controllerName = "cyclrcredential"

// reconcileState is what the manager's metrics say about the cyclrcredential controller.
type reconcileState struct {
	reconciles, depth, active float64
}

func (m *managerProc) reconcileState(ctx context.Context) (reconcileState, error) {
	s, err := m.metrics(ctx)
	if err != nil {
		return reconcileState{}, err
	}
	ctl := map[string]string{"controller": controllerName}
	return reconcileState{
		reconciles: sum(s, "controller_runtime_reconcile_total", ctl),
		depth:      sum(s, "workqueue_depth", map[string]string{"name": controllerName}),
		active:     sum(s, "controller_runtime_active_workers", ctl),
	}, nil
}

// memory samples the manager's memory: VmRSS and its anonymous part, and the Go heap in use
// from its metrics.
type memory struct {
	rss, rssAnon, heapInuse, heapLive int64
	gcCycles                          float64
}

func (m *managerProc) memory(ctx context.Context) (memory, error) {
	resident, err := m.residentMemory()
	if err != nil {
		return memory{}, err
	}
	s, err := m.metrics(ctx)
	if err != nil {
		return memory{}, err
	}
	return memory{
		rss:       resident.rss,
		rssAnon:   resident.anon,
		heapInuse: int64(sum(s, "go_memstats_heap_inuse_bytes", nil)),
		// runtime/metrics /gc/heap/live:bytes: the heap marked live by the last GC.
		heapLive: int64(sum(s, "go_gc_heap_live_bytes", nil)),
		gcCycles: sum(s, "go_gc_cycles_total_gc_cycles_total", nil),
	}, nil
}

// settledMemory waits until the manager's workqueue has been idle for a while and, when gcWait,
// until the Go runtime has collected garbage once after that (an idle Go program is collected
// by the runtime's forced GC every 2 minutes; until then the heap and RSS still hold the
// garbage of the startup), then samples its memory once a second for window and returns the
// last sample and the largest RSS.
func (m *managerProc) settledMemory(ctx context.Context, window time.Duration, gcWait bool) (last memory, maxRSS int64, err error) {
	if err := m.waitIdle(ctx, 2*time.Second, 5*time.Minute); err != nil {
		return memory{}, 0, err
	}
	if gcWait {
		first, err := m.memory(ctx)
		if err != nil {
			return memory{}, 0, err
		}
		deadline := time.Now().Add(150 * time.Second)
		for {
			cur, err := m.memory(ctx)
			if err != nil {
				return memory{}, 0, err
			}
			if cur.gcCycles > first.gcCycles {
				break
			}
			if time.Now().After(deadline) {
				return memory{}, 0, errors.New("no GC in the manager within 150s of going idle")
			}
			select {
			case <-ctx.Done():
				return memory{}, 0, ctx.Err()
			case <-time.After(time.Second):
			}
		}
	}
	end := time.Now().Add(window)
	for {
		if last, err = m.memory(ctx); err != nil {
			return memory{}, 0, err
		}
		maxRSS = max(maxRSS, last.rss)
		if time.Now().After(end) {
			return last, maxRSS, nil
		}
		select {
		case <-ctx.Done():
			return memory{}, 0, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// waitIdle waits until the controller's queue is empty and no worker is busy for quiet in a row.
func (m *managerProc) waitIdle(ctx context.Context, quiet, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var idleSince time.Time
	var last float64 = -1
	for {
		st, err := m.reconcileState(ctx)
		if err != nil {
			return err
		}
		switch {
		case st.depth != 0 || st.active != 0 || st.reconciles != last:
			idleSince = time.Time{}
		case idleSince.IsZero():
			idleSince = time.Now()
		case time.Since(idleSince) >= quiet:
			return nil
		}
		last = st.reconciles
		if time.Now().After(deadline) {
			return fmt.Errorf("manager not idle within %s (queue depth %.0f, active %.0f)", timeout, st.depth, st.active)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
