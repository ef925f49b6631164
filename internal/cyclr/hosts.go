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
	"net"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
)

// DefaultAPIHosts are Cyclr's public API domains: what --allowed-api-hosts allows by default.
var DefaultAPIHosts = []string{"api.cyclr.com", "api.us2.cyclr.com", "api.cyclr.uk", "api.eu.cyclr.com", "api.apac.cyclr.com"}

// HostPolicy is the operator's trust boundary toward the network: the API hosts a
// CyclrCredential may send a login to. Whoever may create a CyclrCredential can name any
// apiURL; without this list the operator would post the Secret it reads to a host of their
// choosing.
//
// An entry is an exact host name or IP address ("api.cyclr.com"), optionally with a port
// ("cyclr.internal:8443", "[::1]:8443"), or "*.example.com" for any subdomain of example.com
// (not the apex; there is no public-suffix list here, so "*.co.uk" is the administrator's
// responsibility).
// An entry without a port allows only the scheme's default port. A loopback host
// (localhost, 127.0.0.0/8, ::1) is allowed only when listed, and plain http only to a listed
// loopback host.
//
// Hosts are compared in the form net/http dials: an international name in its xn-- (IDNA)
// form, lower case, without a trailing dot. An entry may be written in Unicode or in xn--
// form; an apiURL must name its host in ASCII (see Check).
type HostPolicy struct {
	entries []hostEntry
}

type hostEntry struct {
	host     string // lower case, without a trailing dot; for a wildcard, the suffix ".example.com"
	port     string // "" = the scheme's default port
	wildcard bool
}

const schemeHTTPS = "https"

// defaultPorts are the schemes an apiURL may have, with the port an entry without one allows.
var defaultPorts = map[string]string{schemeHTTPS: "443", "http": "80"}

// HostChecker says whether a login may be sent to an apiURL: nil, or an error wrapping
// ErrHostNotAllowed. *HostPolicy, from --allowed-api-hosts, is the real one.
type HostChecker interface {
	Check(apiURL string) error
}

// ErrHostNotAllowed is wrapped by HostPolicy.Check's errors.
var ErrHostNotAllowed = errors.New("API host not allowed")

// ParseHostPolicy reads the entries of --allowed-api-hosts; an empty list means
// DefaultAPIHosts.
func ParseHostPolicy(entries []string) (*HostPolicy, error) {
	if len(entries) == 0 {
		entries = DefaultAPIHosts
	}
	p := &HostPolicy{}
	for _, raw := range entries {
		e, err := parseHostEntry(strings.TrimSpace(raw))
		if err != nil {
			return nil, fmt.Errorf("allowed API host %q: %w", raw, err)
		}
		p.entries = append(p.entries, e)
	}
	return p, nil
}

const badEntry = "want host, host:port or *.domain"

func parseHostEntry(s string) (hostEntry, error) {
	if strings.ContainsAny(s, "/?#@") {
		return hostEntry{}, errors.New(badEntry)
	}
	host, port := s, ""
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return hostEntry{}, errors.New("the port must be a number from 1 to 65535")
		}
	} else if inner, ok := strings.CutPrefix(s, "["); ok && strings.HasSuffix(inner, "]") {
		host = strings.TrimSuffix(inner, "]") // [::1] without a port
	}
	// "*." is cut off before the name is normalised: IDNA refuses a "*".
	rest, wildcard := strings.CutPrefix(host, "*.")
	name, ok := normalHost(rest)
	switch {
	case !ok:
		return hostEntry{}, errors.New(badEntry)
	case wildcard:
		// At least two labels after "*.": "*.com" would allow a whole top-level domain.
		if !isDNSName(name) || !strings.Contains(name, ".") {
			return hostEntry{}, errors.New("a wildcard must look like *.example.com")
		}
		return hostEntry{host: "." + name, port: port, wildcard: true}, nil
	case net.ParseIP(name) == nil && !isDNSName(name):
		return hostEntry{}, errors.New(badEntry)
	}
	return hostEntry{host: name, port: port}, nil
}

func notHostChar(r rune) bool { return r != '-' && (r < 'a' || r > 'z') && (r < '0' || r > '9') }

