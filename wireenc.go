package drip

import (
	"encoding/json"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// appendEvent writes e as the JSON object of a run event (wire.RunEvent),
// straight into buf: the exporter's hot loop, so no maps, no reflection.
// It is the same mapping eventToWire documents; TestEventEncodingMatches
// keeps the two in step.
func (c *Client) appendEvent(buf []byte, e *Event, withRun bool) []byte {
	buf = append(buf, '{')
	first := true
	field := func(name string) {
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = append(buf, '"')
		buf = append(buf, name...)
		buf = append(buf, '"', ':')
	}
	str := func(name, v string) {
		if v != "" {
			field(name)
			buf = appendString(buf, v)
		}
	}
	if withRun {
		str("runId", e.RunID)
	}
	str("eventType", e.Type)
	tokens := e.InputTokens + e.OutputTokens
	q := e.Quantity
	if q == 0 && tokens > 0 {
		q = float64(tokens)
	}
	// Left out only when nothing says what to count: the API's default (1)
	// applies, as it does for the official clients.
	if q != 0 || e.Units != "" {
		field("quantity")
		buf = appendFloat(buf, q)
	}
	units := e.Units
	if units == "" && tokens > 0 && e.Quantity == 0 {
		units = "tokens"
	}
	str("units", units)
	if e.Description != "" {
		str("description", e.Description)
	} else if e.Model != "" && (e.Type == EventLLMCompletion || e.Type == EventLLMError) {
		// Built here, not by the adapters, so an LLM event costs no string
		// concatenation on the caller's path.
		field("description")
		if e.Type == EventLLMError {
			buf = appendString(buf, "LLM error: "+e.Model)
		} else {
			buf = appendString(buf, "LLM call to "+e.Model)
		}
	}
	if e.CostUnits > 0 {
		field("costUnits")
		buf = appendFloat(buf, e.CostUnits)
	}
	if withRun {
		str("correlationId", e.CorrelationID)
		str("parentEventId", e.ParentEventID)
		str("spanId", e.SpanID)
		str("idempotencyKey", e.IdempotencyKey)
	}

	// metadata: SDK keys first, then the user's keys that pass the guard
	// and do not collide with SDK keys.
	field("metadata")
	buf = append(buf, '{')
	mfirst := true
	key := func(k string) {
		if !mfirst {
			buf = append(buf, ',')
		}
		mfirst = false
		buf = appendString(buf, k)
		buf = append(buf, ':')
	}
	var sdk sdkKeySet
	if e.Model != "" {
		key(wire.MetaModel)
		buf = appendString(buf, e.Model)
		sdk |= sdkModel
	}
	if tokens > 0 || e.InputTokens != 0 || e.OutputTokens != 0 {
		key(wire.MetaInputTokens)
		buf = strconv.AppendInt(buf, e.InputTokens, 10)
		key(wire.MetaOutputTokens)
		buf = strconv.AppendInt(buf, e.OutputTokens, 10)
		key(wire.MetaTotalTokens)
		buf = strconv.AppendInt(buf, tokens, 10)
		sdk |= sdkTokens
	}
	if e.CachedInputTokens > 0 {
		key(wire.MetaCachedInputTokens)
		buf = strconv.AppendInt(buf, e.CachedInputTokens, 10)
		sdk |= sdkCached
	}
	if e.ReasoningTokens > 0 {
		key(wire.MetaReasoningTokens)
		buf = strconv.AppendInt(buf, e.ReasoningTokens, 10)
		sdk |= sdkReasoning
	}
	if e.Name != "" {
		key(wire.MetaName)
		buf = appendString(buf, truncate(e.Name, 256))
		sdk |= sdkName
	}
	if e.Duration > 0 {
		key(wire.MetaLatencyMs)
		buf = strconv.AppendInt(buf, e.Duration.Milliseconds(), 10)
		sdk |= sdkLatency
	}
	if e.Status != "" {
		key(wire.MetaStatus)
		buf = appendString(buf, e.Status)
		sdk |= sdkStatus
	}
	if e.Provider != "" {
		key(wire.MetaProvider)
		buf = appendString(buf, e.Provider)
		sdk |= sdkProvider
	}
	if e.Operation != "" {
		key(wire.MetaOperation)
		buf = appendString(buf, e.Operation)
		sdk |= sdkOperation
	}
	if !e.Timestamp.IsZero() {
		key(wire.MetaOccurredAt)
		buf = append(buf, '"')
		buf = e.Timestamp.UTC().AppendFormat(buf, time.RFC3339Nano)
		buf = append(buf, '"')
		sdk |= sdkOccurred
	}
	for k, v := range e.Metadata {
		if sdk.has(k) {
			continue
		}
		v, ok := c.guard.value(k, v)
		if !ok {
			continue
		}
		mark, wasFirst := len(buf), mfirst
		key(k)
		var good bool
		if buf, good = appendValue(buf, v); !good {
			buf, mfirst = buf[:mark], wasFirst
		}
	}
	buf = append(buf, '}', '}')
	return buf
}

type sdkKeySet uint16

const (
	sdkModel sdkKeySet = 1 << iota
	sdkTokens
	sdkCached
	sdkReasoning
	sdkName
	sdkLatency
	sdkStatus
	sdkOccurred
	sdkProvider
	sdkOperation
)

// has reports whether the SDK already wrote metadata key k.
func (s sdkKeySet) has(k string) bool {
	switch k {
	case wire.MetaModel:
		return s&sdkModel != 0
	case wire.MetaInputTokens, wire.MetaOutputTokens, wire.MetaTotalTokens:
		return s&sdkTokens != 0
	case wire.MetaCachedInputTokens:
		return s&sdkCached != 0
	case wire.MetaReasoningTokens:
		return s&sdkReasoning != 0
	case wire.MetaName:
		return s&sdkName != 0
	case wire.MetaLatencyMs:
		return s&sdkLatency != 0
	case wire.MetaStatus:
		return s&sdkStatus != 0
	case wire.MetaOccurredAt:
		return s&sdkOccurred != 0
	case wire.MetaProvider:
		return s&sdkProvider != 0
	case wire.MetaOperation:
		return s&sdkOperation != 0
	}
	return false
}

// appendValue writes a metadata value. The guard only lets primitives
// through; anything else (guard disabled) goes through encoding/json.
func appendValue(buf []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case nil:
		return append(buf, "null"...), true
	case bool:
		return strconv.AppendBool(buf, x), true
	case string:
		return appendString(buf, x), true
	case int:
		return strconv.AppendInt(buf, int64(x), 10), true
	case int8:
		return strconv.AppendInt(buf, int64(x), 10), true
	case int16:
		return strconv.AppendInt(buf, int64(x), 10), true
	case int32:
		return strconv.AppendInt(buf, int64(x), 10), true
	case int64:
		return strconv.AppendInt(buf, x, 10), true
	case uint:
		return strconv.AppendUint(buf, uint64(x), 10), true
	case uint8:
		return strconv.AppendUint(buf, uint64(x), 10), true
	case uint16:
		return strconv.AppendUint(buf, uint64(x), 10), true
	case uint32:
		return strconv.AppendUint(buf, uint64(x), 10), true
	case uint64:
		return strconv.AppendUint(buf, x, 10), true
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return buf, false
		}
		return strconv.AppendFloat(buf, float64(x), 'g', -1, 32), true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return buf, false
		}
		return appendFloat(buf, x), true
	}
	b, err := json.Marshal(v)
	if err != nil {
		return buf, false
	}
	return append(buf, b...), true
}

func appendFloat(buf []byte, f float64) []byte {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.AppendInt(buf, int64(f), 10)
	}
	return strconv.AppendFloat(buf, f, 'g', -1, 64)
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string; invalid UTF-8 becomes U+FFFD, as
// encoding/json does.
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch b {
			case '"', '\\':
				buf = append(buf, '\\', b)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
