package drip_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
)

// eventsFixture is two runs recorded through the real client and tracker:
// run A (customer A, events linked by the ids EmitEvent returned) and run B
// (customer B, events linked by span ids, emitted by the tracker).
type eventsFixture struct {
	custA, custB string
	runA, runB   string
	// run A: root ─ llm ─┬ toolFail (tool.error)
	//                    ├ toolRetry (retries toolFail)
	//                    └ search
	root, llm, toolFail, toolRetry, search string
}

func recordEventsFixture(t *testing.T, c *drip.Client) eventsFixture {
	t.Helper()
	ctx := ctxT(t)
	var f eventsFixture
	for ext, p := range map[string]*string{"user_a": &f.custA, "user_b": &f.custB} {
		cu, err := c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: ext})
		if err != nil {
			t.Fatal(err)
		}
		*p = cu.ID
	}
	run, err := c.StartRun(ctx, drip.RunParams{CustomerID: f.custA, Workflow: "support-agent"})
	if err != nil {
		t.Fatal(err)
	}
	f.runA = run.ID
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	emit := func(i int, e drip.Event) string {
		t.Helper()
		e.RunID, e.Timestamp = run.ID, t0.Add(time.Duration(i)*time.Second)
		res, err := c.EmitEvent(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		return res.ID
	}
	f.root = emit(0, drip.Event{Type: drip.EventAgentAction, Name: "answer", Description: "answer the ticket"})
	f.llm = emit(1, drip.Event{Type: drip.EventLLMCompletion, Model: "gpt-4o-mini", InputTokens: 100, OutputTokens: 20,
		ParentEventID: f.root})
	f.toolFail = emit(2, drip.Event{Type: drip.EventToolError, Name: "lookup", Status: drip.StatusError, ParentEventID: f.llm})
	f.toolRetry = emit(3, drip.Event{Type: drip.EventToolCall, Name: "lookup", ParentEventID: f.llm,
		Metadata: map[string]any{"retryOfEventId": f.toolFail}})
	f.search = emit(4, drip.Event{Type: drip.EventRetrieverQuery, Name: "kb", Quantity: 3, Units: "documents",
		ParentEventID: f.llm})

	tr := drip.NewTracker(c)
	_, runB := tr.Start(ctx, drip.RunParams{CustomerID: f.custB, Workflow: "batch-job"})
	for i, e := range []drip.Event{
		{Type: drip.EventChainExecution, Name: "pipeline", SpanID: "span-root"},
		{Type: drip.EventLLMCompletion, Model: "gpt-4o", InputTokens: 10, OutputTokens: 5, SpanID: "span-llm", ParentEventID: "span-root"},
		{Type: drip.EventToolCall, Name: "fetch", SpanID: "span-tool", ParentEventID: "span-llm"},
	} {
		e.Timestamp = t0.Add(time.Duration(10+i) * time.Second)
		if err := runB.Emit(e); err != nil {
			t.Fatal(err)
		}
	}
	runB.End(drip.RunCompleted)
	if err := tr.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	f.runB = runB.ID()
	return f
}

