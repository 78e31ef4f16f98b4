package dripserver

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// This file is the fast path for the hottest request bodies: a run event
// (POST /run-events) and a batch of them (POST /run-events/batch).
//
// It decodes into the same wire types as encoding/json, except that an
// event's metadata is not decoded into a map: it is validated and kept as
// the JSON text it arrived as (the store keeps it as text anyway), and the
// few keys the server reads from it (occurredAt, latencyMs, status) are
// picked out on the way. The parser accepts only bodies whose meaning is
// plain; anything unusual (escaped or case-folded field names, repeated
// fields, nulls where a decoder would do something subtle, wrong types,
// malformed JSON, numbers out of range, invalid UTF-8, deep nesting) makes it
// give up, and the caller decodes the body with encoding/json exactly as
// before. So validation, error messages and stored meaning do not change; the
// fast path only has to agree with encoding/json on the bodies it accepts.

// ingestEvent is a run event on its way into the store.
type ingestEvent struct {
	wire.RunEvent // Metadata is nil when the event was decoded by the fast path

	// meta is the metadata as JSON object text; "" when there is none or it
	// is empty (stored as NULL).
	meta  string
	facts metaFacts
}

// metaFacts are the metadata values the server reads back, with the
// meaning of a lookup in the decoded map: occurredAt and status count only
// as strings, latencyMs only as a number.
type metaFacts struct {
	occurredAt    string
	hasOccurredAt bool
	latency       float64
	hasLatency    bool
	status        string
}

// factsFromMap reads the facts from decoded metadata.
func factsFromMap(m map[string]any) metaFacts {
	var f metaFacts
	if m == nil {
		return f
	}
	f.occurredAt, f.hasOccurredAt = m[wire.MetaOccurredAt].(string)
	f.latency, f.hasLatency = m[wire.MetaLatencyMs].(float64)
	f.status, _ = m[wire.MetaStatus].(string)
	return f
}

// ingestFromWire turns a std-decoded event into an ingestEvent.
func ingestFromWire(in *wire.RunEvent) (ingestEvent, error) {
	meta, err := encodeMeta(in.Metadata)
	if err != nil {
		return ingestEvent{}, err
	}
	ev := ingestEvent{RunEvent: *in, facts: factsFromMap(in.Metadata)}
	if meta != nil {
		ev.meta = meta.(string)
	}
	return ev, nil
}

// applyFacts sets the timestamp, outcome and duration of e from its type
// and metadata facts; now is the arrival time.
func applyFacts(e *Event, f *metaFacts, now time.Time) {
	e.Timestamp = now
	e.Outcome = OutcomeSuccess
	if strings.HasSuffix(e.EventType, ".error") {
		e.Outcome = OutcomeFailed
	}
	if f.hasOccurredAt {
		if ts, err := time.Parse(time.RFC3339Nano, f.occurredAt); err == nil && ts.Year() > 1970 && ts.Year() < 2200 {
			e.Timestamp = ts.UTC()
		}
	}
	if f.hasLatency && f.latency >= 0 && f.latency < math.MaxInt32*1000.0 {
		d := int64(math.Round(f.latency))
		e.DurationMs = &d
	}
	switch f.status {
	case "error":
		e.Outcome = OutcomeFailed
	case "success":
		e.Outcome = OutcomeSuccess
	}
}

// fastDecoder parses one body. Every method returns false to give up.
type fastDecoder struct {
	s string
	i int

	floats []float64 // backing store for the events' *float64 fields

	// Interned values: the events of a batch mostly repeat these.
	lastRun, lastType, lastUnits string

	compact []byte // scratch for metadata that carries whitespace
}

// maxFastDepth bounds nesting in metadata; deeper bodies take the std path
// (which allows up to 10000).
const maxFastDepth = 64

// parseBatchFast parses a RunEventBatchRequest body. ok is false when the
// body needs encoding/json (including when it lacks "events").
func parseBatchFast(body string) (events []ingestEvent, ok bool) {
	d := &fastDecoder{s: body}
	d.ws()
	if !d.eat('{') {
		return nil, false
	}
	seen := false
	d.ws()
	if d.eat('}') {
		return nil, false
	}
	for {
		d.ws()
		key, ok := d.key()
		if !ok {
			return nil, false
		}
		d.ws()
		if !d.eat(':') {
			return nil, false
		}
		d.ws()
		if key == "events" {
			if seen {
				return nil, false
			}
			seen = true
			if events, ok = d.eventArray(); !ok {
				return nil, false
			}
		} else {
			if strings.EqualFold(key, "events") || !d.skipValue(0) {
				return nil, false
			}
		}
		d.ws()
		if d.eat(',') {
			continue
		}
		if !d.eat('}') {
			return nil, false
		}
		break
	}
	d.ws()
	if d.i != len(d.s) || !seen {
		return nil, false
	}
	return events, true
}

