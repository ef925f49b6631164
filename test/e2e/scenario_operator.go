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
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
)

const (
	// stableCredential holds a long-lived token through the operator's restarts, upgrade and
	// reinstall: no rotation is due, so any token request or Secret write is the operator's fault.
	stableCredential = "stable"
	stableLifetime   = 30 * time.Minute
	// quietPeriod is how long a scenario watches for requests and writes that must not happen,
	// after the new manager has taken the lead.
	quietPeriod = 20 * time.Second
)

// prepareStable stops the rotation scenarios' credentials (their refreshes would be counted)
// and creates the stable credential with a token of stableLifetime.
func (c *cluster) prepareStable(ctx context.Context) error {
	if _, err := c.kubectl(ctx, "", "-n", consumerNamespace, "delete", "cyclrcredentials", "--all", "--wait"); err != nil {
		return err
	}
	if err := c.emulator(ctx, http.MethodPost, "/emulator/lifetime?d="+stableLifetime.String(), nil); err != nil {
		return err
	}
	if _, err := c.kubectl(ctx, credentialManifest(stableCredential, "Reauthenticate"), "apply", "-f", "-"); err != nil {
		return err
	}
	return poll(ctx, time.Minute, func() (bool, error) {
		s, err := c.targetSecret(ctx, stableCredential)
		return err == nil && len(s.Data["access_token"]) > 0, nil
	})
}

// credentialSecrets returns the resourceVersion of every Secret the operator writes for the
// stable credential (target and state).
func (c *cluster) credentialSecrets(ctx context.Context) (map[string]string, error) {
	list, err := c.kube.CoreV1().Secrets(consumerNamespace).List(ctx, metav1.ListOptions{
		LabelSelector: authv1alpha1.CredentialLabel + "=" + stableCredential})
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, s := range list.Items {
		out[s.Name] = s.ResourceVersion
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no Secret labelled %s=%s", authv1alpha1.CredentialLabel, stableCredential)
	}
	return out, nil
}

// holdsQuiet checks, over quietPeriod, that the emulator gets no token request and the
// credential's Secrets stay as they were.
func (c *cluster) holdsQuiet(ctx context.Context, secrets map[string]string) error {
	time.Sleep(quietPeriod) // what is measured is that nothing happens during this time
	requests, err := c.tokenRequests(ctx)
	if err != nil {
		return err
	}
	now, err := c.credentialSecrets(ctx)
	if err != nil {
		return err
	}
	if requests != 0 || !maps.Equal(now, secrets) {
		return fmt.Errorf("%d token requests (want 0); Secrets %v, before %v", requests, now, secrets)
	}
	return nil
}

func (c *cluster) resetEmulator(ctx context.Context) error {
	return c.emulator(ctx, http.MethodPost, "/emulator/reset", nil)
}

// operatorPods lists the manager's pods that are not being deleted.
func (c *cluster) operatorPods(ctx context.Context) ([]corev1.Pod, error) {
	d, err := c.kube.AppsV1().Deployments(operatorNamespace).Get(ctx, operatorDeployment, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	list, err := c.kube.CoreV1().Pods(operatorNamespace).List(ctx, metav1.ListOptions{
		LabelSelector: labels.Set(d.Spec.Selector.MatchLabels).String()})
	if err != nil {
		return nil, err
	}
	var pods []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			pods = append(pods, p)
		}
	}
	return pods, nil
}

// waitLeader waits until the Lease names a pod other than not, and returns it.
func (c *cluster) waitLeader(ctx context.Context, not string) (string, error) {
	var leader string
	err := poll(ctx, 2*time.Minute, func() (bool, error) {
		holder, err := c.leader(ctx)
		if err != nil && !apierrors.IsNotFound(err) {
			return false, err
		}
		pod, _, _ := strings.Cut(holder, "_")
		leader = pod
		return pod != "" && pod != not, nil
	})
	return leader, err
}

// scenarioOperatorRestart deletes the operator's pod: its successor must make no Cyclr request
// and no write for a valid token.
func (c *cluster) scenarioOperatorRestart(ctx context.Context) error {
	if err := c.prepareStable(ctx); err != nil {
		return err
	}
	before, err := c.credentialSecrets(ctx)
	if err != nil {
		return err
	}
	if err := c.resetEmulator(ctx); err != nil {
		return err
	}
	old, err := c.waitLeader(ctx, "")
	if err != nil {
		return err
	}
	deleted := time.Now()
	if _, err := c.kubectl(ctx, "", "-n", operatorNamespace, "delete", "pod", old, "--wait=false"); err != nil {
		return err
	}
	if _, err := c.waitLeader(ctx, old); err != nil {
		return err
	}
	c.figures.add("operator pod deleted to its successor leading", "%s", time.Since(deleted).Round(100*time.Millisecond))
	return c.holdsQuiet(ctx, before)
}

