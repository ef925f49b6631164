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
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
)

// The token of these tests is base64url with padding, as Cyclr's look, and expires in another
// zone than UTC, which the target must not show.
const (
	targetTok = "eyJ0-b2_tZW4.x+y/z=="
	targetURL = "https://api.eu.cyclr.com"
)

var targetExpiry = time.Date(2026, time.March, 4, 7, 6, 7, 0, time.FixedZone("CET", 3600))

func targetState() *TokenState {
	return &TokenState{Fingerprint: "fp", Token: cyclr.Token{AccessToken: targetTok, RefreshToken: "rt-S3CRET",
		TokenType: "bearer", Grant: cyclr.GrantPassword, IssuedAt: targetExpiry.Add(-time.Hour), ExpiresAt: targetExpiry}}
}

func targetSpec(accountID string, keys map[string]authv1alpha1.SecretKeyName, formats ...authv1alpha1.TargetFormat) *authv1alpha1.CyclrCredentialSpec {
	return &authv1alpha1.CyclrCredentialSpec{APIURL: targetURL, AccountID: accountID,
		Target: authv1alpha1.TargetSecret{Keys: keys, Formats: formats}}
}

// sectionFour is the target's data by section 4, with these fields added.
func sectionFour(add map[string]string) map[string]string {
	d := map[string]string{"access_token": targetTok, "token_type": "bearer", "authorization": "Bearer " + targetTok,
		"expires_at": "2026-03-04T06:06:07Z", "api_url": targetURL}
	maps.Copy(d, add)
	return d
}

const (
	envNoAccount = "CYCLR_ACCESS_TOKEN=" + targetTok + "\n" +
		`CYCLR_AUTHORIZATION="Bearer ` + targetTok + `"` + "\n" +
		"CYCLR_EXPIRES_AT=2026-03-04T06:06:07Z\n" +
		"CYCLR_API_URL=" + targetURL + "\n"
	envWithAccount = envNoAccount + "CYCLR_ACCOUNT_ID=acct-42\n"
)

var everyKeyRenamed = map[string]authv1alpha1.SecretKeyName{"access_token": "CYCLR_TOKEN", "token_type": "type",
	"authorization": "auth.header", "expires_at": "expiry", "api_url": "url", "account_id": "account"}