// parseEventFast parses a single RunEvent body.
func parseEventFast(body string) (ev ingestEvent, ok bool) {
	d := &fastDecoder{s: body, floats: make([]float64, 0, 2)}
	d.ws()
	if d.i >= len(d.s) || d.s[d.i] != '{' {
		return ev, false
	}
	if !d.event(&ev) {
		return ev, false
	}
	d.ws()
	return ev, d.i == len(d.s)
}

func (d *fastDecoder) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *fastDecoder) eat(c byte) bool {
	if d.i < len(d.s) && d.s[d.i] == c {
		d.i++
		return true
	}
	return false
}

// key reads an object key that needs no unescaping.
func (d *fastDecoder) key() (string, bool) {
	if !d.eat('"') {
		return "", false
	}
	start := d.i
	for d.i < len(d.s) {
		c := d.s[d.i]
		if c == '"' {
			k := d.s[start:d.i]
			d.i++
			return k, true
		}
		if c == '\\' || c < 0x20 || c >= 0x80 {
			return "", false
		}
		d.i++
	}
	return "", false
}

func (d *fastDecoder) eventArray() ([]ingestEvent, bool) {
	if !d.eat('[') {
		return nil, false
	}
	// Guess the count from the body size, so the slice rarely grows.
	events := make([]ingestEvent, 0, min(max((len(d.s)-d.i)/200, 1), 2048))
	d.floats = make([]float64, 0, 2*cap(events))
	d.ws()
	if d.eat(']') {
		return events, true
	}
	for {
		d.ws()
		if d.i >= len(d.s) || d.s[d.i] != '{' {
			return nil, false // null elements and type errors: std path
		}
		events = append(events, ingestEvent{})
		if !d.event(&events[len(events)-1]) {
			return nil, false
		}
		d.ws()
		if d.eat(',') {
			continue
		}
		if d.eat(']') {
			return events, true
		}
		return nil, false
	}
}

// The fields of wire.RunEvent, as bits for the repeat check.
const (
	fRunID = 1 << iota
	fCustomerID
	fWorkflowID
	fEventType
	fQuantity
	fUnits
	fDescription
	fCostUnits
	fCostCurrency
	fCorrelationID
	fParentEventID
	fSpanID
	fIdempotencyKey
	fMetadata
)

var runEventFields = []string{"runId", "customerId", "workflowId", "eventType", "quantity", "units",
	"description", "costUnits", "costCurrency", "correlationId", "parentEventId", "spanId", "idempotencyKey",
	"metadata"}

// event parses one event object into ev.
func (d *fastDecoder) event(ev *ingestEvent) bool {
	if !d.eat('{') {
		return false
	}
	d.ws()
	if d.eat('}') {
		return true
	}
	var seen int
	for {
		d.ws()
		key, ok := d.key()
		if !ok {
			return false
		}
		d.ws()
		if !d.eat(':') {
			return false
		}
		d.ws()
		var bit int
		var str *string
		var num **float64
		switch key {
		case "runId":
			bit, str = fRunID, &ev.RunID
		case "customerId":
			bit, str = fCustomerID, &ev.CustomerID
		case "workflowId":
			bit, str = fWorkflowID, &ev.WorkflowID
		case "eventType":
			bit, str = fEventType, &ev.EventType
		case "quantity":
			bit, num = fQuantity, &ev.Quantity
		case "units":
			bit, str = fUnits, &ev.Units
		case "description":
			bit, str = fDescription, &ev.Description
		case "costUnits":
			bit, num = fCostUnits, &ev.CostUnits
		case "costCurrency":
			bit, str = fCostCurrency, &ev.CostCurrency
		case "correlationId":
			bit, str = fCorrelationID, &ev.CorrelationID
		case "parentEventId":
			bit, str = fParentEventID, &ev.ParentEventID
		case "spanId":
			bit, str = fSpanID, &ev.SpanID
		case "idempotencyKey":
			bit, str = fIdempotencyKey, &ev.IdempotencyKey
		case "metadata":
			bit = fMetadata
		default:
			// encoding/json matches field names case-insensitively.
			for _, f := range runEventFields {
				if strings.EqualFold(key, f) {
					return false
				}
			}
			if !d.skipValue(0) {
				return false
			}
		}
		if bit != 0 {
			if seen&bit != 0 {
				return false
			}
			seen |= bit
			switch {
			case str != nil:
				if d.null() {
					break // null leaves a string field as it is
				}
				v, ok := d.str()
				if !ok {
					return false
				}
				*str = d.intern(bit, v)
			case num != nil:
				if d.null() {
					*num = nil
					break
				}
				f, ok := d.number()
				if !ok {
					return false
				}
				d.floats = append(d.floats, f)
				*num = &d.floats[len(d.floats)-1]
			default:
				if d.null() {
					ev.meta, ev.facts = "", metaFacts{}
					break
				}
				if !d.metadata(ev) {
					return false
				}
			}
		}
		d.ws()
		if d.eat(',') {
			continue
		}
		return d.eat('}')
	}
}

