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

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// GrantType is how the operator signs in to Cyclr.
// +kubebuilder:validation:Enum=Password;ClientCredentials
type GrantType string

const (
	// GrantPassword signs in with a username and password and refreshes with the refresh token.
	GrantPassword GrantType = "Password"
	// GrantClientCredentials signs in with a client ID and secret; every refresh is a new token.
	GrantClientCredentials GrantType = "ClientCredentials"
)

// RotationStrategy is how a Password-grant token is renewed.
// +kubebuilder:validation:Enum=RefreshToken;Reauthenticate
type RotationStrategy string

const (
	// RotationRefreshToken uses Cyclr's single-use refresh token: the previous access token
	// stops working the moment the new one is issued.
	RotationRefreshToken RotationStrategy = "RefreshToken"
	// RotationReauthenticate signs in again, so the previous token keeps working until it
	// expires: no gap for pods that read the mounted Secret late.
	RotationReauthenticate RotationStrategy = "Reauthenticate"
)

// CredentialsSecretRef names the Secret, in the CyclrCredential's namespace, that holds the
// Cyclr login, and the keys to read from it.
type CredentialsSecretRef struct {
	// name of the Secret in the same namespace as the CyclrCredential.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Name string `json:"name"`

	// usernameKey is the key holding the Cyclr username (Password grant).
	// +kubebuilder:default=username
	// +kubebuilder:validation:MinLength=1
	// +optional
	UsernameKey string `json:"usernameKey,omitempty"`

	// passwordKey is the key holding the Cyclr password (Password grant).
	// +kubebuilder:default=password
	// +kubebuilder:validation:MinLength=1
	// +optional
	PasswordKey string `json:"passwordKey,omitempty"`

	// clientIDKey is the key holding the OAuth client ID, read when spec.clientID is empty.
	// +kubebuilder:default=client_id
	// +kubebuilder:validation:MinLength=1
	// +optional
	ClientIDKey string `json:"clientIDKey,omitempty"`

	// clientSecretKey is the key holding the OAuth client secret (ClientCredentials grant).
	// +kubebuilder:default=client_secret
	// +kubebuilder:validation:MinLength=1
	// +optional
	ClientSecretKey string `json:"clientSecretKey,omitempty"`
}

// TargetSecret describes the Secret the access token is written to.
type TargetSecret struct {
	// name of the target Secret; defaults to the CyclrCredential's name. It may not end in
	// -cyclr-state, the suffix of the operator's own state Secrets.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="!self.endsWith('-cyclr-state')",message="target.name may not end in -cyclr-state: that suffix is reserved for the operator's state Secrets"
	// +optional
	Name string `json:"name,omitempty"`

	// labels copied onto the target Secret: at most 64, none in the operator's own prefix
	// auth.cyclr-operator.io/ nor app.kubernetes.io/managed-by.
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(k) <= 317 && size(self[k]) <= 1024)",message="target.labels: keys may be at most 317 characters and values at most 1024"
	// +kubebuilder:validation:XValidation:rule="self.all(k, !k.startsWith('auth.cyclr-operator.io/') && k != 'app.kubernetes.io/managed-by')",message="target.labels may not set keys in the operator's own prefix auth.cyclr-operator.io/ or app.kubernetes.io/managed-by"
	// +optional
	Labels map[string]string `json:"labels,omitempty"`

	// annotations copied onto the target Secret: at most 64, each value at most 1024
	// characters, none in the operator's own prefix auth.cyclr-operator.io/.
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, size(k) <= 317 && size(self[k]) <= 1024)",message="target.annotations: keys may be at most 317 characters and values at most 1024"
	// +kubebuilder:validation:XValidation:rule="self.all(k, !k.startsWith('auth.cyclr-operator.io/') && k != 'app.kubernetes.io/managed-by')",message="target.annotations may not set keys in the operator's own prefix auth.cyclr-operator.io/ or app.kubernetes.io/managed-by"
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`

	// keys renames the target Secret's keys, e.g. {access_token: CYCLR_TOKEN}; keys not named
	// keep their names (access_token, token_type, authorization, expires_at, api_url,
	// account_id).
	// +kubebuilder:validation:MaxProperties=6
	// +kubebuilder:validation:XValidation:rule="self.all(k, k in ['access_token', 'token_type', 'authorization', 'expires_at', 'api_url', 'account_id'])",message="keys may rename only access_token, token_type, authorization, expires_at, api_url and account_id"
	// +kubebuilder:validation:XValidation:rule="self.all(k, self.all(j, j == k || self[j] != self[k]))",message="two keys may not be renamed to the same name"
	// +kubebuilder:validation:XValidation:rule="self.all(k, self[k] == k || !(self[k] in ['access_token', 'token_type', 'authorization', 'expires_at', 'api_url', 'account_id']) || self[k] in self)",message="a key may not be renamed to the name another key keeps; rename that one too"
	// +kubebuilder:validation:XValidation:rule="self.all(k, !(self[k] in ['cyclr.env', 'cyclr.json']))",message="cyclr.env and cyclr.json are the names of the formats' keys"
	// +optional
	Keys map[string]SecretKeyName `json:"keys,omitempty"`

	// formats adds whole-token files to the target Secret: Env adds the key cyclr.env
	// (dotenv lines CYCLR_ACCESS_TOKEN, CYCLR_AUTHORIZATION, CYCLR_EXPIRES_AT, CYCLR_API_URL,
	// CYCLR_ACCOUNT_ID); JSON adds cyclr.json (an object with the keys access_token,
	// token_type, authorization, expires_at, api_url, account_id).
	// +kubebuilder:validation:MaxItems=2
	// +listType=set
	// +optional
	Formats []TargetFormat `json:"formats,omitempty"`

	// deletionPolicy is what happens to the target Secret when the CyclrCredential is deleted:
	// Delete (default) deletes it; Retain keeps it with its last token and no owner, and a new
	// CyclrCredential of the same name in this namespace adopts it.
	// +kubebuilder:default=Delete
	// +optional
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`
}

