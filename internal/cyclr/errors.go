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
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"syscall"
	"time"
)

// ErrInvalidRequest is wrapped by the errors Token returns, without sending
// anything, when the Request is incomplete or malformed, and by CheckAPIURL's.
// Retrying cannot help; the configuration has to change.
var ErrInvalidRequest = errors.New("cyclr: invalid request")

// The values Result returns; they are the result label of the
// cyclr_token_requests_total metric.
const (
	ResultSuccess         = "success"
	ResultAuthError       = "auth_error"
	ResultUnavailable     = "unavailable"
	ResultInvalidResponse = "invalid_response"
)

// AuthError means Cyclr refused the credentials: HTTP 400 or 401, or any other
// 4xx but 429 whose body carries an OAuth error code (a gateway may answer
// invalid_grant with 403). Code is the OAuth error code from the body
// ("invalid_grant", "invalid_client", ...), or "" when the body carried none
// that is safe to show; only a 400 or 401 can have an empty Code. A 4xx
// without a code other than 400 and 401 (a 404 page from a wrong URL, a 403
// from a proxy) is an *InvalidResponseError, and 429 an *UnavailableError.
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
// (Status set), or a failed exchange: timeout, connection or TLS error, a
// response too garbled to be HTTP, or a cancelled context (Status 0, Err set).
// For a failed exchange Err's text is "POST {endpoint}: {phrase}" with one of
// the fixed phrases of transportPhrase, never text from the network; only a
// context.Canceled or context.DeadlineExceeded cause stays reachable with
// errors.Is. RetryAfter is Cyclr's Retry-After header, 0 when absent.
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
// that is not JSON, too large, or lacks a sane access_token or expires_in, a
// token longer than MaxTokenBytes, or a granted scope other than the account
// scope asked for.
// Reason is one of this package's fixed texts, never taken from the body.
type InvalidResponseError struct {
	Status int
	Reason string
}

func (e *InvalidResponseError) Error() string {
	return fmt.Sprintf("cyclr: invalid response: HTTP %d: %s", e.Status, e.Reason)
}

// RateLimitedError means the client-side rate limit for Host held the
// request back: nothing was sent. The request may be made after RetryAfter.
// Token returns it at once instead of waiting, so that a worker never sleeps
// on one host's budget.
type RateLimitedError struct {
	Host       string // host[:port] of the token URL, lower case
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("cyclr: client-side rate limit for %s: retry in %s", e.Host, e.RetryAfter)
}

// IsRateLimited reports whether err is a *RateLimitedError, and when to try
// again. The controller treats it as "wait and requeue": nothing was asked of
// Cyclr, so it is no failed attempt.
func IsRateLimited(err error) (time.Duration, bool) {
	if rl, ok := errors.AsType[*RateLimitedError](err); ok {
		return rl.RetryAfter, true
	}
	return 0, false
}

// Fixed phrases for a failed exchange (see netFailure).
const (
	phraseTimeout   = "timeout"
	phraseRefused   = "connection refused"
	phraseReset     = "connection reset"
	phraseTLS       = "TLS handshake failed"
	phraseDNS       = "DNS lookup failed"
	phraseMalformed = "malformed response"
	phraseCanceled  = "canceled"
	phraseOther     = "connection failed"
)

// netFailure is a failed exchange reduced to a fixed phrase. It keeps only a
// context error as its cause (callers tell a cancellation or deadline with
// errors.Is); the network's error itself is dropped, because its text may
// come from the server.
type netFailure struct {
	phrase string
	ctxErr error // context.Canceled, context.DeadlineExceeded or nil
}

func (e *netFailure) Error() string { return e.phrase }
func (e *netFailure) Unwrap() error { return e.ctxErr }

func newNetFailure(err error, gotConn, tlsFailed bool) *netFailure {
	f := &netFailure{phrase: transportPhrase(err, gotConn, tlsFailed)}
	switch {
	case errors.Is(err, context.Canceled):
		f.ctxErr = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		f.ctxErr = context.DeadlineExceeded
	}
	return f
}

// transportPhrase classifies an error of net/http by its types only, never by
// its text. gotConn says a connection was up (dial and TLS handshake done), so
// that whatever failed after that, short of a reset or timeout, was the
// server's answer; tlsFailed says the handshake reported an error.
func transportPhrase(err error, gotConn, tlsFailed bool) string {
	netErr, isNetErr := errors.AsType[net.Error](err)
	_, isDNS := errors.AsType[*net.DNSError](err)
	switch {
	case errors.Is(err, context.Canceled):
		return phraseCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return phraseTimeout
	case isDNS:
		return phraseDNS
	case isNetErr && netErr.Timeout():
		return phraseTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return phraseRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE):
		return phraseReset
	case tlsFailed || isTLSError(err):
		return phraseTLS
	case gotConn || isMalformed(err):
		return phraseMalformed
	default:
		return phraseOther
	}
}

func isTLSError(err error) bool {
	// crypto/tls reports an alert from the peer as a *net.OpError with this
	// Op and an unexported alert type.
	if op, ok := errors.AsType[*net.OpError](err); ok && op.Op == "remote error" {
		return true
	}
	return isType[tls.RecordHeaderError](err) || isType[*tls.RecordHeaderError](err) ||
		isType[tls.AlertError](err) || isType[*tls.CertificateVerificationError](err) ||
		isType[*tls.ECHRejectionError](err) ||
		isType[x509.UnknownAuthorityError](err) || isType[x509.HostnameError](err) ||
		isType[x509.CertificateInvalidError](err) || isType[x509.SystemRootsError](err) ||
		isType[x509.UnhandledCriticalExtension](err) || isType[x509.InsecureAlgorithmError](err)
}

// isMalformed recognises the exported errors of reading a response; the rest
// (unexported in net/http) are caught by gotConn.
func isMalformed(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		isType[textproto.ProtocolError](err) || isType[*textproto.Error](err)
}

func isType[T error](err error) bool {
	_, ok := errors.AsType[T](err)
	return ok
}

// IsInvalidGrant reports whether err is an AuthError with code invalid_grant:
// a wrong password, or a refresh token that was used, revoked or expired.
func IsInvalidGrant(err error) bool {
	var ae *AuthError
	return errors.As(err, &ae) && ae.Code == "invalid_grant"
}

// Result classifies an error returned by Client.Token for metrics. An invalid
// Request or an API host not allowed counts as auth_error because, like
// refused credentials, only a configuration change can fix it. A
// *RateLimitedError counts as unavailable (the label values are fixed); see
// IsRateLimited to tell it apart. Errors of unknown origin count as
// unavailable, the class that is retried.
func Result(err error) string {
	var (
		ae *AuthError
		ie *InvalidResponseError
	)
	switch {
	case err == nil:
		return ResultSuccess
	case errors.As(err, &ae), errors.Is(err, ErrInvalidRequest), errors.Is(err, ErrHostNotAllowed):
		return ResultAuthError
	case errors.As(err, &ie):
		return ResultInvalidResponse
	default:
		return ResultUnavailable
	}
}
