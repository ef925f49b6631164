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

package plugin

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
)

// TestConsumers puts one workload per way of reading the target Secret into a namespace and
// checks each row, and that exactly the ones that will keep a dead token get a WARNING.
func TestConsumers(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	const secret = "app-token"
	restarted := []authv1alpha1.RolloutRestartTarget{
		{Kind: authv1alpha1.KindDeployment, Name: "env-allowed"},
		{Kind: authv1alpha1.KindDeployment, Name: "env-not-allowed"},
		{Kind: authv1alpha1.KindStatefulSet, Name: "subpath-allowed"},
	}
	cred := newCredential(t, ns, "app", func(c *authv1alpha1.CyclrCredential) {
		c.Spec.Target.Name = secret
		c.Spec.RolloutRestartTargets = restarted
	})
	allow := map[string]string{authv1alpha1.AllowRestartByAnnotation: "someone-else, app"}
	volume := podSpec(volumeMount(""), secretVolume(secret))
	subPath := podSpec(volumeMount("authorization"), secretVolume(secret))
	env := podSpec(envFromSecretKey(secret))
	envFrom := podSpec(corev1.Container{EnvFrom: []corev1.EnvFromSource{
		{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: secret}}}}})
	projected := podSpec(volumeMount(""), corev1.Volume{Name: "token", VolumeSource: corev1.VolumeSource{
		Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
			{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: secret}}}}}}})

	owner := deployment(ns, "volume", nil, volume)
	create(t, owner)
	create(t, deployment(ns, "projected", nil, projected))
	create(t, deployment(ns, "env-allowed", allow, env))
	create(t, deployment(ns, "env-not-allowed", nil, env))
	create(t, deployment(ns, "env-not-restarted", allow, env))
	create(t, deployment(ns, "unrelated", nil, podSpec(envFromSecretKey("other-secret"))))
	create(t, &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "subpath-allowed", Annotations: allow},
		Spec: appsv1.StatefulSetSpec{Selector: selector("sts"), Template: template("sts", subPath)}})
	create(t, &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "envfrom"},
		Spec: appsv1.DaemonSetSpec{Selector: selector("ds"), Template: template("ds", envFrom)}})
	create(t, &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "bare-replicaset"},
		Spec: appsv1.ReplicaSetSpec{Selector: selector("rs"), Template: template("rs", volume)}})
	onFailure := env
	onFailure.RestartPolicy = corev1.RestartPolicyOnFailure
	create(t, &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "one-off"},
		Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: onFailure}}})
	create(t, &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "nightly"},
		Spec: batchv1.CronJobSpec{Schedule: "0 3 * * *", JobTemplate: batchv1.JobTemplateSpec{
			Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: onFailure}}}}})
	create(t, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "debug"}, Spec: subPath})
	// The Deployment's own ReplicaSet and pod: listed through the Deployment, not again.
	controller := true
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "volume-5d9c", OwnerReferences: []metav1.OwnerReference{
		{APIVersion: "apps/v1", Kind: "Deployment", Name: owner.Name, UID: owner.UID, Controller: &controller}}},
		Spec: appsv1.ReplicaSetSpec{Selector: selector("volume"), Template: template("volume", volume)}}
	create(t, rs)
	create(t, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "volume-5d9c-x", OwnerReferences: []metav1.OwnerReference{
		{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: &controller}}}, Spec: volume})

	out := mustRun(t, "consumers", cred.Name, "-n", ns)

	rows := map[string]string{} // kind/name -> its row
	for line := range strings.SplitSeq(out, "\n") {
		if f := strings.Fields(line); len(f) > 2 && !strings.HasPrefix(line, "WARNING") && f[0] != "KIND" {
			rows[f[0]+"/"+f[1]] = line
		}
	}
	want := map[string]string{ // kind/name -> how it reads, and what SEES NEXT TOKEN starts with
		"Deployment/volume":            "volume .* yes, after the kubelet's sync",
		"Deployment/projected":         "volume .* yes, after the kubelet's sync",
		"Deployment/env-allowed":       "env +CYCLR_AUTHORIZATION +yes, through the rollout restart",
		"Deployment/env-not-allowed":   "env +CYCLR_AUTHORIZATION +no: through env it keeps",
		"Deployment/env-not-restarted": "env +CYCLR_AUTHORIZATION +no: through env it keeps",
		"StatefulSet/subpath-allowed":  "subPath .* yes, through the rollout restart",
		"DaemonSet/envfrom":            "envFrom +<none> +no: through envFrom it keeps",
		"ReplicaSet/bare-replicaset":   "volume .* yes",
		"Job/one-off":                  "env .* no: through env it keeps the token the pod started with, and the operator restarts only",
		"CronJob/nightly":              "env .* yes, at its next run",
		"Pod/debug":                    "subPath .* no: through subPath it keeps",
	}
	for name, pattern := range want {
		if !regexp.MustCompile(pattern).MatchString(rows[name]) {
			t.Errorf("row %s = %q, want it to match %q", name, rows[name], pattern)
		}
	}
	for name := range rows {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected row %s: %q (listed twice, or not a consumer)", name, rows[name])
		}
	}

	var warned []string
	for line := range strings.SplitSeq(out, "\n") {
		if strings.HasPrefix(line, "WARNING: ") {
			warned = append(warned, strings.Fields(line)[1])
			if !strings.Contains(line, "; fix: ") {
				t.Errorf("WARNING line without a fix: %q", line)
			}
		}
	}
	slices.Sort(warned)
	wantWarned := []string{"DaemonSet/envfrom", "Deployment/env-not-allowed", "Deployment/env-not-restarted", "Job/one-off", "Pod/debug"}
	if !slices.Equal(warned, wantWarned) {
		t.Errorf("WARNING lines for %v, want %v; output:\n%s", warned, wantWarned, out)
	}
	for _, fix := range []string{
		"WARNING: Deployment/env-not-allowed will keep a dead token after the next rotation of Secret app-token; " +
			"fix: kubectl annotate deployment/env-not-allowed --overwrite auth.cyclr-operator.io/allow-restart-by=app",
		"fix: add {kind: Deployment, name: env-not-restarted} to spec.rolloutRestartTargets of cyclrcredential/app",
	} {
		if !strings.Contains(out, fix) {
			t.Errorf("output lacks %q:\n%s", fix, out)
		}
	}
}

// TestConsumersNone: a credential nobody reads is reported as such, with exit 0.
func TestConsumersNone(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	newCredential(t, ns, "lonely", nil)
	out := mustRun(t, "consumers", "lonely", "-n", ns)
	if want := "No pod or workload in namespace " + ns + " reads Secret lonely.\n"; out != want {
		t.Errorf("output %q, want %q", out, want)
	}
}
