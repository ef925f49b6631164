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

package cyclr_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
)

func mustPolicy(t *testing.T, entries ...string) *cyclr.HostPolicy {
	t.Helper()
	p, err := cyclr.ParseHostPolicy(entries)
	if err != nil {
		t.Fatalf("ParseHostPolicy(%q): %v", entries, err)
	}
	return p
}

func TestParseHostPolicy(t *testing.T) {
	valid := []string{
		"api.cyclr.com", " api.cyclr.com ", "API.Cyclr.COM.", "cyclr.internal:8443",
		"*.example.com", "*.example.com:8443", "*.eu.example.com",
		"127.0.0.1", "127.0.0.1:8080", "localhost", "[::1]:8443", "[::1]", "::1", "10.0.0.5",
	}
	for _, e := range valid {
		if _, err := cyclr.ParseHostPolicy([]string{e}); err != nil {
			t.Errorf("ParseHostPolicy(%q): %v", e, err)
		}
	}
	invalid := map[string]string{ // entry: what the error must say
		"":                      "want host, host:port or *.domain",
		"   ":                   "want host, host:port or *.domain",
		"*.com":                 "a wildcard must look like *.example.com",
		"*.com:443":             "a wildcard must look like *.example.com",
		"*.com.":                "a wildcard must look like *.example.com",
		"*.*.com":               "a wildcard must look like *.example.com",
		"*":                     "want host, host:port or *.domain",
		"*example.com":          "want host, host:port or *.domain",
		"a.*.example.com":       "want host, host:port or *.domain",
		"https://api.cyclr.com": "want host, host:port or *.domain",
		"api.cyclr.com/oauth":   "want host, host:port or *.domain",
		"u:p@api.cyclr.com":     "want host, host:port or *.domain",
		"api.cyclr.com?x=1":     "want host, host:port or *.domain",
		"api.cyclr.com#x":       "want host, host:port or *.domain",
		"api cyclr.com":         "want host, host:port or *.domain",
		":8443":                 "want host, host:port or *.domain",
		"api.cyclr.com:":        "the port must be a number",
		"api.cyclr.com:https":   "the port must be a number",
		"api.cyclr.com:-1":      "the port must be a number",
	}
	for e, want := range invalid {
		_, err := cyclr.ParseHostPolicy([]string{"api.cyclr.com", e})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `"`+e+`"`) {
			t.Errorf("ParseHostPolicy(%q): got %v, want an error quoting the entry and saying %q", e, err, want)
		}
	}
}

func TestDefaultHostPolicy(t *testing.T) {
	want := []string{"api.cyclr.com", "api.us2.cyclr.com", "api.cyclr.uk", "api.eu.cyclr.com", "api.apac.cyclr.com"}
	if !slices.Equal(cyclr.DefaultAPIHosts, want) {
		t.Errorf("DefaultAPIHosts = %q, want %q", cyclr.DefaultAPIHosts, want)
	}
	for _, entries := range [][]string{nil, {}} {
		p := mustPolicy(t, entries...)
		for _, h := range want {
			if err := p.Check("https://" + h); err != nil {
				t.Errorf("default policy refuses %s: %v", h, err)
			}
		}
		for _, u := range []string{
			"https://localhost", "http://localhost", "https://127.0.0.1", "http://127.0.0.1:8080", "https://[::1]",
			"https://cyclr.com", "https://evil.api.cyclr.com", "https://api.cyclr.com.evil.com", "http://api.cyclr.com",
		} {
			if err := p.Check(u); !errors.Is(err, cyclr.ErrHostNotAllowed) {
				t.Errorf("default policy: Check(%q) = %v, want ErrHostNotAllowed", u, err)
			}
		}
	}
}

