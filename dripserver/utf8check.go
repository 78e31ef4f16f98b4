package dripserver

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// checkUTF8 refuses a body with a JSON string (key or value, at any depth)
// that is not valid UTF-8 or that escapes a lone surrogate (\ud800).
// encoding/json turns either into U+FFFD, so two idempotency keys that
// differ only there would be stored as one and a real event dropped as its
// duplicate. The error names the field when the body parses far enough.
func checkUTF8(body []byte) error {
	valid := utf8.Valid(body)
	if valid && !mayEscapeSurrogate(body) {
		return nil
	}
	field, isKey, found := badString(body)
	switch {
	case found && isKey:
		where := "the body"
		if field != "" {
			where = field
		} else {
			field = "body"
		}
		return errValidation(field, "a key in %s is not valid UTF-8 (or escapes a lone surrogate)", where)
	case found:
		return errValidation(field, "%s is not valid UTF-8 (or escapes a lone surrogate)", field)
	case !valid:
		return errValidation("body", "request body is not valid UTF-8")
	}
	return nil // a surrogate escape that is part of a pair
}

// mayEscapeSurrogate reports whether body may hold a surrogate escape
// (\uD800–\uDFFF); it may say yes for a valid pair, which badString clears.
func mayEscapeSurrogate(body []byte) bool {
	for {
		i := bytes.Index(body, []byte(`\u`))
		if i < 0 || i+3 >= len(body) {
			return false
		}
		if (body[i+2] == 'd' || body[i+2] == 'D') && strings.IndexByte("89abcdefABCDEF", body[i+3]) >= 0 {
			return true
		}
		body = body[i+2:]
	}
}

// badString walks the JSON tokens of body and finds the first string that
// validString refuses: its path (e.g. "events[1].idempotencyKey"; "" for
// the top level) and whether it is an object key. found is false when there
// is none or body stops parsing first.
func badString(body []byte) (path string, isKey, found bool) {
	type frame struct {
		object    bool
		expectKey bool
		key       string
		index     int
	}
	var stack []*frame
	pathOf := func() string {
		var b strings.Builder
		for _, f := range stack {
			switch {
			case !f.object:
				b.WriteString("[" + strconv.Itoa(f.index) + "]")
			case !f.expectKey:
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			}
		}
		return b.String()
	}
	afterValue := func() {
		if len(stack) == 0 {
			return
		}
		if top := stack[len(stack)-1]; top.object {
			top.expectKey = true
		} else {
			top.index++
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var prev int64
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false, false
		}
		end := dec.InputOffset()
		raw := body[prev:end]
		prev = end
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, &frame{object: true, expectKey: true})
			case '[':
				stack = append(stack, &frame{})
			default:
				stack = stack[:len(stack)-1]
				afterValue()
			}
		case string:
			key := len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].expectKey
			// raw is the token with the separators before it.
			raw = bytes.TrimLeft(raw, " \t\r\n,:")
			if len(raw) >= 2 && !validString(raw[1:len(raw)-1]) {
				return pathOf(), key, true
			}
			if key {
				stack[len(stack)-1].key, stack[len(stack)-1].expectKey = t, false
			} else {
				afterValue()
			}
		default:
			afterValue()
		}
	}
}

// validString reports whether the inside of a JSON string literal is valid
// UTF-8 with every surrogate escape in a high-low pair.
func validString(s []byte) bool {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] == 'u':
			r, ok := hex4(s[i+2:])
			switch {
			case !ok:
				return false
			case r >= 0xD800 && r < 0xDC00:
				if i+12 > len(s) || s[i+6] != '\\' || s[i+7] != 'u' {
					return false
				}
				if lo, ok := hex4(s[i+8:]); !ok || lo < 0xDC00 || lo > 0xDFFF {
					return false
				}
				i += 12
			case r >= 0xDC00 && r <= 0xDFFF:
				return false
			default:
				i += 6
			}
		case c == '\\':
			i += 2
		case c < utf8.RuneSelf:
			i++
		default:
			r, n := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && n == 1 {
				return false
			}
			i += n
		}
	}
	return true
}

func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(string(s[:4]), 16, 16)
	return rune(n), err == nil
}
