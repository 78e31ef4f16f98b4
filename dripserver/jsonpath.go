package dripserver

import (
	"fmt"
	"strconv"
	"strings"
)

// The path syntax of payload mappings, a small subset of JSONPath:
//
//	$            the whole payload
//	.name        key name of an object (name: any characters but . [ ] ' ")
//	['key']      key of an object, for any key; "key" works too
//	[n]          element n of an array; a negative n counts from the end
//	[*]          each element of an array in turn: the rest of the path is
//	             taken from the first element where it is defined
//
// A path is $ followed by any number of those steps. Anything else is a
// syntax error, which ingest reports as MAPPING_FAILED naming the path.

// pathStep is one step of a parsed path.
type pathStep struct {
	kind  byte // 'k' key, 'i' index, '*' every element
	key   string
	index int
}

// parsePath parses a mapping path.
func parsePath(p string) ([]pathStep, error) {
	if !strings.HasPrefix(p, "$") {
		return nil, fmt.Errorf("a path starts with $")
	}
	var steps []pathStep
	for i := 1; i < len(p); {
		switch p[i] {
		case '.':
			j := i + 1
			for j < len(p) && !strings.ContainsRune(".[]'\"", rune(p[j])) {
				j++
			}
			if j == i+1 {
				return nil, fmt.Errorf("empty key at offset %d", i)
			}
			steps = append(steps, pathStep{kind: 'k', key: p[i+1 : j]})
			i = j
		case '[':
			end := strings.IndexByte(p[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("unclosed [ at offset %d", i)
			}
			inner := p[i+1 : i+end]
			if q := len(inner); q >= 2 && (inner[0] == '\'' || inner[0] == '"') {
				if inner[q-1] != inner[0] {
					return nil, fmt.Errorf("unterminated quoted key at offset %d", i)
				}
				key := inner[1 : q-1]
				if strings.ContainsRune(key, rune(inner[0])) {
					return nil, fmt.Errorf("quote inside a quoted key at offset %d", i)
				}
				steps = append(steps, pathStep{kind: 'k', key: key})
			} else if inner == "*" {
				steps = append(steps, pathStep{kind: '*'})
			} else {
				n, err := strconv.Atoi(inner)
				if err != nil || strings.HasPrefix(inner, "+") {
					return nil, fmt.Errorf("[%s] is neither an index, * nor a quoted key", inner)
				}
				steps = append(steps, pathStep{kind: 'i', index: n})
			}
			i += end + 1
		default:
			return nil, fmt.Errorf("unexpected %q at offset %d", p[i], i)
		}
	}
	return steps, nil
}

// evalPath returns the value steps select from v, and whether the path is
// defined there.
func evalPath(v any, steps []pathStep) (any, bool) {
	for n, st := range steps {
		switch st.kind {
		case 'k':
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[st.key]; !ok {
				return nil, false
			}
		case 'i':
			a, ok := v.([]any)
			if !ok {
				return nil, false
			}
			i := st.index
			if i < 0 {
				i += len(a)
			}
			if i < 0 || i >= len(a) {
				return nil, false
			}
			v = a[i]
		case '*':
			a, ok := v.([]any)
			if !ok {
				return nil, false
			}
			for _, el := range a {
				if got, ok := evalPath(el, steps[n+1:]); ok {
					return got, true
				}
			}
			return nil, false
		}
	}
	return v, true
}
