package node

import (
	"encoding/json"
	"fmt"
	"github.com/glomers/glomers/internal/wire"
	"reflect"
	"slices"
	"strings"
	"sync"
)

var interfaceTypes sync.Map // reflect.Type → bool, final answers only

// holdsInterface reports whether decoding into t can create an interface
// value (any), where encoding/json would pick float64 for numbers. visiting
// holds the types being walked, so that a recursive type ends the walk.
func holdsInterface(t reflect.Type, visiting map[reflect.Type]bool) bool {
	if t == nil {
		return true
	}
	if v, ok := interfaceTypes.Load(t); ok {
		return v.(bool)
	}
	if visiting[t] {
		return false // whatever t holds is decided where its walk began
	}
	if visiting == nil {
		visiting = map[reflect.Type]bool{}
	}
	visiting[t] = true
	defer delete(visiting, t)
	var holds bool
	switch t.Kind() {
	case reflect.Interface:
		holds = true
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		holds = holdsInterface(t.Elem(), visiting)
	case reflect.Struct:
		for i := range t.NumField() {
			if holdsInterface(t.Field(i).Type, visiting) {
				holds = true
				break
			}
		}
	}
	if len(visiting) == 1 {
		interfaceTypes.Store(t, holds) // only a complete walk's answer is final
	}
	return holds
}

// field is a member a request must have, and whether it may be null: a
// pointer, an interface or raw JSON can say "nothing", any other type would
// silently decode null as its zero value.
type field struct {
	name     string
	nullable bool
}

var rawMessage = reflect.TypeFor[json.RawMessage]()

// requiredFields lists the members a request of type t must have: every
// exported field of a struct whose json tag does not say omitempty
// (embedded structs' fields included). Other types require nothing.
func requiredFields(t reflect.Type) []field {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var fields []field
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag, ok := f.Tag.Lookup("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && (!ok || name == "") {
			fields = append(fields, requiredFields(f.Type)...)
			continue
		}
		if slices.Contains(strings.Split(opts, ","), "omitempty") {
			continue
		}
		if name == "" {
			name = f.Name
		}
		k := f.Type.Kind()
		fields = append(fields, field{name, k == reflect.Pointer || k == reflect.Interface || f.Type == rawMessage})
	}
	return fields
}

// hasFields reports the first of fields that the JSON object body lacks,
// or holds null when it may not. Names match members as encoding/json
// matches them to fields: exactly, or else without regard to case. body
// must be valid JSON (Typed has decoded it already), so its members are
// walked without decoding it again.
func hasFields(body []byte, fields []field) error {
	if len(fields) == 0 {
		return nil
	}
	vals := make([][]byte, len(fields)) // each field's member, once found
	exact := make([]bool, len(fields))
	err := wire.Members(body, func(key, val []byte) {
		for i, f := range fields {
			switch {
			case string(key) == f.name:
				vals[i], exact[i] = val, true
			case !exact[i] && strings.EqualFold(string(key), f.name):
				vals[i] = val
			}
		}
	})
	if err != nil {
		return err
	}
	for i, f := range fields {
		switch {
		case vals[i] == nil:
			return fmt.Errorf("missing %q", f.name)
		case !f.nullable && string(vals[i]) == "null":
			return fmt.Errorf("%q is null", f.name)
		}
	}
	return nil
}
