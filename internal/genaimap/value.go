package genaimap

import (
	"strconv"

	"go.opentelemetry.io/otel/attribute"
)

// valueKind is the type of one attribute value.
type valueKind uint8

const (
	kindNone valueKind = iota
	kindString
	kindInt
	kindFloat
	kindBool
)

// Value is one attribute value as the rules read it. Each span type turns
// its own attribute values into Values (String, Int, Float, Bool); values
// of other types (arrays, maps, bytes) are the zero Value, which the rules
// ignore.
type Value struct {
	s    string
	n    int64
	f    float64
	kind valueKind
}

// String is a string attribute value.
func String(s string) Value { return Value{s: s, kind: kindString} }

// Int is an integer attribute value.
func Int(n int64) Value { return Value{n: n, kind: kindInt} }

// Float is a floating-point attribute value.
func Float(f float64) Value { return Value{f: f, kind: kindFloat} }

// Bool is a boolean attribute value.
func Bool(b bool) Value {
	v := Value{kind: kindBool}
	if b {
		v.n = 1
	}
	return v
}

// str is v if it is a string, else "".
func (v *Value) str() string {
	if v.kind == kindString {
		return v.s
	}
	return ""
}

// boolean reads a flag whatever type the emitter used.
func (v *Value) boolean() bool {
	switch v.kind {
	case kindBool, kindInt:
		return v.n != 0
	case kindString:
		b, _ := strconv.ParseBool(v.s)
		return b
	}
	return false
}

// count reads a token count whatever type the emitter used; negative
// counts are 0.
func (v *Value) count() (int64, bool) {
	var n int64
	switch v.kind {
	case kindInt:
		n = v.n
	case kindFloat:
		n = int64(v.f)
	case kindString:
		var err error
		if n, err = strconv.ParseInt(v.s, 10, 64); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	return max(n, 0), true
}

// OTelValue converts an OpenTelemetry SDK attribute value.
func OTelValue(v *attribute.Value) Value {
	switch v.Type() {
	case attribute.STRING:
		return String(v.AsString())
	case attribute.INT64:
		return Int(v.AsInt64())
	case attribute.FLOAT64:
		return Float(v.AsFloat64())
	case attribute.BOOL:
		return Bool(v.AsBool())
	}
	return Value{}
}

// ScanOTel adds every attribute of an OpenTelemetry SDK span to f.
func (f *Facts) ScanOTel(attrs []attribute.KeyValue) {
	for i := range attrs {
		f.Add(string(attrs[i].Key), OTelValue(&attrs[i].Value))
	}
}
