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
	"strings"
	"testing"

	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
)

func TestCheckAPIURL(t *testing.T) {
	const (
		query     = "apiURL must not have a query"
		fragment  = "apiURL must not have a fragment"
		unparsed  = "apiURL does not parse as a URL"
		scheme    = "apiURL must be an http or https URL"
		noHost    = "apiURL has no host"
		userInfo  = "apiURL must not contain user info"
		path      = "apiURL must be a bare origin such as https://api.cyclr.com, without a path"
		port      = "apiURL port must be a number from 1 to 65535"
		hostChars = "apiURL host must be ASCII letters, digits, '-' and '.' (an international name in its xn-- form)"
		plainHTTP = "apiURL may use plain http only for localhost, 127.0.0.1 or [::1]"
	)
	tests := []struct {
		url  string
		want string // the reason, "" for a URL that passes
	}{
		{"https://api.cyclr.com", ""},
		{"https://api.cyclr.com/", ""},
		{"https://api.eu.cyclr.com:8443", ""},
		{"https://api.eu.cyclr.com:8443/", ""},
		{"https://API.Cyclr.COM", ""},
		{"https://api.cyclr.com:1", ""},
		{"https://api.cyclr.com:65535", ""},
		{"https://10.0.0.5", ""},
		{"http://127.0.0.1:8080", ""},
		{"http://localhost", ""},
		{"http://localhost:8080/", ""},
		{"http://[::1]:9000", ""},
		{"http://[::1]", ""},
		{"https://localhost:8443", ""},
		{"https://xn--bigcorp-7he.com", ""},

		{"", "apiURL is empty"},
		// Paths, cleaned or not.
		{"https://host/$(touch${IFS}/tmp/pwned)/../../..", path},
		{"https://api.cyclr.com/api", path},
		{"https://api.cyclr.com//", path},
		{"https://api.cyclr.com/oauth/token", path},
		{"https://api.cyclr.com/..", path},
		{"https://api.cyclr.com/%2e%2e", path},
		{"http://localhost:8080/x", path},
		// Query and fragment, even empty.
		{"https://api.cyclr.com?", query},
		{"https://api.cyclr.com/?x=1", query},
		{"https://api.cyclr.com#", fragment},
		{"https://api.cyclr.com/#x", fragment},
		{"https://api.cyclr.com#?", fragment},
		// User info.
		{"https://u:p@api.cyclr.com", userInfo},
		{"https://u@api.cyclr.com", userInfo},
		{"https://api.cyclr.com@evil.example", userInfo},
		// Hosts.
		{"https://cyclr.bİgcorp.com", hostChars},
		{"https://cyclr.b%C4%B0gcorp.com", hostChars},
		{"https://[::1]", hostChars},
		{"https://[::1]:8443", hostChars},
		{"https://api_cyclr.com", hostChars},
		{"https://api.cyclr.com&", hostChars},
		{"https://:443", hostChars},
		{"https://exa mple.com", unparsed},
		{"https://[::1", unparsed},
		{"http://api.cyclr.com", plainHTTP},
		{"http://localhost.evil.example", plainHTTP},
		{"http://127.0.0.2", plainHTTP},
		{"http://LOCALHOST", plainHTTP},
		{"http://localhost.", plainHTTP},
		{"http://[::ffff:127.0.0.1]", plainHTTP},
		// Ports.
		{"https://api.cyclr.com:0", port},
		{"https://api.cyclr.com:99999", port},
		{"https://api.cyclr.com:65536", port},
		{"https://api.cyclr.com:", port},
		{"https://api.cyclr.com:https", unparsed},
		// Schemes and shapes.
		{"ftp://x", scheme},
		{"wss://api.cyclr.com", scheme},
		{"api.cyclr.com", scheme},
		{"//api.cyclr.com", scheme},
		{"javascript:alert(1)", scheme},
		{"https://", noHost},
		{"https:api.cyclr.com", noHost},
		{"https:///api.cyclr.com", noHost},
	}
	for _, tt := range tests {
		err := cyclr.CheckAPIURL(tt.url)
		if tt.want == "" {
			if err != nil {
				t.Errorf("CheckAPIURL(%q) = %v, want nil", tt.url, err)
			}
			continue
		}
		// The whole message is a fixed text, so it cannot quote the URL.
		if !errors.Is(err, cyclr.ErrInvalidRequest) || err.Error() != "cyclr: invalid request: "+tt.want {
			t.Errorf("CheckAPIURL(%q) = %v, want ErrInvalidRequest saying %q", tt.url, err, tt.want)
		}
	}
}

// Every refusal leaves the URL's parts out of the message.
func TestCheckAPIURLNeverQuotes(t *testing.T) {
	const marker = "SECRETmarker"
	for _, u := range []string{
		"https://host/" + marker, "https://" + marker + ":pw@host", "https://host?" + marker, "https://host#" + marker,
		"https://" + marker + "_x.example", "https://" + marker + ".example:99999", "http://" + marker + ".example",
		marker + "://host", "https://" + marker + " x",
	} {
		err := cyclr.CheckAPIURL(u)
		if err == nil || strings.Contains(strings.ToLower(err.Error()), strings.ToLower(marker)) {
			t.Errorf("CheckAPIURL(%q) = %v, want a refusal without %q", u, err, marker)
		}
	}
}