func TestTargetData(t *testing.T) {
	env, jsonFormat := authv1alpha1.FormatEnv, authv1alpha1.FormatJSON
	cases := []struct {
		name string
		spec *authv1alpha1.CyclrCredentialSpec
		// keys are the plain keys; env and json the formats' keys ("" and nil: not written).
		keys map[string]string
		env  string
		json map[string]string
	}{
		{name: "section 4", spec: targetSpec("", nil), keys: sectionFour(nil)},
		{name: "account ID", spec: targetSpec("acct-42", nil), keys: sectionFour(map[string]string{"account_id": "acct-42"})},
		{name: "some keys renamed", spec: targetSpec("", map[string]authv1alpha1.SecretKeyName{"access_token": "CYCLR_TOKEN", "api_url": "url"}),
			keys: map[string]string{"CYCLR_TOKEN": targetTok, "token_type": "bearer", "authorization": "Bearer " + targetTok,
				"expires_at": "2026-03-04T06:06:07Z", "url": targetURL}},
		{name: "every key renamed", spec: targetSpec("acct-42", everyKeyRenamed),
			keys: map[string]string{"CYCLR_TOKEN": targetTok, "type": "bearer", "auth.header": "Bearer " + targetTok,
				"expiry": "2026-03-04T06:06:07Z", "url": targetURL, "account": "acct-42"}},
		{name: "two keys swap names", spec: targetSpec("", map[string]authv1alpha1.SecretKeyName{"access_token": "authorization", "authorization": "access_token"}),
			keys: sectionFour(map[string]string{"authorization": targetTok, "access_token": "Bearer " + targetTok})},
		{name: "account_id renamed without an account ID", spec: targetSpec("", map[string]authv1alpha1.SecretKeyName{"account_id": "account"}),
			keys: sectionFour(nil)},
		{name: "env", spec: targetSpec("", nil, env), keys: sectionFour(nil), env: envNoAccount},
		{name: "env with account ID", spec: targetSpec("acct-42", nil, env),
			keys: sectionFour(map[string]string{"account_id": "acct-42"}), env: envWithAccount},
		{name: "json", spec: targetSpec("", nil, jsonFormat), keys: sectionFour(nil), json: sectionFour(nil)},
		{name: "json with account ID", spec: targetSpec("acct-42", nil, jsonFormat),
			keys: sectionFour(map[string]string{"account_id": "acct-42"}), json: sectionFour(map[string]string{"account_id": "acct-42"})},
		// The formats keep the section-4 names whatever spec.target.keys says.
		{name: "both formats, every key renamed", spec: targetSpec("acct-42", everyKeyRenamed, jsonFormat, env),
			keys: map[string]string{"CYCLR_TOKEN": targetTok, "type": "bearer", "auth.header": "Bearer " + targetTok,
				"expiry": "2026-03-04T06:06:07Z", "url": targetURL, "account": "acct-42"},
			env: envWithAccount, json: sectionFour(map[string]string{"account_id": "acct-42"})},
		// A value no dotenv spelling carries to every reader leaves cyclr.env out, not the line.
		{name: "account ID cyclr.env cannot carry", spec: targetSpec("a$(id)`id`", nil, env, jsonFormat),
			keys: sectionFour(map[string]string{"account_id": "a$(id)`id`"}),
			json: sectionFour(map[string]string{"account_id": "a$(id)`id`"})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := TargetData(tc.spec, targetState().ForTarget())

			wantKeys := slices.Collect(maps.Keys(tc.keys))
			if tc.env != "" {
				wantKeys = append(wantKeys, authv1alpha1.EnvFormatKey)
			}
			if tc.json != nil {
				wantKeys = append(wantKeys, authv1alpha1.JSONFormatKey)
			}
			if got := slices.Sorted(maps.Keys(data)); !slices.Equal(got, slices.Sorted(slices.Values(wantKeys))) {
				t.Fatalf("keys %v, want %v", got, slices.Sorted(slices.Values(wantKeys)))
			}
			for k, want := range tc.keys {
				if string(data[k]) != want {
					t.Errorf("%s = %q, want %q", k, data[k], want)
				}
			}
			if tc.env != "" {
				if got := string(data[authv1alpha1.EnvFormatKey]); got != tc.env {
					t.Errorf("cyclr.env:\n%s\nwant:\n%s", got, tc.env)
				}
				if got, want := readEnv(t, data[authv1alpha1.EnvFormatKey]), envVars(tc.spec.AccountID); !maps.Equal(got, want) {
					t.Errorf("sh read cyclr.env as %q, want %q", got, want)
				}
			}
			if tc.json != nil {
				var got map[string]string
				if err := json.Unmarshal(data[authv1alpha1.JSONFormatKey], &got); err != nil || !maps.Equal(got, tc.json) {
					t.Errorf("cyclr.json read back as %v (%v), want %v", got, err, tc.json)
				}
			}
		})
	}
}

// envVars are the variables cyclr.env sets for the token of these tests.
func envVars(accountID string) map[string]string {
	vars := map[string]string{"CYCLR_ACCESS_TOKEN": targetTok, "CYCLR_AUTHORIZATION": "Bearer " + targetTok,
		"CYCLR_EXPIRES_AT": "2026-03-04T06:06:07Z", "CYCLR_API_URL": targetURL}
	if accountID != "" {
		vars["CYCLR_ACCOUNT_ID"] = accountID
	}
	return vars
}

// TestTargetEnvReadBySh: sh, the one reader that could run a value, reads back a cyclr.env
// whose values hold every printable character it carries, and a token starting with the '~'
// that sh would expand were it bare.
func TestTargetEnvReadBySh(t *testing.T) {
	accountID := ` !#%&'()*+,-./:;<=>?@[]^_{|}~ Az09 x  `
	data := TargetData(targetSpec(accountID, nil, authv1alpha1.FormatEnv),
		TargetToken{AccessToken: "~" + targetTok, TokenType: "bearer", ExpiresAt: targetExpiry})
	want := envVars(accountID)
	want["CYCLR_ACCESS_TOKEN"], want["CYCLR_AUTHORIZATION"] = "~"+targetTok, "Bearer ~"+targetTok
	if got := readEnv(t, data[authv1alpha1.EnvFormatKey]); !maps.Equal(got, want) {
		t.Errorf("sh read\n%s\nas %q, want %q", data[authv1alpha1.EnvFormatKey], got, want)
	}
}

