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

func parseHostEntry(s string) (hostEntry, error) {
	if strings.ContainsAny(s, "/?#@") {
		return hostEntry{}, errors.New("want host, host:port or *.domain")
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
	host = normalHost(host)
	if rest, ok := strings.CutPrefix(host, "*."); ok {
		// At least two labels after "*.": "*.com" would allow a whole top-level domain.
		if !isDNSName(rest) || !strings.Contains(rest, ".") {
			return hostEntry{}, errors.New("a wildcard must look like *.example.com")
		}
		return hostEntry{host: "." + rest, port: port, wildcard: true}, nil
	}
	if net.ParseIP(host) == nil && !isDNSName(host) {
		return hostEntry{}, errors.New("want host, host:port or *.domain")
	}
	return hostEntry{host: host, port: port}, nil
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
func (p *HostPolicy) Check(apiURL string) error {
	if p == nil {
		return fmt.Errorf("%w: no API host is allowed", ErrHostNotAllowed)
	}
	u, err := url.Parse(apiURL)
	if err != nil || u.Host == "" || u.User != nil || defaultPorts[u.Scheme] == "" {
		return fmt.Errorf("%w: apiURL is not an http(s) URL with a host and no user info", ErrHostNotAllowed)
	}
	host, port := normalHost(u.Hostname()), u.Port()
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

// normalHost lower-cases a host name and drops a trailing dot ("api.cyclr.com." is the same
// host as "api.cyclr.com").
func normalHost(h string) string { return strings.TrimSuffix(strings.ToLower(h), ".") }

// IsLoopback reports whether host is "localhost" or a loopback IP literal. Other *.localhost
// names are resolved by DNS like any name, so they could lead off the machine.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
