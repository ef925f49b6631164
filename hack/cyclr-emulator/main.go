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

// Command cyclr-emulator serves the Cyclr token endpoint emulator of
// internal/cyclr/cyclrtest on a loopback address, for the local demo:
//
//	go run ./hack/cyclr-emulator --partner demo-client:demo-user:demo-pass --account demo-account
//
// It logs one line per request (grant and outcome, never a secret), serves
// controls under /emulator/ (request counts, fault injection, revocation; see
// admin.go) for checks that drive the operator from outside, and stops cleanly
// on SIGINT or SIGTERM. make e2e runs it in a pod: over TLS (--tls-cert-file,
// --tls-key-file) and, inside the test cluster's own network, on all
// interfaces (--allow-non-loopback).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr/cyclrtest"
)

const shutdownTimeout = 5 * time.Second

type partner struct{ clientID, username, password string }

type client struct{ clientID, secret string }

type config struct {
	listen string
	// allowNonLoopback accepts a --listen address other machines may reach.
	allowNonLoopback bool
	// tlsCert and tlsKey are PEM files; with them the emulator serves https.
	tlsCert, tlsKey string
	lifetime        time.Duration
	partners        []partner
	clients         []client
	accounts        []string
}

// listFlag collects a repeatable flag. It accepts every value so that the
// flag package never echoes one (they hold passwords) in an error; the values
// are checked after parsing.
type listFlag []string

func (l *listFlag) String() string     { return fmt.Sprint(len(*l), " values") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func parseFlags(args []string, output io.Writer) (config, error) {
	cfg := config{}
	var partners, clients, accounts listFlag
	fs := flag.NewFlagSet("cyclr-emulator", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&cfg.listen, "listen", "127.0.0.1:8089", "loopback address to listen on")
	fs.BoolVar(&cfg.allowNonLoopback, "allow-non-loopback", false,
		"accept a non-loopback --listen address: only inside a network of its own, such as make e2e's test cluster")
	fs.StringVar(&cfg.tlsCert, "tls-cert-file", "", "PEM certificate (chain) to serve https with; needs --tls-key-file")
	fs.StringVar(&cfg.tlsKey, "tls-key-file", "", "PEM private key of --tls-cert-file")
	fs.DurationVar(&cfg.lifetime, "lifetime", 2*time.Minute, "lifetime of issued tokens")
	fs.Var(&partners, "partner", "clientID:username:password of a password-grant user (repeatable)")
	fs.Var(&clients, "client", "clientID:secret of a client_credentials client (repeatable)")
	fs.Var(&accounts, "account", "account ID accepted for account tokens (repeatable)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if cfg.lifetime < time.Second {
		return config{}, errors.New("--lifetime must be at least 1s")
	}
	if (cfg.tlsCert == "") != (cfg.tlsKey == "") {
		return config{}, errors.New("--tls-cert-file and --tls-key-file go together")
	}
	if !cfg.allowNonLoopback {
		if err := checkLoopback(cfg.listen); err != nil {
			return config{}, err
		}
	}
	for i, v := range partners {
		f, ok := splitN(v, 3)
		if !ok {
			return config{}, fmt.Errorf("--partner #%d: want clientID:username:password", i+1)
		}
		cfg.partners = append(cfg.partners, partner{f[0], f[1], f[2]})
	}
	for i, v := range clients {
		f, ok := splitN(v, 2)
		if !ok {
			return config{}, fmt.Errorf("--client #%d: want clientID:secret", i+1)
		}
		cfg.clients = append(cfg.clients, client{f[0], f[1]})
	}
	for i, v := range accounts {
		if v == "" {
			return config{}, fmt.Errorf("--account #%d: empty", i+1)
		}
		cfg.accounts = append(cfg.accounts, v)
	}
	return cfg, nil
}

// splitN splits v at the first n-1 colons (the last field, a password or
// secret, may contain colons) and reports whether it got n non-empty fields.
func splitN(v string, n int) ([]string, bool) {
	f := strings.SplitN(v, ":", n)
	if len(f) != n {
		return nil, false
	}
	if slices.Contains(f, "") {
		return nil, false
	}
	return f, true
}

// checkLoopback refuses addresses other machines could reach: the emulator
// hands out tokens to anyone who knows the demo passwords.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return nil
	}
	return fmt.Errorf("--listen %q: refusing a non-loopback address", addr)
}

// run serves the emulator on ln until ctx ends, then shuts down gracefully.
func run(ctx context.Context, cfg config, ln net.Listener, logger *slog.Logger) error {
	e := cyclrtest.NewHandler(cyclrtest.WithLifetime(cfg.lifetime), cyclrtest.WithLogger(logger))
	for _, p := range cfg.partners {
		e.AddPartner(p.clientID, p.username, p.password)
	}
	for _, c := range cfg.clients {
		e.AddClient(c.clientID, c.secret)
	}
	for _, a := range cfg.accounts {
		e.AddAccount(a)
	}
	srv := &http.Server{Handler: adminHandler(e), ReadHeaderTimeout: 10 * time.Second}
	scheme := "http"
	if cfg.tlsCert != "" {
		scheme = "https"
	}
	logger.Info("cyclr emulator listening", "url", scheme+"://"+ln.Addr().String(), "lifetime", cfg.lifetime,
		"partners", len(cfg.partners), "clients", len(cfg.clients), "accounts", len(cfg.accounts))

	served := make(chan error, 1)
	go func() {
		if cfg.tlsCert != "" {
			served <- srv.ServeTLS(ln, cfg.tlsCert, cfg.tlsKey)
			return
		}
		served <- srv.Serve(ln)
	}()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	logger.Info("cyclr emulator stopped")
	return nil
}

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err == nil {
		err = listenAndRun(cfg)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cyclr-emulator:", err)
		os.Exit(1)
	}
}

func listenAndRun(cfg config) error {
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, cfg, ln, slog.New(slog.NewTextHandler(os.Stderr, nil)))
}