// isDNSName reports whether s is a host name of letters, digits and inner hyphens.
func isDNSName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' ||
			strings.IndexFunc(label, notHostChar) >= 0 {
			return false
		}
	}
	return true
}

// Check returns nil when apiURL may be sent a login, or an error wrapping ErrHostNotAllowed
// that names the host and says how to allow it. It never sends anything.
//
// Check judges the host and port only; the shape of the URL (no path, query and so on) is
// CheckAPIURL's, and Client.Token applies both before anything is sent. The host must be
// written in ASCII (letters, digits, '-' and '.', or an IP literal), as the CRD demands: a
// Unicode name is refused even when its xn-- form is listed, so that no name is allowed that
// looks like one thing and is dialled as another.
func (p *HostPolicy) Check(apiURL string) error {
	if p == nil {
		return fmt.Errorf("%w: no API host is allowed", ErrHostNotAllowed)
	}
	u, err := url.Parse(apiURL)
	if err != nil || u.Host == "" || u.User != nil || defaultPorts[u.Scheme] == "" {
		return fmt.Errorf("%w: apiURL is not an http(s) URL with a host and no user info", ErrHostNotAllowed)
	}
	// The host is not quoted: it is not yet known to be plain ASCII.
	written := u.Hostname()
	if net.ParseIP(written) == nil && !isASCIIHostName(written) {
		return fmt.Errorf("%w: the apiURL host must be written in ASCII letters, digits, '-' and '.' "+
			"(an international name in its xn-- form)", ErrHostNotAllowed)
	}
	// Plain ASCII by now, which IDNA leaves as it is: normalHost cannot refuse it.
	host, _ := normalHost(written)
	port := u.Port()
	if port == "" {
		port = defaultPorts[u.Scheme]
	}
	hostport := net.JoinHostPort(host, port)
	if !p.allows(host, port, defaultPorts[u.Scheme]) {
		return fmt.Errorf("%w: %s is not in the operator's --allowed-api-hosts; "+
			"ask the cluster administrator to add it, or use one of Cyclr's API domains", ErrHostNotAllowed, hostport)
	}
	if u.Scheme != schemeHTTPS && !IsLoopback(host) {
		return fmt.Errorf("%w: plain http is allowed only to a listed loopback host, not %s", ErrHostNotAllowed, hostport)
	}
	return nil
}

// allows reports whether an entry matches host:port; an entry without a port matches defaultPort.
func (p *HostPolicy) allows(host, port, defaultPort string) bool {
	for _, e := range p.entries {
		wantPort := e.port
		if wantPort == "" {
			wantPort = defaultPort
		}
		if port != wantPort {
			continue
		}
		if e.wildcard && strings.HasSuffix(host, e.host) && len(host) > len(e.host) {
			return true
		}
		if !e.wildcard && host == e.host {
			return true
		}
	}
	return false
}

// normalHost returns h as net/http dials it, so that the policy judges the host the login
// would go to: an international name in its xn-- form (golang.org/x/net/idna's Lookup
// profile, which net/http uses), in lower case and without a trailing dot ("api.cyclr.com."
// is the same host as "api.cyclr.com"). strings.ToLower alone is not enough: it turns
// U+0130 'İ' into an ASCII 'i', while net/http dials "cyclr.bİgcorp.com" as
// cyclr.xn--bigcorp-7he.com. ok is false when IDNA refuses the name.
//
// Like net/http, it leaves a name that is already ASCII to IDNA unchanged: the Lookup
// profile would refuse IP literals such as "::1" and names such as "ab--cd.example" that
// net/http dials as they are.
func normalHost(h string) (host string, ok bool) {
	if !isASCII(h) {
		a, err := idna.Lookup.ToASCII(h)
		if err != nil {
			return "", false
		}
		h = a
	}
	return strings.TrimSuffix(strings.ToLower(h), "."), true
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// isASCIIHostName reports whether s is a non-empty run of ASCII letters, digits, '-' and
// '.': the characters the CRD allows in an apiURL host.
func isASCIIHostName(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		isAlnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !isAlnum && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// IsLoopback reports whether host is "localhost" or a loopback IP literal. Other *.localhost
// names are resolved by DNS like any name, so they could lead off the machine.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
