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

package policy

import (
	"fmt"
	"time"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
)

// Result is what one reconcile did, from which the status is computed once.
type Result struct {
	State   *TokenState // the token the target Secret holds, nil when none
	Renewed bool        // a new token was obtained and written
	Waited  bool        // backoff, the minimum refresh interval or the rate limit held the attempt back
	// NotBefore is when a waited attempt is to be made (Situation.NextAttempt); zero: when
	// the backoff in status says.
	NotBefore time.Time
	Suspended bool
	Failure   *Failure
	Honoured  string // the refresh-requested-at value acted on
	// RolledOut: the rollout restart targets were restarted for this token's revision
	// (PendingRollout said so and every restart was made or found impossible).
	RolledOut bool
	// Inputs are the inputs (Situation.Inputs) the reconcile acted on: a failed attempt records them.
	Inputs string
	// TargetVersion is the target Secret's resourceVersion as this reconcile wrote or checked
	// it; empty when it did neither.
	TargetVersion string
}

// NextStatus computes the status after a reconcile of cred that produced r at now: the token's
// record, then the plan and the Ready condition for what happened (one helper per outcome),
// then the conditions kstatus reads, derived from Ready.
func NextStatus(cred *authv1alpha1.CyclrCredential, r Result, now time.Time) authv1alpha1.CyclrCredentialStatus {
	st := *cred.Status.DeepCopy()
	recordToken(&st, cred, r)
	ready := metav1.Condition{Type: authv1alpha1.ConditionReady, ObservedGeneration: cred.Generation}
	switch {
	case r.Suspended:
		ready = suspendedStatus(&st, ready, r, now)
	case r.Waited:
		ready = waitingStatus(&st, ready, r, now)
	case r.Failure == nil:
		ready = validStatus(&st, ready, cred, r)
	default:
		ready = failedStatus(&st, ready, r, now)
	}
	ready.Message = Bounded(ready.Message)
	meta.SetStatusCondition(&st.Conditions, ready)
	setHealth(&st.Conditions, ready)
	return st
}

// recordToken records what the reconcile acted on: the generation, the target's name and
// version, the refresh request honoured, and the token it left in the target, counting a new
// revision once.
func recordToken(st *authv1alpha1.CyclrCredentialStatus, cred *authv1alpha1.CyclrCredential, r Result) {
	st.ObservedGeneration = cred.Generation
	st.TokenSecretName = cred.TargetSecretName()
	if r.Honoured != "" {
		st.LastRefreshRequest = r.Honoured
	}
	if r.State != nil {
		st.IssuedAt = timePtr(r.State.Token.IssuedAt)
		st.ExpiresAt = timePtr(r.State.Token.ExpiresAt)
		st.LastGrant = string(r.State.Token.Grant)
	}
	if r.TargetVersion != "" {
		st.TargetResourceVersion = r.TargetVersion
	}
	if newRevision(cred, r) {
		st.Revision++
	}
	if r.RolledOut || len(cred.Spec.RolloutRestartTargets) == 0 {
		st.RolloutRevision = st.Revision
	}
}

// suspendedStatus: no plan. Ready is True: the operator does all the spec asks, which is
// nothing. False would keep kstatus, Helm --wait and Flux waiting for a token that a suspended
// credential never requests (kstatus reads any Ready=False as in progress); the reason and
// message say there is none.
func suspendedStatus(st *authv1alpha1.CyclrCredentialStatus, ready metav1.Condition, r Result, now time.Time) metav1.Condition {
	st.RefreshAt = nil
	ready.Status, ready.Reason, ready.Message = metav1.ConditionTrue, authv1alpha1.ReasonSuspended,
		"suspended: no token is requested or written, and the target Secret holds no valid token"
	if r.State.Valid(now) {
		ready.Reason = authv1alpha1.ReasonTokenValid
		ready.Message = fmt.Sprintf("suspended: the token stays valid until %s and will not be refreshed", Stamp(r.State.Token.ExpiresAt))
	}
	return ready
}

