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
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/cyclr-operator/cyclr-token-operator/internal/consumers"
)

// listWorkloads lists what runs pods in the namespace ("" for all), with the reads `kubectl
// get` would make; the pure consumers package decides what to make of them.
func listWorkloads(ctx context.Context, c client.Client, namespace string) ([]consumers.Workload, error) {
	var (
		pods         corev1.PodList
		deployments  appsv1.DeploymentList
		statefulSets appsv1.StatefulSetList
		daemonSets   appsv1.DaemonSetList
		replicaSets  appsv1.ReplicaSetList
		jobs         batchv1.JobList
		cronJobs     batchv1.CronJobList
	)
	for _, l := range []struct {
		resource string
		list     client.ObjectList
	}{
		{"pods", &pods}, {"deployments", &deployments}, {"statefulsets", &statefulSets}, {"daemonsets", &daemonSets},
		{"replicasets", &replicaSets}, {"jobs", &jobs}, {"cronjobs", &cronJobs},
	} {
		if err := c.List(ctx, l.list, client.InNamespace(namespace)); err != nil {
			return nil, fmt.Errorf("listing %s: %w", l.resource, err)
		}
	}
	return consumers.Workloads(consumers.Inventory{
		Pods: pods.Items, Deployments: deployments.Items, StatefulSets: statefulSets.Items, DaemonSets: daemonSets.Items,
		ReplicaSets: replicaSets.Items, Jobs: jobs.Items, CronJobs: cronJobs.Items,
	}), nil
}