// scenarioTwoReplicas scales to two: one leader, one refresh per request, and a handover when
// the leader's pod is deleted.
func (c *cluster) scenarioTwoReplicas(ctx context.Context) error {
	if err := c.helmInstall(ctx, c.cfg.chart, "--reuse-values", "--set", "replicaCount=2"); err != nil {
		return err
	}
	if err := c.waitDeploymentReady(ctx, operatorNamespace, operatorDeployment, 2); err != nil {
		return err
	}
	leader, err := c.waitLeader(ctx, "")
	if err != nil {
		return err
	}
	pods, err := c.operatorPods(ctx)
	if err != nil || len(pods) != 2 {
		return fmt.Errorf("want 2 operator pods, have %d: %v", len(pods), err)
	}
	if err := c.resetEmulator(ctx); err != nil {
		return err
	}
	if err := c.refreshAndCount(ctx, 1); err != nil {
		return fmt.Errorf("two replicas, one refresh request: %w", err)
	}
	deleted := time.Now()
	if _, err := c.kubectl(ctx, "", "-n", operatorNamespace, "delete", "pod", leader, "--wait=false"); err != nil {
		return err
	}
	successor, err := c.waitLeader(ctx, leader)
	if err != nil {
		return err
	}
	c.figures.add("leader pod deleted to the standby leading (handover)", "%s", time.Since(deleted).Round(100*time.Millisecond))
	if !strings.HasPrefix(successor, operatorDeployment) {
		return fmt.Errorf("leader %q is not an operator pod", successor)
	}
	return c.refreshAndCount(ctx, 2)
}

// refreshAndCount asks the stable credential for a new token and waits until the target
// Secret has it; the emulator must then have received exactly want token requests since the
// last reset (one per request: no replica refreshes twice). A request inside the minimum
// refresh interval is honoured when the interval ends, hence the long wait.
func (c *cluster) refreshAndCount(ctx context.Context, want int) error {
	before, err := c.targetSecret(ctx, stableCredential)
	if err != nil {
		return err
	}
	if _, err := c.kubectl(ctx, "", "-n", consumerNamespace, "annotate", "--overwrite", "cyclrcredential", stableCredential,
		authv1alpha1.RefreshRequestedAtAnnotation+"="+strconv.FormatInt(time.Now().UnixNano(), 10)); err != nil {
		return err
	}
	if err := poll(ctx, 90*time.Second, func() (bool, error) {
		s, err := c.targetSecret(ctx, stableCredential)
		return err == nil && string(s.Data["access_token"]) != string(before.Data["access_token"]), nil
	}); err != nil {
		return fmt.Errorf("no new token: %w", err)
	}
	time.Sleep(5 * time.Second) // a second replica's refresh would arrive within this
	got, err := c.tokenRequests(ctx)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("%d token requests, want %d", got, want)
	}
	return nil
}

// scenarioUpgrade upgrades to the next image tag with helm upgrade: no new token.
func (c *cluster) scenarioUpgrade(ctx context.Context) error {
	before, err := c.credentialSecrets(ctx)
	if err != nil {
		return err
	}
	if err := c.resetEmulator(ctx); err != nil {
		return err
	}
	started := time.Now()
	if err := c.helmInstall(ctx, c.cfg.chartNext, "--reuse-values", "--set", "image.tag="+c.cfg.nextVersion); err != nil {
		return err
	}
	if err := poll(ctx, 3*time.Minute, func() (bool, error) {
		pods, err := c.operatorPods(ctx)
		if err != nil {
			return false, err
		}
		ready := 0
		for _, p := range pods {
			if strings.HasSuffix(p.Spec.Containers[0].Image, ":"+c.cfg.nextVersion) && podReady(p) {
				ready++
			}
		}
		return ready == len(pods) && ready > 0, nil
	}); err != nil {
		return fmt.Errorf("upgrade to %s: %w", c.cfg.nextVersion, err)
	}
	if _, err := c.waitLeader(ctx, ""); err != nil {
		return err
	}
	c.figures.add("helm upgrade (new image tag, 2 replicas) to every pod ready on it", "%s", time.Since(started).Round(100*time.Millisecond))
	if err := c.recordOperatorMemory(ctx); err != nil {
		return err
	}
	return c.holdsQuiet(ctx, before)
}

func podReady(p corev1.Pod) bool {
	for _, cond := range p.Status.Conditions {
		if cond.Type == corev1.PodReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}

// recordOperatorMemory reads each operator pod's memory from its cgroup (the kubelet's cgroup
// root is the run's own): what the kernel charges, the figure a memory limit applies to.
func (c *cluster) recordOperatorMemory(ctx context.Context) error {
	pods, err := c.operatorPods(ctx)
	if err != nil {
		return err
	}
	for _, p := range pods {
		dir, err := podCgroup(filepath.Join(cgroupBase, "memory", c.cfg.cgroupRoot), string(p.UID))
		if err != nil {
			return fmt.Errorf("memory cgroup of pod %s: %w", p.Name, err)
		}
		data, err := os.ReadFile(filepath.Join(dir, "memory.usage_in_bytes"))
		if err != nil {
			return err
		}
		bytes, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
		if err != nil {
			return err
		}
		c.figures.add("operator pod memory (cgroup usage, 1 credential) "+p.Name, "%.1f MiB", float64(bytes)/(1<<20))
	}
	return nil
}

// podCgroup finds the cgroup directory of the pod with uid under root (kubepods/<QoS class>/).
func podCgroup(root, uid string) (string, error) {
	var found string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == "pod"+uid {
			found = path
			return filepath.SkipAll
		}
		return err
	})
	if err == nil && found == "" {
		err = fmt.Errorf("no pod%s under %s", uid, root)
	}
	return found, err
}