// readEnv returns the CYCLR_ variables sh sets from env, read as `set -a; . ./cyclr.env`
// does; it skips the test where there is no sh.
func readEnv(t *testing.T, env []byte) map[string]string {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	file := filepath.Join(t.TempDir(), "cyclr.env")
	if err := os.WriteFile(file, env, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", `set -a; . "$1"; env -0`, "sh", file)
	cmd.Env = []string{} // nothing inherited can pass for a variable the file set
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sh: %v: %s", err, stderr.String())
	}
	vars := map[string]string{}
	for kv := range bytes.SplitSeq(out, []byte{0}) {
		if k, v, ok := strings.Cut(string(kv), "="); ok && strings.HasPrefix(k, "CYCLR_") {
			vars[k] = v
		}
	}
	return vars
}

// TestTargetEnvRefusesWhatReadersDisagreeOn: a value with a character the readers of cyclr.env
// do not all read alike, or one that would end the line, leaves cyclr.env out.
func TestTargetEnvRefusesWhatReadersDisagreeOn(t *testing.T) {
	for _, v := range []string{`"`, `\`, "$", "`", "${HOME}", "a\nCYCLR_ACCESS_TOKEN=x", "a\rb", "tab\there", "é", "\x00"} {
		if got, ok := envValue(v); ok {
			t.Errorf("envValue(%q) = %q; want it refused", v, got)
		}
	}
	spec := targetSpec("", nil, authv1alpha1.FormatEnv)
	if data := TargetData(spec, TargetToken{AccessToken: "$(reboot)"}); data[authv1alpha1.EnvFormatKey] != nil {
		t.Errorf("a token of shell syntax was written to cyclr.env:\n%s", data[authv1alpha1.EnvFormatKey])
	}
}

// TestTargetDataNeverShowsTheRefreshToken: whatever keys are renamed to and whichever formats
// are asked for, neither the refresh token nor the user and client the token names reach the
// target's names or values (the login, never in a TokenState, cannot).
func TestTargetDataNeverShowsTheRefreshToken(t *testing.T) {
	renames := make([]map[string]authv1alpha1.SecretKeyName, 0, 2+2*len(TargetKeys()))
	renames = append(renames, nil, everyKeyRenamed)
	// A key renamed after what it must not show must not fetch it.
	for _, k := range TargetKeys() {
		renames = append(renames, map[string]authv1alpha1.SecretKeyName{k: "refresh_token"}, map[string]authv1alpha1.SecretKeyName{k: "password"})
	}
	formatSets := [][]authv1alpha1.TargetFormat{nil, {authv1alpha1.FormatEnv}, {authv1alpha1.FormatJSON},
		{authv1alpha1.FormatEnv, authv1alpha1.FormatJSON}}
	st := targetState()
	st.Token.UserName, st.Token.ClientID = "alice-S3CRET", "client-S3CRET"
	hidden := []string{st.Token.RefreshToken, st.Token.UserName, st.Token.ClientID}
	var checked int
	for _, accountID := range []string{"", "acct-42"} {
		for _, keys := range renames {
			for _, formats := range formatSets {
				for name, value := range TargetData(targetSpec(accountID, keys, formats...), st.ForTarget()) {
					for _, s := range hidden {
						if strings.Contains(name, s) || bytes.Contains(value, []byte(s)) {
							t.Errorf("account %q, keys %v, formats %v: %s shows %q", accountID, keys, formats, name, s)
						}
					}
					checked++
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("nothing checked")
	}
}

// TestTargetKeys: TargetKeys names what TargetData writes under fixed names (the cache's
// known keys and bound depend on it).
func TestTargetKeys(t *testing.T) {
	all := targetSpec("acct-42", nil)
	if got := slices.Sorted(maps.Keys(TargetData(all, targetState().ForTarget()))); !slices.Equal(got, slices.Sorted(slices.Values(TargetKeys()))) {
		t.Errorf("TargetData writes %v, TargetKeys says %v", got, TargetKeys())
	}
	all.Target.Formats = []authv1alpha1.TargetFormat{authv1alpha1.FormatEnv, authv1alpha1.FormatJSON}
	want := append(TargetKeys(), authv1alpha1.EnvFormatKey, authv1alpha1.JSONFormatKey)
	if got := slices.Sorted(maps.Keys(TargetData(all, targetState().ForTarget()))); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("with every format TargetData writes %v, want %v", got, want)
	}
}
