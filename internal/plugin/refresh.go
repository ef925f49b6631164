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
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
)

// pollInterval is how often refresh --wait reads the credential: one GET, as kubectl wait's
// polling would make.
const pollInterval = 500 * time.Millisecond

type refreshOptions struct {
	*options
	wait    bool
	timeout time.Duration
}

func newRefreshCommand(o *options) *cobra.Command {
	r := &refreshOptions{options: o}
	cmd := &cobra.Command{
		Use:   "refresh NAME",
		Short: "Ask the operator for a new token now; with --wait, return once it is Ready",
		Long: "refresh sets the " + authv1alpha1.RefreshRequestedAtAnnotation + " annotation, which asks the operator\n" +
			"for a new token once. With --wait it returns 0 once a new revision is Ready, and fails with the\n" +
			"credential's reason when none is Ready within --timeout.",
		Example:           "  kubectl cyclr refresh my-credential -n integrations --wait --timeout 2m",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: o.completeCredentialNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			return r.run(cmd.Context(), args[0])
		},
	}
	cmd.Flags().BoolVar(&r.wait, "wait", false, "wait until a new revision is Ready")
	cmd.Flags().DurationVar(&r.timeout, "timeout", 2*time.Minute, "how long --wait waits")
	return cmd
}

func (r *refreshOptions) run(ctx context.Context, name string) error {
	c, err := r.client()
	if err != nil {
		return err
	}
	namespace, err := r.namespace()
	if err != nil {
		return err
	}
	cred, err := getCredential(ctx, c, namespace, name)
	if err != nil {
		return err
	}
	before := cred.Status.Revision
	requested := r.now().UTC().Format(time.RFC3339Nano)
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{ // strings only: cannot fail
		"annotations": map[string]string{authv1alpha1.RefreshRequestedAtAnnotation: requested}}})
	if err := c.Patch(ctx, cred, client.RawPatch(types.MergePatchType, patch)); err != nil {
		return fmt.Errorf("requesting a refresh of cyclrcredential %s/%s: %w", namespace, name, err)
	}
	if _, err := fmt.Fprintf(r.streams.Out, "cyclrcredential/%s refresh requested (revision %d)\n", name, before); err != nil || !r.wait {
		return err
	}
	cred, err = waitForRevision(ctx, c, client.ObjectKeyFromObject(cred), before, r.timeout)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(r.streams.Out, "cyclrcredential/%s revision %d Ready (%s), expires %s\n",
		name, cred.Status.Revision, readyReason(cred), when(cred.Status.ExpiresAt, r.now()))
	return err
}

// waitForRevision polls until the credential has a revision after before and is Ready. It
// gives up at once when the credential is suspended, and at the timeout with its Ready reason
// and message. (Stalled is no reason to stop: a fixed login Secret ends it without a new
// generation, so a Stalled condition read now may be the one the fix is about to clear.)
func waitForRevision(ctx context.Context, c client.Client, key client.ObjectKey, before int64,
	timeout time.Duration,
) (*authv1alpha1.CyclrCredential, error) {
	cred := &authv1alpha1.CyclrCredential{}
	var stop error
	err := wait.PollUntilContextTimeout(ctx, pollInterval, timeout, true, func(ctx context.Context) (bool, error) {
		if err := c.Get(ctx, key, cred); err != nil {
			if apierrors.IsNotFound(err) {
				return false, fmt.Errorf("getting cyclrcredential %s: %w", key, err)
			}
			// Anything else may pass (the API server busy, or the client's rate limit refusing a
			// read that the deadline would cut short): tried again until the timeout.
			return false, nil
		}
		if cred.Status.Revision > before && meta.IsStatusConditionTrue(cred.Status.Conditions, authv1alpha1.ConditionReady) {
			return true, nil
		}
		stop = cannotProceed(cred)
		return stop != nil, stop
	})
	switch {
	case err == nil:
		return cred, nil
	case stop != nil:
		return nil, fmt.Errorf("cyclrcredential %s: no new token: %w", key, stop)
	case wait.Interrupted(err):
		return nil, fmt.Errorf("cyclrcredential %s: no new revision Ready within %s: %s", key, timeout, describe(cred))
	}
	return nil, err
}

// errSuspended: a suspended credential gets no new token until it is resumed; waiting for
// one would only reach the timeout.
var errSuspended = errors.New("spec.suspend is true: the operator will refresh it once it is resumed")

func cannotProceed(cred *authv1alpha1.CyclrCredential) error {
	if cred.Spec.Suspend {
		return errSuspended
	}
	return nil
}

// describe is the credential's state in one line: what a user needs when the wait failed.
func describe(cred *authv1alpha1.CyclrCredential) string {
	s := fmt.Sprintf("revision %d", cred.Status.Revision)
	if ready := meta.FindStatusCondition(cred.Status.Conditions, authv1alpha1.ConditionReady); ready != nil {
		s += fmt.Sprintf(", Ready=%s %s", ready.Status, ready.Reason)
		if ready.Message != "" {
			s += ": " + ready.Message
		}
	} else {
		s += ", no Ready condition yet (is the operator running?)"
	}
	if cred.Status.LastFailureReason != "" {
		s += ", last failure " + cred.Status.LastFailureReason
	}
	return s
}

func readyReason(cred *authv1alpha1.CyclrCredential) string {
	if ready := meta.FindStatusCondition(cred.Status.Conditions, authv1alpha1.ConditionReady); ready != nil {
		return ready.Reason
	}
	return none
}
