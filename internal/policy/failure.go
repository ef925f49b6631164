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
	"errors"
	"fmt"
	"time"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
)

// The failure vocabulary. A failed token request is classified once, by cyclr.Result (the
// result label of cyclr_token_requests_total); everything else follows from that class
// through attemptClasses: the Ready reason and the backoff. A problem the user must fix in
// Kubernetes is a ConfigError; it carries its own reason and waits for a watch event.

// attemptClass is how a failed token request of one cyclr.Result is reported and retried.
type attemptClass struct {
	reason  string
	backoff backoffPolicy
}

type backoffPolicy struct{ base, max time.Duration }

var (
	// Cyclr could not answer or answered nonsense: it will likely recover on its own.
	retrySoon = backoffPolicy{base: 5 * time.Second, max: 5 * time.Minute}
	// Cyclr refused the login (or the request could not be sent): retrying fast would only
	// lock the account; a change to the login is tried at once instead.
	retrySlowly = backoffPolicy{base: time.Minute, max: time.Hour}
)

var attemptClasses = map[string]attemptClass{
	cyclr.ResultAuthError:       {reason: authv1alpha1.ReasonAuthenticationFailed, backoff: retrySlowly},
	cyclr.ResultUnavailable:     {reason: authv1alpha1.ReasonCyclrUnavailable, backoff: retrySoon},
	cyclr.ResultInvalidResponse: {reason: authv1alpha1.ReasonInvalidTokenResponse, backoff: retrySoon},
}

// classOf is the attempt class of a cyclr.Result; an unknown one is retried soon, like an outage.
func classOf(result string) attemptClass {
	if c, ok := attemptClasses[result]; ok {
		return c
	}
	return attemptClasses[cyclr.ResultUnavailable]
}

// Failure is why a reconcile could not produce a fresh token.
type Failure struct {
	// Reason is the Ready condition's reason.
	Reason string
	// Message says what is wrong; it names objects, keys, HTTP statuses and OAuth error
	// codes, never a secret or a response body.
	Message string
	// Result is cyclr.Result of a failed token request; empty when Cyclr was not asked (a
	// ConfigError), which neither counts toward failedAttempts nor backs off.
	Result string
	// RetryAfter is Cyclr's Retry-After, 0 when it gave none.
	RetryAfter time.Duration
}

// Attempted reports whether Cyclr was asked and failed.
func (f *Failure) Attempted() bool { return f.Result != "" }

// Classify turns a failed token request into a Failure. Its message is the cyclr error's,
// which carries the HTTP status and OAuth error code only.
func Classify(err error) *Failure {
	result := cyclr.Result(err)
	f := &Failure{Reason: classOf(result).reason, Message: err.Error(), Result: result}
	if unavailable, ok := errors.AsType[*cyclr.UnavailableError](err); ok {
		f.RetryAfter = unavailable.RetryAfter
	}
	return f
}

// ConfigError is a problem the user must fix in Kubernetes (a missing Secret or key, a Secret
// owned by someone else). It carries the Ready reason; its message names objects and keys,
// never a value.
type ConfigError struct {
	Reason  string
	Message string
}

func (e *ConfigError) Error() string { return e.Message }

// Failure is the status a ConfigError leads to.
func (e *ConfigError) Failure() *Failure { return &Failure{Reason: e.Reason, Message: e.Message} }

// ConflictError refuses a Secret name that belongs to a Secret this credential does not own.
func ConflictError(name string) *ConfigError {
	return secretConflict("Secret %q already exists and is not owned by this CyclrCredential, which leaves it untouched; "+
		"set spec.target.name to another name", name)
}

// ReservedNameError refuses a target name with the state Secrets' suffix: it could take the
// state Secret of another credential (the CRD refuses it too; this guards older objects).
func ReservedNameError(name string) *ConfigError {
	return secretConflict("target Secret name %q ends in %s, which is reserved for the operator's state Secrets; "+
		"set spec.target.name", name, StateSuffix)
}

// StateConflictError refuses to use a state Secret name taken by a Secret this credential does
// not own.
func StateConflictError(name string) *ConfigError {
	return secretConflict("Secret %q, this credential's state Secret name, already exists and is not owned by it; "+
		"delete that Secret or give the CyclrCredential another name", name)
}

// secretConflict is a TargetSecretConflict that says which name is taken and what to do.
func secretConflict(format string, args ...any) *ConfigError {
	return &ConfigError{Reason: authv1alpha1.ReasonTargetSecretConflict, Message: fmt.Sprintf(format, args...)}
}

// RetryDelay is how long to wait after the attempts-th consecutive failure with the given
// cyclr.Result: its class's base doubled per attempt up to its max, or Cyclr's Retry-After
// when it gave one (capped by the cyclr client already; capped here too, as status may hold
// any value).
func RetryDelay(result string, attempts int32, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, cyclr.MaxRetryAfter)
	}
	p := classOf(result).backoff
	d := p.base
	for i := int32(1); i < attempts && d < p.max; i++ {
		d *= 2
	}
	return min(d, p.max)
}