// SecretKeyName is a valid Secret data key.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=253
// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
// +kubebuilder:validation:XValidation:rule="self != '.' && !self.startsWith('..')",message="a Secret key may not be '.' or start with '..'"
// +kubebuilder:validation:XValidation:rule="!self.matches('(?i)^(BASH_ENV|ENV|IFS|PATH|HOME|SHELL|SHELLOPTS|BASHOPTS|CDPATH|GLOBIGNORE|PS[0-9]|PROMPT_COMMAND|ZDOTDIR|LD_.*|DYLD_.*|GCONV_PATH|GLIBC_TUNABLES|LOCPATH|NLSPATH|HOSTALIASES|RES_OPTIONS|LOCALDOMAIN|TMPDIR|NODE_OPTIONS|NODE_PATH|PYTHONSTARTUP|PYTHONPATH|PYTHONHOME|PYTHONWARNINGS|PYTHONINSPECT|PERL5OPT|PERL5LIB|PERLLIB|PERL5DB|RUBYOPT|RUBYLIB|JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|JDK_JAVA_OPTIONS|JAVA_OPTS|CLASSPATH|SSL_CERT_FILE|SSL_CERT_DIR|.*_PROXY)$')",message="a key may not be renamed to an environment variable that a shell, the dynamic loader or a language runtime reads at start (such as BASH_ENV, PATH, LD_PRELOAD, NODE_OPTIONS or HTTPS_PROXY): pods that load the Secret with envFrom would run what it holds"
type SecretKeyName string

// TargetFormat is a whole-token file added to the target Secret.
// +kubebuilder:validation:Enum=Env;JSON
type TargetFormat string

const (
	// FormatEnv adds the key cyclr.env: dotenv lines for env_file-style consumers.
	FormatEnv TargetFormat = "Env"
	// FormatJSON adds the key cyclr.json: one JSON object with every target key.
	FormatJSON TargetFormat = "JSON"
)

// DeletionPolicy is what deleting the CyclrCredential does to its target Secret.
// +kubebuilder:validation:Enum=Delete;Retain
type DeletionPolicy string

const (
	// DeletionDelete deletes the target Secret with the CyclrCredential (owner reference).
	DeletionDelete DeletionPolicy = "Delete"
	// DeletionRetain keeps the target Secret, ownerless, for a successor to adopt.
	DeletionRetain DeletionPolicy = "Retain"
)

// WorkloadKind is a kind of workload the operator may restart.
// +kubebuilder:validation:Enum=Deployment;StatefulSet;DaemonSet
type WorkloadKind string

const (
	KindDeployment  WorkloadKind = "Deployment"
	KindStatefulSet WorkloadKind = "StatefulSet"
	KindDaemonSet   WorkloadKind = "DaemonSet"
)

// RolloutRestartTarget names a workload, in the CyclrCredential's namespace, that is restarted
// after each new token reaches the target Secret.
type RolloutRestartTarget struct {
	// kind of the workload: Deployment, StatefulSet or DaemonSet.
	// +required
	Kind WorkloadKind `json:"kind"`

	// name of the workload in the same namespace as the CyclrCredential.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	// +required
	Name string `json:"name"`
}

