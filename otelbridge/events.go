package otelbridge

import (
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/internal/inplace"
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

// The in-place path package drip gives the bridge (internal/inplace): an
// event is built in the tracker's queue slot, not built and copied there,
// and the exporter finishes it from the span: its ids (the idempotency
// key otel_<trace>_<span>, spanId, and parentEventId for a span whose
// parent is in this process and that opened no run), Timestamp and
// Duration. Nothing on the span's goroutine waits for those.
var (
	reserveEvent = inplace.Reserve.(func(*drip.Run) (*drip.Event, *inplace.SpanRef, uint64, error))
	publishEvent = inplace.Publish.(func(*drip.Run, uint64) error)
)

// spanEnd is what an event takes from an ended span besides its attributes
// (and what the exporter reads). It is read before a queue slot is claimed,
// so that filling the slot calls nothing (no span method) that could block
// or panic while the exporter waits for it.
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
// opened the run), which x describes.
func (p *SpanProcessor) emit(run *drip.Run, s sdktrace.ReadOnlySpan, sc *trace.SpanContext, root bool, x *spanEnd, f *spanFacts) {
	e, ref, pos, err := reserveEvent(run)
	if err != nil {
		return // refused; the tracker counted it
	}
	// The slot is published whatever happens: one left unpublished would
	// stall the exporter for good. A fill that panicked leaves no event
	// (an invalid one, which the exporter skips).
	filled := false
	defer func() {
		if !filled {
			*e = drip.Event{}
		}
		if publishEvent(run, pos) == nil {
			p.events.Add(1)
		}
	}()
	*ref = inplace.SpanRef{Span: s, Trace: sc.TraceID(), ID: sc.SpanID(), Root: root}
	p.fill(e, x, f)
	filled = true
}

// fill maps an ended span onto the event its run records, written to e,
// a zero Event, but for what the exporter takes from the span. It calls
// nothing that can block or panic (see spanEnd).
func (p *SpanProcessor) fill(e *drip.Event, x *spanEnd, f *spanFacts) {
	var name, desc, errDesc string
	switch x.kind {
	case kindLLM:
		var u providers.Usage
		f.usage(&u)
		if x.failed {
			u.ErrorType = errorType(f)
		}
		*e = drip.LLMEvent(&u, p.prices) // the funnel every integration shares
		if f.cacheNew.v > 0 {
			// Input tokens written to the prompt cache (Anthropic bills
			// them apart); named to pass the MetadataGuard.
			if e.Metadata == nil {
				e.Metadata = make(map[string]any, 2)
			}
			e.Metadata["cacheWrites"] = f.cacheNew.v
		}
		if x.dropped > 0 {
			// Usage set after the attribute limit is lost (integrations.md §0.10).
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
