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
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
)

// Keys of the operator's private state Secret. The refresh token lives only here.
const (
	stateAccessToken  = "access_token"
	stateRefreshToken = "refresh_token"
	stateTokenType    = "token_type"
	stateGrant        = "grant"
	stateIssuedAt     = "issued_at"
	stateExpiresAt    = "expires_at"
	stateFingerprint  = "fingerprint"
	stateInputs       = "inputs"
)

// Annotations of the state Secret: what deciding needs of the token, none of it secret. The
// operator caches only the metadata of Secrets, so these let it keep a valid token, plan its
// refresh and write status without reading the state Secret's data.
const (
	stateAnnotationIssuedAt  = "auth.cyclr-operator.io/issued-at"
	stateAnnotationExpiresAt = "auth.cyclr-operator.io/expires-at"
	stateAnnotationGrant     = "auth.cyclr-operator.io/grant"
	stateAnnotationInputs    = "auth.cyclr-operator.io/inputs"
)

// StateAnnotations are the annotation keys the state Secret carries (StateFromMetadata).
var StateAnnotations = []string{stateAnnotationIssuedAt, stateAnnotationExpiresAt, stateAnnotationGrant, stateAnnotationInputs}

// StateSuffix names the state Secret after its credential; names that would grow past the
// Kubernetes limit are shortened with a hash so they stay unique.
const StateSuffix = "-cyclr-state"

// TokenState is the current token and the inputs it was obtained with.
type TokenState struct {
	// Token is the token; read from the state Secret's metadata only (MetadataOnly), it has
	// its times and grant but neither the access nor the refresh token.
	Token cyclr.Token
	// Fingerprint identifies the spec and login the token was obtained with; when either
	// changes, the token no longer fits and a new one is issued. Empty when MetadataOnly.
	Fingerprint string
	// Inputs identifies the spec and the version of the login Secret the token was obtained
	// with (InputsOf): while both are unchanged, Fingerprint is known without reading the
	// login Secret. Empty in a state written before it was kept.
	Inputs string
	// MetadataOnly: read from the state Secret's annotations, without its data.
	MetadataOnly bool
}

// Fits reports whether the stored token is unexpired and was obtained with the current inputs:
// the same spec and login Secret version (known without reading the login), or, once the login
// has been read (fingerprint is not empty), the same spec and login values.
func (s *TokenState) Fits(inputs, fingerprint string, now time.Time) bool {
	if s == nil || !now.Before(s.Token.ExpiresAt) {
		return false
	}
	return s.Inputs != "" && s.Inputs == inputs || fingerprint != "" && s.Fingerprint == fingerprint
}

// Valid reports whether the stored token still works, whatever it was obtained with.
func (s *TokenState) Valid(now time.Time) bool {
	return s != nil && now.Before(s.Token.ExpiresAt)
}

// StateSecretName is the name of cred's state Secret.
func StateSecretName(credentialName string) string {
	const maxName = 253
	if len(credentialName)+len(StateSuffix) <= maxName {
		return credentialName + StateSuffix
	}
	sum := sha256.Sum256([]byte(credentialName))
	short := hex.EncodeToString(sum[:4])
	// A DNS subdomain's labels must end alphanumeric: do not leave a '.' or '-' before the hash.
	prefix := strings.TrimRight(credentialName[:maxName-len(StateSuffix)-len(short)-1], ".-")
	return prefix + "-" + short + StateSuffix
}

// StateFromSecret parses the state Secret; a missing or damaged one yields nil, which makes
// the operator sign in again rather than trust half a state.
func StateFromSecret(secret *corev1.Secret) *TokenState {
	if secret == nil {
		return nil
	}
	d := secret.Data
	issued, errIssued := time.Parse(time.RFC3339Nano, string(d[stateIssuedAt]))
	expires, errExpires := time.Parse(time.RFC3339Nano, string(d[stateExpiresAt]))
	if errIssued != nil || errExpires != nil || len(d[stateAccessToken]) == 0 || len(d[stateFingerprint]) == 0 {
		return nil
	}
	return &TokenState{
		Token: cyclr.Token{
			AccessToken:  string(d[stateAccessToken]),
			RefreshToken: string(d[stateRefreshToken]),
			TokenType:    string(d[stateTokenType]),
			Grant:        cyclr.Grant(d[stateGrant]),
			IssuedAt:     issued,
			ExpiresAt:    expires,
		},
		Fingerprint: string(d[stateFingerprint]),
		Inputs:      string(d[stateInputs]),
	}
}

