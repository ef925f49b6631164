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

package cyclrtest

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxFormBytes bounds a token request body; real ones are a few hundred bytes.
const maxFormBytes = 64 << 10

// tokenJSON is Cyclr's success body.
type tokenJSON struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	UserName     string `json:"userName,omitempty"`
	ClientID     string `json:"clientId"`
	Issued       string `json:".issued"`
	Expires      string `json:".expires"`
}

// oauthError is an OAuth error answer (RFC 6749 section 5.2); Cyclr sends
// them all with HTTP 400.
type oauthError struct {
	Code        string `json:"error"`
	Description string `json:"error_description"`
}

func errInvalidRequest(desc string) *oauthError { return &oauthError{"invalid_request", desc} }
func errInvalidClient(desc string) *oauthError  { return &oauthError{"invalid_client", desc} }
func errInvalidGrant(desc string) *oauthError   { return &oauthError{"invalid_grant", desc} }

func (e *Emulator) handleToken(w http.ResponseWriter, r *http.Request) {
	form, formErr := readForm(w, r)
	grant := form.Get("grant_type")
	if f, ok := e.arrive(); ok {
		if !sleep(r.Context(), f.Delay) {
			e.finish(grant, OutcomeFault, 0)
			return
		}
		if f.Status != 0 || f.Body != "" {
			status := cmp.Or(f.Status, http.StatusOK)
			e.finish(grant, OutcomeFault, status)
			writeFault(w, status, f)
			return
		}
	}
	if formErr != nil {
		e.answerError(w, grant, formErr)
		return
	}
	tok, oerr := e.issue(form)
	if oerr != nil {
		e.answerError(w, grant, oerr)
		return
	}
	e.finish(grant, OutcomeSuccess, http.StatusOK)
	writeJSON(w, http.StatusOK, tok)
}

// arrive counts a token request and takes the next fault, if any.
func (e *Emulator) arrive() (Fault, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.requests++
	if len(e.faults) == 0 {
		return Fault{}, false
	}
	f := e.faults[0]
	e.faults = e.faults[1:]
	return f, true
}

// finish counts and logs a token request's outcome; status 0 means the
// client went away before it was answered. It runs before the answer is
// written, so a client that has its answer sees it counted.
func (e *Emulator) finish(grant, outcome string, status int) {
	e.mu.Lock()
	e.counts[countKey{grant, outcome}]++
	e.mu.Unlock()
	e.logger.Info("token request", "grant", grant, "outcome", outcome, "status", status)
}

func (e *Emulator) answerError(w http.ResponseWriter, grant string, oerr *oauthError) {
	e.finish(grant, OutcomeAuthError, http.StatusBadRequest)
	writeJSON(w, http.StatusBadRequest, oerr)
}

func readForm(w http.ResponseWriter, r *http.Request) (url.Values, *oauthError) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, errInvalidRequest("The request body must be application/x-www-form-urlencoded.")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, errInvalidRequest("The request body is not a valid form.")
	}
	// PostForm, not Form: credentials in the query string are not accepted.
	return r.PostForm, nil
}

// issue applies a grant to the emulator's state.
func (e *Emulator) issue(f url.Values) (tokenJSON, *oauthError) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch g := f.Get("grant_type"); g {
	case "password":
		return e.passwordGrant(f)
	case "refresh_token":
		return e.refreshGrant(f)
	case "client_credentials":
		return e.clientCredentialsGrant(f)
	case "":
		return tokenJSON{}, errInvalidRequest("grant_type is missing.")
	default:
		return tokenJSON{}, &oauthError{"unsupported_grant_type", "The grant type is not supported."}
	}
}

func (e *Emulator) passwordGrant(f url.Values) (tokenJSON, *oauthError) {
	if err := required(f, "client_id", "username", "password"); err != nil {
		return tokenJSON{}, err
	}
	clientID, username := f.Get("client_id"), f.Get("username")
	if !e.isPartnerClient(clientID) {
		return tokenJSON{}, errInvalidClient("The client is unknown.")
	}
	u, ok := e.users[username]
	if !ok || u.clientID != clientID || u.password != f.Get("password") {
		return tokenJSON{}, errInvalidGrant("The user name or password is incorrect.")
	}
	account := f.Get("client_secret")
	if account != "" && !e.accounts[account] {
		return tokenJSON{}, errInvalidClient("The account is unknown.")
	}
	return e.newToken(session{clientID: clientID, username: username, accountID: account}, true), nil
}

