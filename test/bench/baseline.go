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
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
	"github.com/cyclr-operator/cyclr-token-operator/internal/policy"
)

// phaseBaseline: the writes the work needs, done directly, before any manager runs.
func (b *bench) phaseBaseline(ctx context.Context) error {
	if !b.c.floor {
		logf("baseline skipped (-floor=false)")
		return nil
	}
	if err := ensureNamespace(ctx, b.k8s, nsBaseline); err != nil {
		return err
	}
	took, err := baselineWrites(ctx, b.k8s, nsBaseline, b.c.n, b.c.concurrency, b.c.createWorkers, b.cyclr.URL)
	if err != nil {
		return err
	}
	b.fig.baseline = took
	logf("baseline: %d x (a credential create, then 2 Secret creates + 1 status patch) on %d workers took %s",
		b.c.n, b.c.concurrency, took.Round(time.Millisecond))
	// Clean up so the manager never sees them (envtest runs no garbage collector). Deleting
	// tens of thousands of objects on a loaded machine can outlast the API server's request
	// timeout or reset the stream: each retry deletes what is left.
	for _, obj := range []client.Object{&corev1.Secret{}, &authv1alpha1.CyclrCredential{}} {
		err := retry.OnError(retry.DefaultBackoff, func(error) bool { return ctx.Err() == nil }, func() error {
			return b.k8s.DeleteAllOf(ctx, obj, client.InNamespace(nsBaseline))
		})
		if err != nil {
			return fmt.Errorf("cleaning up the floor's objects: %w", err)
		}
	}
	return nil
}

// baselineWrites does, directly with a client, the work of n new credentials: the user's
// creates (on createWorkers, as the bench creates the manager's) and the writes the operator
// must do for each, as soon as it is created: create the state Secret and the target Secret,
// then patch the status, on workers in parallel (the manager's --max-concurrent-reconciles).
// The clock runs from the first create to the last write, as for the manager's figure 1.
func baselineWrites(ctx context.Context, c client.Client, ns string, n, workers, createWorkers int, apiURL string) (time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	creds := make([]*authv1alpha1.CyclrCredential, n)
	created := make([]chan struct{}, n)
	for i := range created {
		created[i] = make(chan struct{})
	}
	scheme := c.Scheme()
	start := time.Now()
	creates := make(chan error, 1)
	go func() {
		err := parallel(ctx, n, createWorkers, func(ctx context.Context, i int) error {
			cred := newCredential(ns, i, apiURL)
			if err := c.Create(ctx, cred); err != nil {
				return err
			}
			creds[i] = cred
			close(created[i])
			return nil
		})
		if err != nil {
			cancel() // the writers wait for credentials that will not come
		}
		creates <- err
	}()
	err := parallel(ctx, n, workers, func(ctx context.Context, i int) error {
		select {
		case <-created[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		cred := creds[i]
		now := time.Now().UTC()
		expires := now.Add(1209599 * time.Second)
		access := randomHex()
		labels := map[string]string{
			authv1alpha1.ManagedByLabel: authv1alpha1.ManagedByValue, authv1alpha1.CredentialLabel: cred.Name,
		}
		stateLabels := map[string]string{authv1alpha1.RoleLabel: authv1alpha1.RoleState}
		maps.Copy(stateLabels, labels)
		state := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: cred.Name + "-cyclr-state", Labels: stateLabels,
				Annotations: (&policy.TokenState{Token: cyclr.Token{Grant: cyclr.GrantPassword, IssuedAt: now, ExpiresAt: expires},
					Inputs: randomHex()}).SecretAnnotations()},
			Type: corev1.SecretTypeOpaque,
			Data: map[string][]byte{
				"access_token": []byte(access), "refresh_token": []byte(randomHex()),
				"token_type": []byte("bearer"), "grant": []byte("password"),
				"issued_at": []byte(now.Format(time.RFC3339Nano)), "expires_at": []byte(expires.Format(time.RFC3339Nano)),
				"fingerprint": []byte(randomHex()), "inputs": []byte(randomHex()),
			},
		}
		target := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: cred.Name, Labels: labels},
			Type:       corev1.SecretTypeOpaque,
			Data: map[string][]byte{
				"access_token": []byte(access), "token_type": []byte("bearer"),
				"authorization": []byte("Bearer " + access), "expires_at": []byte(expires.Format(time.RFC3339)),
				"api_url": []byte(apiURL),
			},
		}
		for _, s := range []*corev1.Secret{state, target} {
			if err := controllerutil.SetControllerReference(cred, s, scheme); err != nil {
				return err
			}
			if err := c.Create(ctx, s); err != nil {
				return fmt.Errorf("creating Secret %s: %w", s.Name, err)
			}
		}
		patch := client.MergeFrom(cred.DeepCopy())
		at := func(t time.Time) *metav1.Time { mt := metav1.NewTime(t.Truncate(time.Second)); return &mt }
		refresh := now.Add(806399 * time.Second)
		cred.Status = authv1alpha1.CyclrCredentialStatus{
			ObservedGeneration: cred.Generation,
			TokenSecretName:    cred.Name,
			IssuedAt:           at(now), ExpiresAt: at(expires), RefreshAt: at(refresh),
			LastGrant: "password", Revision: 1, TargetResourceVersion: target.ResourceVersion,
		}
		meta.SetStatusCondition(&cred.Status.Conditions, metav1.Condition{
			Type: authv1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: authv1alpha1.ReasonTokenValid,
			ObservedGeneration: cred.Generation,
			Message:            fmt.Sprintf("token valid until %s; next refresh at %s", expires.Format(time.RFC3339), refresh.Format(time.RFC3339)),
		})
		if err := c.Status().Patch(ctx, cred, patch); err != nil {
			return fmt.Errorf("patching status of %s: %w", cred.Name, err)
		}
		return nil
	})
	took := time.Since(start)
	if cerr := <-creates; cerr != nil {
		return 0, fmt.Errorf("creating baseline credentials: %w", cerr)
	}
	return took, err
}

// randomHex is 32 random bytes in hex: the size of the emulator's tokens and of a SHA-256.
func randomHex() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
