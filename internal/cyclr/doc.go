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

// Package cyclr is a small client for Cyclr's OAuth2 token endpoint,
// POST {apiURL}/oauth/token. It knows HTTP and OAuth and nothing of
// Kubernetes: the controller decides when to ask for a token and what to do
// with it; this package asks once per call and classifies the answer.
//
// # Why not golang.org/x/oauth2
//
// x/oauth2 is built for the common case and hides exactly the parts this
// operator depends on:
//
//   - Cyclr's password and refresh grants carry the account ID in
//     client_secret, and client_credentials carries it in
//     scope=account:{ID}. x/oauth2 decides itself how and whether to send
//     the client secret (AuthStyle probing, basic auth) and has no notion of
//     the account.
//   - The controller backs off differently for "wrong credentials" (slow,
//     wait for the Secret to change), "Cyclr unavailable" (fast, honouring
//     Retry-After) and "garbage answer". x/oauth2 folds all of these into
//     *oauth2.RetrieveError or an untyped error, drops Retry-After, and puts
//     the raw response body into the error message, which would end up in
//     logs and events.
//   - Response bodies must be bounded; x/oauth2 reads up to 1 MiB with no
//     way to change it or to tell truncation from a short body.
//   - The refresh schedule is computed from expires_in at the moment the
//     response arrived, on an injectable clock (tests use a fake one).
//     x/oauth2 turns expires_in into an absolute Expiry with time.Now inside
//     the library and does not expose the raw value.
//
// The whole protocol is one form POST and one JSON object, so a plain
// net/http client is shorter than the adapters x/oauth2 would need.
//
// # Errors
//
// Token returns a Token or one of:
//
//   - *AuthError: the credentials were refused: HTTP 400 or 401, or any
//     other 4xx but 429 whose body carries an OAuth error code (so a 403
//     invalid_grant counts). IsInvalidGrant reports the case where a refresh
//     token is used up or a password is wrong.
//   - *UnavailableError: HTTP 429 or 5xx, or a failed exchange: a timeout, a
//     connection, DNS or TLS error, a response too garbled to be HTTP, or a
//     cancelled context. Retry with backoff, no sooner than RetryAfter.
//   - *InvalidResponseError: anything else Cyclr (or a proxy in front of it)
//     answered that is not a usable token: another status (a 4xx without an
//     OAuth error code, such as a 404 page, included), a body that is not a
//     sane token response, an access_token or refresh_token longer than
//     MaxTokenBytes, or, for client_credentials with an account, a "scope"
//     that does not grant exactly the account asked for (an absent scope
//     means the one asked for, RFC 6749 section 3.3).
//   - *RateLimitedError: the client-side rate limit for the API host is
//     spent; nothing was sent. Token returns it at once rather than wait;
//     IsRateLimited tells when to try again.
//   - an error wrapping ErrInvalidRequest: the Request itself is incomplete,
//     or its APIURL is not a bare origin (see CheckAPIURL); nothing was sent.
//   - an error wrapping ErrHostNotAllowed, from Options.Hosts: the API host
//     is not in the operator's allow-list; nothing was sent.
//
// Result maps all of these to the result label of the
// cyclr_token_requests_total metric.
//
// # Hostile servers
//
// Whoever may create a CyclrCredential chooses its apiURL, so the server may
// be hostile. The apiURL itself is held to a bare origin with an ASCII host
// (CheckAPIURL), and HostPolicy compares hosts in the xn-- form net/http
// dials, so that neither a path cleaned of ".." nor a Unicode look-alike can
// send the login somewhere other than where it seems to go. Nothing it sends reaches an error message except the HTTP
// status, an OAuth error code of at most 64 characters of [A-Za-z0-9_.-] and
// a Retry-After capped at MaxRetryAfter. A failed exchange is reported as one
// fixed phrase ("timeout", "connection refused", "connection reset",
// "TLS handshake failed", "DNS lookup failed", "malformed response",
// "canceled", "connection failed"), not net/http's error, whose text can quote
// the server (a malformed status line is quoted whole). All of these are
// *UnavailableError, "malformed response" included: a garbled answer is
// transport-level, and a later attempt (or a fixed proxy) may succeed. The
// default transport reads at most 16 KiB of status line and headers and
// Options.MaxResponseBytes of body, and Options.Timeout bounds the whole
// exchange, so a response costs bounded memory and time.
//
// # Secrets
//
// Error messages carry the HTTP status and the OAuth error code only, never a
// response body or error_description (Cyclr may echo input there). Token and
// Request implement fmt.Formatter so that printing them with any verb, on
// their own or as exported fields of another value, never shows a password,
// client secret, access token or refresh token. fmt cannot call methods on
// unexported struct fields, so never keep a Token or Request in an unexported
// field of a value that gets printed.
package cyclr
