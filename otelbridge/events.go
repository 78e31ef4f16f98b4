package otelbridge

import (
	"encoding/binary"
	"strconv"
	"strings"
	"sync/atomic"
	"unsafe"

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

// event maps an ended span onto the event its run records, written to e
// (a zero Event: the caller's, so the ~300-byte struct is not copied on
// the way back); it reports false for spans that record nothing. Model
// calls go through drip.LLMEvent, the one funnel every integration shares.
func (p *SpanProcessor) event(e *drip.Event, s sdktrace.ReadOnlySpan, sc *trace.SpanContext, f *spanFacts, root bool) bool {
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
		*e = drip.LLMEvent(&u, p.prices)
		if f.cacheNew.v > 0 {
			// Input tokens written to the prompt cache (Anthropic bills
			// them apart); named to pass the MetadataGuard.
			if e.Metadata == nil {
				e.Metadata = make(map[string]any, 2)
			}
			e.Metadata["cacheWrites"] = f.cacheNew.v
		}
		if !f.hasTokens() {
			if n := s.DroppedAttributes(); n > 0 {
				// Usage set after the attribute limit is lost (integrations.md §0.10).
				if e.Metadata == nil {
					e.Metadata = make(map[string]any, 2)
				}
				e.Metadata["droppedAttributes"] = n
			}
		}
		e.IdempotencyKey, e.SpanID, e.ParentEventID = eventIDs(s, sc, root)
		return true
	case kindTool:
		name = f.toolLabel()
		e.Type, e.Units = drip.EventToolCall, "calls"
		desc, errDesc = "Tool: ", "Tool error: "
		if failed {
			e.Type = drip.EventToolError
		}
	case kindAgent:
		name = f.agentLabel()
		e.Type, e.Units = drip.EventAgentFinish, "actions"
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
		e.Type, e.Units = drip.EventChainExecution, "executions"
		desc, errDesc = "Chain: ", "Chain error: "
		if failed {
			e.Type = drip.EventChainError
		}
	case kindRetrieval:
		name = f.dataSource
		if name == "" {
			name = s.Name()
		}
		e.Type, e.Units = drip.EventRetrieverQuery, "queries"
		desc, errDesc = "Retriever: ", "Retriever error: "
		if failed {
			e.Type = drip.EventRetrieverError
		}
	default:
		if !p.cfg.spanEvents {
			return false
		}
		name = s.Name()
		e.Type, e.Units = EventSpan, "spans"
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
	return true
}

// eventIDs returns the event's idempotency key, spanId and parentEventId,
// hex-encoded into one run of bytes of idStrings. The key is derived from the trace and span
// ids ("otel_<trace>_<span>"), so a span recorded twice (a replayed export,
// the bridge on two providers) is one event to Drip. The parent is set for
// spans whose parent is in the same process and the same run.
func eventIDs(s sdktrace.ReadOnlySpan, sc *trace.SpanContext, root bool) (key, spanID, parentID string) {
	const prefix = "otel_"
	const spanAt = len(prefix) + 2*len(trace.TraceID{}) + 1
	const keyEnd = spanAt + 2*len(trace.SpanID{})
	p := s.Parent()
	n := keyEnd
	if !root && p.IsValid() && !p.IsRemote() {
		n += 2 * len(trace.SpanID{})
	}
	buf := idStrings.alloc(sc.SpanID())
	tid, sid, pid := sc.TraceID(), sc.SpanID(), p.SpanID()
	copy(buf[:], prefix)
	be := binary.BigEndian
	be.PutUint64(buf[len(prefix):], hexDigits(be.Uint32(tid[0:])))
	be.PutUint64(buf[len(prefix)+8:], hexDigits(be.Uint32(tid[4:])))
	be.PutUint64(buf[len(prefix)+16:], hexDigits(be.Uint32(tid[8:])))
	be.PutUint64(buf[len(prefix)+24:], hexDigits(be.Uint32(tid[12:])))
	buf[spanAt-1] = '_'
	be.PutUint64(buf[spanAt:], hexDigits(be.Uint32(sid[0:])))
	be.PutUint64(buf[spanAt+8:], hexDigits(be.Uint32(sid[4:])))
	if n > keyEnd {
		be.PutUint64(buf[keyEnd:], hexDigits(be.Uint32(pid[0:])))
		be.PutUint64(buf[keyEnd+8:], hexDigits(be.Uint32(pid[4:])))
	}
	all := unsafe.String(&buf[0], n) // buf is not written again
	return all[:keyEnd], all[spanAt:keyEnd], all[keyEnd:]
}

// idLen is the longest id string: the key and a parent span id.
const idLen = len("otel_") + 2*len(trace.TraceID{}) + 1 + 4*len(trace.SpanID{})

// idChunkSize is how many bytes of ids a block holds: with its offset, a
// block fills a 2 KiB size class and serves about 28 spans.
const idChunkSize = 2048 - 8

// idChunk is a block of immutable id strings, handed out front to back.
type idChunk struct {
	off atomic.Int64 // bytes handed out (or claimed past the end)
	buf [idChunkSize]byte
}

// idArena makes the id strings of events. A string per event would be the
// only allocation on OnEnd's path; instead ids are copied into shared
// blocks, each allocated once and freed by the GC when no event refers to
// any id in it any more (an id kept for long keeps its 2 KiB block).
// Each goroutine writes only the bytes it claimed, before the string is
// made; nothing writes them afterwards. The current block is per shard
// of span ids, so that concurrent OnEnds seldom share a cache line.
type idArena struct {
	cur [shardCount]struct {
		p atomic.Pointer[idChunk]
		_ [56]byte
	}
}

var idStrings idArena

// alloc returns idLen bytes for the caller to write id strings in, once,
// before making the strings; sid picks the block.
func (a *idArena) alloc(sid trace.SpanID) *[idLen]byte {
	const size = int64(idLen+7) &^ 7 // whole words: no two ids share one
	cur := &a.cur[spanKey(sid)&(shardCount-1)].p
	if c := cur.Load(); c != nil {
		if end := c.off.Add(size); end <= idChunkSize {
			return (*[idLen]byte)(c.buf[end-size:])
		}
	}
	c := new(idChunk)
	c.off.Store(size)
	cur.Store(c) // a racing OnEnd may install its own block: either will do
	return (*[idLen]byte)(c.buf[:])
}

// hexDigits spreads the eight nibbles of v, most significant first, over
// the eight bytes of the result (big-endian) as lowercase hex digits.
func hexDigits(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000ffff0000ffff
	x = (x | x<<8) & 0x00ff00ff00ff00ff
	x = (x | x<<4) & 0x0f0f0f0f0f0f0f0f // one nibble per byte
	// Bytes ≥ 10 get 'a'-'0'-10 more; no byte carries into the next.
	letters := ((x + 0x0606060606060606) >> 4) & 0x0101010101010101
	return x + 0x3030303030303030 + letters*('a'-'0'-10)
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
