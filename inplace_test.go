package drip

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/drip-sdk/drip-go/internal/inplace"
)

// batchCapture is an API that starts every run and keeps the events of
// every batch it is sent, as decoded JSON objects.
type batchCapture struct {
	mu     sync.Mutex
	events []map[string]any
}

func (c *batchCapture) tracker(t *testing.T, opts ...TrackerOption) *Tracker {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/runs"):
			_, _ = io.WriteString(w, `{"id":"run_1","customerId":"cus_1","workflowId":"wf_1","status":"RUNNING"}`)
		case strings.HasSuffix(r.URL.Path, "/run-events/batch"):
			var b struct{ Events []map[string]any }
			if err := json.Unmarshal(body, &b); err != nil {
				t.Errorf("batch body %s: %v", body, err)
			}
			c.mu.Lock()
			c.events = append(c.events, b.Events...)
			c.mu.Unlock()
			_, _ = io.WriteString(w, `{"success":true,"created":0,"duplicates":0,"skipped":0,"events":[]}`)
		default:
			_, _ = io.WriteString(w, `{}`)
		}
	}))
	t.Cleanup(srv.Close)
	cl, err := New(WithAPIKey("sk_test_inplace_000000000"), WithBaseURL(srv.URL+"/v1"))
	if err != nil {
		t.Fatal(err)
	}
	tr := NewTracker(cl, append([]TrackerOption{WithoutSelfMetrics()}, opts...)...)
	t.Cleanup(func() { _ = tr.Shutdown(context.Background()) })
	return tr
}

// endedSpan is an ended OpenTelemetry span as the exporter reads it.
type endedSpan struct {
	start, end time.Time
	parent     trace.SpanContext
}

func (s *endedSpan) StartTime() time.Time      { return s.start }
func (s *endedSpan) EndTime() time.Time        { return s.end }
func (s *endedSpan) Parent() trace.SpanContext { return s.parent }

// TestInPlaceEmitMatchesEmit: an event built in its queue slot and left
// for the exporter to finish from its span (otelbridge's path) goes on the
// wire exactly as the same event given whole to Run.Emit.
func TestInPlaceEmitMatchesEmit(t *testing.T) {
	ts := time.Date(2026, 11, 27, 13, 0, 0, 123456789, time.UTC)
	tid := trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	sid := trace.SpanID{0x53, 0x99, 0x5c, 0x3f, 0x42, 0xcd, 0x8f, 0x81}
	parent := trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}
	local := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: parent, TraceFlags: trace.FlagsSampled})
	remote := local.WithRemote(true)
	llm := Event{Type: EventLLMCompletion, Model: "gpt-4o-mini-2024-07-18", Provider: "openai", Operation: "chat",
		InputTokens: 812, OutputTokens: 164, CachedInputTokens: 256, Quantity: 976, Units: "tokens",
		Status: StatusSuccess, Metadata: map[string]any{"cacheWrites": int64(12)}}
	tool := Event{Type: EventToolError, Name: "search", Quantity: 1, Units: "errors", Status: StatusError,
		Description: "Tool error: search", Metadata: map[string]any{"errorType": "timeout"}}
	cases := []struct {
		ev         Event
		ref        inplace.SpanRef
		wantParent string
	}{
		{llm, inplace.SpanRef{Trace: tid, ID: sid, Span: &endedSpan{ts, ts.Add(730 * time.Millisecond), local}}, hex.EncodeToString(parent[:])},
		{tool, inplace.SpanRef{Trace: tid, ID: sid, Span: &endedSpan{ts, ts.Add(40 * time.Millisecond), remote}}, ""},
		{llm, inplace.SpanRef{Trace: tid, ID: sid, Root: true, Span: &endedSpan{ts, ts, local}}, ""},
		{tool, inplace.SpanRef{Trace: tid, ID: sid, Span: &endedSpan{ts, ts.Add(-time.Second), trace.SpanContext{}}}, ""},
	}
	var c batchCapture
	tr := c.tracker(t)
	_, run := tr.StartRun(context.Background(), RunParams{CustomerID: "cus_1", Workflow: "w"})
	for _, tc := range cases {
		want := tc.ev
		sp := tc.ref.Span.(*endedSpan)
		want.Timestamp, want.Duration = sp.start, max(sp.end.Sub(sp.start), 0)
		want.IdempotencyKey = "otel_" + tid.String() + "_" + sid.String()
		want.SpanID, want.ParentEventID = sid.String(), tc.wantParent
		if err := run.Emit(want); err != nil {
			t.Fatal(err)
		}
		e, ref, pos, err := run.reserveEvent()
		if err != nil {
			t.Fatal(err)
		}
		*e, *ref = tc.ev, tc.ref
		if err := run.publishEvent(pos); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(c.events) != 2*len(cases) {
		t.Fatalf("sent %d events, want %d", len(c.events), 2*len(cases))
	}
	for i := range cases {
		emitted, inPlace := c.events[2*i], c.events[2*i+1]
		if !reflect.DeepEqual(emitted, inPlace) {
			t.Errorf("case %d on the wire:\nEmit:     %v\nin place: %v", i, emitted, inPlace)
		}
	}
}

// TestInPlaceRefusesAsEmit: the in-place path validates, refuses and
// counts as Run.Emit does, and an invalid event's slot is skipped.
func TestInPlaceRefusesAsEmit(t *testing.T) {
	var c batchCapture
	tr := c.tracker(t, WithBlockOnFull()) // the waiting reserve
	_, run := tr.StartRun(context.Background(), RunParams{CustomerID: "cus_1", Workflow: "w"})

	_, _, pos, err := run.reserveEvent()
	if err != nil {
		t.Fatal(err)
	}
	if err := run.publishEvent(pos); err == nil || err.(*Error).Field != "eventType" {
		t.Fatalf("publish of a zero event = %v, want the eventType validation error", err)
	}
	e, _, pos, err := run.reserveEvent()
	if err != nil {
		t.Fatal(err)
	}
	e.Type = EventToolCall
	if err := run.publishEvent(pos); err != nil {
		t.Fatal(err)
	}
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(c.events) != 1 || c.events[0]["eventType"] != EventToolCall {
		t.Fatalf("sent %v, want the one valid event", c.events)
	}
	if md := c.events[0]["metadata"].(map[string]any); md["occurredAt"] == nil {
		t.Errorf("an event without a Timestamp must be stamped at publish: %v", md)
	}

	_ = run.End(RunCompleted)
	if _, _, _, err := run.reserveEvent(); err != errRunEnded || tr.Stats().Dropped != 1 {
		t.Fatalf("reserve after End = %v with %d dropped, want errRunEnded and 1", err, tr.Stats().Dropped)
	}
}
