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
	"maps"
	"regexp"
	"slices"
	"strings"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
)

// The tenant boundary: whoever may edit a CyclrCredential may use its token and nothing more.
// The CRD refuses a spec that breaks these rules; CheckSpec applies them again to what is
// stored, because an object created before the CRD had a rule keeps its spec, and because
// the operator must not depend on the CRD installed being the one it ships with.

var (
	startupEnvName = regexp.MustCompile(authv1alpha1.StartupEnvNamePattern)
	cyclrID        = regexp.MustCompile(`^[A-Za-z0-9._-]*$`)
)

// CheckSpec returns nil when cred's spec keeps to the tenant boundary, or the ConfigError that
// names the first field that does not. Nothing of the login is read for it.
func CheckSpec(cred *authv1alpha1.CyclrCredential) *ConfigError {
	spec := &cred.Spec
	if err := cyclr.CheckAPIURL(spec.APIURL); err != nil {
		// The reason alone: the field's name says where, the package's prefix says nothing more.
		return specInvalid("spec.apiURL", strings.TrimPrefix(err.Error(), cyclr.ErrInvalidRequest.Error()+": "))
	}
	for _, id := range []struct{ field, value string }{{"spec.clientID", spec.ClientID}, {"spec.accountID", spec.AccountID}} {
		if len(id.value) > authv1alpha1.MaxCyclrIDLength || !cyclrID.MatchString(id.value) {
			return specInvalid(id.field, fmt.Sprintf("at most %d of the characters A-Z, a-z, 0-9, '.', '_' and '-'",
				authv1alpha1.MaxCyclrIDLength))
		}
	}
	for _, from := range slices.Sorted(maps.Keys(spec.Target.Keys)) {
		if to := string(spec.Target.Keys[from]); startupEnvName.MatchString(to) {
			return specInvalid("spec.target.keys", fmt.Sprintf("%s is renamed to %q, an environment variable that a shell, "+
				"the dynamic loader or a language runtime reads at start", from, to))
		}
	}
	if cfg := checkMetadata("spec.target.labels", spec.Target.Labels); cfg != nil {
		return cfg
	}
	if cfg := checkMetadata("spec.target.annotations", spec.Target.Annotations); cfg != nil {
		return cfg
	}
	name := cred.TargetSecretName()
	if strings.HasSuffix(name, StateSuffix) {
		return ReservedNameError(name)
	}
	if name == spec.CredentialsSecretRef.Name {
		return secretConflict("the target Secret %q is this credential's login Secret (spec.credentialsSecretRef.name): "+
			"the token would overwrite the login, which is left as it is; set spec.target.name to another name", name)
	}
	return nil
}

// checkMetadata bounds the labels or annotations copied onto the target Secret and keeps the
// operator's own keys to the operator.
func checkMetadata(field string, m map[string]string) *ConfigError {
	if len(m) > authv1alpha1.MaxTargetMetadataEntries {
		return specInvalid(field, fmt.Sprintf("%d entries, at most %d are allowed", len(m), authv1alpha1.MaxTargetMetadataEntries))
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		switch {
		case strings.HasPrefix(k, authv1alpha1.ReservedMetadataPrefix) || k == authv1alpha1.ManagedByLabel:
			return specInvalid(field, fmt.Sprintf("the key %q is the operator's own", k))
		case len(m[k]) > authv1alpha1.MaxTargetMetadataValueBytes:
			return specInvalid(field, fmt.Sprintf("the value of %q is longer than %d bytes", k, authv1alpha1.MaxTargetMetadataValueBytes))
		}
	}
	return nil
}

// specInvalid is a SpecInvalid failure that names the field; what is wrong never quotes a
// value that could hold a secret (an apiURL with user info).
func specInvalid(field, what string) *ConfigError {
	return &ConfigError{Reason: authv1alpha1.ReasonSpecInvalid, Message: fmt.Sprintf(
		"%s: %s; the API server refuses this since version 0.1.0: fix the CyclrCredential", field, what)}
}
