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
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
)

// Logins known to the emulators.
const (
	clientID = "bench-client"
	username = "bench-user"
	password = "bench-password-0d9c"
)

// parallel runs f(i) for i in [0, n) on workers goroutines and returns the first error.
func parallel(ctx context.Context, n, workers int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	var once sync.Once
	var firstErr error
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := f(ctx, i); err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		// The parent was cancelled (the bench's deadline or Ctrl-C).
		return context.Cause(ctx)
	}
	return firstErr
}

// retryWrite retries a write the API server refused for a transient reason (an overloaded
// 2-core machine can answer 429 or time out).
// A create that timed out may have happened: AlreadyExists then counts as done.
func retryWrite(f func() error) error {
	retriable := func(err error) bool {
		return apierrors.IsTooManyRequests(err) || apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) ||
			apierrors.IsInternalError(err) || apierrors.IsServiceUnavailable(err)
	}
	return client.IgnoreAlreadyExists(retry.OnError(retry.DefaultBackoff, retriable, f))
}

func ensureNamespace(ctx context.Context, c client.Client, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	return client.IgnoreAlreadyExists(c.Create(ctx, ns))
}

func loginSecret(ctx context.Context, c client.Client, ns string) error {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "login"},
		StringData: map[string]string{"username": username, "password": password, "client_id": clientID},
	}
	return client.IgnoreAlreadyExists(c.Create(ctx, s))
}

func credName(i int) string { return fmt.Sprintf("cred-%05d", i) }

func newCredential(ns string, i int, apiURL string) *authv1alpha1.CyclrCredential {
	return &authv1alpha1.CyclrCredential{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: credName(i)},
		Spec: authv1alpha1.CyclrCredentialSpec{
			APIURL:               apiURL,
			CredentialsSecretRef: authv1alpha1.CredentialsSecretRef{Name: "login"},
		},
	}
}

// createCredentials creates n CyclrCredentials in ns with workers in parallel.
func createCredentials(ctx context.Context, c client.Client, ns string, n, workers int, apiURL string) error {
	return parallel(ctx, n, workers, func(ctx context.Context, i int) error {
		return retryWrite(func() error { return c.Create(ctx, newCredential(ns, i, apiURL)) })
	})
}

func isReady(c *authv1alpha1.CyclrCredential) bool {
	cond := meta.FindStatusCondition(c.Status.Conditions, authv1alpha1.ConditionReady)
	return cond != nil && cond.Status == metav1.ConditionTrue && cond.Reason == authv1alpha1.ReasonTokenValid &&
		cond.ObservedGeneration == c.Generation
}

// waitCredentials polls the bench's informer cache (no API server load) until cond holds for
// every CyclrCredential in ns and there are n of them; it returns when that first was seen.
func waitCredentials(ctx context.Context, reader client.Reader, ns string, n int, timeout time.Duration,
	what string, cond func(*authv1alpha1.CyclrCredential) bool,
) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for {
		var list authv1alpha1.CyclrCredentialList
		if err := reader.List(ctx, &list, client.InNamespace(ns), client.UnsafeDisableDeepCopy); err != nil {
			return time.Time{}, err
		}
		ok := 0
		for i := range list.Items {
			if cond(&list.Items[i]) {
				ok++
			}
		}
		if len(list.Items) == n && ok == n {
			return time.Now(), nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("%s: %d of %d credentials in %s after %s", what, ok, n, ns, timeout)
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