// intern returns a previous equal value for the fields batches repeat.
func (d *fastDecoder) intern(bit int, v string) string {
	var last *string
	switch bit {
	case fRunID:
		last = &d.lastRun
	case fEventType:
		last = &d.lastType
	case fUnits:
		last = &d.lastUnits
	default:
		return v
	}
	if *last == v {
		return *last
	}
	*last = v
	return v
}

func (d *fastDecoder) null() bool {
	if strings.HasPrefix(d.s[d.i:], "null") {
		d.i += 4
		return true
	}
	return false
}

// str reads a string value. Plain strings are substrings of the body;
// escaped ones and ones with non-ASCII bytes that are not valid UTF-8 go
// through encoding/json, which also validates them.
func (d *fastDecoder) str() (string, bool) {
	start := d.i
	end, escaped, ok := d.scanString()
	if !ok {
		return "", false
	}
	raw := d.s[start+1 : end-1]
	if !escaped {
		return raw, true
	}
	var v string
	if json.Unmarshal([]byte(d.s[start:end]), &v) != nil {
		return "", false
	}
	return v, true
}

// scanString validates the string starting at d.i (a '"') and moves past
// it. escaped reports a backslash, or non-ASCII bytes (then the caller must
// decode). Invalid UTF-8 gives up: encoding/json would replace it.
func (d *fastDecoder) scanString() (end int, escaped, ok bool) {
	if !d.eat('"') {
		return 0, false, false
	}
	nonASCII := false
	start := d.i
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			if nonASCII && !utf8.ValidString(d.s[start:d.i]) {
				return 0, false, false
			}
			d.i++
			return d.i, escaped, true
		case c == '\\':
			escaped = true
			if d.i+1 >= len(d.s) {
				return 0, false, false
			}
			switch d.s[d.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				d.i += 2
			case 'u':
				if d.i+6 > len(d.s) {
					return 0, false, false
				}
				for _, h := range []byte(d.s[d.i+2 : d.i+6]) {
					if !isHex(h) {
						return 0, false, false
					}
				}
				d.i += 6
			default:
				return 0, false, false
			}
		case c < 0x20:
			return 0, false, false
		case c >= 0x80:
			nonASCII = true
			d.i++
		default:
			d.i++
		}
	}
	return 0, false, false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// scanNumber moves past a JSON number and returns it.
func (d *fastDecoder) scanNumber() (string, bool) {
	s, i := d.s, d.i
	start := i
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
	default:
		return "", false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return "", false
		}
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return "", false
		}
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
	}
	d.i = i
	return s[start:i], true
}

// number reads a number as encoding/json decodes it into a float64.
func (d *fastDecoder) number() (float64, bool) {
	tok, ok := d.scanNumber()
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(tok, 64)
	return f, err == nil
}