// waitingStatus: the attempt is planned for r.NotBefore; Ready stays as it was (a wait changes
// nothing the user can see), unless a RefreshFailing token expired meanwhile.
func waitingStatus(st *authv1alpha1.CyclrCredentialStatus, ready metav1.Condition, r Result, now time.Time) metav1.Condition {
	if !r.NotBefore.IsZero() {
		st.RefreshAt = timePtr(ceilSecond(r.NotBefore))
	}
	ready.Status, ready.Reason = metav1.ConditionUnknown, authv1alpha1.ReasonRetryPending
	ready.Message = "waiting for the next attempt"
	if st.RefreshAt != nil {
		ready.Message += " at " + Stamp(st.RefreshAt.Time)
	}
	if c := meta.FindStatusCondition(st.Conditions, authv1alpha1.ConditionReady); c != nil {
		generation := ready.ObservedGeneration
		ready = *c
		ready.ObservedGeneration = generation
	}
	if ready.Reason == authv1alpha1.ReasonRefreshFailing && !r.State.Valid(now) {
		// RefreshFailing promises a valid token; it expired while the retry waits.
		ready.Status, ready.Reason = metav1.ConditionFalse, st.LastFailureReason
		if ready.Reason == "" { // a status written before lastFailureReason existed
			ready.Reason = authv1alpha1.ReasonRetryPending
		}
		ready.Message = "the token has expired; " + ready.Message
	}
	return ready
}

// validStatus: no failure; the next look is the planned refresh, rounded up, since the wake-up
// planned from status must not come before the precise plan.
func validStatus(st *authv1alpha1.CyclrCredentialStatus, ready metav1.Condition,
	cred *authv1alpha1.CyclrCredential, r Result,
) metav1.Condition {
	st.FailedAttempts, st.LastFailureTime, st.LastFailureReason, st.LastFailureInputs = 0, nil, "", ""
	st.RefreshAt = timePtr(ceilSecond(Situation{Credential: cred, State: r.State}.PlannedRefresh()))
	ready.Status, ready.Reason = metav1.ConditionTrue, authv1alpha1.ReasonTokenValid
	ready.Message = fmt.Sprintf("token valid until %s; next refresh at %s", Stamp(r.State.Token.ExpiresAt), Stamp(st.RefreshAt.Time))
	return ready
}

// failedStatus: a failed attempt counts and backs off (the retry rounded up, so it never comes
// before the backoff or Retry-After); a ConfigError waits for the user. A valid token keeps
// Ready True as RefreshFailing, except for the reasons that will never let it refresh.
func failedStatus(st *authv1alpha1.CyclrCredentialStatus, ready metav1.Condition, r Result, now time.Time) metav1.Condition {
	f := r.Failure
	next := "it is retried when the problem is fixed"
	st.RefreshAt, st.LastFailureReason = nil, f.Reason
	if f.Attempted() {
		st.FailedAttempts++
		st.LastFailureTime, st.LastFailureInputs = timePtr(now), r.Inputs
		st.RefreshAt = timePtr(ceilSecond(now.Add(RetryDelay(f.Result, st.FailedAttempts, f.RetryAfter))))
		next = "next attempt at " + Stamp(st.RefreshAt.Time)
	}
	ready.Status, ready.Reason, ready.Message = metav1.ConditionFalse, f.Reason, f.Message+"; "+next
	if r.State.Valid(now) && !neverReady[f.Reason] {
		ready.Status, ready.Reason = metav1.ConditionTrue, authv1alpha1.ReasonRefreshFailing
		ready.Message = fmt.Sprintf("%s: %s; the current token stays valid until %s; %s",
			f.Reason, f.Message, Stamp(r.State.Token.ExpiresAt), next)
	}
	return ready
}

