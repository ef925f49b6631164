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

package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
)

// +kubebuilder:rbac:groups=apps,resources=deployments;statefulsets;daemonsets,verbs=get;patch

// Results of one rollout restart: the result label of cyclr_rollout_restarts_total.
const (
	restartRestarted = "restarted"
	restartUnchanged = "unchanged" // the template already carries this token's time
	restartNotFound  = "not_found"
	restartForbidden = "forbidden"
	// restartNotAllowed: the workload does not list the credential in its allow-restart-by
	// annotation.
	restartNotAllowed = "not_allowed"
	restartError      = "error"
)

// errRestartNotAllowed: the workload's owner has not allowed this credential to restart it.
var errRestartNotAllowed = errors.New("the workload does not allow restarts by this CyclrCredential")

// rolloutRestart restarts every rollout restart target of cred for the token s, the way
// `kubectl rollout restart` does: by setting an annotation on the pod template. The value is
// the token's issue time, not the current time, so doing it again for the same token (after
// a crash before status recorded it) changes nothing and restarts no pod; with nanoseconds,
// so that two tokens issued within one second still restart twice. done is false only
// when a target may succeed on a retry; a missing or forbidden one is reported by a Warning
// event and skipped, since retrying cannot help and Ready does not depend on it.
func (r *CyclrCredentialReconciler) rolloutRestart(ctx context.Context,
	cred *authv1alpha1.CyclrCredential, s *policy.TokenState,
) (done bool, err error) {
	restartedAt := s.Token.IssuedAt.UTC().Format(time.RFC3339Nano)
	var retry []error
	for _, target := range cred.Spec.RolloutRestartTargets {
		result, err := r.restartWorkload(ctx, cred, target, restartedAt)
		rolloutRestarts.WithLabelValues(string(target.Kind), result).Inc()
		switch {
		case err == nil && result == restartRestarted:
			r.Recorder.Eventf(cred, nil, corev1.EventTypeNormal, EventRolloutRestarted, "RolloutRestart",
				"restarted %s %q for the token issued at %s", target.Kind, target.Name, restartedAt)
		case err != nil:
			r.Recorder.Eventf(cred, nil, corev1.EventTypeWarning, EventRolloutRestartFailed, "RolloutRestart",
				"%s", policy.Bounded(restartFailure(cred.Name, target, result, err)))
			if result == restartError {
				retry = append(retry, err)
			}
		}
	}
	return len(retry) == 0, errors.Join(retry...)
}

// restartWorkload sets the restarted-at annotation of one workload's pod template, reading it
// first so that a template already restarted for this token is not patched again, and so that
// a workload whose own annotations do not allow this credential is not patched at all: whoever
// may edit a CyclrCredential may not restart, on the operator's authority, what they may not
// edit.
func (r *CyclrCredentialReconciler) restartWorkload(ctx context.Context, cred *authv1alpha1.CyclrCredential,
	target authv1alpha1.RolloutRestartTarget, restartedAt string,
) (string, error) {
	workload, template := newWorkload(target.Kind)
	if workload == nil { // the CRD allows only the kinds newWorkload knows
		return restartError, fmt.Errorf("unsupported kind %q", target.Kind)
	}
	key := client.ObjectKey{Namespace: cred.Namespace, Name: target.Name}
	if err := r.APIReader.Get(ctx, key, workload); err != nil {
		return apiResult(err), err
	}
	if !authv1alpha1.AllowsRestartBy(workload.GetAnnotations(), cred.Name) {
		return restartNotAllowed, errRestartNotAllowed
	}
	if template.Annotations[authv1alpha1.RestartedAtAnnotation] == restartedAt {
		return restartUnchanged, nil
	}
	patch, _ := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{
		"annotations": map[string]string{authv1alpha1.RestartedAtAnnotation: restartedAt}}}}}) // strings only: cannot fail
	if err := r.Patch(ctx, workload, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return apiResult(err), err
	}
	return restartRestarted, nil
}

// newWorkload returns an empty object of kind and its pod template, nil for another kind.
func newWorkload(kind authv1alpha1.WorkloadKind) (client.Object, *corev1.PodTemplateSpec) {
	switch kind {
	case authv1alpha1.KindDeployment:
		d := &appsv1.Deployment{}
		return d, &d.Spec.Template
	case authv1alpha1.KindStatefulSet:
		s := &appsv1.StatefulSet{}
		return s, &s.Spec.Template
	case authv1alpha1.KindDaemonSet:
		d := &appsv1.DaemonSet{}
		return d, &d.Spec.Template
	}
	return nil, nil
}

func apiResult(err error) string {
	switch {
	case apierrors.IsNotFound(err):
		return restartNotFound
	case apierrors.IsForbidden(err):
		return restartForbidden
	}
	return restartError
}

// restartFailure says what went wrong in words a user can act on; the API server's errors
// name only objects and verbs.
func restartFailure(credentialName string, target authv1alpha1.RolloutRestartTarget, result string, err error) string {
	switch result {
	case restartNotFound:
		return fmt.Sprintf("%s %q not found in this namespace: nothing was restarted for the new token", target.Kind, target.Name)
	case restartForbidden:
		return fmt.Sprintf("%s %q: the operator may not get or patch it (RBAC): it was not restarted", target.Kind, target.Name)
	case restartNotAllowed:
		return fmt.Sprintf("%s %q was not restarted: it does not allow this CyclrCredential; whoever may edit it "+
			"can add %q to its metadata.annotations[%q] (comma-separated)", target.Kind, target.Name, credentialName,
			authv1alpha1.AllowRestartByAnnotation)
	}
	return fmt.Sprintf("restarting %s %q: %v (retried)", target.Kind, target.Name, err)
}