func TestHostPolicyCheck(t *testing.T) {
	p := mustPolicy(t, "api.cyclr.com", "cyclr.internal:8443", "*.example.com", "[::1]:8443",
		"127.0.0.1:8080", "localhost", "10.0.0.5", "API.Upper.COM.")
	tests := []struct {
		url  string
		want bool
	}{
		// Exact host, default port only when the entry has none.
		{"https://api.cyclr.com", true},
		{"https://api.cyclr.com/", true},
		{"https://api.cyclr.com/some/path", true},
		{"https://api.cyclr.com:443", true},
		{"https://api.cyclr.com:8443", false},
		{"https://api.cyclr.com:", true}, // an empty port is the default one, for net/http too
		{"https://cyclr.com", false},
		{"https://xapi.cyclr.com", false},
		{"https://api.cyclr.com.evil.com", false},
		// Case and trailing dot, in the URL and in the entry.
		{"https://API.Cyclr.COM", true},
		{"HTTPS://api.cyclr.com.", true},
		{"https://api.upper.com", true},
		// host:port entries.
		{"https://cyclr.internal:8443", true},
		{"https://cyclr.internal", false},
		{"https://cyclr.internal:443", false},
		// Wildcards: any subdomain, not the apex nor a look-alike.
		{"https://a.example.com", true},
		{"https://a.b.example.com", true},
		{"https://A.Example.Com.", true},
		{"https://example.com", false},
		{"https://evilexample.com", false},
		{"https://a.example.com.evil.com", false},
		{"https://a.example.com:8443", false},
		// IPv6 and loopback: only when listed; plain http only to a listed loopback host.
		{"https://[::1]:8443", true},
		{"http://[::1]:8443", true},
		{"https://[::1]", false},
		{"http://127.0.0.1:8080", true},
		{"https://127.0.0.1:8080", true},
		{"http://127.0.0.1", false},
		{"http://127.0.0.2:8080", false},
		{"http://localhost", true},
		{"http://localhost:8080", false},
		{"https://10.0.0.5", true},
		// Plain http to a listed host that is not loopback.
		{"http://10.0.0.5", false},
		{"http://api.cyclr.com", false},
		{"http://a.example.com", false},
		// Not an http(s) URL with a host.
		{"", false},
		{"api.cyclr.com", false},
		{"//api.cyclr.com", false},
		{"https://", false},
		{"https:api.cyclr.com", false},
		{"ftp://api.cyclr.com", false},
		{"wss://api.cyclr.com", false},
		{"file:///etc/passwd", false},
		{"javascript:alert(1)", false},
		{"https://[::1", false},
		// User info: the host after "@" is the one that counts...
		{"https://api.cyclr.com@evil.com", false},
		{"https://api.cyclr.com:443@evil.com", false},
	}
	for _, tt := range tests {
		err := p.Check(tt.url)
		if got := err == nil; got != tt.want {
			t.Errorf("Check(%q) = %v, want allowed %v", tt.url, err, tt.want)
		}
		if err != nil && !errors.Is(err, cyclr.ErrHostNotAllowed) {
			t.Errorf("Check(%q) = %v, does not wrap ErrHostNotAllowed", tt.url, err)
		}
	}
}

func TestHostPolicyCheckMessage(t *testing.T) {
	p := mustPolicy(t, "api.cyclr.com")
	err := p.Check("https://evil.example:8443/x")
	if err == nil || !strings.Contains(err.Error(), "evil.example:8443") || !strings.Contains(err.Error(), "--allowed-api-hosts") {
		t.Errorf("got %v, want a message naming evil.example:8443 and --allowed-api-hosts", err)
	}
	err = p.Check("http://api.cyclr.com")
	if err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Errorf("got %v, want a message about plain http", err)
	}
	err = p.Check("https://u:pw-SECRET@evil.example")
	if err == nil || strings.Contains(err.Error(), "pw-SECRET") {
		t.Errorf("got %v, want a refusal without the password", err)
	}
}

// Malformed entries and URLs with user info are refused, never silently kept.
func TestHostPolicyRefusesMalformed(t *testing.T) {
	for _, e := range []string{"api.cyclr.com:443:1", "1.2.3.4:5:6", "[::1", "a\tb", "api.cyclr.com:99999", "exa_mple.com", "-a.com"} {
		if _, err := cyclr.ParseHostPolicy([]string{e}); err == nil {
			t.Errorf("ParseHostPolicy(%q) accepted a malformed entry", e)
		}
	}
	p := mustPolicy(t, "api.cyclr.com")
	for _, u := range []string{"https://user:pw@api.cyclr.com", "https://u@api.cyclr.com/"} {
		if err := p.Check(u); !errors.Is(err, cyclr.ErrHostNotAllowed) {
			t.Errorf("Check(%q) = %v, want ErrHostNotAllowed (user info)", u, err)
		}
	}
}

