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

package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr/cyclrtest"
)

// TestAdminControls drives the emulator's controls over HTTP as an outside check would, and
// proves each one through what a real token client then sees.
func TestAdminControls(t *testing.T) {
	e := cyclrtest.NewHandler()
	e.AddPartner("pc", "alice", "pw-admin-test")
	srv := httptest.NewServer(adminHandler(e))
	defer srv.Close()
	post := func(path, body string) int {
		t.Helper()
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	client := cyclr.NewClient(cyclr.Options{})
	signIn := func() (cyclr.Token, error) {
		return client.Token(context.Background(), cyclr.Request{APIURL: srv.URL, Grant: cyclr.GrantPassword,
			ClientID: "pc", Username: "alice", Password: "pw-admin-test"})
	}

	if code := post("/emulator/fail", `{"count":1,"status":503,"retryAfter":"7"}`); code != http.StatusNoContent {
		t.Fatalf("POST /emulator/fail: HTTP %d", code)
	}
	var unavailable *cyclr.UnavailableError
	if _, err := signIn(); !errors.As(err, &unavailable) || unavailable.RetryAfter != 7*time.Second {
		t.Errorf("after the fault: %v, want Cyclr unavailable with Retry-After 7s", err)
	}
	if code := post("/emulator/lifetime?d=45s", ""); code != http.StatusNoContent {
		t.Fatalf("POST /emulator/lifetime: HTTP %d", code)
	}
	tok, err := signIn()
	if err != nil {
		t.Fatal(err)
	}
	if life := tok.ExpiresAt.Sub(tok.IssuedAt); life < 44*time.Second || life > 46*time.Second {
		t.Errorf("token lifetime %s, want 45s", life)
	}
	if code := post("/emulator/revoke-all", ""); code != http.StatusNoContent || e.TokenValid(tok.AccessToken) {
		t.Errorf("POST /emulator/revoke-all: HTTP %d, token still valid: %v", code, e.TokenValid(tok.AccessToken))
	}

	resp, err := http.Get(srv.URL + "/emulator/stats")
	if err != nil {
		t.Fatal(err)
	}
	var stats struct {
		Requests int            `json:"requests"`
		Counts   map[string]int `json:"counts"`
	}
	err = json.NewDecoder(resp.Body).Decode(&stats)
	_ = resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if stats.Requests != 2 || stats.Counts["password/fault"] != 1 || stats.Counts["password/success"] != 1 {
		t.Errorf("stats %+v, want 2 requests: 1 password/fault, 1 password/success", stats)
	}
	if code := post("/emulator/reset", ""); code != http.StatusNoContent || e.Requests() != 0 {
		t.Errorf("POST /emulator/reset: HTTP %d, %d requests left", code, e.Requests())
	}

	for _, bad := range []struct{ path, body string }{
		{"/emulator/fail", "not json"},
		{"/emulator/fail", `{"delay":"soon"}`},
		{"/emulator/lifetime?d=0s", ""},
	} {
		if code := post(bad.path, bad.body); code != http.StatusBadRequest {
			t.Errorf("POST %s %q: HTTP %d, want 400", bad.path, bad.body, code)
		}
	}
}