func (e *Emulator) refreshGrant(f url.Values) (tokenJSON, *oauthError) {
	if err := required(f, "client_id", "refresh_token"); err != nil {
		return tokenJSON{}, err
	}
	rt := f.Get("refresh_token")
	s, ok := e.refresh[rt]
	if !ok || s.clientID != f.Get("client_id") {
		return tokenJSON{}, errInvalidGrant("The refresh token is invalid.")
	}
	// An account token renews only as that account; a partner token only
	// without one.
	if f.Get("client_secret") != s.accountID {
		return tokenJSON{}, errInvalidClient("The account does not match the refresh token.")
	}
	// Single use: the old refresh token and the access token it came with
	// both stop working.
	delete(e.refresh, rt)
	delete(e.access, s.accessToken)
	return e.newToken(s, true), nil
}

func (e *Emulator) clientCredentialsGrant(f url.Values) (tokenJSON, *oauthError) {
	if err := required(f, "client_id", "client_secret"); err != nil {
		return tokenJSON{}, err
	}
	clientID := f.Get("client_id")
	secret, ok := e.clients[clientID]
	if !ok || secret != f.Get("client_secret") {
		return tokenJSON{}, errInvalidClient("The client credentials are invalid.")
	}
	var account string
	if scope := f.Get("scope"); scope != "" {
		id, ok := strings.CutPrefix(scope, "account:")
		if !ok || !e.accounts[id] {
			return tokenJSON{}, &oauthError{"invalid_scope", "The scope is invalid."}
		}
		account = id
	}
	// No refresh token, and earlier tokens of the client stay valid.
	return e.newToken(session{clientID: clientID, accountID: account}, false), nil
}

func required(f url.Values, names ...string) *oauthError {
	for _, n := range names {
		if f.Get(n) == "" {
			return errInvalidRequest(n + " is missing.")
		}
	}
	return nil
}

func (e *Emulator) isPartnerClient(clientID string) bool {
	for _, u := range e.users {
		if u.clientID == clientID {
			return true
		}
	}
	return false
}

// newToken issues an access token for s, and a refresh token if withRefresh.
// The caller holds e.mu.
func (e *Emulator) newToken(s session, withRefresh bool) tokenJSON {
	now := e.clock.Now()
	secs := max(1, int64(e.lifetime/time.Second))
	expires := now.Add(time.Duration(secs) * time.Second)
	s.accessToken = randomToken()
	e.access[s.accessToken] = expires
	t := tokenJSON{
		AccessToken: s.accessToken,
		TokenType:   "bearer",
		ExpiresIn:   secs,
		UserName:    s.username,
		ClientID:    s.clientID,
		Issued:      now.UTC().Format(http.TimeFormat),
		Expires:     expires.UTC().Format(http.TimeFormat),
	}
	if withRefresh {
		t.RefreshToken = randomToken()
		e.refresh[t.RefreshToken] = s
	}
	return t
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails since Go 1.24
	return hex.EncodeToString(b)
}

// handleAccounts is GET /v1.0/accounts: a call that needs a live token.
func (e *Emulator) handleAccounts(w http.ResponseWriter, r *http.Request) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	status := http.StatusOK
	if strings.EqualFold(scheme, "Bearer") && e.TokenValid(token) {
		writeJSON(w, status, []struct{}{})
	} else {
		status = http.StatusUnauthorized
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeJSON(w, status, map[string]string{"Message": "Authorization has been denied for this request."})
	}
	e.logger.Info("api request", "method", r.Method, "path", r.URL.Path, "status", status)
}

// writeFault answers with f.
func writeFault(w http.ResponseWriter, status int, f Fault) {
	contentType := f.ContentType
	if contentType == "" && f.Body != "" {
		contentType = "application/json"
	}
	if contentType != "" {
		w.Header().Set("Content-Type", contentType)
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, f.Body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// sleep waits d, or less if ctx ends first; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
