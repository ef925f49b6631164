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

package testenv

import (
	"fmt"
	"net/url"

	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr"
)

// AnyLoopbackHost allows every loopback apiURL, whatever its port: the suites start emulators
// on random ports after the manager. Tests of the allow-list itself use a real
// cyclr.HostPolicy instead.
var AnyLoopbackHost anyLoopback

type anyLoopback struct{}

func (anyLoopback) Check(apiURL string) error {
	if u, err := url.Parse(apiURL); err == nil && cyclr.IsLoopback(u.Hostname()) {
		return nil
	}
	return fmt.Errorf("%w: the test suites allow loopback hosts only", cyclr.ErrHostNotAllowed)
}
