package drip

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// Limits on what the SDK sends. Every call checks them before any request
// and before anything is queued, and answers a VALIDATION_ERROR naming the
// field, so one bad input is refused alone instead of failing a whole batch
// at the API.
//
// Lengths count bytes of UTF-8, the unit the API measures: for ASCII text a
// byte is a character. Strings must be valid UTF-8.
//
//   - MaxIDLength bounds identifiers and labels: event type, idempotency
//     keys, workflow, external run id, correlation id, span and parent event
//     ids, run and customer ids, meter, units, error codes.
//   - MaxDescriptionLength bounds event and usage descriptions. A
//     description the SDK derives itself (from the model) is cut to fit.
//   - MaxMetadataBytes bounds one metadata object as JSON, after the
//     MetadataGuard. The tracker's calls (Start, Run.Emit, TrackUsage) run
//     on the caller's goroutine and check only what is cheap: at most
//     MaxMetadataKeys keys of the caller's (the SDK's own keys are extra),
//     keys of at most MaxIDLength bytes, string values of at most
//     MaxMetadataBytes bytes. The encoded size is checked where the request
//     is encoded: in the client calls, which the tracker's exporter makes.
//   - MaxQuantity bounds quantities, costUnits and token counts, which must
//     also be finite and >= 0.
//
// Run error messages are not refused but cut to 500 characters.
const (
	MaxIDLength          = 256
	MaxDescriptionLength = 1000
	MaxMetadataBytes     = 64 << 10
	MaxMetadataKeys      = 128
	MaxQuantity          = 1e15
)

// maxTokens is MaxQuantity as a token count: tokens become the quantity.
const maxTokens = int64(MaxQuantity)

// badString reports whether s breaks a length bound or is not UTF-8; it is
// inlined on the Emit path, so a valid string costs one compare and one
// UTF-8 scan.
func badString(s string, max int) bool { return len(s) > max || !utf8.ValidString(s) }

// checkString is the VALIDATION_ERROR for a string that is too long or not
// UTF-8, or nil.
func checkString(op, field, s string, max int) error {
	if len(s) > max {
		return validationError(op, field, field+" must be at most "+strconv.Itoa(max)+" bytes (got "+strconv.Itoa(len(s))+")")
	}
	if !utf8.ValidString(s) {
		return validationError(op, field, field+" is not valid UTF-8")
	}
	return nil
}

// checkIDs checks name/value pairs as ids: the first failure wins.
func checkIDs(op string, kv ...string) error {
	for i := 0; i+1 < len(kv); i += 2 {
		if err := checkString(op, kv[i], kv[i+1], MaxIDLength); err != nil {
			return err
		}
	}
	return nil
}

// quantityOK reports whether f is finite, >= 0 and at most MaxQuantity
// (false for NaN, which fails every comparison).
func quantityOK(f float64) bool { return f >= 0 && f <= MaxQuantity }

func checkQuantity(op, field string, f float64) error {
	if !quantityOK(f) {
		return validationError(op, field, field+" must be a finite number >= 0 and at most 1e15")
	}
	return nil
}

// checkMetadata is the cheap check of the caller's path: key count, key
// length, string value length. No encoding.
func checkMetadata(op, field string, m map[string]any) error {
	// The tracker adds occurredAt to a run's metadata before StartRun and
	// EndRun check it again: that key is the SDK's, not the caller's.
	if n := len(m); n > MaxMetadataKeys && (n > MaxMetadataKeys+1 || !hasKey(m, wire.MetaOccurredAt)) {
		return validationError(op, field, field+" has "+strconv.Itoa(len(m))+" keys; at most "+strconv.Itoa(MaxMetadataKeys)+" are allowed")
	}
	for k, v := range m {
		if len(k) > MaxIDLength {
			return validationError(op, field, field+" keys must be at most "+strconv.Itoa(MaxIDLength)+" bytes")
		}
		if s, ok := v.(string); ok && len(s) > MaxMetadataBytes {
			return validationError(op, field, field+"."+k+" is longer than "+strconv.Itoa(MaxMetadataBytes)+" bytes")
		}
	}
	return nil
}

func hasKey(m map[string]any, k string) bool { _, ok := m[k]; return ok }

// checkMetadataEncoded bounds md, as it will be sent, to MaxMetadataBytes
// of JSON. It encodes only when a cheap worst case (every byte escaped to
// six) could exceed the bound, so ordinary metadata costs one pass over its
// keys.
func checkMetadataEncoded(op, field string, md map[string]any) error {
	if len(md) == 0 {
		return nil
	}
	worst := 2
	for k, v := range md {
		worst += 6*len(k) + 4
		switch x := v.(type) {
		case string:
			worst += 6*len(x) + 2
		case nil, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
			worst += 32 // the longest number JSON writes is 24 bytes
		default:
			worst = MaxMetadataBytes + 1 // nested: measure it
		}
		if worst > MaxMetadataBytes {
			break
		}
	}
	if worst <= MaxMetadataBytes {
		return nil
	}
	b, err := json.Marshal(md)
	if err != nil {
		return validationError(op, field, field+" cannot be encoded as JSON: "+err.Error())
	}
	if len(b) > MaxMetadataBytes {
		return validationError(op, field, field+" is "+strconv.Itoa(len(b))+" bytes as JSON; at most "+strconv.Itoa(MaxMetadataBytes)+" are allowed")
	}
	return nil
}

// truncateBytes cuts s to at most n bytes without splitting a rune.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
