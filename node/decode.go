package node

import (
	"reflect"
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