func ids(evs []drip.ExecutionEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

func TestListEventsFiltersAndPages(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	ctx := ctxT(t)
	f := recordEventsFixture(t, c)

	all, err := c.ListEvents(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if all.Total != 8 || len(all.Events) != 8 || all.Limit != 100 || all.Offset != 0 {
		t.Fatalf("ListEvents(nil) = %d events, total %d, limit %d; want all 8", len(all.Events), all.Total, all.Limit)
	}

	byRun, err := c.ListEvents(ctx, &drip.ListEventsParams{RunID: f.runA})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{f.root, f.llm, f.toolFail, f.toolRetry, f.search}; !slices.Equal(ids(byRun.Events), want) {
		t.Fatalf("events of run A %v; want %v in the order they happened", ids(byRun.Events), want)
	}
	e := byRun.Events[4]
	if e.CustomerID != f.custA || e.RunID != f.runA || e.Type != drip.EventRetrieverQuery || e.Outcome != "SUCCESS" ||
		e.ParentEventID != f.llm || e.Quantity != 3 || e.Units != "documents" || e.Metadata["name"] != "kb" ||
		!e.CreatedAt.Equal(time.Date(2026, 3, 1, 12, 0, 4, 0, time.UTC)) {
		t.Fatalf("search event = %+v", e)
	}

	for _, tc := range []struct {
		name string
		p    drip.ListEventsParams
		want []string
	}{
		{"customer", drip.ListEventsParams{CustomerID: f.custB}, nil}, // run B's ids are checked by count
		{"external customer id", drip.ListEventsParams{CustomerID: "user_b"}, nil},
		{"type", drip.ListEventsParams{Type: drip.EventToolCall, CustomerID: f.custA}, []string{f.toolRetry}},
		{"outcome", drip.ListEventsParams{Outcome: "FAILED"}, []string{f.toolFail}},
		{"no match", drip.ListEventsParams{RunID: f.runA, Type: drip.EventChainExecution}, []string{}},
	} {
		got, err := c.ListEvents(ctx, &tc.p)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.want == nil {
			if got.Total != 3 || len(got.Events) != 3 || got.Events[0].RunID != f.runB || got.Events[0].CustomerID != f.custB {
				t.Fatalf("%s: %+v; want run B's 3 events", tc.name, got)
			}
			continue
		}
		if !slices.Equal(ids(got.Events), tc.want) || got.Total != len(tc.want) {
			t.Fatalf("%s: %v (total %d); want %v", tc.name, ids(got.Events), got.Total, tc.want)
		}
	}

	page, err := c.ListEvents(ctx, &drip.ListEventsParams{RunID: f.runA, Limit: 2, Offset: 2})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 5 || page.Limit != 2 || page.Offset != 2 || !slices.Equal(ids(page.Events), []string{f.toolFail, f.toolRetry}) {
		t.Fatalf("page 2 of run A = %v, total %d, limit %d, offset %d", ids(page.Events), page.Total, page.Limit, page.Offset)
	}

	var walked []string
	for e, err := range c.Events(ctx, &drip.ListEventsParams{Limit: 3}) {
		if err != nil {
			t.Fatal(err)
		}
		walked = append(walked, e.ID)
	}
	if !slices.Equal(walked, ids(all.Events)) {
		t.Fatalf("Events walked %v; want %v", walked, ids(all.Events))
	}
}

func TestGetEventAndTrace(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	ctx := ctxT(t)
	f := recordEventsFixture(t, c)

	e, err := c.GetEvent(ctx, f.toolFail)
	if err != nil {
		t.Fatal(err)
	}
	if e.ID != f.toolFail || e.Type != drip.EventToolError || e.Outcome != "FAILED" || e.CustomerID != f.custA || e.RunID != f.runA {
		t.Fatalf("GetEvent = %+v", e)
	}
	if root, err := c.GetEvent(ctx, f.root); err != nil || root.Explanation != "answer the ticket" {
		t.Fatalf("GetEvent(root) = %+v, %v; want its description as the explanation", root, err)
	}
	if _, err := c.GetEvent(ctx, "evt_missing"); !errors.Is(err, drip.ErrNotFound) {
		t.Fatalf("GetEvent(unknown) = %v; want NOT_FOUND", err)
	}

	tr, err := c.GetEventTrace(ctx, f.toolRetry)
	if err != nil {
		t.Fatal(err)
	}
	if tr.EventID != f.toolRetry || !slices.Equal(ids(tr.Ancestors), []string{f.root, f.llm}) || len(tr.Children) != 0 ||
		!slices.Equal(ids(tr.RetryChain), []string{f.toolFail, f.toolRetry}) {
		t.Fatalf("trace of the retry: ancestors %v, children %v, retries %v", ids(tr.Ancestors), ids(tr.Children), ids(tr.RetryChain))
	}
	if tr.Ancestors[0].CustomerID != f.custA {
		t.Fatalf("trace events lack their customer: %+v", tr.Ancestors[0])
	}

	tr, err = c.GetEventTrace(ctx, f.llm)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(tr.Ancestors), []string{f.root}) || len(tr.RetryChain) != 0 ||
		!slices.Equal(ids(tr.Children), []string{f.toolFail, f.toolRetry, f.search}) {
		t.Fatalf("trace of the LLM call: ancestors %v, children %v, retries %v", ids(tr.Ancestors), ids(tr.Children), ids(tr.RetryChain))
	}
	if tr.RetryChain == nil || tr.Children == nil {
		t.Fatal("empty trace lists are nil; want empty slices")
	}

	// Run B links its events by span id, as the tracker's callers do.
	b, err := c.ListEvents(ctx, &drip.ListEventsParams{RunID: f.runB})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != 3 || b.Events[2].SpanID != "span-tool" {
		t.Fatalf("run B events %+v", b.Events)
	}
	tr, err = c.GetEventTrace(ctx, b.Events[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(tr.Ancestors), []string{b.Events[0].ID}) || !slices.Equal(ids(tr.Children), []string{b.Events[2].ID}) {
		t.Fatalf("span-linked trace: ancestors %v, children %v", ids(tr.Ancestors), ids(tr.Children))
	}
	if tr, err = c.GetEventTrace(ctx, b.Events[2].ID); err != nil || !slices.Equal(ids(tr.Ancestors), ids(b.Events[:2])) {
		t.Fatalf("ancestors of the leaf: %v, %v; want root first", tr, err)
	}
	if _, err := c.GetEventTrace(ctx, "evt_missing"); !errors.Is(err, drip.ErrNotFound) {
		t.Fatalf("GetEventTrace(unknown) = %v; want NOT_FOUND", err)
	}
}

// Execution events are reads a public key may make.
func TestEventsWithPublicKey(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	f := recordEventsFixture(t, c)
	pk := newClient(t, srv.BaseURL(), drip.WithAPIKey("pk_test_0123456789abcdef"))
	ctx := ctxT(t)
	if l, err := pk.ListEvents(ctx, &drip.ListEventsParams{RunID: f.runA}); err != nil || l.Total != 5 {
		t.Fatalf("ListEvents with pk_ = %+v, %v", l, err)
	}
	if _, err := pk.GetEvent(ctx, f.root); err != nil {
		t.Fatal(err)
	}
	if _, err := pk.GetEventTrace(ctx, f.root); err != nil {
		t.Fatal(err)
	}
}

func TestEventsValidation(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	ctx := ctxT(t)
	for _, tc := range []struct {
		field string
		p     drip.ListEventsParams
	}{
		{"limit", drip.ListEventsParams{Limit: 101}},
		{"limit", drip.ListEventsParams{Limit: -1}},
		{"offset", drip.ListEventsParams{Offset: -1}},
		{"runId", drip.ListEventsParams{RunID: string([]byte{0xff})}},
		{"customerId", drip.ListEventsParams{CustomerID: string(make([]byte, 300))}},
	} {
		refusedBeforeSending(t, srv, func() error { _, err := c.ListEvents(ctx, &tc.p); return err }, tc.field)
	}
	refusedBeforeSending(t, srv, func() error { _, err := c.GetEvent(ctx, " "); return err }, "eventId")
	refusedBeforeSending(t, srv, func() error { _, err := c.GetEventTrace(ctx, ""); return err }, "eventId")
	refusedBeforeSending(t, srv, func() error {
		for _, err := range c.Events(ctx, &drip.ListEventsParams{Limit: 500}) {
			return err
		}
		return nil
	}, "limit")
}
