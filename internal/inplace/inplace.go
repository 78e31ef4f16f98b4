// Package inplace is the private way otelbridge records an ended span with
// as little as possible on the span's goroutine: it builds the event
// straight in a tracker's queue slot, and leaves the span there for the
// exporter to finish the event from (ids, times) off that goroutine.
//
// Package drip, which this package cannot import, sets the functions in its
// init (as grpc's internal package does); a user of them asserts each to
// the type its comment gives, once, at package initialisation.
package inplace

import (
	"encoding/hex"
	"time"

	"go.opentelemetry.io/otel/trace"
)

var (
	// Reserve is a func(*drip.Run) (*drip.Event, *SpanRef, uint64, error).
	// It claims a queue slot for an event of the run (refusing, and
	// counting, as Run.Emit does) and returns the slot's zero event and
	// span reference to fill, and the position to hand to Publish. Until
	// Publish the exporter waits at the slot: fill it without calling
	// anything that can block, and publish it whatever happens.
	Reserve any
	// Publish is a func(*drip.Run, uint64) error. It validates the event as
	// Run.Emit does and hands the slot to the exporter (one it skips if the
	// event is invalid). An event with a span is stamped by the exporter,
	// from the span; one without, here when its Timestamp is zero.
	Publish any
)

// Span is what the exporter reads from the span an event records;
// sdktrace.ReadOnlySpan has it. The span must not change once ended (the
// SDK's do not): the exporter reads it later, on its own goroutine, as
// OpenTelemetry's batch span processor does.
type Span interface {
	StartTime() time.Time
	EndTime() time.Time
	Parent() trace.SpanContext
}

// SpanRef is the ended span an event records, which the exporter finishes
// the event from. A nil Span means the event has none.
type SpanRef struct {
	Span  any // a Span, kept as any: converting to Span costs an itab lookup the caller need not pay
	Trace trace.TraceID
	ID    trace.SpanID
	Root  bool // the span opened the event's run: no parent event
}

// Finished is what an event takes from its span.
type Finished struct {
	// Key is the idempotency key "otel_<trace>_<span>": a span recorded
	// twice (a replayed export, a bridge on two providers) is one event.
	Key, SpanID string
	// ParentID is the parent span's id when that is in the same process
	// and the span opened no run, else "".
	ParentID string
	// Start and Duration are when the span started and how long it ran.
	Start    time.Time
	Duration time.Duration
}

// Finish reads the span and formats its ids (lowercase hex, one
// allocation).
func (r *SpanRef) Finish() Finished {
	const prefix = "otel_"
	const spanAt = len(prefix) + 2*len(r.Trace) + 1
	const keyEnd = spanAt + 2*len(r.ID)
	var buf [keyEnd + 2*len(r.ID)]byte
	copy(buf[:], prefix)
	hex.Encode(buf[len(prefix):], r.Trace[:])
	buf[spanAt-1] = '_'
	hex.Encode(buf[spanAt:], r.ID[:])
	n := keyEnd
	var f Finished
	if s, ok := r.Span.(Span); ok {
		f.Start = s.StartTime()
		f.Duration = max(s.EndTime().Sub(f.Start), 0)
		if p := s.Parent(); !r.Root && p.IsValid() && !p.IsRemote() {
			pid := p.SpanID()
			n += hex.Encode(buf[keyEnd:], pid[:])
		}
	}
	all := string(buf[:n])
	f.Key, f.SpanID, f.ParentID = all[:keyEnd], all[spanAt:keyEnd], all[keyEnd:]
	return f
}
