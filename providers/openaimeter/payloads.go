package openaimeter

import (
	"encoding/binary"
	"math/bits"
)

// inlinePayloads is the room a stream body keeps for payloads within
// itself: a short chat stream (a handful of chunks and the usage chunk)
// fits, so its events cost no allocation of their own. The body with this
// room is one 1408-byte allocation, where a body and a first block apart
// were 1752 bytes (B/op of BenchmarkChatStream in openaigo).
const inlinePayloads = 704

// payloads keeps the payloads of a stream's events in blocks that are not
// moved as more arrive, the first within the payloads themselves. The
// chunks of a stream are alike: they start alike (id, object, created,
// model, fingerprint, then the choice up to its delta) and end alike
// (logprobs, finish_reason and the usage member OpenAI adds). So each
// payload after the first is kept as the lengths of the start and of the
// end it shares with the first, then the bytes between: for a chunk of
// text, little more than the text. A payloads must not be copied once
// used: its first block is its own array.
type payloads struct {
	inline [inlinePayloads]byte
	head   []byte   // the first block: inline's array, once used
	more   [][]byte // the blocks after it
	first  []byte   // the first payload, kept whole in head
	size   int
}

func (ps *payloads) add(p []byte) {
	pre := sharedPrefix(ps.first, p)
	suf := sharedSuffix(ps.first[pre:], p[pre:])
	mid := p[pre : len(p)-suf]
	b := ps.room(3*binary.MaxVarintLen64 + len(mid))
	at := len(*b)
	*b = binary.AppendUvarint(*b, uint64(pre))
	*b = binary.AppendUvarint(*b, uint64(suf))
	*b = binary.AppendUvarint(*b, uint64(len(mid)))
	*b = append(*b, mid...)
	if ps.first == nil {
		ps.first = (*b)[len(*b)-len(mid):]
	}
	ps.size += len(*b) - at
}

// room returns the block to append need bytes to, making one if the last
// has no room: 512 bytes after the room inline (a stream a little longer
// than a short one), then each twice the last, up to 8 KiB; or need if
// larger.
func (ps *payloads) room(need int) *[]byte {
	if ps.head == nil {
		ps.head = ps.inline[:0]
	}
	last := &ps.head
	if n := len(ps.more); n > 0 {
		last = &ps.more[n-1]
	}
	if cap(*last)-len(*last) >= need {
		return last
	}
	size := 512
	if len(ps.more) > 0 {
		size = min(2*cap(*last), 8<<10)
	}
	size = max(size, need)
	ps.more = append(ps.more, make([]byte, 0, size))
	return &ps.more[len(ps.more)-1]
}

// each calls f with each payload kept, in order; buf is where a payload
// is put back together, reused from one to the next.
func (ps *payloads) each(f func(payload []byte)) {
	var buf []byte
	read := func(block []byte) {
		for len(block) > 0 {
			pre, k := binary.Uvarint(block)
			block = block[k:]
			suf, k := binary.Uvarint(block)
			block = block[k:]
			n, k := binary.Uvarint(block)
			block = block[k:]
			buf = append(buf[:0], ps.first[:pre]...)
			buf = append(buf, block[:n]...)
			buf = append(buf, ps.first[len(ps.first)-int(suf):]...)
			block = block[n:]
			f(buf)
		}
	}
	read(ps.head)
	for _, block := range ps.more {
		read(block)
	}
}

// reset empties ps, keeping the room inline.
func (ps *payloads) reset() {
	ps.head, ps.more, ps.first, ps.size = ps.head[:0], nil, nil, 0
}

// sharedPrefix is how many bytes a and b start with alike, compared a word
// at a time: the meter compares each event of a stream as it passes, and
// the plain loop takes about twice as long (BenchmarkSharedPrefix).
func sharedPrefix(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for ; i+8 <= n; i += 8 {
		if x := binary.LittleEndian.Uint64(a[i:]) ^ binary.LittleEndian.Uint64(b[i:]); x != 0 {
			return i + bits.TrailingZeros64(x)/8
		}
	}
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

// sharedSuffix is how many bytes a and b end with alike, compared a word at
// a time as sharedPrefix is.
func sharedSuffix(a, b []byte) int {
	n := min(len(a), len(b))
	i := 0
	for ; i+8 <= n; i += 8 {
		x := binary.LittleEndian.Uint64(a[len(a)-i-8:]) ^ binary.LittleEndian.Uint64(b[len(b)-i-8:])
		if x != 0 {
			return i + bits.LeadingZeros64(x)/8
		}
	}
	for i < n && a[len(a)-1-i] == b[len(b)-1-i] {
		i++
	}
	return i
}
