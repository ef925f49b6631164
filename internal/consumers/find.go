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
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
)

// How is the way a container reads the Secret.
type How string

const (
	// Volume: a secret or projected volume mounted whole; the kubelet updates its files.
	Volume How = "volume"
	// SubPath: one file of such a volume mounted with subPath, which the kubelet never updates.
	SubPath How = "subPath"
	// Env: env[].valueFrom.secretKeyRef, read once when the container starts.
	Env How = "env"
	// EnvFrom: envFrom[].secretRef, read once when the container starts.
	EnvFrom How = "envFrom"
)

// Reference is one place where a container reads the Secret.
type Reference struct {
	Container string `json:"container"`
	How       How    `json:"how"`
	// Detail is the mount path or the environment variable's name (envFrom: the prefix, if any).
	Detail string `json:"detail,omitempty"`
}

// Consumer is a workload or pod that reads the Secret, and whether it will see the next token.
type Consumer struct {
	Kind       string      `json:"kind"`
	Namespace  string      `json:"namespace"`
	Name       string      `json:"name"`
	References []Reference `json:"references"`
	// SeesNextToken is false when some reference keeps the token the pod started with.
	SeesNextToken bool `json:"seesNextToken"`
	// Why says how it sees the next token, or why it does not.
	Why string `json:"why"`
	// Fix, when SeesNextToken is false, is what to change, in one line.
	Fix string `json:"fix,omitempty"`
}

// Find returns the workloads that read cred's target Secret, in the order given.
func Find(workloads []Workload, cred *authv1alpha1.CyclrCredential) []Consumer {
	secret := cred.TargetSecretName()
	var out []Consumer
	for i := range workloads {
		w := &workloads[i]
		if w.Namespace != cred.Namespace {
			continue
		}
		refs := references(&w.Spec, secret)
		if len(refs) == 0 {
			continue
		}
		c := Consumer{Kind: w.Kind, Namespace: w.Namespace, Name: w.Name, References: refs}
		c.SeesNextToken, c.Why, c.Fix = verdict(w, refs, cred)
		out = append(out, c)
	}
	return out
}

// references lists where the pod spec's long-running containers read the Secret.
func references(spec *corev1.PodSpec, secret string) []Reference {
	volumes := secretVolumes(spec.Volumes, secret)
	var refs []Reference
	for _, c := range longRunningContainers(spec) {
		for _, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				continue
			}
			how := Volume
			if m.SubPath != "" || m.SubPathExpr != "" {
				how = SubPath
			}
			refs = append(refs, Reference{Container: c.Name, How: how, Detail: m.MountPath})
		}
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name == secret {
				refs = append(refs, Reference{Container: c.Name, How: Env, Detail: e.Name})
			}
		}
		for _, e := range c.EnvFrom {
			if e.SecretRef != nil && e.SecretRef.Name == secret {
				refs = append(refs, Reference{Container: c.Name, How: EnvFrom, Detail: e.Prefix})
			}
		}
	}
	return refs
}

// secretVolumes is the set of the spec's volumes that hold the Secret: a secret volume, or a
// projected volume with it among its sources.
func secretVolumes(volumes []corev1.Volume, secret string) map[string]bool {
	set := map[string]bool{}
	for _, v := range volumes {
		if v.Secret != nil && v.Secret.SecretName == secret {
			set[v.Name] = true
		}
		if v.Projected != nil && slices.ContainsFunc(v.Projected.Sources, func(s corev1.VolumeProjection) bool {
			return s.Secret != nil && s.Secret.Name == secret
		}) {
			set[v.Name] = true
		}
	}
	return set
}

// longRunningContainers are the containers that may still hold the token when it rotates:
// the app containers and the sidecars (init containers with restartPolicy Always). A plain
// init container has finished before the pod runs.
func longRunningContainers(spec *corev1.PodSpec) []corev1.Container {
	out := slices.Clone(spec.Containers)
	for _, c := range spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			out = append(out, c)
		}
	}
	return out
}

