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
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// hostState is what the run must leave as it found it: the host's namespaces in use, mounts,
// interfaces and iptables rules, and the cgroups.
type hostState struct {
	namespaces map[string]bool // "net:[4026531840]" of every process
	mounts     map[string]bool // mount points of the host's mount namespace
	interfaces map[string]bool
	rules      map[string]string // per save command, the rules without counters
	cgroups    map[string]bool
}

func snapshotHost() (hostState, error) {
	s := hostState{namespaces: processNamespaces(), mounts: map[string]bool{}, interfaces: map[string]bool{},
		rules: map[string]string{}, cgroups: map[string]bool{}}
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return s, err
	}
	for line := range strings.Lines(string(data)) {
		if f := strings.Fields(line); len(f) > 4 {
			s.mounts[f[4]] = true
		}
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return s, err
	}
	for _, i := range ifaces {
		s.interfaces[i.Name] = true
	}
	for _, save := range []string{"iptables-legacy-save", "iptables-nft-save", "ip6tables-legacy-save", "ip6tables-nft-save"} {
		if out, err := exec.Command(save).Output(); err == nil {
			s.rules[save] = withoutCounters(string(out))
		}
	}
	hierarchies, err := cgroupHierarchies()
	if err != nil {
		return s, err
	}
	for _, h := range hierarchies {
		entries, _ := os.ReadDir(h)
		for _, e := range entries {
			if e.IsDir() {
				s.cgroups[filepath.Join(h, e.Name())] = true
			}
		}
	}
	return s, nil
}

// leaksAfter compares the host now with s and describes every difference the run made.
func (s hostState) leaksAfter() []string {
	now, err := snapshotHost()
	if err != nil {
		return []string{"cannot inspect the host: " + err.Error()}
	}
	var leaks []string
	for _, ns := range added(s.namespaces, now.namespaces) {
		leaks = append(leaks, "a process still runs in namespace "+ns+" (not the host's)")
	}
	for _, m := range added(s.mounts, now.mounts) {
		leaks = append(leaks, "mount left: "+m)
	}
	for _, i := range added(s.interfaces, now.interfaces) {
		leaks = append(leaks, "interface left: "+i)
	}
	for _, c := range added(s.cgroups, now.cgroups) {
		leaks = append(leaks, "cgroup left: "+c)
	}
	for save, rules := range now.rules {
		if rules != s.rules[save] {
			leaks = append(leaks, save+" differs from before the run")
		}
	}
	return leaks
}

func added(before, after map[string]bool) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(after)) {
		if !before[k] {
			out = append(out, k)
		}
	}
	return out
}

// processNamespaces lists the network and mount namespaces of every process: a process of the
// run still alive after it would be in one the host did not have before.
func processNamespaces() map[string]bool {
	out := map[string]bool{}
	procs, _ := filepath.Glob("/proc/[0-9]*/ns")
	for _, dir := range procs {
		for _, kind := range []string{"net", "mnt"} {
			if target, err := os.Readlink(filepath.Join(dir, kind)); err == nil {
				out[target] = true
			}
		}
	}
	return out
}

// withoutCounters drops the comment lines (a timestamp) and the packet counters of iptables-save.
func withoutCounters(save string) string {
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(save))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, ":") {
			if i := strings.LastIndex(line, " ["); i > 0 {
				line = line[:i]
			}
		}
		fmt.Fprintln(&b, line)
	}
	return b.String()
}
