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

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
)

// DefaultMinRefreshInterval is --min-refresh-interval's default.
const DefaultMinRefreshInterval = 30 * time.Second

// CheckLifetime refuses a token that would need renewing more often than minInterval allows:
// honouring it would mean a call to Cyclr (and writes) every few seconds. The refusal is an
// invalid response, classified and backed off like one.
func CheckLifetime(tok cyclr.Token, minInterval time.Duration) error {
	if lifetime := tok.ExpiresAt.Sub(tok.IssuedAt); lifetime < minInterval {
		return &cyclr.InvalidResponseError{Status: 200, Reason: fmt.Sprintf(
			"token lifetime %s is shorter than the operator's --min-refresh-interval %s", lifetime.Round(time.Second), minInterval)}
	}
	return nil
}

// Action is what a reconcile does about the token.
type Action int

const (
	// ActionKeep: the stored token fits and is not due; only the target Secret is checked.
	ActionKeep Action = iota
	// ActionWait: a new token is due but the last attempt failed and its backoff has not
	// passed, or the last call to Cyclr was less than the minimum refresh interval ago.
	ActionWait
	// ActionIssue: sign in for a new token (none stored, expired, or inputs changed).
	ActionIssue
	// ActionRenew: renew the stored token as spec.rotation says.
	ActionRenew
)

// CallsCyclr reports whether the action asks Cyclr for a token.
func (a Action) CallsCyclr() bool { return a == ActionIssue || a == ActionRenew }

// Situation is everything decide looks at, gathered by the reconciler.
type Situation struct {
	Now        time.Time
	Credential *authv1alpha1.CyclrCredential
	State      *TokenState
	// Inputs identifies the current spec and login Secret version (InputsOf); Fingerprint the
	// current spec and login values (Fingerprint), empty until the login Secret is read.
	Inputs, Fingerprint string
	// MinInterval is the least time between two calls to Cyclr for one credential, manual
	// refresh requests included (--min-refresh-interval).
	MinInterval time.Duration
	// LastCall is when the operator last called Cyclr for this namespace and name, as it
	// remembers it (zero when it does not): unlike status, it survives delete and re-create.
	LastCall time.Time
}

// NotBefore is the earliest time the credential may call Cyclr again: its last call (the
// issue of its token, or its last failure, as status records them, or LastCall) plus
// MinInterval; zero when no call is known.
func (s Situation) NotBefore() time.Time {
	var at time.Time
	if s.MinInterval <= 0 {
		return at
	}
	st := s.Credential.Status
	for _, t := range []*metav1.Time{st.IssuedAt, st.LastFailureTime} {
		// Status keeps whole seconds, cut down: the call itself may have been up to a second later.
		if t != nil {
			at = laterOf(at, t.Add(time.Second+s.MinInterval))
		}
	}
	if !s.LastCall.IsZero() {
		at = laterOf(at, s.LastCall.Add(s.MinInterval))
	}
	return at
}

func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// RefreshRequest is the refresh-requested-at annotation's value when it has not been honoured yet.
func (s Situation) RefreshRequest() string {
	v := s.Credential.Annotations[authv1alpha1.RefreshRequestedAtAnnotation]
	if v == "" || v == s.Credential.Status.LastRefreshRequest {
		return ""
	}
	return v
}

// PlannedRefresh is when the stored token is to be renewed.
func (s Situation) PlannedRefresh() time.Time {
	var before *time.Duration
	if rb := s.Credential.Spec.RefreshBefore; rb != nil {
		before = &rb.Duration
	}
	return RefreshTime(s.State.Token.IssuedAt, s.State.Token.ExpiresAt, before, s.Credential.UID)
}

// retryAt is when a failing credential may call Cyclr again, or zero when it is not failing.
func (s Situation) retryAt() time.Time {
	st := s.Credential.Status
	if st.FailedAttempts == 0 || st.RefreshAt == nil {
		return time.Time{}
	}
	return st.RefreshAt.Time
}

// loginChangedSinceFailure: the inputs differ from those of the last failed attempt, so
// backoff no longer applies (a fixed password is tried at once).
func (s Situation) loginChangedSinceFailure() bool {
	failed := s.Credential.Status.LastFailureInputs
	return failed != "" && failed != s.Inputs
}

// NextAttempt is when a credential that Decide told to wait is to call Cyclr: when the
// minimum interval ends, or, unless a manual request or a changed login bypasses it, when the
// backoff ends, whichever is later.
func (s Situation) NextAttempt() time.Time {
	at := s.NotBefore()
	if retry := s.retryAt(); s.RefreshRequest() == "" && !s.loginChangedSinceFailure() && retry.After(at) {
		at = retry
	}
	return at
}

// Decide chooses what to do about the token in situation s.
func Decide(s Situation) Action {
	act := decideIgnoringInterval(s)
	if act.CallsCyclr() && s.Now.Before(s.NotBefore()) {
		// Even a manual request waits: it is honoured when the interval ends.
		return ActionWait
	}
	return act
}

func decideIgnoringInterval(s Situation) Action {
	fits := s.State.Fits(s.Inputs, s.Fingerprint, s.Now)
	switch {
	case s.RefreshRequest() != "":
		// A manual request bypasses backoff, once per annotation value.
		if fits {
			return ActionRenew
		}
		return ActionIssue
	case s.Now.Before(s.retryAt()) && !s.loginChangedSinceFailure():
		// Failing: the backoff is waited out even when the token is not due (a manual refresh
		// failed), so status keeps saying why and when, rather than looking healthy at the next
		// event.
		return ActionWait
	case fits && s.Now.Before(s.PlannedRefresh()):
		return ActionKeep
	case fits:
		return ActionRenew
	default:
		return ActionIssue
	}
}
