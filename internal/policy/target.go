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
	"encoding/json"
	"strings"
	"time"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
)

// Keys of the target Secret (docs/design.md, section 4): what pods read, under these names
// unless spec.target.keys renames them.
const (
	keyAccessToken   = "access_token"
	keyTokenType     = "token_type"
	keyAuthorization = "authorization"
	keyExpiresAt     = "expires_at"
	keyAPIURL        = "api_url"
	keyAccountID     = "account_id"
)

// TargetKeys are the target Secret's keys as section 4 names them, before spec.target.keys
// renames them; account_id is written only when spec.accountID is set.
func TargetKeys() []string {
	return []string{keyAccessToken, keyTokenType, keyAuthorization, keyExpiresAt, keyAPIURL, keyAccountID}
}

// TargetToken is what of a token the target Secret shows. The refresh token is not in it, so
// no key name or format can reach it; the login never comes near TargetData either.
type TargetToken struct {
	AccessToken string
	TokenType   string
	ExpiresAt   time.Time
}

// ForTarget is the part of the stored token the target Secret shows.
func (s *TokenState) ForTarget() TargetToken {
	return TargetToken{AccessToken: s.Token.AccessToken, TokenType: s.Token.TokenType, ExpiresAt: s.Token.ExpiresAt}
}

// targetField is one section-4 key with its value.
type targetField struct {
	key    string // its section-4 name
	envVar string // its variable in cyclr.env; none for token_type (CYCLR_AUTHORIZATION says Bearer)
	value  string
}

// targetFields are the section-4 keys in the order of section 4, which is also the order of
// cyclr.env's lines.
func targetFields(spec *authv1alpha1.CyclrCredentialSpec, t TargetToken) []targetField {
	fields := []targetField{
		{keyAccessToken, "CYCLR_ACCESS_TOKEN", t.AccessToken},
		{keyTokenType, "", t.TokenType},
		{keyAuthorization, "CYCLR_AUTHORIZATION", "Bearer " + t.AccessToken},
		{keyExpiresAt, "CYCLR_EXPIRES_AT", t.ExpiresAt.UTC().Format(time.RFC3339)},
		{keyAPIURL, "CYCLR_API_URL", spec.APIURL},
	}
	if spec.AccountID != "" {
		fields = append(fields, targetField{keyAccountID, "CYCLR_ACCOUNT_ID", spec.AccountID})
	}
	return fields
}

// TargetData is the target Secret's data: the section-4 keys under the names spec.target.keys
// gives them, and a key for each of spec.target.formats (cyclr.env only when it can carry
// every value: see dotenv).
func TargetData(spec *authv1alpha1.CyclrCredentialSpec, t TargetToken) map[string][]byte {
	fields := targetFields(spec, t)
	data := make(map[string][]byte, len(fields)+len(spec.Target.Formats))
	for _, f := range fields {
		name := f.key
		if renamed, ok := spec.Target.Keys[f.key]; ok {
			name = string(renamed)
		}
		data[name] = []byte(f.value)
	}
	for _, format := range spec.Target.Formats {
		switch format {
		case authv1alpha1.FormatEnv:
			if env, ok := dotenv(fields); ok {
				data[authv1alpha1.EnvFormatKey] = env
			}
		case authv1alpha1.FormatJSON:
			data[authv1alpha1.JSONFormatKey] = jsonObject(fields)
		}
	}
	return data
}

// jsonObject is cyclr.json: the fields under their section-4 names, whatever spec.target.keys
// says, so one program reads the same file from every credential.
func jsonObject(fields []targetField) []byte {
	obj := make(map[string]string, len(fields))
	for _, f := range fields {
		obj[f.key] = f.value
	}
	b, _ := json.Marshal(obj) // a map of strings: cannot fail; keys come sorted, so the bytes are stable
	return b
}

// dotenv is cyclr.env: a line VAR=value for each field that has a variable. It reports false
// when a value cannot be written so that every reader gets it right (see envValue); the
// Secret then has no cyclr.env at all, so its consumers fail loudly instead of reading a
// wrong value, a partial file or, from sh, a command.
func dotenv(fields []targetField) ([]byte, bool) {
	var b strings.Builder
	for _, f := range fields {
		if f.envVar == "" {
			continue
		}
		v, ok := envValue(f.value)
		if !ok {
			return nil, false
		}
		b.WriteString(f.envVar + "=" + v + "\n")
	}
	return []byte(b.String()), true
}

// envValue spells v for cyclr.env, for three readers at once: sh (`set -a; . ./cyclr.env`),
// python-dotenv and docker compose's env_file. internal/cyclr accepts only RFC 6750 bearer
// token characters, but spec.accountID and spec.apiURL may hold many more, so the spelling
// rests on what the readers have in common:
//   - Bare, when v has only letters, digits and - . _ + / = : (base64url tokens such as
//     Cyclr's, the RFC 3339 expiry, the usual API URL). None of the readers gives these a
//     meaning, and `docker run --env-file`, which takes the rest of the line as it is, reads
//     them right too. '~' is not among them: sh expands it at the start of a value and
//     after a ':'.
//   - In double quotes, when v has only printable ASCII other than " \ $ and `: inside double
//     quotes those four are all that sh (" \ $ `), python-dotenv (" \ and ${) and compose
//     (" \ $) treat specially. CYCLR_AUTHORIZATION ("Bearer …") is always quoted; docker run
//     --env-file keeps the quotes, so its users should take CYCLR_ACCESS_TOKEN.
//   - Not at all otherwise: no escape means the same to all three (sh needs \$ where
//     python-dotenv keeps the backslash), and a newline would start a line of its own.
func envValue(v string) (string, bool) {
	switch {
	case consistsOf(v, envBare):
		return v, true
	case consistsOf(v, envQuotable):
		return `"` + v + `"`, true
	}
	return "", false
}

// envBare reports whether r may stand unquoted in cyclr.env.
func envBare(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("-._+/=:", r)
}

// envQuotable reports whether r may stand between double quotes in cyclr.env.
func envQuotable(r rune) bool {
	return ' ' <= r && r <= '~' && !strings.ContainsRune("\"\\$`", r)
}

func consistsOf(s string, allowed func(rune) bool) bool {
	return strings.IndexFunc(s, func(r rune) bool { return !allowed(r) }) < 0
}