// newRevision reports whether the token of r is one status has not recorded yet: one just
// obtained, or one saved by a reconcile that stopped (a crash) before writing status.
func newRevision(cred *authv1alpha1.CyclrCredential, r Result) bool {
	if r.Renewed {
		return true
	}
	if r.State == nil {
		return false
	}
	recorded := cred.Status.IssuedAt != nil && cred.Status.ExpiresAt != nil &&
		cred.Status.IssuedAt.Equal(timePtr(r.State.Token.IssuedAt)) && cred.Status.ExpiresAt.Equal(timePtr(r.State.Token.ExpiresAt))
	return !recorded
}

// PendingRollout reports whether the token of r is a revision not yet rolled out to the
// credential's rollout restart targets: true once per revision, whether it was obtained in
// this reconcile or in one that stopped before it could restart them. A restored target or an
// operator restart is no new revision.
func PendingRollout(cred *authv1alpha1.CyclrCredential, r Result) bool {
	if len(cred.Spec.RolloutRestartTargets) == 0 || r.State == nil {
		return false
	}
	next := cred.Status.Revision
	if newRevision(cred, r) {
		next++
	}
	return next > cred.Status.RolloutRevision
}

// stalledReasons are the Ready reasons after which nothing changes until the user fixes the
// spec, the login or the target name: kstatus reads the Stalled condition as Failed.
var stalledReasons = map[string]bool{
	authv1alpha1.ReasonAuthenticationFailed: true,
	authv1alpha1.ReasonCredentialsInvalid:   true,
	authv1alpha1.ReasonInvalidTokenResponse: true,
	authv1alpha1.ReasonTargetSecretConflict: true,
	authv1alpha1.ReasonAPIHostNotAllowed:    true,
	authv1alpha1.ReasonSpecInvalid:          true,
}

// setHealth derives the abnormal-true conditions kstatus, Flux and kubectl wait read from
// Ready: Stalled for a problem only the user can fix, Reconciling while a token is still to
// come (the first one, Cyclr unavailable, the login Secret missing, a retry pending), neither
// while a valid token is served or the credential is suspended. Each is present only while
// True, as kstatus recommends.
func setHealth(conditions *[]metav1.Condition, ready metav1.Condition) {
	reconciling, stalled := false, false
	if ready.Status != metav1.ConditionTrue && ready.Reason != authv1alpha1.ReasonSuspended {
		stalled = stalledReasons[ready.Reason]
		reconciling = !stalled
	}
	for condType, on := range map[string]bool{authv1alpha1.ConditionReconciling: reconciling, authv1alpha1.ConditionStalled: stalled} {
		if !on {
			meta.RemoveStatusCondition(conditions, condType)
			continue
		}
		c := ready
		c.Type, c.Status = condType, metav1.ConditionTrue
		meta.SetStatusCondition(conditions, c)
	}
}

// neverReady are the failures that make Ready False even while the token in the target Secret
// is valid: the operator will not act on the spec as it stands, so "RefreshFailing" would
// promise a refresh that cannot come.
var neverReady = map[string]bool{
	authv1alpha1.ReasonTargetSecretConflict: true,
	authv1alpha1.ReasonAPIHostNotAllowed:    true,
	authv1alpha1.ReasonSpecInvalid:          true,
}

// MaxMessageBytes bounds a condition message or an event note: whatever a failure says, it
// cannot fill etcd or the operator's memory.
const MaxMessageBytes = 1024

// Bounded cuts s to at most MaxMessageBytes, at a rune boundary, marking the cut.
func Bounded(s string) string {
	if len(s) <= MaxMessageBytes {
		return s
	}
	const mark = " [...]"
	cut := MaxMessageBytes - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

// RequeueAfter is when to look again: the planned refresh or retry, or the token's expiry if
// that comes first (so Ready turns False on time); zero when only a watch event can help.
func RequeueAfter(st authv1alpha1.CyclrCredentialStatus, s *TokenState, now time.Time) time.Duration {
	var at time.Time
	if st.RefreshAt != nil {
		at = st.RefreshAt.Time
	}
	if s.Valid(now) && (at.IsZero() || s.Token.ExpiresAt.Before(at)) {
		at = s.Token.ExpiresAt
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

// Stamp formats t for messages and events: RFC 3339 in UTC.
func Stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
