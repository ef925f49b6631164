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
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"testing"
	"time"

	authv1alpha1 "github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1"
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
)

func TestRetryDelaySequences(t *testing.T) {
	s, m := time.Second, time.Minute
	cases := []struct {
		class string
		want  []time.Duration // for attempts 1, 2, 3, ...
	}{
		{cyclr.ResultUnavailable, []time.Duration{5 * s, 10 * s, 20 * s, 40 * s, 80 * s, 160 * s, 5 * m, 5 * m, 5 * m}},
		{cyclr.ResultAuthError, []time.Duration{1 * m, 2 * m, 4 * m, 8 * m, 16 * m, 32 * m, time.Hour, time.Hour}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.class), func(t *testing.T) {
			for i, want := range tc.want {
				attempts := int32(i + 1)
				if got := RetryDelay(tc.class, attempts, 0); got != want {
					t.Errorf("attempt %d: delay %s, want %s", attempts, got, want)
				}
			}
		})
	}
}

func TestRetryDelayCapsWithoutOverflow(t *testing.T) {
	for _, attempts := range []int32{0, 40, 64, 1000, math.MaxInt32} {
		if got := RetryDelay(cyclr.ResultUnavailable, attempts, 0); got <= 0 || got > 5*time.Minute {
			t.Errorf("unavailable, attempt %d: delay %s, want within (0, 5m]", attempts, got)
		}
		if got := RetryDelay(cyclr.ResultAuthError, attempts, 0); got <= 0 || got > time.Hour {
			t.Errorf("authentication, attempt %d: delay %s, want within (0, 1h]", attempts, got)
		}
	}
	if got := RetryDelay(cyclr.ResultAuthError, 1000, 0); got != time.Hour {
		t.Errorf("authentication, attempt 1000: delay %s, want the 1h cap", got)
	}
}

func TestRetryDelayRetryAfter(t *testing.T) {
	cases := []struct {
		name       string
		result     string
		attempts   int32
		retryAfter time.Duration
		want       time.Duration
	}{
		{"honoured over the first backoff step", cyclr.ResultUnavailable, 1, 42 * time.Second, 42 * time.Second},
		{"honoured beyond the 5m backoff cap", cyclr.ResultUnavailable, 1, 20 * time.Minute, 20 * time.Minute},
		{"honoured when shorter than the backoff", cyclr.ResultUnavailable, 9, 7 * time.Second, 7 * time.Second},
		{"capped at 1h", cyclr.ResultUnavailable, 1, 3 * time.Hour, time.Hour},
		{"exactly 1h", cyclr.ResultUnavailable, 1, time.Hour, time.Hour},
		{"a week capped at 1h", cyclr.ResultAuthError, 2, 7 * 24 * time.Hour, time.Hour},
		{"zero means none", cyclr.ResultUnavailable, 3, 0, 20 * time.Second},
		{"negative means none", cyclr.ResultUnavailable, 3, -time.Minute, 20 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := RetryDelay(tc.result, tc.attempts, tc.retryAfter); got != tc.want {
				t.Errorf("retryDelay(attempt %d, Retry-After %s) = %s, want %s", tc.attempts, tc.retryAfter, got, tc.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		name       string
		err        error
		reason     string
		result     string
		retryAfter time.Duration
	}{
		{"invalid_grant", &cyclr.AuthError{Status: 400, Code: "invalid_grant"},
			authv1alpha1.ReasonAuthenticationFailed, cyclr.ResultAuthError, 0},
		{"401 wrapped", fmt.Errorf("signing in: %w", &cyclr.AuthError{Status: 401}),
			authv1alpha1.ReasonAuthenticationFailed, cyclr.ResultAuthError, 0},
		{"429 with Retry-After", &cyclr.UnavailableError{Status: 429, RetryAfter: 90 * time.Second},
			authv1alpha1.ReasonCyclrUnavailable, cyclr.ResultUnavailable, 90 * time.Second},
		{"timeout", &cyclr.UnavailableError{Err: context.DeadlineExceeded},
			authv1alpha1.ReasonCyclrUnavailable, cyclr.ResultUnavailable, 0},
		{"invalid response", &cyclr.InvalidResponseError{Status: 200, Reason: "no access_token"},
			authv1alpha1.ReasonInvalidTokenResponse, cyclr.ResultInvalidResponse, 0},
		// A request that could not be sent needs a configuration change, like refused credentials.
		{"invalid request", fmt.Errorf("%w: apiURL has no host", cyclr.ErrInvalidRequest),
			authv1alpha1.ReasonAuthenticationFailed, cyclr.ResultAuthError, 0},
		{"unknown error", &net.OpError{Op: "dial", Err: errors.New("connection refused")},
			authv1alpha1.ReasonCyclrUnavailable, cyclr.ResultUnavailable, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := Classify(tc.err)
			if !f.Attempted() || f.Reason != tc.reason || f.Result != tc.result || f.RetryAfter != tc.retryAfter {
				t.Errorf("Classify = {Reason:%s Result:%s RetryAfter:%s}, want {%s %s %s}",
					f.Reason, f.Result, f.RetryAfter, tc.reason, tc.result, tc.retryAfter)
			}
			if f.Message != tc.err.Error() {
				t.Errorf("message = %q, want the error's %q", f.Message, tc.err.Error())
			}
		})
	}
}
