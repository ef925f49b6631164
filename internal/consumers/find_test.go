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

package consumers

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
)

const ns = "apps"

func credential(targets ...authv1alpha1.RolloutRestartTarget) *authv1alpha1.CyclrCredential {
	return &authv1alpha1.CyclrCredential{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "cyclr"},
		Spec: authv1alpha1.CyclrCredentialSpec{Target: authv1alpha1.TargetSecret{Name: "cyclr-token"},
			RolloutRestartTargets: targets, Rotation: authv1alpha1.RotationReauthenticate},
	}
}

func secretVolume(name string) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "cyclr-token"}}}
}

func projectedVolume(name, secret string) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		Sources: []corev1.VolumeProjection{{Secret: &corev1.SecretProjection{
			LocalObjectReference: corev1.LocalObjectReference{Name: secret}}}}}}}
}

func envVar(name, secret string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: "authorization"}}}
}

func spec(volumes []corev1.Volume, c corev1.Container) corev1.PodSpec {
	c.Name = "app"
	return corev1.PodSpec{Volumes: volumes, Containers: []corev1.Container{c}}
}

var (
	volumeSpec  = spec([]corev1.Volume{secretVolume("token")}, corev1.Container{VolumeMounts: []corev1.VolumeMount{{Name: "token", MountPath: "/token"}}})
	subPathSpec = spec([]corev1.Volume{secretVolume("token")}, corev1.Container{VolumeMounts: []corev1.VolumeMount{
		{Name: "token", MountPath: "/etc/app/token", SubPath: "access_token"}}})
	envSpec = spec(nil, corev1.Container{Env: []corev1.EnvVar{envVar("CYCLR_AUTHORIZATION", "cyclr-token")}})
)

