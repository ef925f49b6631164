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
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const marker = "PAYLOAD-MARKER"

// hostileRequest is a complete password Request to apiURL.
func hostileRequest(apiURL string) Request {
	return Request{APIURL: apiURL, Grant: GrantPassword, ClientID: "c", Username: "u", Password: "pw-SECRET"}
}

// serveRaw answers every connection on a loopback port with payload and
// closes it, reading (and dropping) whatever the client sends meanwhile so
// that closing does not reset the connection. It returns the base URL.
func serveRaw(t *testing.T, payload []byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer func() { _ = conn.Close() }()
				go func() { _, _ = io.Copy(io.Discard, conn) }()
				_ = conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
				_, _ = conn.Write(payload) // fails once the client hangs up
			})
		}
	})
	return "http://" + ln.Addr().String()
}

// A server that answers with a 9 MiB status line must cost neither a 9 MiB
// error message nor 9 MiB of memory per request: net/http quotes a malformed
// status code whole in its error, and reads up to 10 MB of headers by default.
func TestHostileStatusLine(t *testing.T) {
	const size = 9 << 20
	payload := []byte("HTTP/1.1 " + strings.Repeat(marker, size/len(marker)) + "\r\n\r\n")
	url := serveRaw(t, payload)
	c := NewClient(Options{Timeout: 20 * time.Second})

	errs := make([]error, 4)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { _, errs[i] = c.Token(context.Background(), hostileRequest(url)) })
	}
	wg.Wait()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(errs)
	runtime.KeepAlive(payload)

	for i, err := range errs {
		if err == nil {
			t.Fatalf("call %d: no error", i)
		}
		msg := err.Error()
		if len(msg) >= 1<<10 || strings.Contains(msg, marker) || strings.Contains(msg, "MARKER") {
			t.Errorf("call %d: message of %d bytes carries the server's text: %.200q", i, len(msg), msg)
		}
		// A garbled answer is transport-level: UnavailableError, retried.
		ue, ok := errors.AsType[*UnavailableError](err)
		if !ok || ue.Status != 0 || Result(err) != ResultUnavailable || !strings.HasSuffix(msg, ": "+phraseMalformed) {
			t.Errorf("call %d: got %.200q (result %s), want an UnavailableError ending in %q", i, msg, Result(err), phraseMalformed)
		}
	}
	const bound = 20 << 20
	t.Logf("live heap %+d KiB, allocated %d KiB", (int64(after.HeapAlloc)-int64(before.HeapAlloc))>>10,
		(after.TotalAlloc-before.TotalAlloc)>>10)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > bound {
		t.Errorf("live heap grew by %d MiB with the 4 errors kept, want under 20 MiB", grown>>20)
	}
	// Bytes allocated at all, freed or not: reading the 9 MiB line would
	// allocate several times that per call.
	if total := after.TotalAlloc - before.TotalAlloc; total > bound {
		t.Errorf("the 4 calls allocated %d MiB, want under 20 MiB: response headers are not bounded", total>>20)
	}
}

func TestResponseHeaderLimit(t *testing.T) {
	for _, tt := range []struct {
		size    int
		wantErr bool
	}{{8 << 10, false}, {20 << 10, true}} {
		t.Run(fmt.Sprint(tt.size), func(t *testing.T) {
			s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("X-Pad", strings.Repeat("x", tt.size))
				_, _ = io.WriteString(w, `{"access_token":"a","token_type":"bearer","expires_in":60}`)
			}))
			defer s.Close()
			_, err := NewClient(Options{}).Token(context.Background(), hostileRequest(s.URL))
			if tt.wantErr {
				if err == nil || !strings.HasSuffix(err.Error(), ": "+phraseMalformed) || Result(err) != ResultUnavailable {
					t.Errorf("%d bytes of headers: got %v, want unavailable: %s", tt.size, err, phraseMalformed)
				}
			} else if err != nil {
				t.Errorf("%d bytes of headers: %v", tt.size, err)
			}
		})
	}
}

func TestUntrustedCertificate(t *testing.T) {
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		t.Error("the request was sent over a connection to an untrusted server")
	}))
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshake is expected
	s.StartTLS()
	defer s.Close()
	// The default client trusts the system roots, not httptest's CA.
	_, err := NewClient(Options{}).Token(context.Background(), hostileRequest(s.URL))
	if want := "cyclr: unavailable: POST " + s.URL + "/oauth/token: " + phraseTLS; err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

