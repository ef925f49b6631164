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
	"os"
	"strings"
	"sync"
)

// figures are the measurements of a run, in the order taken, for docs/benchmarks.md.
type figures struct {
	mu   sync.Mutex
	rows [][2]string
}

func newFigures() *figures { return &figures{} }

func (f *figures) add(name, format string, args ...any) {
	value := fmt.Sprintf(format, args...)
	logf("figure: %s: %s", name, value)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rows = append(f.rows, [2]string{name, value})
}

// write writes the figures as a Markdown table to path (nothing when path is empty).
func (f *figures) write(path string) error {
	if path == "" {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "kubelet syncFrequency: %s\n\n| figure | value |\n|---|---|\n", syncFrequency)
	for _, r := range f.rows {
		fmt.Fprintf(&b, "| %s | %s |\n", r[0], r[1])
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
