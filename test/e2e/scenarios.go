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

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// scenario is one check of the run. They run in this order and build on each other (the
// operator installed by "install" serves the next ones); -only skips the others, not their
// prerequisites' effects.
type scenario struct {
	name string
	run  func(*cluster, context.Context) error
}

var scenarios = []scenario{
	{"install", (*cluster).scenarioInstall},
	{"first-token", (*cluster).scenarioFirstToken},
	{"rotations", (*cluster).scenarioRotations},
	{"plugin", (*cluster).scenarioPlugin},
	{"operator-restart", (*cluster).scenarioOperatorRestart},
	{"two-replicas", (*cluster).scenarioTwoReplicas},
	{"upgrade", (*cluster).scenarioUpgrade},
	{"uninstall", (*cluster).scenarioUninstall},
}

func scenarioNames() []string {
	names := make([]string, 0, len(scenarios))
	for _, s := range scenarios {
		names = append(names, s.name)
	}
	return names
}

func (c *cluster) runScenarios(ctx context.Context) error {
	only := strings.Split(c.cfg.only, ",")
	for _, s := range scenarios {
		if c.cfg.only != "" && !slices.Contains(only, s.name) {
			continue
		}
		started := time.Now()
		logf("--- %s", s.name)
		if err := s.run(c, ctx); err != nil {
			return fmt.Errorf("scenario %s: %w", s.name, err)
		}
		logf("--- %s: PASS (%s)", s.name, time.Since(started).Round(time.Second))
	}
	return nil
}

// credentialManifest is a login Secret and a CyclrCredential for the emulator's partner user.
func credentialManifest(name string, rotation string, restartTargets ...string) string {
	targets := make([]string, 0, len(restartTargets))
	for _, t := range restartTargets {
		targets = append(targets, fmt.Sprintf("{kind: Deployment, name: %s}", t))
	}
	return fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata: {name: %[1]s-login, namespace: %[2]s}
type: Opaque
stringData: {client_id: e2e-client, username: e2e-user, password: e2e-pass}
---
apiVersion: auth.cyclr-operator.io/v1alpha1
kind: CyclrCredential
metadata: {name: %[1]s, namespace: %[2]s}
spec:
  apiURL: %[3]s
  grant: Password
  credentialsSecretRef: {name: %[1]s-login}
  rotation: %[4]s
  rolloutRestartTargets: [%[5]s]
`, name, consumerNamespace, emulatorURL, rotation, strings.Join(targets, ", "))
}

// scenarioInstall runs the emulator and installs the operator with the Helm chart into a
// namespace enforcing the restricted Pod Security Standard; one replica, leader elected.
func (c *cluster) scenarioInstall(ctx context.Context) error {
	if err := c.deployEmulator(ctx); err != nil {
		return err
	}
	for _, ns := range []string{operatorNamespace, consumerNamespace} {
		if _, err := c.kubectl(ctx, restrictedNamespace(ns), "apply", "-f", "-"); err != nil {
			return err
		}
	}
	if _, err := c.kubectl(ctx, "", "-n", consumerNamespace, "create", "configmap", "test-ca",
		"--from-file=ca.crt="+c.testCAFile); err != nil {
		return err
	}
	started := time.Now()
	if err := c.helmInstall(ctx, c.cfg.chart); err != nil {
		return err
	}
	if err := c.waitDeploymentReady(ctx, operatorNamespace, operatorDeployment, 1); err != nil {
		return err
	}
	if err := poll(ctx, time.Minute, func() (bool, error) {
		holder, err := c.leader(ctx)
		return holder != "", err
	}); err != nil {
		return fmt.Errorf("no leader: %w", err)
	}
	c.figures.add("helm install to a ready, leading operator pod", "%s", time.Since(started).Round(100*time.Millisecond))
	return nil
}

// scenarioFirstToken applies a CyclrCredential and a consumer mounting its target Secret at
// once: the consumer's first call must succeed within the kubelet's sync window, and none fail.
func (c *cluster) scenarioFirstToken(ctx context.Context) error {
	log := c.followConsumer(ctx, "first")
	applied := time.Now()
	if _, err := c.kubectl(ctx, credentialManifest("first", "Reauthenticate")+"---\n"+
		consumerManifest("first", "first", fileConsumer), "apply", "-f", "-"); err != nil {
		return err
	}
	var first call
	if err := poll(ctx, 2*time.Minute, func() (bool, error) {
		calls := log.snapshot()
		if len(calls) == 0 {
			return false, nil
		}
		first = calls[0]
		return true, nil
	}); err != nil {
		return fmt.Errorf("the consumer made no call: %w", err)
	}
	took := first.at.Sub(applied)
	c.figures.add("kubectl apply (credential + consumer) to the first authenticated call in the pod", "%s", took.Round(100*time.Millisecond))
	if first.status != "200" {
		return fmt.Errorf("the consumer's first call got %s, want 200 (token %s)", first.status, first.token)
	}
	// The pod cannot start before the Secret exists; once it does, the kubelet mounts it at the
	// next retry, well within one sync period plus the pod's start.
	if limit := syncFrequency + 20*time.Second; took > limit {
		return fmt.Errorf("first token reached the pod after %s, want at most %s", took, limit)
	}
	return nil
}

// revision is a token the target Secret held, and when the test first saw it there.
type revision struct {
	at    time.Time
	token string
}

// watchRevisions polls the target Secret until ctx ends; the function it returns waits for
// that and returns every revision seen.
func (c *cluster) watchRevisions(ctx context.Context, secret string) func() []revision {
	var revs []revision
	done := make(chan struct{})
	var result []revision
	go func() {
		defer close(done)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for ctx.Err() == nil {
			s, err := c.kube.CoreV1().Secrets(consumerNamespace).Get(ctx, secret, metav1.GetOptions{})
			if err == nil && len(s.Data["authorization"]) > 0 {
				if fp := fingerprint(s.Data["authorization"]); len(revs) == 0 || revs[len(revs)-1].token != fp {
					revs = append(revs, revision{at: time.Now(), token: fp})
				}
			}
			<-tick.C
		}
		result = revs
	}()
	return func() []revision { <-done; return result }
}

// targetSecret reads a Secret of the consumer namespace.
func (c *cluster) targetSecret(ctx context.Context, name string) (*corev1.Secret, error) {
	return c.kube.CoreV1().Secrets(consumerNamespace).Get(ctx, name, metav1.GetOptions{})
}
