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
	"time"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
)

// Action is what a reconcile does about the token.
type Action int

const (
	// ActionKeep: the stored token fits and is not due; only the target Secret is checked.
	ActionKeep Action = iota
	// ActionWait: a new token is due but the last attempt failed and its backoff has not passed.
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
	Now         time.Time
	Credential  *authv1alpha1.CyclrCredential
	State       *TokenState
	Fingerprint string
	// LoginChangedSinceFailure: the inputs differ from those of the last failed attempt, so
	// backoff no longer applies (a fixed password is tried at once).
	LoginChangedSinceFailure bool
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

// Decide chooses what to do about the token in situation s.
func Decide(s Situation) Action {
	fits := s.State.Fits(s.Fingerprint, s.Now)
	switch {
	case s.RefreshRequest() != "":
		// A manual request bypasses backoff, once per annotation value.
		if fits {
			return ActionRenew
		}
		return ActionIssue
	case fits && s.Now.Before(s.PlannedRefresh()):
		return ActionKeep
	case s.Now.Before(s.retryAt()) && !s.LoginChangedSinceFailure:
		return ActionWait
	case fits:
		return ActionRenew
	default:
		return ActionIssue
	}
}
