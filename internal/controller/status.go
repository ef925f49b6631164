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
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
)

// failure is why a reconcile could not produce a fresh token.
type failure struct {
	reason  string
	message string
	// attempted: Cyclr was asked and failed, which counts toward failedAttempts and backoff.
	// Problems the user must fix in Kubernetes wait for the watch instead.
	attempted  bool
	class      failureClass
	retryAfter time.Duration
}

// result is what one reconcile did, from which the status is computed once.
type result struct {
	state     *tokenState // the token the target Secret holds, nil when none
	renewed   bool        // a new token was obtained and written
	waited    bool        // backoff held the attempt back
	suspended bool
	failure   *failure
	honoured  string // the refresh-requested-at value acted on
}

// nextStatus computes the status after a reconcile of cred that produced r at now.
func nextStatus(cred *authv1alpha1.CyclrCredential, r result, now time.Time) authv1alpha1.CyclrCredentialStatus {
	st := *cred.Status.DeepCopy()
	st.ObservedGeneration = cred.Generation
	st.TokenSecretName = cred.TargetSecretName()
	if r.honoured != "" {
		st.LastRefreshRequest = r.honoured
	}
	if r.state != nil {
		st.IssuedAt = timePtr(r.state.token.IssuedAt)
		st.ExpiresAt = timePtr(r.state.token.ExpiresAt)
		st.LastGrant = string(r.state.token.Grant)
	}
	if r.renewed {
		st.Revision++
	}
	valid := r.state.valid(now)
	ready := metav1.Condition{Type: authv1alpha1.ConditionReady, ObservedGeneration: cred.Generation}
	switch f := r.failure; {
	case r.suspended:
		st.RefreshAt = nil
		ready.Status, ready.Reason, ready.Message = metav1.ConditionFalse, authv1alpha1.ReasonSuspended,
			"suspended: no token is requested or written"
		if valid {
			ready.Status, ready.Reason = metav1.ConditionTrue, authv1alpha1.ReasonTokenValid
			ready.Message = fmt.Sprintf("suspended: the token stays valid until %s and will not be refreshed", stamp(r.state.token.ExpiresAt))
		}
	case r.waited:
		ready.Status, ready.Reason = metav1.ConditionUnknown, "RetryPending"
		ready.Message = "waiting for the next attempt at " + stamp(st.RefreshAt.Time)
		if c := meta.FindStatusCondition(st.Conditions, authv1alpha1.ConditionReady); c != nil {
			ready = *c
			ready.ObservedGeneration = cred.Generation
		}
		if ready.Reason == authv1alpha1.ReasonRefreshFailing && !valid {
			// RefreshFailing promises a valid token; it expired while the retry waits. The
			// message starts with the reason of the failure (see below).
			reason, _, _ := strings.Cut(ready.Message, ":")
			ready.Status, ready.Reason = metav1.ConditionFalse, reason
			ready.Message = "the token has expired; " + ready.Message
		}
	case f == nil:
		st.FailedAttempts, st.LastFailureTime = 0, nil
		// Rounded up: the wake-up planned from status must not come before the precise plan.
		st.RefreshAt = timePtr(ceilSecond(situation{credential: cred, state: r.state}.plannedRefresh()))
		ready.Status, ready.Reason = metav1.ConditionTrue, authv1alpha1.ReasonTokenValid
		ready.Message = fmt.Sprintf("token valid until %s; next refresh at %s", stamp(r.state.token.ExpiresAt), stamp(st.RefreshAt.Time))
	default:
		next := "it is retried when the problem is fixed"
		st.RefreshAt = nil
		if f.attempted {
			st.FailedAttempts++
			st.LastFailureTime = timePtr(now)
			// Rounded up, not down: the retry must not come before the backoff or Retry-After.
			st.RefreshAt = timePtr(ceilSecond(now.Add(retryDelay(f.class, st.FailedAttempts, f.retryAfter))))
			next = "next attempt at " + stamp(st.RefreshAt.Time)
		}
		ready.Status, ready.Reason, ready.Message = metav1.ConditionFalse, f.reason, f.message+"; "+next
		if valid && f.reason != authv1alpha1.ReasonTargetSecretConflict {
			ready.Status, ready.Reason = metav1.ConditionTrue, authv1alpha1.ReasonRefreshFailing
			ready.Message = fmt.Sprintf("%s: %s; the current token stays valid until %s; %s",
				f.reason, f.message, stamp(r.state.token.ExpiresAt), next)
		}
	}
	meta.SetStatusCondition(&st.Conditions, ready)
	return st
}

// requeueAfter is when to look again: the planned refresh or retry, or the token's expiry if
// that comes first (so Ready turns False on time); zero when only a watch event can help.
func requeueAfter(st authv1alpha1.CyclrCredentialStatus, s *tokenState, now time.Time) time.Duration {
	var at time.Time
	if st.RefreshAt != nil {
		at = st.RefreshAt.Time
	}
	if s.valid(now) && (at.IsZero() || s.token.ExpiresAt.Before(at)) {
		at = s.token.ExpiresAt
	}
	if at.IsZero() {
		return 0
	}
	// A plan already in the past is acted on at once, not dropped (0 would mean no requeue).
	return max(at.Sub(now), time.Second)
}

// timePtr stores t at the second precision the API server keeps, so a recomputed status
// equals the stored one and causes no write.
func timePtr(t time.Time) *metav1.Time {
	mt := metav1.NewTime(t.UTC().Truncate(time.Second))
	return &mt
}

// ceilSecond rounds t up to a whole second, the precision the API server keeps.
func ceilSecond(t time.Time) time.Time {
	if tr := t.Truncate(time.Second); !tr.Equal(t) {
		return tr.Add(time.Second)
	}
	return t
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
