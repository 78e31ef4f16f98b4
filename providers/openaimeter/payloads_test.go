package openaimeter

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"testing"
)

// payloads must give back every event kept, in order and byte for byte:
// events sharing the first's start and not, empty, longer than a block,
// and after a reset (the events metered past maxPending).
func TestPayloadsGiveBackEachEvent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	first := []byte(`{"id":"chatcmpl-1","object":"chat.completion.chunk","model":"m","choices":[{"delta":{"content":"a"}}]}`)
	event := func() []byte {
		switch rng.IntN(5) {
		case 0:
			return nil
		case 1: // another shape
			return []byte(`{"type":"error","n":` + strconv.Itoa(rng.IntN(1000)) + `}`)
		case 2: // longer than any block
			return bytes.Repeat([]byte("x"), 9<<10+rng.IntN(100))
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

func TestSharedPrefix(t *testing.T) {
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
	}
}

// sharedPrefixBytewise is the plain version of sharedPrefix: its test's
// reference and its benchmark's other side.
func sharedPrefixBytewise(a, b []byte) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

var prefixSink int

// sharedPrefix runs on every event of every stream, on the caller's
// goroutine: this compares it with the plain loop on two chunks of an
// OpenAI stream, which share their first 203 bytes.
func BenchmarkSharedPrefix(b *testing.B) {
	first := []byte(`{"id":"chatcmpl-AbCdEfGhIjKlMnOpQrStUvWxYz012","object":"chat.completion.chunk","created":1733000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]}`)
	next := []byte(`{"id":"chatcmpl-AbCdEfGhIjKlMnOpQrStUvWxYz012","object":"chat.completion.chunk","created":1733000000,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":" word"},"logprobs":null,"finish_reason":null}]}`)
	for _, v := range []struct {
		name string
		f    func(a, b []byte) int
	}{{"words", sharedPrefix}, {"bytes", sharedPrefixBytewise}} {
		b.Run(v.name, func(b *testing.B) {
			for b.Loop() {
				prefixSink = v.f(first, next)
			}
		})
	}
}
