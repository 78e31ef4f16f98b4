package mcpserver

import (
	"reflect"
	"regexp"
)

// keyPattern matches anything shaped like a Drip API key: sk_ or pk_
// (sk_live_, sk_test_, pk_live_, pk_test_ or bare) with at least seven more
// key characters, as keys are at least 10 long. The prefix must not follow
// a letter or digit, so words such as disk_usage_total are left alone.
var keyPattern = regexp.MustCompile(`(^|[^A-Za-z0-9])[sp]k_[A-Za-z0-9_-]{7,}`)

const redactedKey = "[redacted key]"

// redactKeys replaces every key-shaped token of s.
func redactKeys(s string) string {
	return keyPattern.ReplaceAllString(s, "${1}"+redactedKey)
}

// redactOut redacts every string reachable from *out (fields, slices, map
// keys and values), so no tool result can hand a key to the agent, whatever
// the server stored or echoed.
func redactOut[T any](out *T) {
	redactValue(reflect.ValueOf(out).Elem())
}

func redactValue(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			v.SetString(redactKeys(v.String()))
		}
	case reflect.Pointer:
		if !v.IsNil() {
			redactValue(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				redactValue(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			redactValue(v.Index(i))
		}
	case reflect.Interface:
		if !v.IsNil() && v.CanSet() {
			v.Set(redacted(v.Elem()))
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		for _, k := range v.MapKeys() {
			val := redacted(v.MapIndex(k))
			nk := redacted(k)
			if !nk.Equal(k) {
				v.SetMapIndex(k, reflect.Value{})
			}
			v.SetMapIndex(nk, val)
		}
	}
}

// redacted returns a redacted copy of v, which need not be settable.
func redacted(v reflect.Value) reflect.Value {
	cp := reflect.New(v.Type()).Elem()
	cp.Set(v)
	redactValue(cp)
	return cp
}
