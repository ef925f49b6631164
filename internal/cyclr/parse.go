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
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	// maxLifetime bounds expires_in: a longer lifetime is a broken answer,
	// and trusting it would park the credential without refresh for years.
	maxLifetime = 10 * 365 * 24 * time.Hour
	// maxCodeLen bounds the OAuth error code taken from a body.
	maxCodeLen = 64
)

// MaxRetryAfter bounds what a Retry-After header can ask for, so a broken
// header cannot stall a credential for days (and seconds cannot overflow).
const MaxRetryAfter = time.Hour

// MaxTokenBytes bounds access_token and refresh_token. Cyclr's are a few hundred
// bytes; a longer one is a broken or hostile answer, and it would be copied into the
// target Secret, the state Secret and every pod's environment (a Secret holds at most
// 1 MiB in all, and an Authorization header of many kilobytes is refused by servers).
const MaxTokenBytes = 8192

// Reasons of InvalidResponseError. They are fixed texts so that nothing from
// a response body can reach an error message.
const (
	reasonStatus        = "unexpected HTTP status"
	reasonTooLarge      = "response body too large"
	reasonNotJSON       = "body is not a JSON token response"
	reasonNoAccessToken = "access_token missing"
	reasonTokenChars    = "access_token has characters a bearer token may not have"
	reasonTokenLength   = "access_token or refresh_token longer than 8192 bytes" // MaxTokenBytes
	reasonScope         = "granted scope differs from the requested account scope"
	reasonTokenType     = "token_type is not bearer"
	reasonExpiresIn     = "expires_in missing, not a whole number or not positive"
	reasonLifetime      = "expires_in longer than 10 years"
)

// response is what came back from the token endpoint.
type response struct {
	status   int
	header   http.Header
	body     []byte    // at most Options.MaxResponseBytes
	tooLarge bool      // the body went on beyond Options.MaxResponseBytes
	arrived  time.Time // when the response headers arrived, on the client's clock
}

// tokenJSON is Cyclr's success body.
type tokenJSON struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token"`
	UserName     string `json:"userName"`
	ClientID     string `json:"clientId"`
	// json.Number also accepts a quoted number, which some OAuth servers send.
	ExpiresIn json.Number `json:"expires_in"`
	Issued    string      `json:".issued"`
	Expires   string      `json:".expires"`
	// Scope is kept raw: nil when absent (RFC 6749 section 5.1: "as requested"), and
	// a scope that is not a string is refused only where scope is checked.
	Scope json.RawMessage `json:"scope"`
}

// parseTokenResponse turns an answer of the token endpoint into a Token or a
// typed error, by the classes of docs/design.md, section 1. grant is the grant
// asked for, and scope the account scope asked for (Request.accountScope), ""
// when none. It reads the body only for a 200 (the token) or a 4xx other than
// 429 (the OAuth error code).
func parseTokenResponse(r response, grant Grant, scope string) (Token, error) {
	switch {
	case r.status == http.StatusOK:
		return parseToken(r, grant, scope)
	case r.status == http.StatusTooManyRequests || (r.status >= 500 && r.status <= 599):
		return Token{}, &UnavailableError{
			Status:     r.status,
			RetryAfter: parseRetryAfter(r.header.Get("Retry-After"), r.arrived),
		}
	case r.status >= 400 && r.status <= 499:
		return Token{}, clientError(r)
	default:
		return Token{}, &InvalidResponseError{Status: r.status, Reason: reasonStatus}
	}
}

// clientError classifies a 4xx other than 429. RFC 6749 section 5.2 answers a refusal
// with 400 or 401, but servers and the gateways in front of them also use 403 and
// others; an OAuth error code in the body says it is a refusal whatever the status, so
// that a 403 invalid_grant is treated as one. Without a code only 400 and 401 are: a 404
// or 403 page without one is more likely a wrong URL or a proxy than refused credentials.
func clientError(r response) error {
	code := oauthErrorCode(r.body)
	if code == "" && r.status != http.StatusBadRequest && r.status != http.StatusUnauthorized {
		return &InvalidResponseError{Status: r.status, Reason: reasonStatus}
	}
	return &AuthError{Status: r.status, Code: code}
}

