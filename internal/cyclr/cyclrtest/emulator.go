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

// Package cyclrtest emulates Cyclr's token endpoint (docs/design.md, section 1) and
// one bearer-protected API call, for tests over real HTTP and for the local
// demo (hack/cyclr-emulator). It is strict where the operator could get the
// protocol wrong: refresh tokens are single use, an account token refreshes
// only with its account as client_secret, and form fields are checked.
package cyclrtest

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// DefaultLifetime is the token lifetime Cyclr uses: expires_in 1209599.
const DefaultLifetime = 1209599 * time.Second

// Outcomes counted by Emulator.Count.
const (
	OutcomeSuccess   = "success"
	OutcomeAuthError = "auth_error"
	OutcomeFault     = "fault"
)

// Emulator is Cyclr's token endpoint as an http.Handler. All methods are safe
// for concurrent use.
type Emulator struct {
	clock  clock.PassiveClock
	logger *slog.Logger
	mux    *http.ServeMux

	mu       sync.Mutex
	lifetime time.Duration
	users    map[string]partnerUser // by username
	accounts map[string]bool
	clients  map[string]string    // client_credentials: client ID to secret
	access   map[string]time.Time // live access token to its expiry
	refresh  map[string]session   // live refresh token to what it renews
	faults   []Fault
	requests int
	counts   map[countKey]int
}

type partnerUser struct{ clientID, password string }

// session is what a refresh token renews, and the access token it retires.
type session struct {
	clientID, username, accountID, accessToken string
}

type countKey struct{ grant, outcome string }

// Option configures an Emulator.
type Option func(*Emulator)

// WithLifetime sets the lifetime of issued tokens (see SetLifetime).
func WithLifetime(d time.Duration) Option { return func(e *Emulator) { e.lifetime = d } }

// WithClock sets the clock that stamps and expires tokens. Fault delays
// always use real time.
func WithClock(c clock.PassiveClock) Option { return func(e *Emulator) { e.clock = c } }

// WithLogger logs one line per request: grant and outcome, never a secret.
func WithLogger(l *slog.Logger) Option { return func(e *Emulator) { e.logger = l } }

// NewHandler returns an Emulator with no users, accounts or clients.
func NewHandler(opts ...Option) *Emulator {
	e := &Emulator{
		clock:    clock.RealClock{},
		logger:   slog.New(slog.DiscardHandler),
		lifetime: DefaultLifetime,
		users:    map[string]partnerUser{},
		accounts: map[string]bool{},
		clients:  map[string]string{},
		access:   map[string]time.Time{},
		refresh:  map[string]session{},
		counts:   map[countKey]int{},
	}
	for _, o := range opts {
		o(e)
	}
	e.mux = http.NewServeMux()
	e.mux.HandleFunc("POST /oauth/token", e.handleToken)
	e.mux.HandleFunc("GET /v1.0/accounts", e.handleAccounts)
	return e
}

func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.mux.ServeHTTP(w, r) }

// SetLifetime sets the lifetime of tokens issued from now on. expires_in is
// the lifetime in whole seconds, at least 1.
func (e *Emulator) SetLifetime(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lifetime = d
}

// AddPartner lets username sign in with the password grant through clientID.
func (e *Emulator) AddPartner(clientID, username, password string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.users[username] = partnerUser{clientID: clientID, password: password}
}

// SetPassword changes the password of a user added with AddPartner; it does
// nothing for an unknown user. Tokens already issued stay valid.
func (e *Emulator) SetPassword(username, password string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if u, ok := e.users[username]; ok {
		u.password = password
		e.users[username] = u
	}
}

// AddAccount makes accountID acceptable as client_secret on the password and
// refresh grants, and as scope=account:{accountID} on client_credentials.
func (e *Emulator) AddAccount(accountID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.accounts[accountID] = true
}

// AddClient registers a client_credentials client.
func (e *Emulator) AddClient(clientID, clientSecret string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.clients[clientID] = clientSecret
}

// Fault is a canned answer to a token request.
type Fault struct {
	Status      int           // 0 with a Body: 200 with that body
	RetryAfter  string        // Retry-After header, if set
	Delay       time.Duration // wait before answering; ends early if the client goes away
	Body        string
	ContentType string // default application/json when Body is set
}

// FailNext makes the next n token requests answer with f. A Fault with only
// a Delay slows the request down and then answers it normally.
func (e *Emulator) FailNext(n int, f Fault) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for range n {
		e.faults = append(e.faults, f)
	}
}

// RevokeRefreshTokens invalidates every outstanding refresh token.
func (e *Emulator) RevokeRefreshTokens() {
	e.mu.Lock()
	defer e.mu.Unlock()
	clear(e.refresh)
}

// RevokeAll invalidates every outstanding access and refresh token.
func (e *Emulator) RevokeAll() {
	e.mu.Lock()
	defer e.mu.Unlock()
	clear(e.refresh)
	clear(e.access)
}

// Requests returns the number of POST /oauth/token requests received.
func (e *Emulator) Requests() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.requests
}

// Count returns how many token requests with grant_type grant ended with
// outcome (OutcomeSuccess, OutcomeAuthError or OutcomeFault).
func (e *Emulator) Count(grant, outcome string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.counts[countKey{grant, outcome}]
}

// Counts returns every non-zero Count, keyed "grant/outcome".
func (e *Emulator) Counts() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]int, len(e.counts))
	for k, n := range e.counts {
		out[k.grant+"/"+k.outcome] = n
	}
	return out
}

// TokenValid reports whether accessToken was issued, is not revoked or
// retired by a refresh, and has not expired.
func (e *Emulator) TokenValid(accessToken string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	exp, ok := e.access[accessToken]
	return ok && e.clock.Now().Before(exp)
}

// Reset zeroes Requests and Count; tokens, users and faults are kept.
func (e *Emulator) Reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.requests = 0
	clear(e.counts)
}