// StateFromMetadata is the token as the state Secret's annotations describe it
// (MetadataOnly); nil when they are missing or damaged (a state written by an older version):
// then the data is read.
func StateFromMetadata(annotations map[string]string) *TokenState {
	issued, errIssued := time.Parse(time.RFC3339Nano, annotations[stateAnnotationIssuedAt])
	expires, errExpires := time.Parse(time.RFC3339Nano, annotations[stateAnnotationExpiresAt])
	if errIssued != nil || errExpires != nil || annotations[stateAnnotationInputs] == "" {
		return nil
	}
	return &TokenState{
		Token:        cyclr.Token{Grant: cyclr.Grant(annotations[stateAnnotationGrant]), IssuedAt: issued, ExpiresAt: expires},
		Inputs:       annotations[stateAnnotationInputs],
		MetadataOnly: true,
	}
}

// SecretAnnotations are the state Secret's annotations for s (StateFromMetadata reads them).
func (s *TokenState) SecretAnnotations() map[string]string {
	return map[string]string{
		stateAnnotationIssuedAt:  s.Token.IssuedAt.UTC().Format(time.RFC3339Nano),
		stateAnnotationExpiresAt: s.Token.ExpiresAt.UTC().Format(time.RFC3339Nano),
		stateAnnotationGrant:     string(s.Token.Grant),
		stateAnnotationInputs:    s.Inputs,
	}
}

// SecretData is the state Secret's data for s (StateFromSecret reads it).
func (s *TokenState) SecretData() map[string][]byte {
	return map[string][]byte{
		stateAccessToken:  []byte(s.Token.AccessToken),
		stateRefreshToken: []byte(s.Token.RefreshToken),
		stateTokenType:    []byte(s.Token.TokenType),
		stateGrant:        []byte(s.Token.Grant),
		stateIssuedAt:     []byte(s.Token.IssuedAt.UTC().Format(time.RFC3339Nano)),
		stateExpiresAt:    []byte(s.Token.ExpiresAt.UTC().Format(time.RFC3339Nano)),
		stateFingerprint:  []byte(s.Fingerprint),
		stateInputs:       []byte(s.Inputs),
	}
}

// Fingerprint identifies what a token was obtained with: the whole spec except suspend (a
// spec change issues a new token, pausing does not) and the fields that only shape the
// output (key names, formats, deletion policy, rollout targets: the target is rewritten, no
// token is needed), and the login read from the Secret. It is a SHA-256 kept only in the
// state Secret, never in status.
func Fingerprint(spec *authv1alpha1.CyclrCredentialSpec, login cyclr.Request) string {
	return digest(fingerprintedSpec(spec), []byte(login.ClientID), []byte(login.Username),
		[]byte(login.Password), []byte(login.ClientSecret))
}

// InputsOf identifies a spec, as Fingerprint sees it, and a version of the login Secret (its
// UID and resourceVersion, which change with any edit or re-creation): equal inputs mean an
// equal Fingerprint. It holds no secret value.
func InputsOf(spec *authv1alpha1.CyclrCredentialSpec, loginVersion string) string {
	return digest(fingerprintedSpec(spec), []byte(loginVersion))
}

// fingerprintedSpec is the spec without the fields that need no new token.
func fingerprintedSpec(spec *authv1alpha1.CyclrCredentialSpec) []byte {
	s := spec.DeepCopy()
	s.Suspend = false
	s.RolloutRestartTargets = nil
	s.Target.Keys, s.Target.Formats, s.Target.DeletionPolicy = nil, nil, ""
	specJSON, _ := json.Marshal(s) // a plain struct of strings and maps: cannot fail
	return specJSON
}

// digest is the hex SHA-256 of parts, each terminated by a zero byte.
func digest(parts ...[]byte) string {
	h := sha256.New()
	for _, part := range parts {
		_, _ = h.Write(part)
		_, _ = h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
