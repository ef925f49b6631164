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
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// privateDirs get an empty tmpfs inside the mount namespace: the kubelet, containerd, its shims,
// the CNI plugins and iptables write there whatever their flags say, and the host must not keep
// any of it.
var privateDirs = []string{"/run", "/var/log", "/var/lib/kubelet", "/var/lib/containerd", "/var/lib/cni"}

// cgroupBase is where the kubelet's cgroup root is made in every cgroup v1 hierarchy: cgroups
// are not namespaced, so the run creates one root and removes it.
const cgroupBase = "/sys/fs/cgroup"

// outside starts the inside run in new namespaces and, however it ends, tears down and checks
// that nothing of it is left on the host.
func outside(cfg config) error {
	if os.Geteuid() != 0 {
		return errors.New("make e2e must run as root: it starts containerd, runc and a kubelet " +
			"in network, mount and PID namespaces of its own (sudo make e2e)")
	}
	if err := cfg.check(); err != nil {
		return err
	}
	before, err := snapshotHost()
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "cyclr-e2e-")
	if err != nil {
		return err
	}
	cfg.workDir, cfg.cgroupRoot = work, "cyclr-e2e-"+filepath.Base(work)[len("cyclr-e2e-"):]
	created, err := prepareHost(cfg.cgroupRoot)
	runErr := err
	if err == nil {
		runErr = runInside(cfg)
	}
	teardownErr := teardownHost(cfg, created)
	leaks := before.leaksAfter()
	switch {
	case teardownErr != nil || len(leaks) > 0:
		logf("teardown: NOT clean:\n  %s", strings.Join(append(leaks, fmt.Sprint(teardownErr)), "\n  "))
		return errors.Join(runErr, errors.New("the run left things behind"))
	default:
		logf("teardown: clean (no process, mount, interface, cgroup, iptables rule or file of the run left)")
	}
	return runErr
}

// prepareHost creates the cgroup root in every hierarchy and the private dirs that do not exist
// yet (tmpfs needs a mount point); it returns what it created, for teardownHost.
func prepareHost(cgroupRoot string) ([]string, error) {
	var created []string
	hierarchies, err := cgroupHierarchies()
	if err != nil {
		return nil, err
	}
	for _, h := range hierarchies {
		dir := filepath.Join(h, cgroupRoot)
		if err := os.Mkdir(dir, 0o755); err != nil {
			return created, fmt.Errorf("cgroup root: %w", err)
		}
		created = append(created, dir)
	}
	for _, dir := range privateDirs {
		if _, err := os.Stat(dir); err == nil {
			continue
		}
		// Remember only the topmost directory created, so that teardown removes it all.
		top := dir
		for parent := filepath.Dir(dir); !exists(parent); parent = filepath.Dir(parent) {
			top = parent
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return created, err
		}
		created = append(created, top)
	}
	return created, nil
}

func cgroupHierarchies() ([]string, error) {
	entries, err := os.ReadDir(cgroupBase)
	if err != nil {
		return nil, fmt.Errorf("cgroup hierarchies: %w", err)
	}
	var dirs []string
	for _, e := range entries {
		// Every hierarchy, "unified" (cgroup v2 of a hybrid setup) included: runc makes the
		// pods' cgroups there too.
		if e.IsDir() {
			dirs = append(dirs, filepath.Join(cgroupBase, e.Name()))
		}
	}
	return dirs, nil
}

// runInside runs this program again under unshare. With --pid and --kill-child every process
// of the run dies with it (the kernel kills a PID namespace whose init ends); the network and
// mount namespaces, and so every interface, iptables rule and mount, go with their last process.
func runInside(cfg config) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	args := append([]string{"--net", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc", "--", self},
		os.Args[1:]...)
	args = append(args, "-inside", "-work-dir", cfg.workDir, "-cgroup-root", cfg.cgroupRoot)
	cmd := exec.Command("unshare", args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// Ctrl-C reaches the whole foreground process group; this process stays to tear down.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(signals)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("unshare: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case sig := <-signals:
		logf("%s: stopping the cluster", sig)
		_ = cmd.Process.Kill()
		return fmt.Errorf("interrupted by %s: %w", sig, <-done)
	}
}

// teardownHost removes the cgroup root (once its last process is gone) and the files of the run.
func teardownHost(cfg config, created []string) error {
	var errs []error
	for _, path := range slices.Backward(created) {
		var err error
		if strings.HasPrefix(path, cgroupBase) {
			err = removeCgroupTree(path)
		} else {
			err = os.RemoveAll(path)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := os.RemoveAll(cfg.workDir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// removeCgroupTree removes dir and the cgroups under it, deepest first. A cgroup can be removed
// once its processes have exited, which takes the kernel a moment after the namespace ends.
func removeCgroupTree(dir string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		var dirs []string
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, path)
			}
			return err
		})
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		var lastErr error
		for _, d := range slices.Backward(dirs) {
			if err := syscall.Rmdir(d); err != nil && !errors.Is(err, os.ErrNotExist) {
				lastErr = fmt.Errorf("cgroup %s: %w", d, err)
			}
		}
		if lastErr == nil || time.Now().After(deadline) {
			return lastErr
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
