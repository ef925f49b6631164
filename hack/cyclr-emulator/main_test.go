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
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
	"github.com/cyclr-operator/cyclr-token-operator/internal/testenv"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    config
		wantErr string // substring; "" means success
	}{
		{name: "defaults", want: config{listen: "127.0.0.1:8089", lifetime: 2 * time.Minute}},
		{name: "everything",
			args: []string{"--listen", "[::1]:9000", "--lifetime", "30s",
				"--partner", "pc:alice:pa:ss", "--partner", "pc:bob:pw2", "--client", "cc:s:e:c",
				"--account", "a1", "--account", "a2"},
			want: config{listen: "[::1]:9000", lifetime: 30 * time.Second,
				partners: []partner{{"pc", "alice", "pa:ss"}, {"pc", "bob", "pw2"}},
				clients:  []client{{"cc", "s:e:c"}}, accounts: []string{"a1", "a2"}}},
		{name: "localhost", args: []string{"--listen", "localhost:1"},
			want: config{listen: "localhost:1", lifetime: 2 * time.Minute}},
		{name: "all interfaces", args: []string{"--listen", ":8089"}, wantErr: "non-loopback"},
		{name: "public address", args: []string{"--listen", "10.0.0.1:8089"}, wantErr: "non-loopback"},
		{name: "no port", args: []string{"--listen", "127.0.0.1"}, wantErr: "--listen"},
		{name: "all interfaces when allowed", args: []string{"--listen", ":8089", "--allow-non-loopback"},
			want: config{listen: ":8089", allowNonLoopback: true, lifetime: 2 * time.Minute}},
		{name: "tls certificate without key", args: []string{"--tls-cert-file", "c.pem"}, wantErr: "go together"},
		{name: "partner without password", args: []string{"--partner", "pc:alice"}, wantErr: "--partner #1"},
		{name: "partner with empty field", args: []string{"--partner", "pc::secret-pw"}, wantErr: "--partner #1"},
		{name: "client without secret", args: []string{"--client", "cc"}, wantErr: "--client #1"},
		{name: "empty account", args: []string{"--account", ""}, wantErr: "--account #1"},
		{name: "lifetime too short", args: []string{"--lifetime", "10ms"}, wantErr: "--lifetime"},
		{name: "positional argument", args: []string{"serve"}, wantErr: "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFlags(tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "secret-pw") {
					t.Errorf("error %q shows a password", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.listen != tt.want.listen || got.allowNonLoopback != tt.want.allowNonLoopback || got.lifetime != tt.want.lifetime ||
				!slices.Equal(got.partners, tt.want.partners) || !slices.Equal(got.clients, tt.want.clients) ||
				!slices.Equal(got.accounts, tt.want.accounts) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRunServesAndStops(t *testing.T) {
	const pw = "pw-SECRET-run"
	cfg, err := parseFlags([]string{"--partner", "pc:alice:" + pw, "--account", "a1"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var logs testenv.LogBuffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg, ln, slog.New(slog.NewTextHandler(&logs, nil))) }()

	apiURL := "http://" + ln.Addr().String()
	tok, err := cyclr.NewClient(cyclr.Options{}).Token(context.Background(), cyclr.Request{
		APIURL: apiURL, Grant: cyclr.GrantPassword, ClientID: "pc", Username: "alice", Password: pw, AccountID: "a1",
	})
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	req, _ := http.NewRequest(http.MethodGet, apiURL+"/v1.0/accounts", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /v1.0/accounts: HTTP %d", resp.StatusCode)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v, want a clean stop", err)
	}
	out := logs.String()
	for _, want := range []string{"grant=password outcome=success", "path=/v1.0/accounts status=200", "stopped"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{pw, tok.AccessToken, tok.RefreshToken} {
		if strings.Contains(out, secret) {
			t.Errorf("log shows a secret:\n%s", out)
		}
	}
}
