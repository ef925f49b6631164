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
	"encoding/json"
	"fmt"
	"os"
	"testing"

	lua "github.com/yuin/gopher-lua"
	"sigs.k8s.io/yaml"
)

// loadObject reads a YAML fixture into the Go values a Kubernetes object is made of in JSON
// (maps, slices, strings, float64 numbers, booleans, nil), as Argo CD holds it before handing
// it to Lua.
func loadObject(t *testing.T, path string) map[string]any {
	t.Helper()
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var obj map[string]any
	if err := json.Unmarshal(js, &obj); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return obj
}

// toLua turns a JSON-decoded value into a Lua value the way Argo CD does: an object becomes a
// table keyed by strings, a list a sequence from index 1.
func toLua(state *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case map[string]any:
		table := state.CreateTable(0, len(v))
		for key, item := range v {
			table.RawSetString(key, toLua(state, item))
		}
		return table
	case []any:
		table := state.CreateTable(len(v), 0)
		for _, item := range v {
			table.Append(toLua(state, item))
		}
		return table
	case string:
		return lua.LString(v)
	case float64:
		return lua.LNumber(v)
	case bool:
		return lua.LBool(v)
	case nil:
		return lua.LNil
	}
	panic(fmt.Sprintf("toLua: %T is not a JSON-decoded value", v))
}

// fromLua turns what a script returned back into JSON-decoded values, to compare with a
// fixture. A table with the keys 1..n is a list; one with string keys an object. An empty
// table is ambiguous (Argo CD settles it against the object it sent); the fixtures hold no
// empty objects or lists, so here it is an object.
func fromLua(v lua.LValue) (any, error) {
	switch v := v.(type) {
	case *lua.LTable:
		if n := v.Len(); n > 0 {
			return listFromLua(v, n)
		}
		return objectFromLua(v)
	case lua.LString:
		return string(v), nil
	case lua.LNumber:
		return float64(v), nil
	case lua.LBool:
		return bool(v), nil
	case *lua.LNilType:
		return nil, nil
	}
	return nil, fmt.Errorf("a Lua %s has no JSON form", v.Type())
}

func listFromLua(table *lua.LTable, n int) ([]any, error) {
	keys := 0
	table.ForEach(func(lua.LValue, lua.LValue) { keys++ })
	if keys != n {
		return nil, fmt.Errorf("a table with both list and object keys has no JSON form")
	}
	list := make([]any, n)
	for i := range list {
		item, err := fromLua(table.RawGetInt(i + 1))
		if err != nil {
			return nil, err
		}
		list[i] = item
	}
	return list, nil
}

func objectFromLua(table *lua.LTable) (map[string]any, error) {
	obj := map[string]any{}
	var err error
	table.ForEach(func(key, value lua.LValue) {
		name, ok := key.(lua.LString)
		if !ok {
			err = fmt.Errorf("a table key %v (%s) has no JSON form", key, key.Type())
		}
		if err != nil {
			return
		}
		obj[string(name)], err = fromLua(value)
	})
	return obj, err
}