// metadata validates the metadata object at d.i, keeps its text and reads
// its facts.
func (d *fastDecoder) metadata(ev *ingestEvent) bool {
	start := d.i
	if !d.eat('{') {
		return false // not an object: std path reports the type error
	}
	var f metaFacts
	members := 0
	spaced := false
	d.wsNote(&spaced)
	if !d.eat('}') {
		for {
			d.wsNote(&spaced)
			kstart := d.i
			kend, escaped, ok := d.scanString()
			if !ok || escaped {
				return false // an escaped key could spell a fact key
			}
			key := d.s[kstart+1 : kend-1]
			d.wsNote(&spaced)
			if !d.eat(':') {
				return false
			}
			d.wsNote(&spaced)
			members++
			switch key {
			case wire.MetaOccurredAt, wire.MetaStatus:
				var s string
				isStr := d.i < len(d.s) && d.s[d.i] == '"'
				if isStr {
					if s, ok = d.str(); !ok {
						return false
					}
				} else if !d.skipValueNote(1, &spaced) {
					return false
				}
				if key == wire.MetaOccurredAt {
					f.occurredAt, f.hasOccurredAt = s, isStr
				} else {
					f.status = s
				}
			case wire.MetaLatencyMs:
				c := byte(0)
				if d.i < len(d.s) {
					c = d.s[d.i]
				}
				if c == '-' || '0' <= c && c <= '9' {
					if f.latency, ok = d.number(); !ok {
						return false
					}
					f.hasLatency = true
				} else {
					if !d.skipValueNote(1, &spaced) {
						return false
					}
					f.latency, f.hasLatency = 0, false
				}
			default:
				if !d.skipValueNote(1, &spaced) {
					return false
				}
			}
			d.wsNote(&spaced)
			if d.eat(',') {
				continue
			}
			if !d.eat('}') {
				return false
			}
			break
		}
	}
	ev.facts = f
	if members == 0 {
		ev.meta = ""
		return true
	}
	text := d.s[start:d.i]
	if spaced {
		d.compact = d.compact[:0]
		var err error
		if d.compact, err = appendCompact(d.compact, text); err != nil {
			return false
		}
		text = string(d.compact)
	}
	ev.meta = text
	return true
}

func appendCompact(dst []byte, text string) ([]byte, error) {
	buf := bytes.NewBuffer(dst[:0])
	err := json.Compact(buf, []byte(text))
	return buf.Bytes(), err
}

// wsNote skips whitespace and notes whether there was any.
func (d *fastDecoder) wsNote(spaced *bool) {
	i := d.i
	d.ws()
	if d.i != i {
		*spaced = true
	}
}

// skipValue validates and skips any JSON value.
func (d *fastDecoder) skipValue(depth int) bool {
	var spaced bool
	return d.skipValueNote(depth, &spaced)
}

func (d *fastDecoder) skipValueNote(depth int, spaced *bool) bool {
	if d.i >= len(d.s) || depth > maxFastDepth {
		return false
	}
	switch c := d.s[d.i]; {
	case c == '"':
		_, _, ok := d.scanString()
		return ok
	case c == '{':
		d.i++
		d.wsNote(spaced)
		if d.eat('}') {
			return true
		}
		for {
			d.wsNote(spaced)
			if d.i >= len(d.s) || d.s[d.i] != '"' {
				return false
			}
			if _, _, ok := d.scanString(); !ok {
				return false
			}
			d.wsNote(spaced)
			if !d.eat(':') {
				return false
			}
			d.wsNote(spaced)
			if !d.skipValueNote(depth+1, spaced) {
				return false
			}
			d.wsNote(spaced)
			if d.eat(',') {
				continue
			}
			return d.eat('}')
		}
	case c == '[':
		d.i++
		d.wsNote(spaced)
		if d.eat(']') {
			return true
		}
		for {
			d.wsNote(spaced)
			if !d.skipValueNote(depth+1, spaced) {
				return false
			}
			d.wsNote(spaced)
			if d.eat(',') {
				continue
			}
			return d.eat(']')
		}
	case c == '-' || '0' <= c && c <= '9':
		tok, ok := d.scanNumber()
		if !ok {
			return false
		}
		// Only an exponent or a very long mantissa can leave float64's
		// range, which encoding/json rejects when it decodes metadata.
		if len(tok) > 300 || strings.ContainsAny(tok, "eE") {
			if _, err := strconv.ParseFloat(tok, 64); err != nil {
				return false
			}
		}
		return true
	case c == 't':
		return d.lit("true")
	case c == 'f':
		return d.lit("false")
	case c == 'n':
		return d.lit("null")
	}
	return false
}

func (d *fastDecoder) lit(word string) bool {
	if strings.HasPrefix(d.s[d.i:], word) {
		d.i += len(word)
		return true
	}
	return false
}
