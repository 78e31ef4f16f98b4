package openaimeter

import (
	"encoding/binary"
	"math/bits"
)

// inlinePayloads is the room a stream body keeps for payloads within
// itself: a short chat stream (a handful of chunks and the usage chunk)
// fits, so its events cost no allocation of their own: the body with this
// room is one allocation, in the 1152-byte size class
// (TestStreamBodyIsOneAllocation), where a first block of its own would
// be a second.
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
	need := 3*binary.MaxVarintLen64 + len(mid)
	blk := &ps.head
	if n := len(ps.more); n > 0 {
		blk = &ps.more[n-1]
	} else if ps.head == nil {
		ps.head = ps.inline[:0]
	}
	if cap(*blk)-len(*blk) < need {
		blk = ps.grow(need)
	}
	b := *blk
	at := len(b)
	b = binary.AppendUvarint(b, uint64(pre))
	b = binary.AppendUvarint(b, uint64(suf))
	b = binary.AppendUvarint(b, uint64(len(mid)))
	b = append(b, mid...)
	if ps.first == nil {
		ps.first = b[len(b)-len(mid):]
	}
	*blk = b
	ps.size += len(b) - at
}

// grow adds a block with room for need bytes and returns it: 512 bytes
// after the room inline (a stream a little longer than a short one), then
// each twice the last, up to 8 KiB; or need if larger.
func (ps *payloads) grow(need int) *[]byte {
	size := 512
	if n := len(ps.more); n > 0 {
		size = min(2*cap(ps.more[n-1]), 8<<10)
	}
	ps.more = append(ps.more, make([]byte, 0, max(size, need)))
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
// the plain loop takes several times as long (BenchmarkSharedPrefix:
// bytes against words; the multiple moves with the machine, so it is not
// written here).
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
// a time as sharedPrefix is, the slices cut from their ends as it goes (a
// word read big-endian ends with its last byte, so the bytes alike at its
// end are its trailing zero bytes); the plain loop takes several times as
// long (BenchmarkSharedPrefix: suffix-bytes against suffix-words).
func sharedSuffix(a, b []byte) int {
	n := 0
	for len(a) >= 8 && len(b) >= 8 {
		x := binary.BigEndian.Uint64(a[len(a)-8:]) ^ binary.BigEndian.Uint64(b[len(b)-8:])
		if x != 0 {
			return n + bits.TrailingZeros64(x)/8
		}
		a, b, n = a[:len(a)-8], b[:len(b)-8], n+8
	}
	for len(a) > 0 && len(b) > 0 && a[len(a)-1] == b[len(b)-1] {
		a, b, n = a[:len(a)-1], b[:len(b)-1], n+1
	}
	return n
}