// timeoutError is a net.Error that timed out, like an i/o timeout.
type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestTransportPhrase(t *testing.T) {
	serverText := errors.New(marker) // stands for any text a server chose
	opErr := func(op string, err error) error { return &net.OpError{Op: op, Net: "tcp", Err: err} }
	cert := &x509.Certificate{}
	tests := []struct {
		name       string
		err        error
		gotConn    bool
		tlsFailed  bool
		want       string
		wantCtxErr error
	}{
		{"deadline", context.DeadlineExceeded, false, false, phraseTimeout, context.DeadlineExceeded},
		{"deadline while reading", fmt.Errorf("read: %w", context.DeadlineExceeded), true, false, phraseTimeout, context.DeadlineExceeded},
		{"canceled", context.Canceled, true, false, phraseCanceled, context.Canceled},
		{"net timeout", opErr("read", timeoutError{}), true, false, phraseTimeout, nil},
		{"os deadline", opErr("read", os.ErrDeadlineExceeded), true, false, phraseTimeout, nil},
		{"refused", opErr("dial", os.NewSyscallError("connect", syscall.ECONNREFUSED)), false, false, phraseRefused, nil},
		{"reset", opErr("read", os.NewSyscallError("read", syscall.ECONNRESET)), true, false, phraseReset, nil},
		{"broken pipe", opErr("write", os.NewSyscallError("write", syscall.EPIPE)), true, false, phraseReset, nil},
		{"DNS", opErr("dial", &net.DNSError{Err: "no such host", Name: marker + ".example", IsNotFound: true}), false, false, phraseDNS, nil},
		{"DNS timeout", opErr("dial", &net.DNSError{Err: "timeout", Name: "x", IsTimeout: true}), false, false, phraseDNS, nil},
		{"unknown authority", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{Cert: cert}}, false, false, phraseTLS, nil},
		{"bare unknown authority", x509.UnknownAuthorityError{Cert: cert}, false, false, phraseTLS, nil},
		{"hostname", x509.HostnameError{Certificate: cert, Host: marker}, false, false, phraseTLS, nil},
		{"expired", x509.CertificateInvalidError{Cert: cert, Reason: x509.Expired}, false, false, phraseTLS, nil},
		{"record header", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, false, false, phraseTLS, nil},
		{"record header pointer", &tls.RecordHeaderError{Msg: "x"}, false, false, phraseTLS, nil},
		{"alert", tls.AlertError(40), false, false, phraseTLS, nil},
		{"remote alert", opErr("remote error", serverText), false, false, phraseTLS, nil},
		{"handshake reported by the trace", serverText, false, true, phraseTLS, nil},
		{"unexpected EOF", io.ErrUnexpectedEOF, false, false, phraseMalformed, nil},
		{"EOF", fmt.Errorf("read from server: %w", io.EOF), false, false, phraseMalformed, nil},
		{"protocol error", textproto.ProtocolError("malformed MIME header line: " + marker), false, false, phraseMalformed, nil},
		{"anything after the connection was up", fmt.Errorf("malformed HTTP status code %q", marker), true, false, phraseMalformed, nil},
		{"anything before", serverText, false, false, phraseOther, nil},
		{"proxy", opErr("proxyconnect", serverText), false, false, phraseOther, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newNetFailure(tt.err, tt.gotConn, tt.tlsFailed)
			if f.Error() != tt.want {
				t.Errorf("phrase %q, want %q", f.Error(), tt.want)
			}
			if !errors.Is(f.ctxErr, tt.wantCtxErr) || (tt.wantCtxErr == nil) != (f.ctxErr == nil) {
				t.Errorf("context cause %v, want %v", f.ctxErr, tt.wantCtxErr)
			}
			if _, ok := errors.AsType[*net.OpError](f); ok {
				t.Error("the network error is still reachable")
			}
		})
	}
}

// Context errors stay reachable through the whole UnavailableError.
func TestTransportErrorKeepsContextCause(t *testing.T) {
	ep, _ := hostileRequest("https://api.cyclr.com").tokenEndpoint()
	for _, cause := range []error{context.Canceled, context.DeadlineExceeded} {
		var p progress
		err := transportError(ep, fmt.Errorf("%w: %s", cause, marker), &p)
		if !errors.Is(err, cause) || strings.Contains(err.Error(), marker) {
			t.Errorf("got %q, want one wrapping %v without the server's text", err, cause)
		}
	}
}
