// Package wiretest checks by reflection that a mapping between a wire shape
// (package internal/wire) and a public type handles every field, so a field
// added to a wire struct fails a test until each mapping carries it.
//
// Fill gives every field of a value a distinct non-zero value; Leaves lists
// a value's leaf fields by JSON path with a comparable rendering of their
// values. An encoder is complete when no leaf of its wire output is zero; a
// decoder is complete when every leaf value of its wire input shows up
// among the leaves of its public output.
package wiretest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// base is when Fill's times start; each time field gets its own second.
var base = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// counter makes every value Fill writes distinct, across calls too.
var counter atomic.Int64

// Fill sets every exported field reachable from v (a pointer) to a distinct
// non-zero value: strings "s<n>" (an RFC 3339 time when the field name ends
// in "At", "Date", "Start", "End" or "From", starts with "Period" or is
// "Timestamp" or "LastHealthChange"; a
// decimal "<n>.5" for money and quantities, see decimalField, and for every
// json.Number), numbers n, booleans true, one element per slice (a JSON
// string for a json.RawMessage), one entry per map, and a new value behind
// every pointer.
func Fill(v any) {
	n := int(counter.Add(1000))
	fill(reflect.ValueOf(v).Elem(), "", &n)
}

func fill(v reflect.Value, name string, n *int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		switch {
		case v.Type() == reflect.TypeFor[json.Number]():
			// Entitlement limits and usage travel as JSON numbers.
			v.SetString(strconv.Itoa(*n) + ".5")
		case strings.HasSuffix(name, "At") || name == "Timestamp" || strings.HasPrefix(name, "Period") || name == "LastHealthChange" ||
			isTimeName(name):
			v.SetString(base.Add(time.Duration(*n) * time.Second).Format(time.RFC3339))
		case decimalField(name):
			v.SetString(strconv.Itoa(*n) + ".5")
		case name == "LastAlertLevel":
			v.SetString(strconv.Itoa(*n))
		default:
			v.SetString("s" + strconv.Itoa(*n))
		}
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if v.Type() == reflect.TypeFor[time.Duration]() {
			v.SetInt(int64(*n) * int64(time.Millisecond))
		} else {
			v.SetInt(int64(*n))
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(*n) + 0.5)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), name, n)
		v.Set(p)
	case reflect.Slice:
		if v.Type() == reflect.TypeFor[json.RawMessage]() {
			// Raw JSON (a webhook event's data) must stay valid JSON.
			v.SetBytes([]byte(strconv.Quote("r" + strconv.Itoa(*n))))
			return
		}
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0), name, n)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		fill(k, "", n)
		e := reflect.New(v.Type().Elem()).Elem()
		if e.Kind() == reflect.Interface {
			e.Set(reflect.ValueOf("m" + strconv.Itoa(*n)))
		} else {
			fill(e, "", n)
		}
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(base.Add(time.Duration(*n) * time.Second)))
			return
		}
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				fill(v.Field(i), f.Name, n)
			}
		}
	case reflect.Interface:
		v.Set(reflect.ValueOf("i" + strconv.Itoa(*n)))
	}
}

// decimalField reports whether a wire string field named name holds a
// decimal number (money, quantities): Fill writes "<n>.5" there, which the
// public side parses.
func decimalField(name string) bool {
	for _, suffix := range []string{"Usdc", "Usd", "CostUnits", "Token", "Price", "Quantity", "LimitValue", "CurrentUsage"} {
		if strings.HasSuffix(name, suffix) {
			return true
		}
	}
	return name == "Balance"
}

// Leaves calls fn for each leaf field of v with its path (JSON names where
// a field has a json tag, else Go names; slice elements as path[], map
// entries as path.key) and its value rendered so that a wire value and its
// public mapping compare equal: times as RFC 3339 in UTC, durations as
// milliseconds, numbers in decimal. A zero leaf is rendered "".
func Leaves(v any, fn func(path, value string)) {
	leaves(reflect.ValueOf(v), "", fn)
}

func leaves(v reflect.Value, path string, out func(path, value string)) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			out(path, "")
			return
		}
		leaves(v.Elem(), path, out)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			out(path, string(v.Bytes()))
			return
		}
		if v.Len() == 0 {
			out(path+"[]", "")
		}
		for i := range v.Len() {
			leaves(v.Index(i), path+"[]", out)
		}
	case reflect.Map:
		if v.Len() == 0 {
			out(path+"{}", "")
		}
		for _, k := range v.MapKeys() {
			leaves(v.MapIndex(k), path+"."+fmt.Sprint(k.Interface()), out)
		}
	case reflect.Struct:
		if t, ok := v.Interface().(time.Time); ok {
			if !t.IsZero() {
				out(path, t.UTC().Format(time.RFC3339))
			} else {
				out(path, "")
			}
			return
		}
		if st, ok := v.Interface().(fmt.Stringer); ok && !hasExported(v.Type()) {
			// An opaque value such as drip.Decimal: compare its text.
			if v.IsZero() {
				out(path, "")
			} else {
				out(path, st.String())
			}
			return
		}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			name := f.Name
			if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag != "" && tag != "-" {
				name = tag
			}
			if path != "" {
				name = path + "." + name
			}
			leaves(v.Field(i), name, out)
		}
	default:
		out(path, render(v))
	}
}

func hasExported(t reflect.Type) bool {
	for i := range t.NumField() {
		if t.Field(i).IsExported() {
			return true
		}
	}
	return false
}

func render(v reflect.Value) string {
	if v.IsZero() {
		return ""
	}
	switch v.Kind() {
	case reflect.Int64:
		if v.Type() == reflect.TypeFor[time.Duration]() {
			return strconv.FormatInt(time.Duration(v.Int()).Milliseconds(), 10)
		}
	case reflect.String:
		// A time the public side parsed renders as RFC 3339 in UTC.
		if t, err := time.Parse(time.RFC3339Nano, v.String()); err == nil {
			return t.UTC().Format(time.RFC3339)
		}
	}
	return fmt.Sprint(v.Interface())
}

// Zero returns the paths of the leaves of wire that are zero, but for
// those in ignore: the wire fields an encoder left unset.
func Zero(wire any, ignore ...string) []string {
	var out []string
	Leaves(wire, func(p, val string) {
		if val == "" && !ignored(p, ignore) && !slices.Contains(out, p) {
			out = append(out, p)
		}
	})
	return out
}

// Lost returns the paths of the leaves of wire whose values appear nowhere
// among the leaves of public, but for those in ignore: the wire fields a
// decoder dropped. Values are counted, so that of several wire fields
// sharing a value (booleans are all true) public must carry as many: when
// it carries fewer, the path reported is the last of them.
func Lost(wire, public any, ignore ...string) []string {
	have := map[string]int{}
	Leaves(public, func(_, val string) { have[val]++ })
	var out []string
	Leaves(wire, func(p, val string) {
		if val == "" || ignored(p, ignore) {
			return
		}
		if have[val] == 0 && !slices.Contains(out, p) {
			out = append(out, p)
		}
		have[val]--
	})
	return out
}

func ignored(path string, ignore []string) bool {
	for _, p := range ignore {
		if path == p || path == p+"{}" || strings.HasPrefix(path, p+".") || strings.HasPrefix(path, p+"[]") {
			return true
		}
	}
	return false
}

// isTimeName reports the other names of time fields: dates and the bounds
// of periods (StartDate, TrialEnd, EffectiveFrom, …).
func isTimeName(name string) bool {
	for _, suffix := range []string{"Date", "Start", "End", "From"} {
		if strings.HasSuffix(name, suffix) {
			return true
		}
	}
	return false
}
