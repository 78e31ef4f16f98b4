package otelbridge

import (
	"encoding/hex"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/drip-sdk/drip-go"
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

// event maps an ended span onto the event its run records; ok is false for
// spans that record nothing. Model calls go through drip.LLMEvent, the one
// funnel every integration shares.
func (p *SpanProcessor) event(s sdktrace.ReadOnlySpan, sc trace.SpanContext, f *spanFacts, root bool) (e drip.Event, ok bool) {
	failed := s.Status().Code == codes.Error
	start := s.StartTime()
	d := max(s.EndTime().Sub(start), 0)

	var name, desc, errDesc string
	switch f.kind() {
	case kindLLM:
		var u providers.Usage
		f.usage(&u)
		u.Start, u.Duration = start, d
		if failed {
			u.ErrorType = errorType(f)
		}
		e = drip.LLMEvent(&u, p.prices)
		if e.Metadata == nil && (f.cacheNew.v > 0 || s.DroppedAttributes() > 0) {
			e.Metadata = make(map[string]any, 2)
		}
		if f.cacheNew.v > 0 {
			// Input tokens written to the prompt cache (Anthropic bills
			// them apart); named to pass the MetadataGuard.
			e.Metadata["cacheWrites"] = f.cacheNew.v
		}
		if n := s.DroppedAttributes(); n > 0 && !f.hasTokens() {
			// Usage set after the attribute limit is lost (integrations.md §0.10).
			e.Metadata["droppedAttributes"] = n
		}
		e.IdempotencyKey, e.SpanID, e.ParentEventID = eventIDs(s, sc, root)
		return e, true
	case kindTool:
		name = f.toolLabel()
		e = drip.Event{Type: drip.EventToolCall, Units: "calls"}
		desc, errDesc = "Tool: ", "Tool error: "
		if failed {
			e.Type = drip.EventToolError
		}
	case kindAgent:
		name = f.agentLabel()
		e = drip.Event{Type: drip.EventAgentFinish, Units: "actions"}
		desc, errDesc = "Agent: ", "Agent error: "
		if failed {
			e.Type = EventAgentError
		}
	case kindWorkflow:
		name = f.workflowName
		if name == "" {
			name = f.entityName
		}
		if name == "" {
			name = s.Name()
		}
		e = drip.Event{Type: drip.EventChainExecution, Units: "executions"}
		desc, errDesc = "Chain: ", "Chain error: "
		if failed {
			e.Type = drip.EventChainError
		}
	case kindRetrieval:
		name = f.dataSource
		if name == "" {
			name = s.Name()
		}
		e = drip.Event{Type: drip.EventRetrieverQuery, Units: "queries"}
		desc, errDesc = "Retriever: ", "Retriever error: "
		if failed {
			e.Type = drip.EventRetrieverError
		}
	default:
		if !p.cfg.spanEvents {
			return e, false
		}
		name = s.Name()
		e = drip.Event{Type: EventSpan, Units: "spans"}
		desc, errDesc = "Span: ", "Span error: "
		if failed {
			e.Type = EventSpanError
		}
	}
	e.Name, e.Quantity, e.Duration, e.Timestamp = name, 1, d, start
	e.Status, e.Description = drip.StatusSuccess, desc+name
	if failed {
		e.Status, e.Description, e.Units = drip.StatusError, errDesc+name, "errors"
		e.Metadata = map[string]any{"errorType": errorType(f)}
	}
	e.IdempotencyKey, e.SpanID, e.ParentEventID = eventIDs(s, sc, root)
	return e, true
}

// eventIDs returns the event's idempotency key, spanId and parentEventId,
// hex-encoded in one allocation. The key is derived from the trace and span
// ids ("otel_<trace>_<span>"), so a span recorded twice (a replayed export,
// the bridge on two providers) is one event to Drip. The parent is set for
// spans whose parent is in the same process and the same run.
func eventIDs(s sdktrace.ReadOnlySpan, sc trace.SpanContext, root bool) (key, spanID, parentID string) {
	const prefix = "otel_"
	tid, sid := sc.TraceID(), sc.SpanID()
	var buf [len(prefix) + 2*len(tid) + 1 + 4*len(sid)]byte
	n := copy(buf[:], prefix)
	n += hex.Encode(buf[n:], tid[:])
	buf[n] = '_'
	n++
	spanAt := n
	n += hex.Encode(buf[n:], sid[:])
	keyEnd := n
	if p := s.Parent(); !root && p.IsValid() && !p.IsRemote() {
		pid := p.SpanID()
		n += hex.Encode(buf[n:], pid[:])
	}
	all := string(buf[:n])
	return all[:keyEnd], all[spanAt:keyEnd], all[keyEnd:]
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
	msg = truncate(strings.TrimSpace(msg), maxErrorMessage)
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

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}
