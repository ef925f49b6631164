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
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// allowedImports are what the decisions may use: values, hashing and formatting. Anything
// that can reach the network, the file system, the API server or the clock is missing on
// purpose (time is here for its types and arithmetic; time.Now is refused below).
var allowedImports = map[string]bool{
	"crypto/sha256": true, "encoding/hex": true, "encoding/json": true, "errors": true, "fmt": true,
	"hash/fnv": true, "maps": true, "regexp": true, "slices": true, "strings": true, "time": true, "unicode": true, "unicode/utf8": true,
	"k8s.io/api/core/v1": true, "k8s.io/apimachinery/pkg/api/meta": true,
	"k8s.io/apimachinery/pkg/apis/meta/v1": true, "k8s.io/apimachinery/pkg/types": true,
	"github.com/cyclr-operator/cyclr-token-operator/api/v1alpha1":   true,
	"github.com/cyclr-operator/cyclr-token-operator/internal/cyclr": true,
}

// allowedCyclr are the names of internal/cyclr the decisions may use: its value and error
// types and pure helpers, never Client or NewClient.
var allowedCyclr = map[string]bool{
	"Token": true, "Request": true, "Grant": true, "GrantPassword": true, "GrantRefreshToken": true,
	"GrantClientCredentials": true, "AuthError": true, "UnavailableError": true, "InvalidResponseError": true,
	"Result": true, "ResultSuccess": true, "ResultAuthError": true, "ResultUnavailable": true,
	"ResultInvalidResponse": true, "MaxRetryAfter": true, "CheckAPIURL": true, "ErrInvalidRequest": true,
}

// forbiddenCalls read the real clock or the environment.
var forbiddenCalls = map[string]bool{"time.Now": true, "time.Since": true, "time.Until": true,
	"time.Sleep": true, "time.After": true, "time.NewTimer": true, "time.Tick": true}

func TestPolicyDoesNoIO(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var checked int
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		local := map[string]string{} // local name -> import path
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if !allowedImports[path] {
				t.Errorf("%s imports %q: the policy package does no I/O (see doc.go)", name, path)
			}
			short := path[strings.LastIndex(path, "/")+1:]
			if imp.Name != nil {
				short = imp.Name.Name
			}
			local[short] = path
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pkg, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			switch path := local[pkg.Name]; {
			case path == "github.com/cyclr-operator/cyclr-token-operator/internal/cyclr" && !allowedCyclr[sel.Sel.Name]:
				t.Errorf("%s: uses cyclr.%s; the policy package may use cyclr's types only", fset.Position(sel.Pos()), sel.Sel.Name)
			case path == "time" && forbiddenCalls["time."+sel.Sel.Name]:
				t.Errorf("%s: calls time.%s; take now as an argument", fset.Position(sel.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
	if checked == 0 {
		t.Fatal("no source files checked")
	}
}