// kubeletSync is what a volume consumer waits for: the kubelet's sync period plus its cache
// TTL, up to about 75 s at the kubelet's defaults (measured by make e2e).
const kubeletSync = "yes, after the kubelet's sync (up to about 75 s)"

// singleUseNote is added for a volume consumer of a RefreshToken rotation: the old token dies
// when the new one is issued, before the kubelet has updated the file.
const singleUseNote = "; with rotation RefreshToken, 401s until then (Reauthenticate has no such window)"

// verdict says whether w will see the next token, and if not, the fix.
func verdict(w *Workload, refs []Reference, cred *authv1alpha1.CyclrCredential) (sees bool, why, fix string) {
	stale := staleReferences(refs)
	if len(stale) == 0 {
		if singleUse(cred) {
			return true, kubeletSync + singleUseNote, ""
		}
		return true, kubeletSync, ""
	}
	if w.Kind == "CronJob" {
		// Every run starts new pods, which read the Secret as it is then.
		return true, "yes, at its next run (a run in progress keeps its token)", ""
	}
	via := strings.Join(stale, " and ")
	kind, restartable := restartableKind(w.Kind)
	if !restartable {
		why := "no: through " + via + " it keeps the token the pod started with, and the operator restarts only " +
			"Deployments, StatefulSets and DaemonSets"
		return false, why, "mount Secret " + cred.TargetSecretName() + " as a volume without subPath and read the file at each call"
	}
	targeted := slices.Contains(cred.Spec.RolloutRestartTargets, authv1alpha1.RolloutRestartTarget{Kind: kind, Name: w.Name})
	allowed := authv1alpha1.AllowsRestartBy(w.Annotations, cred.Name)
	if targeted && allowed {
		return true, "yes, through the rollout restart after each new token", ""
	}
	var steps []string
	if !targeted {
		steps = append(steps, "add {kind: "+w.Kind+", name: "+w.Name+"} to spec.rolloutRestartTargets of cyclrcredential/"+cred.Name)
	}
	if !allowed {
		steps = append(steps, "kubectl annotate "+strings.ToLower(w.Kind)+"/"+w.Name+" --overwrite "+
			authv1alpha1.AllowRestartByAnnotation+"="+allowList(w.Annotations, cred.Name))
	}
	return false, "no: through " + via + " it keeps the token the pod started with, and " + missing(targeted, allowed),
		strings.Join(steps, "; and ") + " (or mount the Secret as a volume without subPath)"
}

// singleUse reports whether each new token ends the previous one: the Password grant with
// rotation RefreshToken (the default). ClientCredentials tokens live side by side.
func singleUse(cred *authv1alpha1.CyclrCredential) bool {
	return cred.Spec.Grant != authv1alpha1.GrantClientCredentials && cred.Spec.Rotation != authv1alpha1.RotationReauthenticate
}

// staleReferences names the kinds of reference that keep the token a container started with.
func staleReferences(refs []Reference) []string {
	var out []string
	for _, r := range refs {
		if r.How != Volume && !slices.Contains(out, string(r.How)) {
			out = append(out, string(r.How))
		}
	}
	return out
}

// restartableKind maps a workload kind to the rollout restart target kind, if the operator
// can restart that kind.
func restartableKind(kind string) (authv1alpha1.WorkloadKind, bool) {
	switch k := authv1alpha1.WorkloadKind(kind); k {
	case authv1alpha1.KindDeployment, authv1alpha1.KindStatefulSet, authv1alpha1.KindDaemonSet:
		return k, true
	}
	return "", false
}

func missing(targeted, allowed bool) string {
	switch {
	case !targeted && !allowed:
		return "the credential does not restart it, nor does the workload allow it to"
	case !targeted:
		return "the credential does not list it in spec.rolloutRestartTargets"
	}
	return "the workload's " + authv1alpha1.AllowRestartByAnnotation + " annotation does not list the credential"
}

// allowList is the annotation's value with the credential added to the names already there.
func allowList(annotations map[string]string, credential string) string {
	current := strings.TrimSpace(annotations[authv1alpha1.AllowRestartByAnnotation])
	if current == "" {
		return credential
	}
	return current + "," + credential
}
