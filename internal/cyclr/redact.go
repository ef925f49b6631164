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

package cyclr

import (
	"fmt"
	"strconv"
)

// redactor is a value that can describe itself without its secrets.
type redactor interface {
	fmt.Stringer
	fmt.GoStringer
}

// formatRedacted implements fmt.Formatter for Token and Request. Defining
// Format takes every verb away from fmt's reflection (which would print the
// raw fields for %+v, %x, %d, ...) and routes it to String or GoString.
func formatRedacted(f fmt.State, verb rune, v redactor) {
	// A Formatter has no way to report a write error: fmt ignores it too.
	switch verb {
	case 'v':
		if f.Flag('#') {
			_, _ = fmt.Fprint(f, v.GoString())
			return
		}
		_, _ = fmt.Fprint(f, v.String())
	case 's':
		_, _ = fmt.Fprint(f, v.String())
	case 'q':
		_, _ = fmt.Fprint(f, strconv.Quote(v.String()))
	default:
		_, _ = fmt.Fprintf(f, "%%!%c(%s)", verb, v.String())
	}
}

// redacted stands in for a secret: it tells whether the secret is set and
// nothing else.
func redacted(secret string) string {
	if secret == "" {
		return ""
	}
	return "<redacted>"
}
