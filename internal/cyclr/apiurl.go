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
	"net/url"
	"strconv"
	"strings"
)

// Reasons of CheckAPIURL. Fixed texts: the URL is chosen by whoever may edit a
// CyclrCredential, so it is never quoted.
const (
	apiURLEmpty     = "apiURL is empty"
	apiURLQuery     = "apiURL must not have a query"
	apiURLFragment  = "apiURL must not have a fragment"
	apiURLUnparsed  = "apiURL does not parse as a URL"
	apiURLScheme    = "apiURL must be an http or https URL"
	apiURLNoHost    = "apiURL has no host"
	apiURLUserInfo  = "apiURL must not contain user info"
	apiURLPath      = "apiURL must be a bare origin such as https://api.cyclr.com, without a path"
	apiURLPort      = "apiURL port must be a number from 1 to 65535"
	apiURLHostChars = "apiURL host must be ASCII letters, digits, '-' and '.' (an international name in its xn-- form)"
	apiURLPlainHTTP = "apiURL may use plain http only for localhost, 127.0.0.1 or [::1]"
)

// loopbackHTTPHosts are the only hosts an http:// apiURL may name, as url.URL.Hostname
// returns them. Other loopback addresses and *.localhost names are refused: plain http is
// for a local emulator, and the list matches the CRD's.
var loopbackHTTPHosts = map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true}

// CheckAPIURL returns nil when apiURL is a bare origin, scheme://host[:port] with at most a
// single trailing "/", or an error wrapping ErrInvalidRequest that says, in a fixed text,
// what is wrong. It applies the CRD's rules for spec.apiURL, so that the controller can
// apply them again to a stored object, and Client.Token before anything is sent:
//
//   - the scheme is https, or http for localhost, 127.0.0.1 or [::1] only;
//   - an https host is ASCII letters, digits, '-' and '.' (a DNS name or an IPv4 address;
//     an international name in its xn-- form, since a Unicode name can be dialled as a
//     different host than it reads);
//   - no user info (transport errors quote the URL, and credentials belong in the form
//     body), no path (the token endpoint is {apiURL}/oauth/token, and a path would be
//     cleaned of "..", so it could not be trusted to say where the login goes), no query
//     and no fragment, not even an empty "?" or "#";
//   - a port, if written, is 1 to 65535.
//
// It never sends anything and never quotes the URL.
func CheckAPIURL(apiURL string) error {
	_, err := parseAPIURL(apiURL)
	return err
}

// parseAPIURL is CheckAPIURL that also returns the URL it checked: tokenEndpoint posts to
// that one, not to a second parse.
func parseAPIURL(apiURL string) (*url.URL, error) {
	if apiURL == "" {
		return nil, invalidRequest(apiURLEmpty)
	}
	// The raw string, because url.Parse drops an empty query or fragment.
	if i := strings.IndexAny(apiURL, "?#"); i >= 0 {
		if apiURL[i] == '?' {
			return nil, invalidRequest(apiURLQuery)
		}
		return nil, invalidRequest(apiURLFragment)
	}
	// The parse error would quote the URL; say what is wrong instead.
	u, err := url.Parse(apiURL)
	if err != nil {
		return nil, invalidRequest(apiURLUnparsed)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != schemeHTTPS:
		return nil, invalidRequest(apiURLScheme)
	case u.Host == "":
		return nil, invalidRequest(apiURLNoHost)
	case u.User != nil:
		return nil, invalidRequest(apiURLUserInfo)
	case u.Path != "" && u.Path != "/":
		return nil, invalidRequest(apiURLPath)
	case !validPort(u):
		return nil, invalidRequest(apiURLPort)
	}
	host := u.Hostname()
	if u.Scheme == schemeHTTPS {
		if !isASCIIHostName(host) {
			return nil, invalidRequest(apiURLHostChars)
		}
		return u, nil
	}
	if !loopbackHTTPHosts[host] {
		return nil, invalidRequest(apiURLPlainHTTP)
	}
	return u, nil
}

// validPort reports whether u has no port, or one from 1 to 65535. A ":" with no port after
// it counts as a bad port: net/http would take the default one, but the CRD refuses it.
func validPort(u *url.URL) bool {
	port := u.Port()
	if port == "" {
		return !strings.HasSuffix(u.Host, ":")
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 1 && n <= 65535
}
