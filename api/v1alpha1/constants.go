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

	// ConditionReady is the one condition type.
	ConditionReady = "Ready"
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
	ReasonSuspended                 = "Suspended"
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
