// Package jsonscan reads a few fields of a JSON document without decoding
// it: the provider meters read usage, model and ids from bodies the SDK
// decodes in full anyway, and a second encoding/json decode of every reply
// cost the caller more than the rest of a meter together (the A/B
// benchmarks beside each meter show it). Each meter keeps a test holding
// its scan to the same answers as a full decode.
package jsonscan

import (
	"bytes"
	"encoding/json"
)

// Keys calls visit for each object key of the JSON document p, in
// order, with the key's raw bytes, its depth (1 for the keys of the
// top-level object; arrays count as a level too, so the keys of an object
// in a top-level member's array are at 3) and the bytes from its value on
// (to the end of p); visit returns false to
// stop. Keys returns false when stopped or when p is cut short inside a
// string.
func Keys(p []byte, visit func(key []byte, depth int, value []byte) bool) bool {
	depth := 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case '"':
			end := stringEnd(p[i+1:])
			if end < 0 {
				return false
			}
			s := p[i+1 : i+1+end]
			j := SkipSpace(p, i+end+2)
			i += end + 1
			if j < len(p) && p[j] == ':' {
				v := SkipSpace(p, j+1)
				if !visit(s, depth, p[v:]) {
					return false
				}
				i = v - 1
			}
		}
	}
	return true
}

// SkipSpace is the index of the first byte from i on that is not JSON
// whitespace.
func SkipSpace(p []byte, i int) int {
	for i < len(p) && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r') {
		i++
	}
	return i
}

// stringEnd is the index of the quote closing the JSON string whose body
// starts s, or -1.
func stringEnd(s []byte) int {
	// Keys and short values end within a few bytes: a plain loop finds
	// their end sooner than a call to IndexByte, which wins on long text.
	for i := 0; i < len(s) && i < 16; i++ {
		switch s[i] {
		case '"':
			return i
		case '\\':
			return stringEndLong(s)
		}
	}
	return stringEndLong(s)
}

// stringEndLong is stringEnd by IndexByte, for long strings and escapes.
func stringEndLong(s []byte) int {
	for i := 0; ; {
		q := bytes.IndexByte(s[i:], '"')
		if q < 0 {
			return -1
		}
		q += i
		bs := 0
		for k := q - 1; k >= 0 && s[k] == '\\'; k-- {
			bs++
		}
		if bs%2 == 0 {
			return q
		}
		i = q + 1
	}
}

// String decodes the JSON string value starts with ("" if it is not
// one).
func String(value []byte) string {
	if len(value) == 0 || value[0] != '"' {
		return ""
	}
	end := stringEnd(value[1:])
	if end < 0 {
		return ""
	}
	raw := value[1 : 1+end]
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw)
	}
	var s string
	_ = json.Unmarshal(value[:end+2], &s)
	return s
}

// StringLen is the raw length of the JSON string value starts with
// (escapes counted as written); false if value is not a terminated string.
func StringLen(value []byte) (int64, bool) {
	if len(value) == 0 || value[0] != '"' {
		return 0, false
	}
	end := stringEnd(value[1:])
	return int64(end), end >= 0
}

// IsNull says value starts with null.
func IsNull(value []byte) bool { return bytes.HasPrefix(value, []byte("null")) }

// Int reads the JSON integer (or null, as 0) value starts with; false
// for any other number.
func Int(value []byte) (int64, bool) {
	if IsNull(value) {
		return 0, true
	}
	var n int64
	i := 0
	for ; i < len(value) && '0' <= value[i] && value[i] <= '9' && i < 18; i++ {
		n = n*10 + int64(value[i]-'0')
	}
	if i == 0 || i < len(value) && (value[i] == '.' || value[i] == 'e' || value[i] == 'E' || '0' <= value[i] && value[i] <= '9') {
		return 0, false
	}
	return n, true
}

// Elements calls visit with each element of the JSON array value starts
// with (from the element on); visit returns false to stop. It returns
// false when stopped, when value is not an array, or when it is cut short.
func Elements(value []byte, visit func(elem []byte) bool) bool {
	if len(value) == 0 || value[0] != '[' {
		return false
	}
	i := SkipSpace(value, 1)
	for i < len(value) {
		if value[i] == ']' {
			return true
		}
		n := valueEnd(value[i:])
		if n < 0 || !visit(value[i:i+n]) {
			return false
		}
		i = SkipSpace(value, i+n)
		if i < len(value) && value[i] == ',' {
			i = SkipSpace(value, i+1)
		}
	}
	return false
}

// valueEnd is the length of the JSON value v starts with, or -1.
func valueEnd(v []byte) int {
	switch v[0] {
	case '{', '[':
		depth := 0
		for i := 0; i < len(v); i++ {
			switch v[i] {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			case '"':
				end := stringEnd(v[i+1:])
				if end < 0 {
					return -1
				}
				i += end + 1
			}
		}
		return -1
	case '"':
		if end := stringEnd(v[1:]); end >= 0 {
			return end + 2
		}
		return -1
	}
	for i, c := range v {
		if c == ',' || c == ']' || c == '}' || c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			return i
		}
	}
	return len(v)
}
