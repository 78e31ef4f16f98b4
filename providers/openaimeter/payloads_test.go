package openaimeter

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"testing"
)

// payloads must give back every event kept, in order and byte for byte:
// events sharing the first's start, its end, both or neither, equal to it,
// empty, longer than a block, and after a reset (the events metered past
// maxPending).
func TestPayloadsGiveBackEachEvent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	first := []byte(`{"id":"chatcmpl-1","object":"chat.completion.chunk","model":"m","choices":[{"delta":{"content":"a"}}]}`)
	event := func() []byte {
		switch rng.IntN(8) {
		case 0:
			return nil
		case 1: // another shape
			return []byte(`{"type":"error","n":` + strconv.Itoa(rng.IntN(1000)) + `}`)
		case 2: // longer than any block
			return bytes.Repeat([]byte("x"), 9<<10+rng.IntN(100))
		case 3: // the first's start and end, with other bytes (or none) between
			i := rng.IntN(len(first) + 1)
			j := i + rng.IntN(len(first)-i+1)
			return append(append(append([]byte(nil), first[:i]...), strconv.Itoa(rng.IntN(1e3))[:rng.IntN(3)]...), first[j:]...)
		case 4: // the first's end only
			return append([]byte(strconv.Itoa(rng.IntN(1e6))), first[rng.IntN(len(first)+1):]...)
		case 5:
			return first
		}
		cut := rng.IntN(len(first) + 1)
		return append(append([]byte(nil), first[:cut]...), strconv.Itoa(rng.IntN(1e6))+`"}}]}`...)
	}
	var ps payloads
	for round := range 3 {
		var want [][]byte
		for i := range 200 {
			p := first
			if i > 0 {
				p = event()
			}
			want = append(want, p)
			ps.add(p)
		}
		var got [][]byte
		ps.each(func(p []byte) { got = append(got, bytes.Clone(p)) })
		if len(got) != len(want) {
			t.Fatalf("round %d: %d events, want %d", round, len(got), len(want))
		}
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("round %d, event %d: %q, want %q", round, i, got[i], want[i])
			}
		}
		ps.reset()
		ps.each(func(p []byte) { t.Fatalf("after reset: %q", p) })
	}
}

// sharedPrefix and sharedSuffix must agree with the plain loops on any
// pair, however long and wherever they part.
func TestSharedPrefixAndSuffix(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		a := make([]byte, rng.IntN(40))
		for i := range a {
			a[i] = byte('a' + rng.IntN(2))
		}
		b := append([]byte(nil), a[:rng.IntN(len(a)+1)]...)
		for range rng.IntN(20) {
			b = append(b, byte('a'+rng.IntN(2)))
		}
		if got, want := sharedPrefix(a, b), sharedPrefixBytewise(a, b); got != want {
			t.Fatalf("sharedPrefix(%q, %q) = %d, want %d", a, b, got, want)
		}
		slices.Reverse(a)
		slices.Reverse(b)
		if got, want := sharedSuffix(a, b), sharedSuffixBytewise(a, b); got != want {
			t.Fatalf("sharedSuffix(%q, %q) = %d, want %d", a, b, got, want)
		}
	}
}

// sharedPrefixBytewise and sharedSuffixBytewise are the plain versions of
// sharedPrefix and sharedSuffix: their test's reference and their
// benchmark's other side.
func sharedPrefixBytewise(a, b []byte) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

func sharedSuffixBytewise(a, b []byte) int {
	i := 0
	for i < len(a) && i < len(b) && a[len(a)-1-i] == b[len(b)-1-i] {
		i++
	}
	return i
}

var prefixSink int

// sharedPrefix and sharedSuffix run on every event of every stream, on the
// caller's goroutine: this compares them with the plain loops on two
// chunks of an OpenAI stream, which share their first 203 bytes and their
// last 41.
func BenchmarkSharedPrefix(b *testing.B) {
	first := []byte(`{"id":"chatcmpl-AbCdEfGhIjKlMnOpQrStUvWxYz012","object":"chat.completion.chunk","created":1733000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]}`)
	next := []byte(`{"id":"chatcmpl-AbCdEfGhIjKlMnOpQrStUvWxYz012","object":"chat.completion.chunk","created":1733000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":" word"},"logprobs":null,"finish_reason":null}]}`)
	for _, v := range []struct {
		name string
		f    func(a, b []byte) int
	}{{"words", sharedPrefix}, {"bytes", sharedPrefixBytewise},
		{"suffix-words", sharedSuffix}, {"suffix-bytes", sharedSuffixBytewise}} {
		b.Run(v.name, func(b *testing.B) {
			for b.Loop() {
				prefixSink = v.f(first, next)
			}
		})
	}
}

// A stream body and the room it keeps for payloads are one allocation of
// the size inlinePayloads was chosen for: a field added to the body must
// come out of that room, or the room be chosen again.
func TestStreamBodyIsOneAllocation(t *testing.T) {
	if n := reflect.TypeFor[sseBody]().Size(); n > 1152 {
		t.Fatalf("sseBody is %d bytes, past the 1152-byte size class inlinePayloads is chosen for", n)
	}
}
