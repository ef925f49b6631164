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

package argocd

import (
	"context"
	"strings"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// testClock is the time os.date reads in the sandbox, so that what the refresh action writes
// is known in advance. Its zone is not UTC: a script that forgot os.date's "!" (UTC) prefix
// would write the local time and fail.
var testClock = time.Date(2026, 6, 3, 19, 45, 16, 0, time.FixedZone("UTC+05:30", 5*3600+30*60))

// scriptTimeout is the limit Argo CD sets on one run of a script.
const scriptTimeout = time.Second

// runScript runs script with obj as the global "obj" and returns what it returned. The LState
// is opened the way Argo CD opens one for the customizations in argocd-cm (util/lua/lua.go in
// argo-cd, with resource.customizations.useOpenLibs off, its default): only the package, base
// and table libraries, plus an os module that require("os") returns. There is no global os, no
// string library, no io: a script that reaches for them fails here as it would in Argo CD.
func runScript(ctx context.Context, script string, obj map[string]any) (lua.LValue, error) {
	state := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer state.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
	} {
		if err := state.CallByParam(lua.P{Fn: state.NewFunction(lib.open), Protect: true}, lua.LString(lib.name)); err != nil {
			return nil, err
		}
	}
	state.PreloadModule(lua.OsLibName, func(l *lua.LState) int {
		l.Push(l.SetFuncs(l.NewTable(), map[string]lua.LGFunction{"date": osDate}))
		return 1
	})
	ctx, cancel := context.WithTimeout(ctx, scriptTimeout)
	defer cancel()
	state.SetContext(ctx)
	state.SetGlobal("obj", toLua(state, obj))
	if err := state.DoString(script); err != nil {
		return nil, err
	}
	return state.Get(-1), nil
}

// osDate is os.date reading testClock, limited to what both it and Argo CD's os.date do: an
// optional "!" (UTC) prefix and the directives below. Anything else is an error here rather
// than a guess at Argo CD's output (Argo CD's has more directives and a timestamp argument).
func osDate(l *lua.LState) int {
	if l.GetTop() != 1 {
		l.RaiseError("os.date: the test sandbox takes exactly one argument, a format")
	}
	format := l.CheckString(1)
	t := testClock
	if rest, utc := strings.CutPrefix(format, "!"); utc {
		t, format = t.UTC(), rest
	}
	var out strings.Builder
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			out.WriteByte(format[i])
			continue
		}
		i++
		if i == len(format) {
			l.RaiseError("os.date: format %q ends in %%", format)
		}
		layout, ok := dateDirectives[format[i]]
		if !ok {
			l.RaiseError("os.date: %%%c is not supported by the test sandbox", format[i])
		}
		out.WriteString(t.Format(layout))
	}
	l.Push(lua.LString(out.String()))
	return 1
}

// dateDirectives are the strftime directives osDate knows, as Go time layouts; Argo CD's os.date
// maps each of them to the same layout.
var dateDirectives = map[byte]string{
	'Y': "2006", 'm': "01", 'd': "02", 'H': "15", 'M': "04", 'S': "05",
}

// TestSandboxRefusesWhatArgoCDRefuses: scripts that would fail in Argo CD's sandbox fail here,
// and require("os").date is there, reading the test clock.
func TestSandboxRefusesWhatArgoCDRefuses(t *testing.T) {
	for name, script := range map[string]string{
		"the string library":      `return string.format("%d", 1)`,
		"string methods":          `return ("x"):upper()`,
		"a global os":             `return os.date("!%Y")`,
		"the io library":          `return require("io")`,
		"os beyond date and time": `return require("os").getenv("HOME")`,
	} {
		t.Run(name, func(t *testing.T) {
			if result, err := runScript(t.Context(), script, map[string]any{}); err == nil {
				t.Errorf("%s ran and returned %v; Argo CD would fail it", script, result)
			}
		})
	}
	// Argo CD stops a script after scriptTimeout; runScript stops it at that or at the end of
	// its context, whichever comes first, so a shorter context shows it without waiting.
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := runScript(ctx, `while true do end`, map[string]any{}); err == nil {
		t.Error("an endless script was not stopped")
	}
	for script, want := range map[string]string{
		`return require("os").date("!%Y-%m-%dT%H:%M:%SZ")`: "2026-06-03T14:15:16Z",
		`return require("os").date("%Y-%m-%dT%H:%M:%S")`:   "2026-06-03T19:45:16",
	} {
		result, err := runScript(t.Context(), script, map[string]any{})
		if err != nil || result.String() != want {
			t.Errorf("%s = %v, %v; want %q", script, result, err, want)
		}
	}
}