// CyclrCredentialSpec is the desired state: which Cyclr login to use and where to put the token.
// +kubebuilder:validation:XValidation:rule="self.grant != 'ClientCredentials' || !has(self.rotation) || self.rotation == 'RefreshToken'",fieldPath=".rotation",message="rotation Reauthenticate applies to the Password grant only; ClientCredentials always obtains a new token (leave rotation unset)"
type CyclrCredentialSpec struct {
	// apiURL is the Cyclr API origin, e.g. https://api.eu.cyclr.com: https://host[:port] with
	// an optional trailing /, and nothing else (no path, user info, query or fragment); the
	// host in ASCII letters, digits, '-' and '.' (an international name in its xn-- form).
	// http is allowed only to localhost, 127.0.0.1 or [::1].
	// +kubebuilder:default="https://api.cyclr.com"
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.matches('^(https://[A-Za-z0-9.-]+|http://(localhost|127[.]0[.]0[.]1|[[]::1[]]))(:[0-9]{1,5})?/?$')",message="apiURL must be a bare origin such as https://api.cyclr.com (optionally :port and a trailing /): no path, and a host of ASCII letters, digits, '-' and '.' (international names in their xn-- form)"
	// +kubebuilder:validation:XValidation:rule="isURL(self) && url(self).getHostname() != '' && (url(self).getScheme() == 'https' || (url(self).getScheme() == 'http' && url(self).getHostname() in ['localhost', '127.0.0.1', '::1']))",message="apiURL must be an https:// URL with a host (http:// is allowed only for localhost, 127.0.0.1 and [::1])"
	// +kubebuilder:validation:XValidation:rule="!self.contains('@') && !self.contains('?') && !self.contains('#')",message="apiURL must not contain user info, a query or a fragment: credentials belong in the credentials Secret"
	// +optional
	APIURL string `json:"apiURL,omitempty"`

	// grant is the OAuth grant used to sign in: Password or ClientCredentials.
	// +kubebuilder:default=Password
	// +optional
	Grant GrantType `json:"grant,omitempty"`

	// clientID is the Cyclr OAuth client ID; when empty it is read from the credentials
	// Secret's clientIDKey. At most 128 of A-Z, a-z, 0-9, '.', '_' and '-'.
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9._-]*$`
	// +optional
	ClientID string `json:"clientID,omitempty"`

	// accountID, when set, makes the token an account token acting on that Cyclr account.
	// At most 128 of A-Z, a-z, 0-9, '.', '_' and '-'.
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9._-]*$`
	// +optional
	AccountID string `json:"accountID,omitempty"`

	// credentialsSecretRef points at the Secret holding the Cyclr login.
	// +required
	CredentialsSecretRef CredentialsSecretRef `json:"credentialsSecretRef"`

	// target describes the Secret the token is written to.
	// +optional
	Target TargetSecret `json:"target,omitempty"`

	// rotation is how a Password-grant token is renewed: RefreshToken (single-use refresh
	// token) or Reauthenticate (sign in again; the previous token lives on until it expires).
	// +kubebuilder:default=RefreshToken
	// +optional
	Rotation RotationStrategy `json:"rotation,omitempty"`

	// The rule checks the syntax before calling duration(), so a malformed value gets the
	// rule's message rather than a CEL conversion error; at most four parts of at most five
	// digits keep the value far below the ~292 years at which duration() would overflow.

	// refreshBefore is how long before expiry the token is renewed, as a duration such as
	// 72h or 1h30m; default one third of the token's lifetime.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]{1,5}([.][0-9]{1,9})?(ns|us|µs|ms|s|m|h)){1,4}$') && duration(self) > duration('0s')",message="refreshBefore must be a positive duration such as 72h or 1h30m (units: h, m, s, ms, us, ns)"
	// +optional
	RefreshBefore *metav1.Duration `json:"refreshBefore,omitempty"`

	// suspend stops all calls to Cyclr and all writes; the current token stays as it is.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// rolloutRestartTargets are workloads in this namespace restarted (their pod template's
	// auth.cyclr-operator.io/restarted-at annotation set) once after each new token reaches
	// the target Secret: for pods that read the token from environment variables.
	// +kubebuilder:validation:MaxItems=16
	// +listType=map
	// +listMapKey=kind
	// +listMapKey=name
	// +optional
	RolloutRestartTargets []RolloutRestartTarget `json:"rolloutRestartTargets,omitempty"`
}

