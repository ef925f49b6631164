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

package cyclr

import (
	"errors"
	"fmt"
	"time"
)

// ErrInvalidRequest is wrapped by the errors Token returns, without sending
// anything, when the Request is incomplete or malformed. Retrying cannot help;
// the configuration has to change.
var ErrInvalidRequest = errors.New("cyclr: invalid request")

// The values Result returns; they are the result label of the
// cyclr_token_requests_total metric.
const (
	ResultSuccess         = "success"
	ResultAuthError       = "auth_error"
	ResultUnavailable     = "unavailable"
	ResultInvalidResponse = "invalid_response"
)

// AuthError means Cyclr refused the credentials: HTTP 400 or 401. Code is the
// OAuth error code from the body ("invalid_grant", "invalid_client", ...), or
// "" when the body carried none that is safe to show.
type AuthError struct {
	Status int
	Code   string
}

func (e *AuthError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("cyclr: authentication failed: HTTP %d", e.Status)
	}
	return fmt.Sprintf("cyclr: authentication failed: HTTP %d, error %s", e.Status, e.Code)
}

// UnavailableError means no answer could be had right now: HTTP 429 or 5xx
// (Status set), or a timeout, connection error, cancelled context or the
// client-side rate limit (Status 0, Err set). RetryAfter is Cyclr's
// Retry-After header, 0 when absent.
type UnavailableError struct {
	Status     int
	RetryAfter time.Duration
	Err        error
}

func (e *UnavailableError) Error() string {
	msg := "cyclr: unavailable"
	if e.Status != 0 {
		msg += fmt.Sprintf(": HTTP %d", e.Status)
	}
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(", retry after %s", e.RetryAfter)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// InvalidResponseError means Cyclr, or something in front of it, answered
// with something that is not a usable token: an unexpected status, a body
// that is not JSON, too large, or lacks a sane access_token or expires_in.
// Reason is one of this package's fixed texts, never taken from the body.
type InvalidResponseError struct {
	Status int
	Reason string
}

func (e *InvalidResponseError) Error() string {
	return fmt.Sprintf("cyclr: invalid response: HTTP %d: %s", e.Status, e.Reason)
}

// IsInvalidGrant reports whether err is an AuthError with code invalid_grant:
// a wrong password, or a refresh token that was used, revoked or expired.
func IsInvalidGrant(err error) bool {
	var ae *AuthError
	return errors.As(err, &ae) && ae.Code == "invalid_grant"
}

// Result classifies an error returned by Client.Token for metrics. An invalid
// Request counts as auth_error because, like refused credentials, only a
// configuration change can fix it. Errors of unknown origin count as
// unavailable, the class that is retried.
func Result(err error) string {
	var (
		ae *AuthError
		ie *InvalidResponseError
	)
	switch {
	case err == nil:
		return ResultSuccess
	case errors.As(err, &ae), errors.Is(err, ErrInvalidRequest):
		return ResultAuthError
	case errors.As(err, &ie):
		return ResultInvalidResponse
	default:
		return ResultUnavailable
	}
}
