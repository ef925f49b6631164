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
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr/cyclrtest"
)

// adminHandler serves the emulator's controls under /emulator/, so that a check driving the
// operator from outside (kubectl apply against a real API server) can count what Cyclr
// received and inject the faults the tests inject in-process:
//
//	GET  /emulator/stats                  {"requests":3,"counts":{"password/success":2,...}}
//	POST /emulator/fail                   {"count":2,"status":503,"retryAfter":"5","delay":"20s",
//	                                       "contentType":"text/html","body":"<html>..."}
//	POST /emulator/lifetime?d=30s         lifetime of tokens issued from now on
//	POST /emulator/revoke-refresh-tokens  every outstanding refresh token stops working
//	POST /emulator/revoke-all             every access and refresh token stops working
//	POST /emulator/reset                  zero the counters
//
// The emulator listens on loopback only; these controls hold no secret.
func adminHandler(e *cyclrtest.Emulator) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /emulator/stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"requests": e.Requests(), "counts": e.Counts()})
	})
	mux.HandleFunc("POST /emulator/fail", func(w http.ResponseWriter, r *http.Request) {
		f, n, err := decodeFault(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		e.FailNext(n, f)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /emulator/lifetime", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("d"))
		if err != nil || d < time.Second {
			http.Error(w, "want ?d=<duration of at least 1s>", http.StatusBadRequest)
			return
		}
		e.SetLifetime(d)
		w.WriteHeader(http.StatusNoContent)
	})
	for path, action := range map[string]func(){
		"/emulator/revoke-refresh-tokens": e.RevokeRefreshTokens,
		"/emulator/revoke-all":            e.RevokeAll,
		"/emulator/reset":                 e.Reset,
	} {
		mux.HandleFunc("POST "+path, func(w http.ResponseWriter, _ *http.Request) {
			action()
			w.WriteHeader(http.StatusNoContent)
		})
	}
	mux.Handle("/", e)
	return mux
}

func decodeFault(r *http.Request) (cyclrtest.Fault, int, error) {
	var in struct {
		Count       int    `json:"count"`
		Status      int    `json:"status"`
		RetryAfter  string `json:"retryAfter"`
		Delay       string `json:"delay"`
		ContentType string `json:"contentType"`
		Body        string `json:"body"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 4<<20)).Decode(&in); err != nil {
		return cyclrtest.Fault{}, 0, fmt.Errorf("want a JSON fault: %w", err)
	}
	if in.Count < 1 {
		in.Count = 1
	}
	f := cyclrtest.Fault{Status: in.Status, RetryAfter: in.RetryAfter, ContentType: in.ContentType, Body: in.Body}
	if in.Delay != "" {
		d, err := time.ParseDuration(in.Delay)
		if err != nil {
			return cyclrtest.Fault{}, 0, fmt.Errorf("delay: %w", err)
		}
		f.Delay = d
	}
	return f, in.Count, nil
}