// Only "localhost" and loopback IP literals count as loopback for plain http: another
// *.localhost name goes through DNS like any other.
func TestHostPolicyLoopbackByName(t *testing.T) {
	p := mustPolicy(t, "foo.localhost:8080", "localhost:8080")
	if err := p.Check("http://foo.localhost:8080"); !errors.Is(err, cyclr.ErrHostNotAllowed) {
		t.Errorf("plain http to foo.localhost: %v, want ErrHostNotAllowed", err)
	}
	if err := p.Check("http://localhost:8080"); err != nil {
		t.Errorf("plain http to a listed localhost: %v", err)
	}
	var none *cyclr.HostPolicy
	if err := none.Check("https://api.cyclr.com"); !errors.Is(err, cyclr.ErrHostNotAllowed) {
		t.Errorf("a nil policy allowed a host: %v", err)
	}
}

// Hosts are judged as net/http dials them. strings.ToLower turns U+0130 'İ' into an ASCII
// 'i', so "cyclr.bİgcorp.com" used to pass for "cyclr.bigcorp.com", while net/http dialled
// cyclr.xn--bigcorp-7he.com. A host not written in ASCII is refused outright, even when its
// xn-- form is listed; entries may be written either way.
func TestHostPolicyIDNA(t *testing.T) {
	tests := []struct {
		entry string
		url   string
		want  bool
	}{
		{"cyclr.bigcorp.com", "https://cyclr.bİgcorp.com", false},
		{"cyclr.bigcorp.com", "https://cyclr.b%C4%B0gcorp.com", false}, // the same, percent-encoded
		{"cyclr.bigcorp.com", "https://CYCLR.BİGCORP.COM", false},
		{"cyclr.bigcorp.com", "https://cyclr.bigcorp.com", true},
		{"*.bigcorp.com", "https://x.bİgcorp.com", false},
		{"*.bigcorp.com", "https://cyclr.bİgcorp.com", false},
		{"*.bigcorp.com", "https://İ.bigcorp.com", false},
		{"*.bigcorp.com", "https://x.bigcorp.com", true},
		{"cyclr.xn--bigcorp-7he.com", "https://cyclr.bİgcorp.com", false},
		{"cyclr.xn--bigcorp-7he.com", "https://cyclr.xn--bigcorp-7he.com", true},
		{"cyclr.xn--bigcorp-7he.com", "https://CYCLR.XN--BIGCORP-7HE.COM.", true},
		{"cyclr.xn--bigcorp-7he.com", "https://cyclr.bigcorp.com", false},
		// A Unicode entry is kept in its xn-- form.
		{"cyclr.bİgcorp.com", "https://cyclr.xn--bigcorp-7he.com", true},
		{"cyclr.bİgcorp.com", "https://cyclr.bİgcorp.com", false},
		{"cyclr.bİgcorp.com", "https://cyclr.bigcorp.com", false},
		{"*.bücher.example", "https://api.xn--bcher-kva.example", true},
		{"*.bücher.example", "https://api.bücher.example", false},
		// Other characters a URL host may have but a DNS name may not.
		{"api.cyclr.com", "https://api.cyclr.com%E2%80%8B", false}, // zero-width space
		{"api.cyclr.com", "https://api_cyclr.com", false},
		{"api.cyclr.com", "https://api.cyclr.com&", false},
		{"api.cyclr.com", "https://:443", false},
	}
	for _, tt := range tests {
		err := mustPolicy(t, tt.entry).Check(tt.url)
		if got := err == nil; got != tt.want {
			t.Errorf("entry %q: Check(%q) = %v, want allowed %v", tt.entry, tt.url, err, tt.want)
		}
		if err != nil && !errors.Is(err, cyclr.ErrHostNotAllowed) {
			t.Errorf("entry %q: Check(%q) = %v, does not wrap ErrHostNotAllowed", tt.entry, tt.url, err)
		}
	}
}

// A refusal for a non-ASCII host does not quote it: it may be built to look like another.
func TestHostPolicyNonASCIIMessage(t *testing.T) {
	err := mustPolicy(t, "cyclr.bigcorp.com").Check("https://cyclr.bİgcorp.com")
	if err == nil || strings.Contains(err.Error(), "gcorp") || !strings.Contains(err.Error(), "xn--") {
		t.Errorf("got %v, want a refusal that names the xn-- form and not the host", err)
	}
}

// Entries IDNA refuses are refused, not kept in a form no URL can match.
func TestParseHostPolicyIDNA(t *testing.T) {
	for _, e := range []string{"a\u200d.example.com", "*.a\u200d.example.com", "\u2488.example.com", "xn--zz\u00e9.example.com"} {
		if _, err := cyclr.ParseHostPolicy([]string{e}); err == nil {
			t.Errorf("ParseHostPolicy(%q) accepted an entry IDNA refuses", e)
		}
	}
}
