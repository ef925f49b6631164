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

package controller

// Event reasons for a token written: constant, so users can filter on them. Failures are
// reported with the Ready condition's reason (AuthenticationFailed, CyclrUnavailable,
// TargetSecretConflict, ...). Notes name objects, keys and error codes, never a secret.
const (
	EventIssued          = "Issued"
	EventRefreshed       = "Refreshed"
	EventReauthenticated = "Reauthenticated"
	EventRestored        = "Restored"

	// EventRolloutRestarted: a rollout restart target was restarted for a new token.
	EventRolloutRestarted = "RolloutRestarted"
	// EventRolloutRestartFailed (Warning): a rollout restart target is missing, forbidden or
	// could not be patched; Ready is unaffected.
	EventRolloutRestartFailed = "RolloutRestartFailed"
	// EventRetained: the target Secret was released, ownerless, when the credential was deleted.
	EventRetained = "Retained"
)
