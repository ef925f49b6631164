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
	"fmt"
	"net/url"
)

// Grant is an OAuth2 grant type as sent in grant_type.
type Grant string

const (
	GrantPassword          Grant = "password"
	GrantRefreshToken      Grant = "refresh_token"
	GrantClientCredentials Grant = "client_credentials"
)

// Request says what to ask Cyclr for. Password, ClientSecret and
// RefreshToken are secrets: String, GoString and Format never show them.
type Request struct {
	APIURL       string // a bare origin (see CheckAPIURL), e.g. https://api.cyclr.com; the token endpoint is {APIURL}/oauth/token
	Grant        Grant
	ClientID     string
	ClientSecret string // client_credentials only
	Username     string // password grant
	Password     string // password grant
	RefreshToken string // refresh grant
	// AccountID makes the token an account token. Cyclr takes it as
	// client_secret on the password and refresh grants, and as
	// scope=account:{AccountID} on client_credentials.
	AccountID string
}

// invalidRequest builds the error for a Request that cannot be sent. reason
// must not contain any of the Request's values.
func invalidRequest(reason string) error {
	return fmt.Errorf("%w: %s", ErrInvalidRequest, reason)
}

// tokenEndpoint validates APIURL as CheckAPIURL does and returns {APIURL}/oauth/token.
// The endpoint is built rather than joined: APIURL has no path, and JoinPath would
// clean ".." out of one, so the URL checked would not be the URL posted to.
func (r Request) tokenEndpoint() (*url.URL, error) {
	u, err := parseAPIURL(r.APIURL)
	if err != nil {
		return nil, err
	}
	u.Path, u.RawPath = "/oauth/token", ""
	return u, nil
}

// accountScope is the scope a client_credentials Request asks for, "account:{AccountID}",
// or "" when it asks for none. The other grants carry the account in client_secret.
func (r Request) accountScope() string {
	if r.Grant != GrantClientCredentials || r.AccountID == "" {
		return ""
	}
	return accountScopePrefix + r.AccountID
}

// accountScopePrefix starts Cyclr's account scope, "account:{AccountID}".
const accountScopePrefix = "account:"

// form validates the grant's fields and returns the POST body fields of
// docs/design.md section 1.
func (r Request) form() (url.Values, error) {
	if r.ClientID == "" {
		return nil, invalidRequest("client ID is empty")
	}
	f := url.Values{"grant_type": {string(r.Grant)}, "client_id": {r.ClientID}}
	switch r.Grant {
	case GrantPassword:
		if r.Username == "" || r.Password == "" {
			return nil, invalidRequest("password grant needs a username and a password")
		}
		f.Set("username", r.Username)
		f.Set("password", r.Password)
		setIfNotEmpty(f, "client_secret", r.AccountID)
	case GrantRefreshToken:
		if r.RefreshToken == "" {
			return nil, invalidRequest("refresh_token grant needs a refresh token")
		}
		f.Set("refresh_token", r.RefreshToken)
		setIfNotEmpty(f, "client_secret", r.AccountID)
	case GrantClientCredentials:
		if r.ClientSecret == "" {
			return nil, invalidRequest("client_credentials grant needs a client secret")
		}
		f.Set("client_secret", r.ClientSecret)
		setIfNotEmpty(f, "scope", r.accountScope())
	default:
		return nil, invalidRequest(fmt.Sprintf("unsupported grant %q", r.Grant))
	}
	return f, nil
}

func setIfNotEmpty(f url.Values, key, value string) {
	if value != "" {
		f.Set(key, value)
	}
}

func (r Request) String() string {
	return fmt.Sprintf("{apiURL:%s grant:%s clientID:%s username:%s accountID:%s "+
		"clientSecret:%s password:%s refreshToken:%s}",
		redactedURL(r.APIURL), r.Grant, r.ClientID, r.Username, r.AccountID,
		redacted(r.ClientSecret), redacted(r.Password), redacted(r.RefreshToken))
}

func (r Request) GoString() string {
	return fmt.Sprintf("cyclr.Request{APIURL:%q, Grant:%q, ClientID:%q, ClientSecret:%q, Username:%q, "+
		"Password:%q, RefreshToken:%q, AccountID:%q}",
		redactedURL(r.APIURL), r.Grant, r.ClientID, redacted(r.ClientSecret), r.Username,
		redacted(r.Password), redacted(r.RefreshToken), r.AccountID)
}

// Format makes every fmt verb print the redacted form.
func (r Request) Format(f fmt.State, verb rune) { formatRedacted(f, verb, r) }

// redactedURL hides a password someone put into the API URL by mistake
// (tokenEndpoint refuses such URLs, but the Request may be printed first).
func redactedURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "<unparsable>"
	}
	return u.Redacted()
}
