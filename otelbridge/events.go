package otelbridge

import (
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/internal/genaimap"
)

// Event types the bridge adds to the drip.Event* vocabulary.
const (
	// EventSpan is a span that is no GenAI operation (WithSpanEvents).
	EventSpan = genaimap.EventSpan
	// EventSpanError is such a span that ended with an error status.
	EventSpanError = genaimap.EventSpanError
	// EventAgentError is an invoke_agent span that ended with an error
	// status (a successful one is drip.EventAgentFinish).
	EventAgentError = genaimap.EventAgentError
)

// read fills x from s; it reports false for spans that record nothing.
func (p *SpanProcessor) read(x *genaimap.End, s sdktrace.ReadOnlySpan, f *genaimap.Facts) bool {
	ok, name, dropped := x.Classify(f, p.cfg.spanEvents)
	if !ok {
		return false
	}
	if name {
		x.Name = s.Name()
	}
	if dropped {
		x.Dropped = s.DroppedAttributes()
	}
	x.Failed = s.Status().Code == codes.Error
	return true
}

// emit records in run the event of span s (sc its context, root whether it
// opened the run), which x describes. The event's idempotency key is
// otel_<trace>_<span>, so a span recorded twice (a replayed export, a
// bridge on two providers, the Collector exporter) is one event; its
// parentEventId is the parent span's id when that is in this process and s
// opened no run.
func (p *SpanProcessor) emit(run *drip.Run, s sdktrace.ReadOnlySpan, sc *trace.SpanContext, root bool, x *genaimap.End, f *genaimap.Facts) {
	var e drip.Event
	genaimap.Fill(&e, x, f)
	parent := s.Parent()
	e.IdempotencyKey, e.SpanID, e.ParentEventID = genaimap.IDs(sc.TraceID(), sc.SpanID(), parent.SpanID(),
		!root && parent.IsValid() && !parent.IsRemote())
	e.Timestamp = s.StartTime()
	e.Duration = max(s.EndTime().Sub(e.Timestamp), 0)
	if run.Emit(e) == nil {
		p.events.Add(1)
	}
}

// endParams ends the run a root span opened (see genaimap.EndParams).
func endParams(s sdktrace.ReadOnlySpan, f *genaimap.Facts) drip.EndRunParams {
	st := s.Status()
	return genaimap.EndParams(st.Code == codes.Error, st.Description, f)
}
