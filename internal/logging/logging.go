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

// Package logging holds the one rule the operator's logger must keep: client-go logs whole
// request and response bodies (Secret data included) at V(8) and headers at V(7), so no
// flag may turn the operator's verbosity that high.
package logging

import "go.uber.org/zap/zapcore"

// MaxVerbosity is the most verbose V-level the operator ever emits. V(6) and beyond belong
// to client-go's wire logging, which would print Secrets.
const MaxVerbosity = 5

// Capped wraps a level so that, whatever it allows, nothing more verbose than MaxVerbosity
// gets through. A nil level means zap's default (info).
func Capped(level zapcore.LevelEnabler) zapcore.LevelEnabler {
	if level == nil {
		level = zapcore.InfoLevel
	}
	return capped{level}
}

type capped struct{ inner zapcore.LevelEnabler }

// Enabled: logr's V(n) is zap level -n.
func (c capped) Enabled(l zapcore.Level) bool {
	return l >= -MaxVerbosity && c.inner.Enabled(l)
}
