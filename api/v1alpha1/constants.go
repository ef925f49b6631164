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

package v1alpha1

import "strings"

// Names fixed by the contract (docs/design.md, sections 1 and 4): tests outside the project use them.
const (
	// RefreshRequestedAtAnnotation, set or changed to any value, asks for a new token now.
	RefreshRequestedAtAnnotation = "auth.cyclr-operator.io/refresh-requested-at"

	// ManagedByLabel and ManagedByValue mark every Secret the operator writes.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedByValue = "cyclr-token-operator"
	// CredentialLabel names the CyclrCredential a Secret belongs to.
	CredentialLabel = "auth.cyclr-operator.io/credential"
	// RoleLabel with RoleState marks the operator's private state Secret.
	RoleLabel = "auth.cyclr-operator.io/role"
	RoleState = "state"

	// ConditionReady says whether the target Secret holds a valid token.
	ConditionReady = "Ready"
	// ConditionReconciling (present only while True): the first token is pending, Cyclr is
	// unavailable with no valid token, or the login Secret is not there yet.
	ConditionReconciling = "Reconciling"
	// ConditionStalled (present only while True): the operator cannot go on until the spec,
	// the login or the target name is fixed.
	ConditionStalled = "Stalled"

	// RestartedAtAnnotation, on a rollout restart target's pod template, is set to the issue
	// time of each new token (RFC 3339).
	RestartedAtAnnotation = "auth.cyclr-operator.io/restarted-at"
	// AllowRestartByAnnotation, on a Deployment, StatefulSet or DaemonSet, lists (comma-separated)
	// the CyclrCredentials in its namespace that may restart it: whoever may edit the workload
	// grants the restart, not whoever may edit the credential.
	AllowRestartByAnnotation = "auth.cyclr-operator.io/allow-restart-by"
	// RetainFinalizer holds a CyclrCredential with deletionPolicy Retain until its target
	// Secret has been released.
	RetainFinalizer = "auth.cyclr-operator.io/retain-target"
	// RetainedFromAnnotation marks a target Secret released by a deleted CyclrCredential of
	// that name; only a CyclrCredential of the same name adopts it.
	RetainedFromAnnotation = "auth.cyclr-operator.io/retained-from"

	// Keys the formats add to the target Secret.
	EnvFormatKey  = "cyclr.env"
	JSONFormatKey = "cyclr.json"
)

// Ready condition reasons.
const (
	ReasonTokenValid                = "TokenValid"
	ReasonRefreshFailing            = "RefreshFailing"
	ReasonCredentialsSecretNotFound = "CredentialsSecretNotFound"
	ReasonCredentialsInvalid        = "CredentialsInvalid"
	ReasonAuthenticationFailed      = "AuthenticationFailed"
	ReasonCyclrUnavailable          = "CyclrUnavailable"
	ReasonInvalidTokenResponse      = "InvalidTokenResponse"
	ReasonTargetSecretConflict      = "TargetSecretConflict"
	ReasonAPIHostNotAllowed         = "APIHostNotAllowed"
	// ReasonSpecInvalid: a stored spec breaks a rule the CRD enforces since version 0.1.0 (an
	// object created before it); nothing is read, sent or written until it is fixed.
	ReasonSpecInvalid = "SpecInvalid"
	ReasonSuspended   = "Suspended"
	// ReasonRetryPending: the last attempt failed and the next waits for its backoff; it is
	// shown only when no earlier reason is known.
	ReasonRetryPending = "RetryPending"
)

// TargetSecretName is the target Secret's name: spec.target.name, else the credential's name.
func (c *CyclrCredential) TargetSecretName() string {
	if c.Spec.Target.Name != "" {
		return c.Spec.Target.Name
	}
	return c.Name
}

// StartupEnvNamePattern matches (case-insensitively) the environment variables that a shell,
// the dynamic loader or a language runtime reads when a process starts. spec.target.keys may
// not rename a key to one of them: a pod that loads the target Secret with envFrom would run
// what the value holds. The CRD's rule on SecretKeyName spells the same expression.
const StartupEnvNamePattern = `(?i)^(BASH_ENV|ENV|IFS|PATH|HOME|SHELL|SHELLOPTS|BASHOPTS|CDPATH|GLOBIGNORE|PS[0-9]|` +
	`PROMPT_COMMAND|ZDOTDIR|LD_.*|DYLD_.*|GCONV_PATH|GLIBC_TUNABLES|LOCPATH|NLSPATH|HOSTALIASES|RES_OPTIONS|` +
	`LOCALDOMAIN|TMPDIR|NODE_OPTIONS|NODE_PATH|PYTHONSTARTUP|PYTHONPATH|PYTHONHOME|PYTHONWARNINGS|PYTHONINSPECT|` +
	`PERL5OPT|PERL5LIB|PERLLIB|PERL5DB|RUBYOPT|RUBYLIB|JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|JDK_JAVA_OPTIONS|JAVA_OPTS|` +
	`CLASSPATH|SSL_CERT_FILE|SSL_CERT_DIR|.*_PROXY)$`

// ReservedMetadataPrefix is the operator's own label and annotation prefix: spec.target.labels
// and annotations may not set keys in it (nor ManagedByLabel).
const ReservedMetadataPrefix = "auth.cyclr-operator.io/"

// Bounds of spec.target.labels and annotations, enforced by the CRD and re-checked by the
// operator: one tenant's credential cannot make the shared operator cache megabytes.
const (
	MaxTargetMetadataEntries    = 64
	MaxTargetMetadataValueBytes = 1024
	// MaxCyclrIDLength bounds spec.clientID and spec.accountID (characters A-Z a-z 0-9 . _ -).
	MaxCyclrIDLength = 128
)

// AllowsRestartBy reports whether a workload's annotations list the CyclrCredential named
// credential in AllowRestartByAnnotation (comma-separated, spaces ignored): the operator
// restarts only such a workload, and `kubectl cyclr consumers` counts on no other.
func AllowsRestartBy(annotations map[string]string, credential string) bool {
	for name := range strings.SplitSeq(annotations[AllowRestartByAnnotation], ",") {
		if strings.TrimSpace(name) == credential {
			return true
		}
	}
	return false
}
