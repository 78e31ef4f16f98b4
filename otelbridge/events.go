package otelbridge

import (
	"encoding/hex"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/internal/textutil"
	"github.com/drip-sdk/drip-go/providers"
)

// Event types the bridge adds to the drip.Event* vocabulary.
const (
	// EventSpan is a span that is no GenAI operation (WithSpanEvents).
	EventSpan = "span"
	// EventSpanError is such a span that ended with an error status.
	EventSpanError = "span.error"
	// EventAgentError is an invoke_agent span that ended with an error
	// status (a successful one is drip.EventAgentFinish).
	EventAgentError = "agent.error"
)

// maxErrorMessage bounds the run error message taken from a status
// description, in runes.
const maxErrorMessage = 200

// spanEnd is what an event takes from an ended span besides its
// attributes.
type spanEnd struct {
	kind    spanKind
	failed  bool
	name    string // the span name, read only when it may label the event
	dropped int    // attributes the SDK dropped, read only for LLM spans without usage
}

// read fills x from s; it reports false for spans that record nothing.
func (p *SpanProcessor) read(x *spanEnd, s sdktrace.ReadOnlySpan, f *spanFacts) bool {
	x.kind = f.kind()
	switch x.kind {
	case kindLLM:
		if !f.hasTokens() {
			x.dropped = s.DroppedAttributes()
		}
	case kindWorkflow:
		if f.workflowName == "" && f.entityName == "" {
			x.name = s.Name()
		}
	case kindRetrieval:
		if f.dataSource == "" {
			x.name = s.Name()
		}
	case kindOther:
		if !p.cfg.spanEvents {
			return false
		}
		x.name = s.Name()
	}
	x.failed = s.Status().Code == codes.Error
	return true
}

// emit records in run the event of span s (sc its context, root whether it
// opened the run), which x describes. The event's idempotency key is
// otel_<trace>_<span>, so a span recorded twice (a replayed export, a
// bridge on two providers) is one event; its parentEventId is the parent
// span's id when that is in this process and s opened no run.
func (p *SpanProcessor) emit(run *drip.Run, s sdktrace.ReadOnlySpan, sc *trace.SpanContext, root bool, x *spanEnd, f *spanFacts) {
	var e drip.Event
	p.fill(&e, x, f)
	e.IdempotencyKey, e.SpanID, e.ParentEventID = spanIDs(sc, s.Parent(), root)
	e.Timestamp = s.StartTime()
	e.Duration = max(s.EndTime().Sub(e.Timestamp), 0)
	if run.Emit(e) == nil {
		p.events.Add(1)
	}
}

// spanIDs formats an event's ids from its span: the idempotency key, the
// span id and the parent event id ("" unless parent is a local span and
// the span opened no run), lowercase hex, in one allocation.
func spanIDs(sc *trace.SpanContext, parent trace.SpanContext, root bool) (key, spanID, parentID string) {
	const prefix = "otel_"
	const spanAt = len(prefix) + 2*len(trace.TraceID{}) + 1
	const keyEnd = spanAt + 2*len(trace.SpanID{})
	var buf [keyEnd + 2*len(trace.SpanID{})]byte
	tid, sid := sc.TraceID(), sc.SpanID()
	copy(buf[:], prefix)
	hex.Encode(buf[len(prefix):], tid[:])
	buf[spanAt-1] = '_'
	hex.Encode(buf[spanAt:], sid[:])
	n := keyEnd
	if !root && parent.IsValid() && !parent.IsRemote() {
		pid := parent.SpanID()
		n += hex.Encode(buf[keyEnd:], pid[:])
	}
	all := string(buf[:n])
	return all[:keyEnd], all[spanAt:keyEnd], all[keyEnd:]
}

// fill maps an ended span onto the event its run records, written to e,
// a zero Event, but for its ids and times.
func (p *SpanProcessor) fill(e *drip.Event, x *spanEnd, f *spanFacts) {
	var name, desc, errDesc string
	switch x.kind {
	case kindLLM:
		var u providers.Usage
		f.usage(&u)
		if x.failed {
			u.ErrorType = errorType(f)
		}
		*e = drip.LLMEvent(&u) // the funnel every integration shares
		if f.cacheNew.v > 0 {
			// Input tokens written to the prompt cache (Anthropic bills
			// them apart); named to pass the MetadataGuard.
			if e.Metadata == nil {
				e.Metadata = make(map[string]any, 2)
			}
			e.Metadata["cacheWrites"] = f.cacheNew.v
		}
		if x.dropped > 0 {
			// Attributes set after the SDK's attribute count limit is reached
			// are dropped, usage among them: say so.
			if e.Metadata == nil {
				e.Metadata = make(map[string]any, 2)
			}
			e.Metadata["droppedAttributes"] = x.dropped
		}
		return
	case kindTool:
		name = f.toolLabel()
		e.Type, e.Units = drip.EventToolCall, "calls"
		desc, errDesc = "Tool: ", "Tool error: "
		if x.failed {
			e.Type = drip.EventToolError
		}
	case kindAgent:
		name = f.agentLabel()
		e.Type, e.Units = drip.EventAgentFinish, "actions"
		desc, errDesc = "Agent: ", "Agent error: "
		if x.failed {
			e.Type = EventAgentError
		}
	case kindWorkflow:
		name = f.workflowName
		if name == "" {
			name = f.entityName
		}
		if name == "" {
			name = x.name
		}
		e.Type, e.Units = drip.EventChainExecution, "executions"
		desc, errDesc = "Chain: ", "Chain error: "
		if x.failed {
			e.Type = drip.EventChainError
		}
	case kindRetrieval:
		name = f.dataSource
		if name == "" {
			name = x.name
		}
		e.Type, e.Units = drip.EventRetrieverQuery, "queries"
		desc, errDesc = "Retriever: ", "Retriever error: "
		if x.failed {
			e.Type = drip.EventRetrieverError
		}
	default:
		name = x.name
		e.Type, e.Units = EventSpan, "spans"
		desc, errDesc = "Span: ", "Span error: "
		if x.failed {
			e.Type = EventSpanError
		}
	}
	e.Name, e.Quantity = name, 1
	e.Status, e.Description = drip.StatusSuccess, desc+name
	if x.failed {
		e.Status, e.Description, e.Units = drip.StatusError, errDesc+name, "errors"
		e.Metadata = map[string]any{"errorType": errorType(f)}
	}
}

// errorType is the failed span's error.type, never its message.
func errorType(f *spanFacts) string {
	if f.errorType != "" {
		return f.errorType
	}
	return "error"
}

// endParams ends the run a root span opened: COMPLETED, or FAILED with the
// first line of the status description, cut short (never a stack trace).
func endParams(s sdktrace.ReadOnlySpan, f *spanFacts) drip.EndRunParams {
	st := s.Status()
	if st.Code != codes.Error {
		return drip.EndRunParams{Status: drip.RunCompleted}
	}
	msg, _, _ := strings.Cut(st.Description, "\n")
	msg = textutil.Truncate(strings.TrimSpace(msg), maxErrorMessage)
	code := f.errorType
	if f.httpStatus >= 400 {
		// HTTP server spans (otelhttp) fail with an empty description.
		status := strconv.FormatInt(f.httpStatus, 10)
		if code == "" || code == status {
			code = "HTTP_" + status
		}
		if msg == "" {
			msg = "HTTP " + status
		}
	}
	if code == "" {
		code = "SPAN_ERROR"
	}
	return drip.EndRunParams{Status: drip.RunFailed, ErrorCode: code, ErrorMessage: msg}
}
