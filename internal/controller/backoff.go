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

import "time"

// failureClass groups failures by how hard they may be retried.
type failureClass int

const (
	// failureUnavailable: Cyclr could not answer (429, 5xx, timeout, connection) or answered
	// nonsense; it will likely recover on its own, so retry soon.
	failureUnavailable failureClass = iota
	// failureAuthentication: Cyclr refused the login; retrying fast would only lock the account.
	failureAuthentication
)

type backoffPolicy struct{ base, max time.Duration }

var backoffPolicies = map[failureClass]backoffPolicy{
	failureUnavailable:    {base: 5 * time.Second, max: 5 * time.Minute},
	failureAuthentication: {base: time.Minute, max: time.Hour},
}

// maxRetryAfter caps a server's Retry-After so a broken proxy cannot park a credential for days.
const maxRetryAfter = time.Hour

// retryDelay is how long to wait after the attempts-th consecutive failure of class: the
// class's base doubled per attempt up to its max, or Cyclr's Retry-After when it gave one.
func retryDelay(class failureClass, attempts int32, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, maxRetryAfter)
	}
	p := backoffPolicies[class]
	d := p.base
	for i := int32(1); i < attempts && d < p.max; i++ {
		d *= 2
	}
	return min(d, p.max)
}
