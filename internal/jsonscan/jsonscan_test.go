package jsonscan

import (
	"fmt"
	"strings"
	"testing"
)

func TestKeys(t *testing.T) {
	doc := `{"a":1,"b":{"c":"x\"y","d":[{"e":null}]},"f":"}"}`
	var got []string
	ok := Keys([]byte(doc), func(key []byte, depth int, value []byte) bool {
		got = append(got, fmt.Sprintf("%s@%d=%c", key, depth, value[0]))
		return true
	})
	want := `a@1=1 b@1={ c@2=" d@2=[ e@4=n f@1="`
	if !ok || strings.Join(got, " ") != want {
		t.Errorf("Keys = %v %q, want %q", ok, strings.Join(got, " "), want)
	}
	if Keys([]byte(`{"a":"cut`), func([]byte, int, []byte) bool { return true }) {
		t.Error("a document cut inside a string scanned whole")
	}
	n := 0
	if Keys([]byte(`{"a":1,"b":2}`), func([]byte, int, []byte) bool { n++; return false }) || n != 1 {
		t.Error("visit returning false did not stop the scan")
	}
}

func TestElements(t *testing.T) {
	var got []string
	ok := Elements([]byte(`[ {"a":[1,"]"]} , "s\"", 12, null,[]]`), func(el []byte) bool {
		got = append(got, string(el))
		return true
	})
	want := []string{`{"a":[1,"]"]}`, `"s\""`, `12`, `null`, `[]`}
	if !ok || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Elements = %v %q, want %q", ok, got, want)
	}
	for _, bad := range []string{`{"a":1}`, `[1,`, `[{"a":"cut`} {
		if Elements([]byte(bad), func([]byte) bool { return true }) {
			t.Errorf("Elements(%s) = true", bad)
		}
	}
	if !Elements([]byte(`[]`), func([]byte) bool { t.Error("visited an empty array"); return true }) {
		t.Error("Elements([]) = false")
	}
}

func TestValues(t *testing.T) {
	if s := String([]byte(`"a\u00e9\"b" , x`)); s != `aé"b` {
		t.Errorf("String = %q", s)
	}
	if s := String([]byte(`"0123456789abcdef \"quoted\" \\"}`)); s != `0123456789abcdef "quoted" \` {
		t.Errorf("String of a long string with escapes = %q", s)
	}
	if s := String([]byte(`12`)); s != "" {
		t.Errorf("String of a number = %q", s)
	}
	if n, ok := StringLen([]byte(`"ab\n",`)); !ok || n != 4 {
		t.Errorf("StringLen = %d %v", n, ok)
	}
	for in, want := range map[string]int64{`123,`: 123, `0}`: 0, `null`: 0} {
		if n, ok := Int([]byte(in)); !ok || n != want {
			t.Errorf("Int(%s) = %d %v", in, n, ok)
		}
	}
	for _, in := range []string{`1.5`, `1e3`, `-1`, `"1"`, `12345678901234567890`} {
		if _, ok := Int([]byte(in)); ok {
			t.Errorf("Int(%s) ok", in)
		}
	}
	if n := valueEnd([]byte(`{"a":{"b":"}"}} tail`)); n != 15 {
		t.Errorf("valueEnd = %d", n)
	}
}
