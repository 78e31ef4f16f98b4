package genaimap

import (
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/internal/textutil"
	"github.com/drip-sdk/drip-go/providers"
	"github.com/drip-sdk/drip-go/providers/pricing"
)

// Event types the rules add to the drip.Event* vocabulary.
const (
	// EventSpan is a span that is no GenAI operation (when span events are
	// on).
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

// Span is the view of an ended span, besides its attributes, that the
// rules read: the OpenTelemetry SDK's ReadOnlySpan and the Collector's
// ptrace.Span both provide it through a small adapter.
type Span interface {
	Name() string
	// Failed reports an error status.
	Failed() bool
	// DroppedAttributes counts attributes the emitter dropped.
	DroppedAttributes() int
}

// End is what an event takes from an ended span besides its attributes.
type End struct {
	Kind    Kind
	Failed  bool
	Name    string // the span name, read only when it may label the event
	Dropped int    // attributes dropped, read only for LLM spans without usage
}

// Read fills x from s and f; it reports false for spans that record
// nothing (spans of no GenAI kind, unless spanEvents).
func (x *End) Read(s Span, f *Facts, spanEvents bool) bool {
	ok, name, dropped := x.Classify(f, spanEvents)
	if !ok {
		return false
	}
	if name {
		x.Name = s.Name()
	}
	if dropped {
		x.Dropped = s.DroppedAttributes()
	}
	x.Failed = s.Failed()
	return true
}

// Classify sets x.Kind from f and says whether the span records anything
// and which of its name and dropped-attribute count the event needs (the
// caller fills Name, Dropped and Failed): Read without an interface, for
// hot paths.
func (x *End) Classify(f *Facts, spanEvents bool) (ok, name, dropped bool) {
	x.Kind = f.Kind()
	switch x.Kind {
	case KindLLM:
		dropped = !f.HasTokens()
	case KindWorkflow:
		name = f.workflowName == "" && f.entityName == ""
	case KindRetrieval:
		name = f.dataSource == ""
	case KindOther:
		if !spanEvents {
			return false, false, false
		}
		name = true
	}
	return true, name, dropped
}

// Fill maps an ended span onto the event its run records, written to e,
// a zero Event, but for its ids and times (see IDs).
func Fill(e *drip.Event, x *End, f *Facts) {
	var name, desc, errDesc string
	switch x.Kind {
	case KindLLM:
		var u providers.Usage
		f.Usage(&u)
		if x.Failed {
			u.ErrorType = errorType(f)
		}
		*e = drip.LLMEvent(&u) // the funnel every integration shares
		if f.cacheNew.v > 0 {
			// Also under the name this bridge used before the event had
			// CacheCreationInputTokens, for readers of that key.
			if e.Metadata == nil {
				e.Metadata = make(map[string]any, 2)
			}
			e.Metadata["cacheWrites"] = f.cacheNew.v
		}
		if x.Dropped > 0 {
			// Attributes past the emitter's attribute count limit are
			// dropped, usage among them: say so.
			if e.Metadata == nil {
				e.Metadata = make(map[string]any, 2)
			}
			e.Metadata["droppedAttributes"] = x.Dropped
		}
		return
	case KindTool:
		name = f.toolLabel()
		e.Type, e.Units = drip.EventToolCall, "calls"
		desc, errDesc = "Tool: ", "Tool error: "
		if x.Failed {
			e.Type = drip.EventToolError
		}
	case KindAgent:
		name = f.agentLabel()
		e.Type, e.Units = drip.EventAgentFinish, "actions"
		desc, errDesc = "Agent: ", "Agent error: "
		if x.Failed {
			e.Type = EventAgentError
		}
	case KindWorkflow:
		name = f.workflowName
		if name == "" {
			name = f.entityName
		}
		if name == "" {
			name = x.Name
		}
		e.Type, e.Units = drip.EventChainExecution, "executions"
		desc, errDesc = "Chain: ", "Chain error: "
		if x.Failed {
			e.Type = drip.EventChainError
		}
	case KindRetrieval:
		name = f.dataSource
		if name == "" {
			name = x.Name
		}
		e.Type, e.Units = drip.EventRetrieverQuery, "queries"
		desc, errDesc = "Retriever: ", "Retriever error: "
		if x.Failed {
			e.Type = drip.EventRetrieverError
		}
	default:
		name = x.Name
		e.Type, e.Units = EventSpan, "spans"
		desc, errDesc = "Span: ", "Span error: "
		if x.Failed {
			e.Type = EventSpanError
		}
	}
	e.Name, e.Quantity = name, 1
	e.Status, e.Description = drip.StatusSuccess, desc+name
	if x.Failed {
		e.Status, e.Description, e.Units = drip.StatusError, errDesc+name, "errors"
		e.Metadata = map[string]any{"errorType": errorType(f)}
	}
}

// errorType is the failed span's error.type, never its message.
func errorType(f *Facts) string {
	if f.errorType != "" {
		return f.errorType
	}
	return "error"
}

// EndParams ends the run a root span opened: COMPLETED, or FAILED with the
// first line of the status description, cut short (never a stack trace).
func EndParams(failed bool, description string, f *Facts) drip.EndRunParams {
	if !failed {
		return drip.EndRunParams{Status: drip.RunCompleted}
	}
	msg, _, _ := strings.Cut(description, "\n")
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

// IDs formats an event's ids from its span: the idempotency key
// otel_<trace>_<span> (so a span seen twice — a replayed export, a second
// collector — is one event), the span id, and the parent event id (the
// parent span's id when withParent, else ""), lowercase hex, in one
// allocation.
func IDs(traceID [16]byte, spanID, parentID [8]byte, withParent bool) (key, span, parent string) {
	const prefix = "otel_"
	const spanAt = len(prefix) + 2*16 + 1
	const keyEnd = spanAt + 2*8
	var buf [keyEnd + 2*8]byte
	copy(buf[:], prefix)
	hex.Encode(buf[len(prefix):], traceID[:])
	buf[spanAt-1] = '_'
	hex.Encode(buf[spanAt:], spanID[:])
	n := keyEnd
	if withParent {
		n += hex.Encode(buf[keyEnd:], parentID[:])
	}
	all := string(buf[:n])
	return all[:keyEnd], all[spanAt:keyEnd], all[keyEnd:]
}

// RunID is the external run id of the run a trace opens at a span: stable,
// so a replayed start is the same run.
func RunID(traceID [16]byte, spanID [8]byte) string {
	var buf [len("otel-") + 32 + 1 + 16]byte
	copy(buf[:], "otel-")
	hex.Encode(buf[5:], traceID[:])
	buf[37] = '-'
	hex.Encode(buf[38:], spanID[:])
	return string(buf[:])
}

// Workflow names a run's workflow from the span that opens it: the
// drip.workflow attribute as given, else gen_ai.workflow.name, else
// gen_ai.agent.name, else fallback, else the span name, the names as slugs
// ("Support Agent" → "support_agent"), else "otel".
func Workflow(f *Facts, spanName, fallback string) string {
	switch {
	case f.workflow != "":
		return f.workflow
	case f.workflowName != "":
		return Slug(f.workflowName)
	case f.agentName != "":
		return Slug(f.agentName)
	case fallback != "":
		return fallback
	}
	if w := Slug(spanName); w != "" {
		return w
	}
	return "otel"
}

// maxSlugLen bounds workflows made from names.
const maxSlugLen = 64

// Slug makes a workflow slug of a name: lower case ASCII letters, digits
// and dashes, other runs of characters turned into one underscore.
func Slug(name string) string {
	var b strings.Builder
	b.Grow(min(len(name), maxSlugLen))
	under := false
	for i := 0; i < len(name) && b.Len() < maxSlugLen; i++ {
		c := name[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
			fallthrough
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-':
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteByte(c)
		default:
			under = true
		}
	}
	return b.String()
}

// TraceRunID is the external run id of the run a whole trace makes when
// its spans may arrive in any order and through several processes (the
// Collector exporter): the trace id alone names it.
func TraceRunID(traceID [16]byte) string {
	var buf [len("otel-") + 32]byte
	copy(buf[:], "otel-")
	hex.Encode(buf[5:], traceID[:])
	return string(buf[:])
}

// Price fills the cost of an LLM event that has none from t, as the
// tracker's exporter does for otelbridge's events (nil t: no pricing).
func Price(e *drip.Event, t *pricing.Table) {
	if t == nil || e.CostUnits != 0 || e.Model == "" || e.Type != drip.EventLLMCompletion {
		return
	}
	if cost, ok := e.Cost(t); ok {
		e.CostUnits = cost
	}
}
