package drip

import (
	"encoding/hex"
	"math/rand/v2"
)

// newKey returns a fresh idempotency key in the official clients' shape,
// prefix_<24 hex>. It is random rather than derived from the call's fields
// so two identical legitimate calls are never collapsed into one; each
// logical call makes its key once and every retry reuses it.
func newKey(prefix string) string {
	var b [12]byte
	x, y := rand.Uint64(), rand.Uint32()
	for i := range 8 {
		b[i] = byte(x >> (8 * i))
	}
	for i := range 4 {
		b[8+i] = byte(y >> (8 * i))
	}
	out := make([]byte, len(prefix)+1+24)
	n := copy(out, prefix)
	out[n] = '_'
	hex.Encode(out[n+1:], b[:])
	return string(out)
}

// Key prefixes, as the official clients use them.
const (
	keyPrefixTrack = "track"
	keyPrefixEvent = "evt"
	keyPrefixRun   = "xrun" // generated externalRunId
)
