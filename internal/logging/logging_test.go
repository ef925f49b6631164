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

package logging

import (
	"testing"

	"go.uber.org/zap/zapcore"
)

func TestCapped(t *testing.T) {
	cases := []struct {
		name  string
		inner zapcore.LevelEnabler
		level zapcore.Level
		want  bool
	}{
		{"default allows info", nil, zapcore.InfoLevel, true},
		{"default hides V(1)", nil, -1, false},
		{"everything allowed still stops at V(5)", zapcore.Level(-10), -MaxVerbosity, true},
		{"client-go headers hidden", zapcore.Level(-10), -7, false},
		{"client-go bodies hidden", zapcore.Level(-10), -8, false},
		{"errors pass", zapcore.ErrorLevel, zapcore.ErrorLevel, true},
		{"inner level still applies", zapcore.ErrorLevel, zapcore.InfoLevel, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Capped(tc.inner).Enabled(tc.level); got != tc.want {
				t.Errorf("Enabled(%d) = %v, want %v", tc.level, got, tc.want)
			}
		})
	}
}
