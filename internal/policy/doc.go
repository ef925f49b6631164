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

// Package policy holds the operator's decisions as pure functions of their inputs: whether
// and how to obtain a token (Decide), when to refresh it (RefreshTime), how long to back off
// (RetryDelay), what a failure means (Classify), what the stored state and the login say
// (StateFromSecret, Fingerprint, LoginFromSecret), whether a spec keeps to the tenant
// boundary (CheckSpec), what the target Secret holds (TargetData),
// and the status a reconcile leads to (NextStatus, RequeueAfter, PendingRollout).
//
// It does no I/O and reads no clock: every function takes "now" and the objects it decides
// on as arguments, so it is tested with plain table tests in milliseconds. imports_test.go
// keeps it that way: the package may import only an allow-list of packages (no context, net,
// os, client-go or controller-runtime), and of internal/cyclr only its value and error types,
// never its HTTP client. docs/design.md, "Decisions", lists the invariants.
package policy
