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
	"slices"
	"strings"
	"time"
)

// rotationsWanted is how many rotations each consumer must see (after its first token).
const rotationsWanted = 2

// rotationSubject is one CyclrCredential of the rotation scenario and its consumers.
type rotationSubject struct {
	credential string
	rotation   string
	consumers  map[string]consumerKind
	restart    bool // the consumers are the credential's rollout restart targets
}

var rotationSubjects = []rotationSubject{
	{credential: "reauth", rotation: "Reauthenticate", consumers: map[string]consumerKind{"reauth": fileConsumer}},
	{credential: "refresh", rotation: "RefreshToken", consumers: map[string]consumerKind{"refresh": fileConsumer}},
	{credential: "restart", rotation: "RefreshToken", restart: true,
		consumers: map[string]consumerKind{"restart-file": fileConsumer, "restart-env": envConsumer}},
}

// scenarioRotations runs the three rotation set-ups side by side (the emulator's tokens live
// emulatorLifetime, so each refreshes every two thirds of it) until every consumer has seen
// rotationsWanted new tokens, then counts the 401s each got.
func (c *cluster) scenarioRotations(ctx context.Context) error {
	logs := map[string]*consumerLog{}
	revisions := map[string]func() []revision{}
	watchCtx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	var manifest strings.Builder
	for _, s := range rotationSubjects {
		var targets []string
		for name, kind := range s.consumers {
			logs[name] = c.followConsumer(watchCtx, name)
			manifest.WriteString(consumerManifest(name, s.credential, kind) + "---\n")
			if s.restart {
				targets = append(targets, name)
			}
		}
		revisions[s.credential] = c.watchRevisions(watchCtx, s.credential)
		manifest.WriteString(credentialManifest(s.credential, s.rotation, targets...) + "---\n")
	}
	if _, err := c.kubectl(ctx, manifest.String(), "apply", "-f", "-"); err != nil {
		return err
	}
	deadline := emulatorLifetime*time.Duration(rotationsWanted+2) + 2*time.Minute
	if err := poll(ctx, deadline, func() (bool, error) {
		for _, l := range logs {
			if len(tokensServed(l.snapshot())) < rotationsWanted+1 {
				return false, nil
			}
		}
		return true, nil
	}); err != nil {
		for name, l := range logs {
			logf("%s: tokens served %d", name, len(tokensServed(l.snapshot())))
		}
		return fmt.Errorf("consumers did not see %d rotations: %w", rotationsWanted, err)
	}
	stopWatching()
	var failures []string
	for _, s := range rotationSubjects {
		revs := revisions[s.credential]()
		for name := range s.consumers {
			calls := logs[name].snapshot()
			windows, counts := unauthorizedWindows(calls)
			unauthorized := 0
			for _, n := range counts {
				unauthorized += n
			}
			c.figures.add(fmt.Sprintf("%s, consumer %s: 401s over %d rotations", s.rotation+restartNote(s), name, len(tokensServed(calls))-1),
				"%d (windows %s; %d calls)", unauthorized, formatDurations(windows), len(calls))
			c.figures.add(fmt.Sprintf("%s, consumer %s: Secret written to first call with the new token", s.rotation+restartNote(s), name),
				"%s", formatDurations(propagation(revs, calls)))
			if s.rotation == "Reauthenticate" && unauthorized != 0 {
				failures = append(failures, fmt.Sprintf("%s: %d 401s with Reauthenticate, want 0", name, unauthorized))
			}
			// The first rotationsWanted rotations: a later one may have been written just now.
			if missed := missedRevisions(revs[:min(len(revs), rotationsWanted+1)], calls); s.restart && len(missed) > 0 {
				failures = append(failures, fmt.Sprintf("%s: a rollout restart target never used tokens %v of the Secret", name, missed))
			}
			if other := otherStatuses(calls); other != 0 {
				failures = append(failures, fmt.Sprintf("%s: %d calls neither 200 nor 401", name, other))
			}
		}
	}
	if len(failures) > 0 {
		return fmt.Errorf("%s", strings.Join(failures, "; "))
	}
	return nil
}

func restartNote(s rotationSubject) string {
	if s.restart {
		return " + rolloutRestartTargets"
	}
	return ""
}

// propagation is, for each revision after the first, the time from its writing to the
// consumer's first call with it.
func propagation(revs []revision, calls []call) []time.Duration {
	var out []time.Duration
	for _, r := range revs[min(1, len(revs)):] {
		for _, cl := range calls {
			if cl.token == r.token {
				out = append(out, cl.at.Sub(r.at))
				break
			}
		}
	}
	return out
}

// missedRevisions lists the Secret's tokens the consumer never got a 200 with.
func missedRevisions(revs []revision, calls []call) []string {
	served := tokensServed(calls)
	var missed []string
	for _, r := range revs {
		if !slices.Contains(served, r.token) {
			missed = append(missed, r.token)
		}
	}
	return missed
}

func otherStatuses(calls []call) int {
	n := 0
	for _, cl := range calls {
		if cl.status != "200" && cl.status != "401" {
			n++
		}
	}
	return n
}

func formatDurations(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none"
	}
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.Round(100 * time.Millisecond).String()
		if d < 0 {
			parts[i] = "open"
		}
	}
	return strings.Join(parts, ", ")
}