// CyclrCredentialStatus is what the operator last observed and did.
type CyclrCredentialStatus struct {
	// observedGeneration is the generation last acted on.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions: Ready, with a reason such as TokenValid, RefreshFailing or AuthenticationFailed;
	// Reconciling and Stalled (present only while True), as kstatus and GitOps tools read them.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// tokenSecretName is the name of the target Secret.
	// +optional
	TokenSecretName string `json:"tokenSecretName,omitempty"`

	// issuedAt is when the current token was issued.
	// +optional
	IssuedAt *metav1.Time `json:"issuedAt,omitempty"`

	// expiresAt is when the current token expires.
	// +optional
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty"`

	// refreshAt is when the next refresh is planned.
	// +optional
	RefreshAt *metav1.Time `json:"refreshAt,omitempty"`

	// lastGrant is how the current token was obtained: password, refresh_token or client_credentials.
	// +optional
	LastGrant string `json:"lastGrant,omitempty"`

	// revision counts the tokens written to the target Secret.
	// +optional
	Revision int64 `json:"revision,omitempty"`

	// failedAttempts counts consecutive failures since the last success.
	// +optional
	FailedAttempts int32 `json:"failedAttempts,omitempty"`

	// lastFailureTime is when the last failure happened.
	// +optional
	LastFailureTime *metav1.Time `json:"lastFailureTime,omitempty"`

	// lastFailureReason is the reason of the last failure since the last success (a Ready
	// reason such as CyclrUnavailable), kept while Ready shows RefreshFailing or RetryPending.
	// +optional
	LastFailureReason string `json:"lastFailureReason,omitempty"`

	// lastRefreshRequest is the value of the refresh-requested-at annotation last honoured.
	// +optional
	LastRefreshRequest string `json:"lastRefreshRequest,omitempty"`

	// rolloutRevision is the revision last rolled out to spec.rolloutRestartTargets (equal to
	// revision when there are none: adding targets restarts nothing until the next token).
	// +optional
	RolloutRevision int64 `json:"rolloutRevision,omitempty"`

	// targetResourceVersion is the resourceVersion of the target Secret as the operator last
	// wrote or checked it. The operator caches only the metadata of Secrets: a target at any
	// other version is read and, if it no longer holds the token, restored.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	TargetResourceVersion string `json:"targetResourceVersion,omitempty"`

	// lastFailureInputs identifies the spec and the version of the login Secret of the last
	// failed token request (a digest; it holds no secret): a change to either is tried at once
	// instead of after the backoff.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	LastFailureInputs string `json:"lastFailureInputs,omitempty"`
}

// CyclrCredential keeps a Cyclr API token fresh in a Secret.
// +kubebuilder:object:root=true
// +kubebuilder:validation:XValidation:rule="!has(self.spec.credentialsSecretRef) || self.spec.credentialsSecretRef.name != (has(self.spec.target) && has(self.spec.target.name) ? self.spec.target.name : self.metadata.name)",fieldPath=".spec.target.name",message="the target Secret (spec.target.name, default metadata.name) may not be the login Secret spec.credentialsSecretRef.name: the token would overwrite the login; set spec.target.name to another name"
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=cyclrcred,categories=cyclr
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Secret",type=string,JSONPath=`.status.tokenSecretName`
// +kubebuilder:printcolumn:name="Grant",type=string,JSONPath=`.spec.grant`
// +kubebuilder:printcolumn:name="Expires",type=string,JSONPath=`.status.expiresAt`
// +kubebuilder:printcolumn:name="Refresh At",type=string,JSONPath=`.status.refreshAt`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="API URL",type=string,JSONPath=`.spec.apiURL`,priority=1
// +kubebuilder:printcolumn:name="Revision",type=integer,JSONPath=`.status.revision`,priority=1
// +kubebuilder:printcolumn:name="Last Grant",type=string,JSONPath=`.status.lastGrant`,priority=1
type CyclrCredential struct {
	metav1.TypeMeta `json:",inline"`

	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec CyclrCredentialSpec `json:"spec"`

	// The default makes an object the operator has not reconciled yet read as in progress
	// (observedGeneration 0 is behind generation 1) to kstatus, kubectl wait and Flux.
	// +kubebuilder:default={observedGeneration: 0}
	// +optional
	Status CyclrCredentialStatus `json:"status,omitempty"`
}

// CyclrCredentialList contains a list of CyclrCredential.
// +kubebuilder:object:root=true
type CyclrCredentialList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []CyclrCredential `json:"items"`
}

func init() {
	SchemeBuilder.Register(func(s *runtime.Scheme) error {
		s.AddKnownTypes(SchemeGroupVersion, &CyclrCredential{}, &CyclrCredentialList{})
		return nil
	})
}
