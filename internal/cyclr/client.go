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
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
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

// Options configure a Client. Zero values take the defaults above.
type Options struct {
	Timeout          time.Duration // per request, including reading the body
	QPS              float64       // token requests per second, per API host
	Burst            int           // per API host
	MaxResponseBytes int64         // a longer body is an InvalidResponseError
	// HTTPClient is copied, and the copy never follows redirects: a 307 would
	// resend the credentials to wherever it points. Its Timeout, if any,
	// applies on top of Options.Timeout.
	HTTPClient *http.Client
	Clock      clock.PassiveClock // stamps IssuedAt; default clock.RealClock{}
}

// Client asks Cyclr's token endpoint for tokens. It is safe for concurrent
// use; share one per process so that the per-host rate limits hold.
type Client struct {
	http     *http.Client
	clock    clock.PassiveClock
	timeout  time.Duration
	maxBytes int64
	limiters *hostLimiters
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
	hc := newHTTPClient()
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
	}
}

// newHTTPClient starts from http.DefaultTransport (proxy from the
// environment, dial and TLS handshake timeouts) and keeps more idle
// connections per host, since nearly every request goes to the same host.
func newHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = DefaultBurst
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: t}
}

// Token makes one request to {req.APIURL}/oauth/token. It waits for the
// host's rate limit (honouring ctx), then bounds the exchange by
// Options.Timeout. The error is one of the types described in the package
// documentation.
func (c *Client) Token(ctx context.Context, req Request) (Token, error) {
	endpoint, err := req.tokenEndpoint()
	if err != nil {
		return Token{}, err
	}
	form, err := req.form()
	if err != nil {
		return Token{}, err
	}
	if err := c.limiters.get(endpoint.Host).Wait(ctx); err != nil {
		return Token{}, &UnavailableError{Err: fmt.Errorf("client-side rate limit for %s: %w", endpoint.Host, err)}
	}

	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
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
		return Token{}, transportError(endpoint, err)
	}
	defer func() { _ = resp.Body.Close() }()
	arrived := c.clock.Now()
	// One byte beyond the limit tells a body of exactly the limit from a
	// longer one.
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBytes+1))
	if err != nil {
		return Token{}, transportError(endpoint, fmt.Errorf("reading response body: %w", err))
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
	}, req.Grant)
}

// transportError wraps a failed exchange as "POST {endpoint}: {cause}".
// net/http's *url.Error is unwrapped first so the URL appears once; the
// cause (context.DeadlineExceeded, a *net.OpError, ...) stays reachable with
// errors.Is and errors.As.
func transportError(endpoint *url.URL, err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err
	}
	return &UnavailableError{Err: fmt.Errorf("POST %s: %w", endpoint, err)}
}
