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
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Inventory is what a namespace (or all of them) holds that can run a pod.
type Inventory struct {
	Pods         []corev1.Pod
	Deployments  []appsv1.Deployment
	StatefulSets []appsv1.StatefulSet
	DaemonSets   []appsv1.DaemonSet
	ReplicaSets  []appsv1.ReplicaSet
	Jobs         []batchv1.Job
	CronJobs     []batchv1.CronJob
}

// Workload is one thing that starts pods, or a pod that nothing else starts, with the pod
// spec it starts them from.
type Workload struct {
	Kind        string
	Namespace   string
	Name        string
	Annotations map[string]string
	Spec        corev1.PodSpec
}

// Workloads lists each pod template once, at the level a user manages it: a Deployment and
// not its ReplicaSets or pods, a CronJob and not its Jobs, a pod only when no listed workload
// controls it. A ReplicaSet or pod controlled by something else (another operator's
// resource) is listed itself, since nothing listed here covers it.
func Workloads(inv Inventory) []Workload {
	out := make([]Workload, 0, len(inv.Deployments)+len(inv.StatefulSets)+len(inv.DaemonSets)+
		len(inv.ReplicaSets)+len(inv.Jobs)+len(inv.CronJobs)+len(inv.Pods))
	for i := range inv.Deployments {
		out = append(out, workload("Deployment", &inv.Deployments[i].ObjectMeta, inv.Deployments[i].Spec.Template.Spec))
	}
	for i := range inv.StatefulSets {
		out = append(out, workload("StatefulSet", &inv.StatefulSets[i].ObjectMeta, inv.StatefulSets[i].Spec.Template.Spec))
	}
	for i := range inv.DaemonSets {
		out = append(out, workload("DaemonSet", &inv.DaemonSets[i].ObjectMeta, inv.DaemonSets[i].Spec.Template.Spec))
	}
	for i := range inv.ReplicaSets {
		if !controlledBy(&inv.ReplicaSets[i].ObjectMeta, "Deployment") {
			out = append(out, workload("ReplicaSet", &inv.ReplicaSets[i].ObjectMeta, inv.ReplicaSets[i].Spec.Template.Spec))
		}
	}
	for i := range inv.CronJobs {
		out = append(out, workload("CronJob", &inv.CronJobs[i].ObjectMeta, inv.CronJobs[i].Spec.JobTemplate.Spec.Template.Spec))
	}
	for i := range inv.Jobs {
		if !controlledBy(&inv.Jobs[i].ObjectMeta, "CronJob") {
			out = append(out, workload("Job", &inv.Jobs[i].ObjectMeta, inv.Jobs[i].Spec.Template.Spec))
		}
	}
	for i := range inv.Pods {
		if !controlledBy(&inv.Pods[i].ObjectMeta, "ReplicaSet", "StatefulSet", "DaemonSet", "Job") {
			out = append(out, workload("Pod", &inv.Pods[i].ObjectMeta, inv.Pods[i].Spec))
		}
	}
	return out
}

func workload(kind string, meta *metav1.ObjectMeta, spec corev1.PodSpec) Workload {
	return Workload{Kind: kind, Namespace: meta.Namespace, Name: meta.Name, Annotations: meta.Annotations, Spec: spec}
}

// controlledBy reports whether the object's controller is of one of the kinds (in the
// built-in API groups those kinds live in; a same-named kind of another group does not count).
func controlledBy(meta *metav1.ObjectMeta, kinds ...string) bool {
	owner := metav1.GetControllerOfNoCopy(meta)
	if owner == nil {
		return false
	}
	gv, err := schema.ParseGroupVersion(owner.APIVersion)
	if err != nil {
		return false
	}
	for _, kind := range kinds {
		if owner.Kind == kind && gv.Group == builtinGroup[kind] {
			return true
		}
	}
	return false
}

// builtinGroup is the API group of each kind controlledBy is asked about.
var builtinGroup = map[string]string{
	"Deployment": appsv1.GroupName, "ReplicaSet": appsv1.GroupName, "StatefulSet": appsv1.GroupName, "DaemonSet": appsv1.GroupName,
	"Job": batchv1.GroupName, "CronJob": batchv1.GroupName,
}
