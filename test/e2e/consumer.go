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
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	consumerNamespace = "integrations"
	consumerImage     = "e2e.local/consumer:1"
)

// consumerKind is how a consumer reads its token.
type consumerKind int

const (
	// fileConsumer mounts the target Secret and reads the file at every call.
	fileConsumer consumerKind = iota
	// envConsumer takes the token from an environment variable, set at container start.
	envConsumer
)

// consumerManifest is a Deployment that calls the emulator's authenticated endpoint every
// second with the token of secret (test/e2e/images/consumer). It allows the CyclrCredential
// of that name (whose default target it is) to restart it.
func consumerManifest(name, secret string, kind consumerKind) string {
	source := `--authorization-file=/var/run/secrets/cyclr/authorization`
	env, mounts, volumes := "", "", ""
	switch kind {
	case fileConsumer:
		mounts = `{name: token, mountPath: /var/run/secrets/cyclr, readOnly: true}, `
		volumes = fmt.Sprintf(`{name: token, secret: {secretName: %s}}, `, secret)
	case envConsumer:
		source = `--authorization-env=CYCLR_AUTHORIZATION`
		env = fmt.Sprintf(`env: [{name: CYCLR_AUTHORIZATION, valueFrom: {secretKeyRef: {name: %s, key: authorization}}}]`, secret)
	}
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
  namespace: %[2]s
  annotations: {auth.cyclr-operator.io/allow-restart-by: %[10]s}
spec:
  selector: {matchLabels: {consumer: %[1]s}}
  template:
    metadata: {labels: {consumer: %[1]s}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: consumer
        image: %[3]s
        imagePullPolicy: Never
        args: [--url=%[4]s/v1.0/accounts, --ca-file=/etc/test-ca/ca.crt, %[5]s]
        %[6]s
        volumeMounts: [%[7]s{name: ca, mountPath: /etc/test-ca, readOnly: true}]
        %[8]s
      volumes: [%[9]s{name: ca, configMap: {name: test-ca}}]
`, name, consumerNamespace, consumerImage, emulatorURL, source, env, mounts, restrictedContainer, volumes, secret)
}

// call is one line of a consumer's log.
type call struct {
	at     time.Time
	pod    string
	status string
	token  string // fingerprint, as the consumer prints it
}

// consumerLog collects the calls of every pod of one consumer, following each pod's log from
// its start (pods replaced by a rollout included), until ctx ends.
type consumerLog struct {
	mu        sync.Mutex
	calls     []call
	following map[string]bool
}

func (c *cluster) followConsumer(ctx context.Context, name string) *consumerLog {
	l := &consumerLog{following: map[string]bool{}}
	go func() {
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for ctx.Err() == nil {
			pods, err := c.kube.CoreV1().Pods(consumerNamespace).List(ctx, metav1.ListOptions{LabelSelector: "consumer=" + name})
			if err == nil {
				for _, p := range pods.Items {
					if started(p) && l.startFollowing(p.Name) {
						go c.streamCalls(ctx, l, p.Name)
					}
				}
			}
			<-tick.C
		}
	}()
	return l
}

func started(p corev1.Pod) bool {
	for _, s := range p.Status.ContainerStatuses {
		if s.State.Running != nil || s.State.Terminated != nil {
			return true
		}
	}
	return false
}

func (c *cluster) streamCalls(ctx context.Context, l *consumerLog, pod string) {
	stream, err := c.kube.CoreV1().Pods(consumerNamespace).GetLogs(pod, &corev1.PodLogOptions{Follow: true, Timestamps: true}).Stream(ctx)
	if err != nil {
		// Retried at the next look at the pods.
		l.mu.Lock()
		delete(l.following, pod)
		l.mu.Unlock()
		return
	}
	defer func() { _ = stream.Close() }()
	sc := bufio.NewScanner(stream)
	for sc.Scan() {
		if cl, ok := parseCall(pod, sc.Text()); ok {
			l.mu.Lock()
			l.calls = append(l.calls, cl)
			l.mu.Unlock()
		}
	}
}

// parseCall reads "<RFC 3339 time> call status=200 token=1a2b3c4d".
func parseCall(pod, line string) (call, bool) {
	ts, rest, _ := strings.Cut(line, " ")
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return call{}, false
	}
	cl := call{at: at, pod: pod}
	if _, err := fmt.Sscanf(rest, "call status=%s token=%s", &cl.status, &cl.token); err != nil {
		return call{}, false
	}
	return cl, true
}

// startFollowing reports whether pod is not followed yet, and marks it followed.
func (l *consumerLog) startFollowing(pod string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.following[pod] {
		return false
	}
	l.following[pod] = true
	return true
}

// snapshot returns the calls so far, in time order across pods.
func (l *consumerLog) snapshot() []call {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := append([]call(nil), l.calls...)
	slices.SortStableFunc(out, func(a, b call) int { return a.at.Compare(b.at) })
	return out
}

// tokensServed lists the tokens that got a 200, in the order they first did.
func tokensServed(calls []call) []string {
	var tokens []string
	for _, cl := range calls {
		if cl.status == "200" && !slices.Contains(tokens, cl.token) {
			tokens = append(tokens, cl.token)
		}
	}
	return tokens
}

// unauthorizedWindows returns, per rotation, how long the consumer got 401s: from its first
// 401 to its next 200, and how many 401s that was.
func unauthorizedWindows(calls []call) (windows []time.Duration, counts []int) {
	var start time.Time
	n := 0
	for _, cl := range calls {
		switch {
		case cl.status == "401" && n == 0:
			start, n = cl.at, 1
		case cl.status == "401":
			n++
		case cl.status == "200" && n > 0:
			windows, counts = append(windows, cl.at.Sub(start)), append(counts, n)
			n = 0
		}
	}
	if n > 0 {
		windows, counts = append(windows, -1), append(counts, n)
	}
	return windows, counts
}

// fingerprint is the consumer's name for a token (test/e2e/images/consumer).
func fingerprint(authorization []byte) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(string(authorization))))
	return hex.EncodeToString(sum[:4])
}