func TestReferences(t *testing.T) {
	restartAlways := corev1.ContainerRestartPolicyAlways
	tests := []struct {
		name string
		spec corev1.PodSpec
		want []Reference
	}{
		{"secret volume", volumeSpec, []Reference{{"app", Volume, "/token"}}},
		{"projected volume", spec([]corev1.Volume{projectedVolume("all", "cyclr-token")},
			corev1.Container{VolumeMounts: []corev1.VolumeMount{{Name: "all", MountPath: "/all"}}}), []Reference{{"app", Volume, "/all"}}},
		{"projected volume of another Secret", spec([]corev1.Volume{projectedVolume("all", "other")},
			corev1.Container{VolumeMounts: []corev1.VolumeMount{{Name: "all", MountPath: "/all"}}}), nil},
		{"subPath", subPathSpec, []Reference{{"app", SubPath, "/etc/app/token"}}},
		{"subPathExpr", spec([]corev1.Volume{secretVolume("token")}, corev1.Container{VolumeMounts: []corev1.VolumeMount{
			{Name: "token", MountPath: "/t", SubPathExpr: "$(POD)"}}}), []Reference{{"app", SubPath, "/t"}}},
		{"volume not mounted", spec([]corev1.Volume{secretVolume("token")}, corev1.Container{}), nil},
		{"env", envSpec, []Reference{{"app", Env, "CYCLR_AUTHORIZATION"}}},
		{"env of another Secret", spec(nil, corev1.Container{Env: []corev1.EnvVar{envVar("X", "other"), {Name: "PLAIN", Value: "v"}}}), nil},
		{"envFrom", spec(nil, corev1.Container{EnvFrom: []corev1.EnvFromSource{{Prefix: "CYCLR_",
			SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cyclr-token"}}}}}),
			[]Reference{{"app", EnvFrom, "CYCLR_"}}},
		{"plain init container is done before the rotation", corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "init", Env: []corev1.EnvVar{envVar("T", "cyclr-token")}}},
			Containers:     []corev1.Container{{Name: "app"}}}, nil},
		{"sidecar init container", corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "proxy", RestartPolicy: &restartAlways, Env: []corev1.EnvVar{envVar("T", "cyclr-token")}}},
			Containers:     []corev1.Container{{Name: "app"}}}, []Reference{{"proxy", Env, "T"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := references(&tt.spec, "cyclr-token")
			if len(got) != len(tt.want) {
				t.Fatalf("references = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("references[%d] = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestVerdict(t *testing.T) {
	deployment := authv1alpha1.RolloutRestartTarget{Kind: authv1alpha1.KindDeployment, Name: "api"}
	allow := map[string]string{authv1alpha1.AllowRestartByAnnotation: "other, cyclr"}
	tests := []struct {
		name     string
		workload Workload
		cred     *authv1alpha1.CyclrCredential
		sees     bool
		fix      []string // substrings of the fix; empty when it sees the next token
	}{
		{"volume", Workload{Kind: "Deployment", Name: "api", Spec: volumeSpec}, credential(), true, nil},
		{"env, restarted and allowed", Workload{Kind: "Deployment", Name: "api", Annotations: allow, Spec: envSpec},
			credential(deployment), true, nil},
		{"subPath, restarted and allowed", Workload{Kind: "Deployment", Name: "api", Annotations: allow, Spec: subPathSpec},
			credential(deployment), true, nil},
		{"env, restarted but not allowed", Workload{Kind: "Deployment", Name: "api", Spec: envSpec}, credential(deployment), false,
			[]string{"kubectl annotate deployment/api --overwrite auth.cyclr-operator.io/allow-restart-by=cyclr"}},
		{"env, allowed but not restarted", Workload{Kind: "Deployment", Name: "api", Annotations: allow, Spec: envSpec}, credential(), false,
			[]string{"add {kind: Deployment, name: api} to spec.rolloutRestartTargets of cyclrcredential/cyclr"}},
		{"env, neither", Workload{Kind: "StatefulSet", Name: "db",
			Annotations: map[string]string{authv1alpha1.AllowRestartByAnnotation: "other"}, Spec: envSpec}, credential(), false,
			[]string{"add {kind: StatefulSet, name: db}", "allow-restart-by=other,cyclr"}},
		{"a target of another kind does not count", Workload{Kind: "DaemonSet", Name: "api", Annotations: allow, Spec: envSpec},
			credential(deployment), false, []string{"add {kind: DaemonSet, name: api}"}},
		{"standalone pod with env", Workload{Kind: "Pod", Name: "debug", Spec: envSpec}, credential(), false,
			[]string{"as a volume without subPath"}},
		{"job with subPath", Workload{Kind: "Job", Name: "once", Spec: subPathSpec}, credential(), false,
			[]string{"as a volume without subPath"}},
		{"cronjob with env reads the Secret at each run", Workload{Kind: "CronJob", Name: "nightly", Spec: envSpec}, credential(), true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.workload.Namespace = ns
			got := Find([]Workload{tt.workload}, tt.cred)
			if len(got) != 1 {
				t.Fatalf("Find = %+v, want one consumer", got)
			}
			c := got[0]
			if c.SeesNextToken != tt.sees {
				t.Errorf("SeesNextToken = %v, want %v (%s)", c.SeesNextToken, tt.sees, c.Why)
			}
			if (c.Fix == "") != (len(tt.fix) == 0) {
				t.Errorf("Fix = %q, want one only when the consumer keeps a dead token", c.Fix)
			}
			for _, s := range tt.fix {
				if !strings.Contains(c.Fix, s) {
					t.Errorf("Fix = %q, want it to contain %q", c.Fix, s)
				}
			}
		})
	}
}

func TestVolumeNoteOnSingleUseRotation(t *testing.T) {
	cred := credential()
	cred.Spec.Rotation = authv1alpha1.RotationRefreshToken
	got := Find([]Workload{{Kind: "Deployment", Namespace: ns, Name: "api", Spec: volumeSpec}}, cred)
	if len(got) != 1 || !got[0].SeesNextToken || !strings.Contains(got[0].Why, "401") {
		t.Fatalf("Find = %+v, want a volume consumer that sees the next token, with the RefreshToken window noted", got)
	}
}

func TestFindOnlyInTheCredentialsNamespace(t *testing.T) {
	got := Find([]Workload{{Kind: "Pod", Namespace: "elsewhere", Name: "p", Spec: envSpec}}, credential())
	if len(got) != 0 {
		t.Fatalf("Find = %+v, want nothing from another namespace", got)
	}
}

func owned(name, apiVersion, kind string) metav1.ObjectMeta {
	controller := true
	return metav1.ObjectMeta{Namespace: ns, Name: name,
		OwnerReferences: []metav1.OwnerReference{{APIVersion: apiVersion, Kind: kind, Name: "owner", Controller: &controller}}}
}

// TestWorkloadsListsEachTemplateOnce: a Deployment, not its ReplicaSet and pods; a CronJob,
// not its Jobs; what another controller owns is listed itself.
func TestWorkloadsListsEachTemplateOnce(t *testing.T) {
	inv := Inventory{
		Deployments:  []appsv1.Deployment{{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "api"}}},
		StatefulSets: []appsv1.StatefulSet{{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db"}}},
		DaemonSets:   []appsv1.DaemonSet{{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "agent"}}},
		ReplicaSets: []appsv1.ReplicaSet{
			{ObjectMeta: owned("api-5d9c", "apps/v1", "Deployment")},
			{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "bare-rs"}},
			{ObjectMeta: owned("rollout-rs", "argoproj.io/v1alpha1", "Rollout")},
		},
		CronJobs: []batchv1.CronJob{{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "nightly"}}},
		Jobs: []batchv1.Job{
			{ObjectMeta: owned("nightly-1", "batch/v1", "CronJob")},
			{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "once"}},
		},
		Pods: []corev1.Pod{
			{ObjectMeta: owned("api-5d9c-x", "apps/v1", "ReplicaSet")},
			{ObjectMeta: owned("db-0", "apps/v1", "StatefulSet")},
			{ObjectMeta: owned("agent-x", "apps/v1", "DaemonSet")},
			{ObjectMeta: owned("once-x", "batch/v1", "Job")},
			{ObjectMeta: owned("custom-x", "example.com/v1", "Job")},
			{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "debug"}},
		},
	}
	workloads := Workloads(inv)
	got := make([]string, 0, len(workloads))
	for _, w := range workloads {
		got = append(got, w.Kind+"/"+w.Name)
	}
	want := []string{"Deployment/api", "StatefulSet/db", "DaemonSet/agent", "ReplicaSet/bare-rs", "ReplicaSet/rollout-rs",
		"CronJob/nightly", "Job/once", "Pod/custom-x", "Pod/debug"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("Workloads = %v,\nwant        %v", got, want)
	}
}
