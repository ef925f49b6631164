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
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// parseMetrics reads the Prometheus text exposition format: enough of it for the kube-apiserver's
// and controller-runtime's /metrics (no timestamps are used).
func parseMetrics(r io.Reader) ([]sample, error) {
	var out []sample
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		s, err := parseSample(line)
		if err != nil {
			return nil, fmt.Errorf("metrics line %q: %w", line, err)
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

func parseSample(line string) (sample, error) {
	s := sample{labels: map[string]string{}}
	i := strings.IndexAny(line, "{ ")
	if i < 0 {
		return s, fmt.Errorf("no value")
	}
	s.name, line = line[:i], line[i:]
	if line[0] == '{' {
		line = line[1:]
		for {
			line = strings.TrimLeft(line, ", ")
			if strings.HasPrefix(line, "}") {
				line = line[1:]
				break
			}
			eq := strings.IndexByte(line, '=')
			if eq < 0 || len(line) < eq+2 || line[eq+1] != '"' {
				return s, fmt.Errorf("bad label")
			}
			key := line[:eq]
			line = line[eq+2:]
			var val strings.Builder
			j := 0
			for ; j < len(line) && line[j] != '"'; j++ {
				if line[j] == '\\' && j+1 < len(line) {
					j++
					switch line[j] {
					case 'n':
						val.WriteByte('\n')
					default:
						val.WriteByte(line[j])
					}
					continue
				}
				val.WriteByte(line[j])
			}
			if j >= len(line) {
				return s, fmt.Errorf("unterminated label value")
			}
			s.labels[key] = val.String()
			line = line[j+1:]
		}
	}
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return s, fmt.Errorf("no value")
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return s, err
	}
	s.value = v
	return s, nil
}

// sum adds the values of name's samples whose labels include all of match.
func sum(samples []sample, name string, match map[string]string) float64 {
	var total float64
	for _, s := range samples {
		if s.name != name {
			continue
		}
		ok := true
		for k, v := range match {
			if s.labels[k] != v {
				ok = false
				break
			}
		}
		if ok && !math.IsNaN(s.value) {
			total += s.value
		}
	}
	return total
}

func scrape(ctx context.Context, hc *http.Client, url string) ([]sample, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", url, resp.StatusCode)
	}
	return parseMetrics(resp.Body)
}

// resourceCredentials is the CyclrCredentials' resource name in the API server's metrics.
const resourceCredentials = "cyclrcredentials"

// writeKey identifies a kind of write in apiserver_request_total.
type writeKey struct {
	verb, resource, subresource, code string
}

func (k writeKey) String() string {
	r := k.resource
	if k.subresource != "" {
		r += "/" + k.subresource
	}
	return fmt.Sprintf("%s %s %s", k.verb, r, k.code)
}

// writes counts the API server's write requests by verb, resource and code.
type writes map[writeKey]float64

var (
	writeVerbs = []string{"POST", "PUT", "PATCH", "DELETE", "DELETECOLLECTION", "APPLY"}
	readVerbs  = []string{"GET"}
)

func writesFrom(samples []sample) writes { return requestsFrom(samples, writeVerbs) }

// requestsFrom counts the API server's requests with one of verbs to the resources the operator
// touches, by verb, resource and code.
func requestsFrom(samples []sample, verbs []string) writes {
	w := writes{}
	for _, s := range samples {
		if s.name != "apiserver_request_total" || !slices.Contains(verbs, s.labels["verb"]) {
			continue
		}
		switch s.labels["resource"] {
		case "secrets", resourceCredentials, "events":
		default:
			continue
		}
		k := writeKey{s.labels["verb"], s.labels["resource"], s.labels["subresource"], s.labels["code"]}
		w[k] += s.value
	}
	return w
}

// minus is w - before, dropping zero entries.
func (w writes) minus(before writes) writes {
	d := writes{}
	for k, v := range w {
		if v -= before[k]; v != 0 {
			d[k] = v
		}
	}
	return d
}

// total sums the entries that pass keep.
func (w writes) total(keep func(writeKey) bool) float64 {
	var t float64
	for k, v := range w {
		if keep(k) {
			t += v
		}
	}
	return t
}

func (w writes) lines(perUnit float64) []string {
	keys := slices.SortedFunc(maps.Keys(w), func(a, b writeKey) int { return strings.Compare(a.String(), b.String()) })
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%-44s %7.0f  (%.3f per credential)", k, w[k], w[k]/perUnit))
	}
	return out
}

// Predicates over writeKey.
func isSecret(k writeKey) bool { return k.resource == "secrets" }
func isStatus(k writeKey) bool { return k.resource == resourceCredentials && k.subresource == "status" }
func isEvent(k writeKey) bool  { return k.resource == "events" }
func isConflict(k writeKey) bool {
	return k.code == "409"
}
func isManagerWrite(k writeKey) bool { return isSecret(k) || isStatus(k) }
