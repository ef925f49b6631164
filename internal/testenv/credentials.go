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

package testenv

import (
	"context"
	"fmt"
	"testing"

	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr/cyclrtest"
)

// Credential is a CyclrCredential named name in ns that signs in to the Cyclr at apiURL with
// the Secret "login", changed by mutate.
func Credential(ns, name, apiURL string, mutate ...func(*authv1alpha1.CyclrCredential)) *authv1alpha1.CyclrCredential {
	c := &authv1alpha1.CyclrCredential{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: authv1alpha1.CyclrCredentialSpec{
			APIURL:               apiURL,
			CredentialsSecretRef: authv1alpha1.CredentialsSecretRef{Name: "login"},
		},
	}
	for _, m := range mutate {
		m(c)
	}
	return c
}

// ReadyFor is nil when c's Ready condition is about its current generation and has reason.
func ReadyFor(c *authv1alpha1.CyclrCredential, reason string) error {
	cond := meta.FindStatusCondition(c.Status.Conditions, authv1alpha1.ConditionReady)
	switch {
	case cond == nil:
		return fmt.Errorf("%s: no Ready condition", c.Name)
	case cond.ObservedGeneration != c.Generation || cond.Reason != reason:
		return fmt.Errorf("%s: Ready %s/%s (generation %d of %d): %s", c.Name, cond.Status, cond.Reason,
			cond.ObservedGeneration, c.Generation, cond.Message)
	}
	return nil
}

// Requests is nil when the emulator received exactly want token requests.
func Requests(srv *cyclrtest.Server, want int) error {
	if got := srv.Requests(); got != want {
		return fmt.Errorf("token requests to Cyclr: %d, want %d", got, want)
	}
	return nil
}

// CountIs fails t unless the emulator counted want requests of grant with outcome.
func CountIs(t testing.TB, srv *cyclrtest.Server, grant, outcome string, want int) {
	t.Helper()
	if got := srv.Count(grant, outcome); got != want {
		t.Errorf("Cyclr counted %d %s requests with outcome %s, want %d", got, grant, outcome, want)
	}
}

// Events lists the events in ns, failing t when the API server cannot.
func (s *Suite) Events(ctx context.Context, t testing.TB, ns string) []eventsv1.Event {
	t.Helper()
	var list eventsv1.EventList
	if err := s.Client.List(ctx, &list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	return list.Items
}

// FindEvent is the first of events about the object name with reason.
func FindEvent(events []eventsv1.Event, name, reason string) (eventsv1.Event, bool) {
	for _, e := range events {
		if e.Regarding.Name == name && e.Reason == reason {
			return e, true
		}
	}
	return eventsv1.Event{}, false
}
