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

package policy

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
)

// maxLoginValueBytes bounds each value read from the credentials Secret: no Cyclr login is
// that long, and a megabyte of junk should be refused here rather than posted to Cyclr.
const maxLoginValueBytes = 4096

// LoginFromSecret builds the sign-in request for spec from the credentials Secret's data.
func LoginFromSecret(spec *authv1alpha1.CyclrCredentialSpec, secretName string, data map[string][]byte) (cyclr.Request, error) {
	ref := spec.CredentialsSecretRef
	value := func(key string) (string, error) { return loginValue(secretName, key, data) }
	req := cyclr.Request{APIURL: spec.APIURL, AccountID: spec.AccountID, ClientID: spec.ClientID}
	var err error
	if req.ClientID == "" {
		if req.ClientID, err = value(ref.ClientIDKey); err != nil {
			return cyclr.Request{}, &ConfigError{
				Reason:  authv1alpha1.ReasonCredentialsInvalid,
				Message: fmt.Sprintf("no client ID: set spec.clientID or the key %q: %s", ref.ClientIDKey, err),
			}
		}
	}
	switch spec.Grant {
	case authv1alpha1.GrantClientCredentials:
		req.Grant = cyclr.GrantClientCredentials
		req.ClientSecret, err = value(ref.ClientSecretKey)
	default:
		req.Grant = cyclr.GrantPassword
		if req.Username, err = value(ref.UsernameKey); err == nil {
			req.Password, err = value(ref.PasswordKey)
		}
	}
	if err != nil {
		return cyclr.Request{}, &ConfigError{Reason: authv1alpha1.ReasonCredentialsInvalid, Message: err.Error()}
	}
	return req, nil
}

// loginValue returns data[key] without surrounding whitespace (a Secret made with echo ends in
// a newline), or an error that names the key and what is wrong with it, never its value.
func loginValue(secretName, key string, data map[string][]byte) (string, error) {
	raw, ok := data[key]
	where := fmt.Sprintf("key %q in Secret %q", key, secretName)
	switch {
	case !ok:
		return "", fmt.Errorf("%s is missing", where)
	case len(raw) > maxLoginValueBytes:
		return "", fmt.Errorf("%s is longer than %d bytes", where, maxLoginValueBytes)
	case !utf8.Valid(raw):
		return "", fmt.Errorf("%s is not UTF-8 text", where)
	}
	v := strings.TrimSpace(string(raw))
	if v == "" {
		return "", fmt.Errorf("%s is empty", where)
	}
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return "", fmt.Errorf("%s contains control characters", where)
	}
	return v, nil
}
