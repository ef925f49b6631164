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

// Command consumer is make e2e's token consumer: every -interval it calls -url with the
// Authorization value the operator wrote, read either from a file of the mounted target Secret
// (read again at every call, as a real consumer should) or from an environment variable (fixed
// at container start: such a consumer needs spec.rolloutRestartTargets). Each call logs one line
//
//	call status=200 token=1a2b3c4d
//
// where token is a fingerprint of the value used (never the value), so that the test can tell
// from the pod's log when a new token arrived and how many calls failed in between.
package main

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	url := flag.String("url", "", "authenticated endpoint to call (required)")
	caFile := flag.String("ca-file", "", "PEM CA bundle that signed the endpoint's certificate (required)")
	tokenFile := flag.String("authorization-file", "", "file holding the Authorization header value")
	tokenEnv := flag.String("authorization-env", "", "environment variable holding the Authorization header value")
	interval := flag.Duration("interval", time.Second, "time between calls")
	flag.Parse()
	if err := run(*url, *caFile, *tokenFile, *tokenEnv, *interval); err != nil {
		fmt.Fprintln(os.Stderr, "consumer:", err)
		os.Exit(1)
	}
}

func run(url, caFile, tokenFile, tokenEnv string, interval time.Duration) error {
	if url == "" || caFile == "" || (tokenFile == "") == (tokenEnv == "") {
		return errors.New("want -url, -ca-file and one of -authorization-file, -authorization-env")
	}
	client, err := clientTrusting(caFile)
	if err != nil {
		return err
	}
	authorization := func() (string, error) { return os.Getenv(tokenEnv), nil }
	if tokenFile != "" {
		authorization = func() (string, error) {
			b, err := os.ReadFile(tokenFile)
			return string(b), err
		}
	}
	for tick := time.Tick(interval); ; <-tick {
		value, err := authorization()
		if err != nil {
			fmt.Printf("call error=%q\n", err)
			continue
		}
		fmt.Printf("call status=%s token=%s\n", call(client, url, value), fingerprint(value))
	}
}

func clientTrusting(caFile string) (*http.Client, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("reading the CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
	}
	return &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}, nil
}

// call returns the HTTP status of one GET, or "error" when there was no answer.
func call(client *http.Client, url, authorization string) string {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return "error"
	}
	req.Header.Set("Authorization", strings.TrimSpace(authorization))
	resp, err := client.Do(req)
	if err != nil {
		return "error"
	}
	_ = resp.Body.Close()
	return fmt.Sprint(resp.StatusCode)
}

// fingerprint names a token without showing it; "none" when there is none yet.
func fingerprint(value string) string {
	if strings.TrimSpace(value) == "" {
		return "none"
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(value)))
	return hex.EncodeToString(sum[:4])
}
