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
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"k8s.io/utils/clock"
)

// Defaults for the zero fields of Options.
const (
	DefaultTimeout          = 30 * time.Second
	DefaultQPS              = 5
	DefaultBurst            = 10
	DefaultMaxResponseBytes = 1 << 20
)

const userAgent = "cyclr-token-operator"

// maxResponseHeaderBytes bounds the status line and headers of a response.
// net/http's default is 10 MB, which a hostile apiURL can fill with one status
// line per request; Cyclr's headers are a few hundred bytes.
const maxResponseHeaderBytes = 16 << 10

// Options configure a Client. Zero values take the defaults above.
type Options struct {
	Timeout          time.Duration // per request, including reading the body
	QPS              float64       // token requests per second, per API host
	Burst            int           // per API host
	MaxResponseBytes int64         // a longer body is an InvalidResponseError
	// HTTPClient is copied, and the copy never follows redirects: a 307 would
	// resend the credentials to wherever it points. Its Timeout, if any,
	// applies on top of Options.Timeout. Its Transport is used as it is: the
	// bound on response headers (16 KiB) and RootCAs apply only to the
	// default one.
	HTTPClient *http.Client
	// RootCAs verifies Cyclr's certificate; nil means the system roots.
	// LoadRootCAs builds it for --extra-ca-file.
	RootCAs *x509.CertPool
	// Clock stamps IssuedAt and drives the rate limit; default
	// clock.RealClock{}. A fake clock that stands still never refills it.
	Clock clock.PassiveClock
	// Hosts, when set, is asked first on every call; its error (wrapping
	// ErrHostNotAllowed) is returned as it is, before anything is sent or the
	// rate limit is touched. *HostPolicy is the real one; nil checks nothing
	// (tests). The controller checks too; this is the last line, right where
	// the Secret's values would leave the process.
	Hosts HostChecker
}

// Client asks Cyclr's token endpoint for tokens. It is safe for concurrent
// use; share one per process so that the per-host rate limits hold.
type Client struct {
	http     *http.Client
	clock    clock.PassiveClock
	timeout  time.Duration
	maxBytes int64
	limiters *hostLimiters
	hosts    HostChecker
}

// NewClient returns a Client with o's settings, defaults filled in.
func NewClient(o Options) *Client {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.QPS <= 0 {
		o.QPS = DefaultQPS
	}
	if o.Burst <= 0 {
		o.Burst = DefaultBurst
	}
	if o.MaxResponseBytes <= 0 {
		o.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	hc := newHTTPClient(o.RootCAs)
	if o.HTTPClient != nil {
		hc = new(*o.HTTPClient)
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{
		http:     hc,
		clock:    o.Clock,
		timeout:  o.Timeout,
		maxBytes: o.MaxResponseBytes,
		limiters: newHostLimiters(o.QPS, o.Burst),
		hosts:    o.Hosts,
	}
}

// newHTTPClient starts from http.DefaultTransport (proxy from the
// environment, dial and TLS handshake timeouts) and keeps more idle
// connections per host, since nearly every request goes to the same host.
func newHTTPClient(rootCAs *x509.CertPool) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = DefaultBurst
	t.MaxResponseHeaderBytes = maxResponseHeaderBytes
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: rootCAs}
	return &http.Client{Transport: t}
}

// Token makes one request to {req.APIURL}/oauth/token. It never waits for the
// host's rate limit: when the limit holds, it returns a *RateLimitedError at
// once, so a worker is free for other credentials. The exchange is bounded by
// Options.Timeout. The error is one of the types described in the package
// documentation.
func (c *Client) Token(ctx context.Context, req Request) (Token, error) {
	if c.hosts != nil {
		if err := c.hosts.Check(req.APIURL); err != nil {
			return Token{}, err
		}
	}
	endpoint, err := req.tokenEndpoint()
	if err != nil {
		return Token{}, err
	}
	form, err := req.form()
	if err != nil {
		return Token{}, err
	}
	// Spend no part of the rate limit on a request that cannot be made.
	if err := ctx.Err(); err != nil {
		return Token{}, transportError(endpoint, err, &progress{})
	}
	if err := c.limiters.reserve(endpoint.Host, c.clock.Now()); err != nil {
		return Token{}, err
	}

	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var p progress
	ctx = httptrace.WithClientTrace(ctx, p.trace())
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint.String(),
		strings.NewReader(form.Encode()))
	if err != nil {
		return Token{}, fmt.Errorf("cyclr: %w", err)
	}
	httpReq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	httpReq.Header.Set("Accept", "application/json")
	httpReq.Header.Set("User-Agent", userAgent)

	resp, err := c.http.Do(httpReq)
	if err != nil {
		return Token{}, transportError(endpoint, err, &p)
	}
	defer func() { _ = resp.Body.Close() }()
	arrived := c.clock.Now()
	// One byte beyond the limit tells a body of exactly the limit from a
	// longer one.
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBytes+1))
	if err != nil {
		return Token{}, transportError(endpoint, err, &p)
	}
	tooLarge := int64(len(body)) > c.maxBytes
	if tooLarge {
		body = body[:c.maxBytes]
	}
	return parseTokenResponse(response{
		status:   resp.StatusCode,
		header:   resp.Header,
		body:     body,
		tooLarge: tooLarge,
		arrived:  arrived,
	}, req.Grant, req.accountScope())
}

// progress records, from httptrace, how far an exchange got: net/http's
// errors for a garbled response are mostly unexported or plain strings, and
// the only sure way to tell them from a failed dial is that a connection was
// up. Atomic because a dial can outlive the request that started it.
type progress struct {
	gotConn   atomic.Bool // dialled (and TLS done) or reused: the server was talking
	tlsFailed atomic.Bool
}

func (p *progress) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { p.gotConn.Store(true) },
		TLSHandshakeDone: func(_ tls.ConnectionState, err error) {
			if err != nil {
				p.tlsFailed.Store(true)
			}
		},
	}
}

// transportError wraps a failed exchange as "POST {endpoint}: {phrase}". The
// endpoint comes from the spec; the phrase is one of transportPhrase's fixed
// texts. The network's own error is dropped: its text can be chosen by the
// server (net/http quotes a malformed status line whole) and keeping it would
// keep that text in memory too.
func transportError(endpoint *url.URL, err error, p *progress) error {
	return &UnavailableError{Err: fmt.Errorf("POST %s: %w",
		endpoint, newNetFailure(err, p.gotConn.Load(), p.tlsFailed.Load()))}
}
