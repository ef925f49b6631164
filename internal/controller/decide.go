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
	"time"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
)

// action is what a reconcile does about the token.
type action int

const (
	// actionKeep: the stored token fits and is not due; only the target Secret is checked.
	actionKeep action = iota
	// actionWait: a new token is due but the last attempt failed and its backoff has not passed.
	actionWait
	// actionIssue: sign in for a new token (none stored, expired, or inputs changed).
	actionIssue
	// actionRenew: renew the stored token as spec.rotation says.
	actionRenew
)

func (a action) callsCyclr() bool { return a == actionIssue || a == actionRenew }

// situation is everything decide looks at, gathered by the reconciler.
type situation struct {
	now         time.Time
	credential  *authv1alpha1.CyclrCredential
	state       *tokenState
	fingerprint string
	// loginChangedSinceFailure: the inputs differ from those of the last failed attempt, so
	// backoff no longer applies (a fixed password is tried at once).
	loginChangedSinceFailure bool
}

// refreshRequest is the refresh-requested-at annotation's value when it has not been honoured yet.
func (s situation) refreshRequest() string {
	v := s.credential.Annotations[authv1alpha1.RefreshRequestedAtAnnotation]
	if v == "" || v == s.credential.Status.LastRefreshRequest {
		return ""
	}
	return v
}

// plannedRefresh is when the stored token is to be renewed.
func (s situation) plannedRefresh() time.Time {
	var before *time.Duration
	if rb := s.credential.Spec.RefreshBefore; rb != nil {
		before = &rb.Duration
	}
	return refreshTime(s.state.token.IssuedAt, s.state.token.ExpiresAt, before, s.credential.UID)
}

// retryAt is when a failing credential may call Cyclr again, or zero when it is not failing.
func (s situation) retryAt() time.Time {
	st := s.credential.Status
	if st.FailedAttempts == 0 || st.RefreshAt == nil {
		return time.Time{}
	}
	return st.RefreshAt.Time
}

func decide(s situation) action {
	fits := s.state.fits(s.fingerprint, s.now)
	switch {
	case s.refreshRequest() != "":
		// A manual request bypasses backoff, once per annotation value.
		if fits {
			return actionRenew
		}
		return actionIssue
	case fits && s.now.Before(s.plannedRefresh()):
		return actionKeep
	case s.now.Before(s.retryAt()) && !s.loginChangedSinceFailure:
		return actionWait
	case fits:
		return actionRenew
	default:
		return actionIssue
	}
}