func parseToken(r response, grant Grant, scope string) (Token, error) {
	invalid := func(reason string) (Token, error) {
		return Token{}, &InvalidResponseError{Status: r.status, Reason: reason}
	}
	if r.tooLarge {
		return invalid(reasonTooLarge)
	}
	var t tokenJSON
	// The decoder's error quotes bytes of the body, so it is not wrapped.
	if json.Unmarshal(r.body, &t) != nil {
		return invalid(reasonNotJSON)
	}
	if t.AccessToken == "" {
		return invalid(reasonNoAccessToken)
	}
	if len(t.AccessToken) > MaxTokenBytes || len(t.RefreshToken) > MaxTokenBytes {
		return invalid(reasonTokenLength)
	}
	// Pods put it in an Authorization header and the operator in a dotenv file: a space, a
	// quote or a line break there would split the header or inject a line.
	if !isBearerToken(t.AccessToken) {
		return invalid(reasonTokenChars)
	}
	tokenType := t.TokenType
	switch {
	case tokenType == "":
		// The operator serves it as "Authorization: Bearer"; Cyclr issues
		// nothing else.
		tokenType = "bearer"
	case !strings.EqualFold(tokenType, "bearer"):
		return invalid(reasonTokenType)
	}
	if !grantsAccountScope(t.Scope, scope) {
		return invalid(reasonScope)
	}
	secs, err := t.ExpiresIn.Int64()
	if err != nil || secs <= 0 {
		return invalid(reasonExpiresIn)
	}
	if secs > int64(maxLifetime/time.Second) {
		return invalid(reasonLifetime)
	}
	lifetime := crossCheckLifetime(time.Duration(secs)*time.Second, t.Issued, t.Expires)
	return Token{
		AccessToken:  t.AccessToken,
		TokenType:    tokenType,
		RefreshToken: t.RefreshToken,
		UserName:     t.UserName,
		ClientID:     t.ClientID,
		IssuedAt:     r.arrived,
		ExpiresAt:    r.arrived.Add(lifetime),
		Grant:        grant,
	}, nil
}

// grantsAccountScope reports whether the scope member of a token answer (raw JSON,
// nil when absent) grants want, the "account:{AccountID}" asked for, and no other
// account: the controller publishes the token beside the account_id it asked for, so
// a token for a broader or another account must not pass as that account's. want ""
// (no account asked for) checks nothing, and an absent scope is the scope asked for
// (RFC 6749 section 3.3). A scope that is not a string, null or empty grants nothing.
func grantsAccountScope(raw json.RawMessage, want string) bool {
	if want == "" || raw == nil {
		return true
	}
	var granted string
	if json.Unmarshal(raw, &granted) != nil {
		return false
	}
	found := false
	// scope-tokens are separated by single spaces; anything else stays inside a token.
	for tok := range strings.SplitSeq(granted, " ") {
		switch {
		case tok == want:
			found = true
		case len(tok) >= len(accountScopePrefix) && strings.EqualFold(tok[:len(accountScopePrefix)], accountScopePrefix):
			return false // another account, or this one spelt differently
		}
	}
	return found
}

// crossCheckLifetime returns the lifetime from expires_in, unless Cyclr's
// own .issued and .expires (both on Cyclr's clock, so clock skew cancels out)
// say the token lives shorter: refreshing early is harmless, serving an
// expired token is not. The absolute times are never used, because our clock
// and Cyclr's differ; missing or unparsable values are ignored.
func crossCheckLifetime(lifetime time.Duration, issued, expires string) time.Duration {
	i, errI := http.ParseTime(issued)
	e, errE := http.ParseTime(expires)
	if errI != nil || errE != nil {
		return lifetime
	}
	if d := e.Sub(i); d > 0 && d < lifetime {
		return d
	}
	return lifetime
}

// oauthErrorCode returns the "error" member of an OAuth error body, or "" if
// there is none or it is not a plain code (it goes into error messages, so a
// body cannot smuggle anything else there).
func oauthErrorCode(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || !isPlainCode(e.Error) {
		return ""
	}
	return e.Error
}

func isPlainCode(s string) bool {
	if s == "" || len(s) > maxCodeLen {
		return false
	}
	for _, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP-date
// (RFC 9110 section 10.2.3), relative to now. Absent, malformed or past
// values give 0; values beyond MaxRetryAfter are capped.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	// On overflow ParseUint returns its maximum, which the cap handles.
	if secs, err := strconv.ParseUint(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		d = MaxRetryAfter
		if secs < uint64(MaxRetryAfter/time.Second) {
			d = time.Duration(secs) * time.Second
		}
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}

// isBearerToken reports whether s has the form of RFC 6750's b64token: letters, digits and
// "-._~+/", then any number of "=".
func isBearerToken(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for _, c := range body {
		isAlnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !isAlnum && !strings.ContainsRune("-._~+/", c) {
			return false
		}
	}
	return true
}
