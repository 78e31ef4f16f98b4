package drip_test

import (
	"context"
	"math"
	"strings"
	"testing"

	drip "github.com/drip-sdk/drip-go"
)

// Every limit of limits.go is a VALIDATION_ERROR naming the field, raised
// before any request: one bad input is refused alone.
func TestLimitsAreCheckedBeforeSending(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	ctx := ctxT(t)
	long := strings.Repeat("a", drip.MaxIDLength+1)
	longDesc := strings.Repeat("d", drip.MaxDescriptionLength+1)
	const badUTF8 = "ok\xffnot"
	bigMeta := map[string]any{}
	for i := range drip.MaxMetadataKeys + 1 {
		bigMeta[strings.Repeat("k", i+1)] = i
	}
	// Each value fits the cheap check; together, escaped, they do not fit.
	heavyMeta := map[string]any{}
	for i := range 40 {
		heavyMeta[strings.Repeat("h", i+1)] = strings.Repeat("\x01", 2000)
	}
	ev := func(mod func(*drip.Event)) func() error {
		return func() error {
			e := drip.Event{RunID: "run_1", Type: "llm.completion"}
			mod(&e)
			_, err := c.EmitEvent(ctx, e)
			return err
		}
	}
	usage := func(mod func(*drip.UsageParams)) func() error {
		return func() error {
			p := drip.UsageParams{CustomerID: "cus_1", Meter: "tokens", Quantity: 1}
			mod(&p)
			_, err := c.TrackUsage(ctx, p)
			return err
		}
	}
	run := func(mod func(*drip.RunParams)) func() error {
		return func() error {
			p := drip.RunParams{CustomerID: "cus_1", Workflow: "wf"}
			mod(&p)
			_, err := c.StartRun(ctx, p)
			return err
		}
	}
	record := func(mod func(*drip.RecordRunParams)) func() error {
		return func() error {
			p := drip.RecordRunParams{CustomerID: "cus_1", Workflow: "wf", Status: drip.RunCompleted,
				Events: []drip.Event{{Type: "a"}}}
			mod(&p)
			_, err := c.RecordRun(ctx, p)
			return err
		}
	}
	cases := []struct {
		name  string
		call  func() error
		field string
	}{
		{"event type too long", ev(func(e *drip.Event) { e.Type = long }), "eventType"},
		{"event type not UTF-8", ev(func(e *drip.Event) { e.Type = badUTF8 }), "eventType"},
		{"event run id too long", ev(func(e *drip.Event) { e.RunID = long }), "runId"},
		{"event idempotency key too long", ev(func(e *drip.Event) { e.IdempotencyKey = long }), "idempotencyKey"},
		{"event idempotency key not UTF-8", ev(func(e *drip.Event) { e.IdempotencyKey = badUTF8 }), "idempotencyKey"},
		{"event correlation id too long", ev(func(e *drip.Event) { e.CorrelationID = long }), "correlationId"},
		{"event span id too long", ev(func(e *drip.Event) { e.SpanID = long }), "spanId"},
		{"event parent id not UTF-8", ev(func(e *drip.Event) { e.ParentEventID = badUTF8 }), "parentEventId"},
		{"event units too long", ev(func(e *drip.Event) { e.Units = long }), "units"},
		{"event description too long", ev(func(e *drip.Event) { e.Description = longDesc }), "description"},
		{"event description not UTF-8", ev(func(e *drip.Event) { e.Description = badUTF8 }), "description"},
		{"event quantity too big", ev(func(e *drip.Event) { e.Quantity = drip.MaxQuantity * 2 }), "quantity"},
		{"event quantity infinite", ev(func(e *drip.Event) { e.Quantity = math.Inf(1) }), "quantity"},
		{"event cost NaN", ev(func(e *drip.Event) { e.CostUnits = math.NaN() }), "costUnits"},
		{"event cost too big", ev(func(e *drip.Event) { e.CostUnits = 1e16 }), "costUnits"},
		{"event negative tokens", ev(func(e *drip.Event) { e.OutputTokens = -1 }), "outputTokens"},
		{"event too many tokens", ev(func(e *drip.Event) { e.InputTokens = 2e15 }), "inputTokens"},
		{"event token sum too big", ev(func(e *drip.Event) { e.InputTokens, e.OutputTokens = 6e14, 6e14 }), "outputTokens"},
		{"event too many metadata keys", ev(func(e *drip.Event) { e.Metadata = bigMeta }), "metadata"},
		{"event metadata key too long", ev(func(e *drip.Event) { e.Metadata = map[string]any{long: 1} }), "metadata"},
		{"event metadata value too long", ev(func(e *drip.Event) {
			e.Metadata = map[string]any{"v": strings.Repeat("x", drip.MaxMetadataBytes+1)}
		}), "metadata"},
		{"event metadata too big as JSON", func() error {
			c := newClient(t, srv.BaseURL(), drip.WithMetadataGuard(drip.MetadataGuard{Disabled: true}))
			_, err := c.EmitEvent(ctx, drip.Event{RunID: "run_1", Type: "x", Metadata: heavyMeta})
			return err
		}, "metadata"},
		{"batch names the event", func() error {
			_, err := c.EmitEventsBatch(ctx, []drip.Event{{RunID: "r", Type: "a"}, {RunID: "r", Type: "b", SpanID: long}})
			return err
		}, "events[1].spanId"},

		{"usage customer id too long", usage(func(p *drip.UsageParams) { p.CustomerID = long }), "customerId"},
		{"usage external id not UTF-8", usage(func(p *drip.UsageParams) { p.CustomerID, p.ExternalCustomerID = "", badUTF8 }), "externalCustomerId"},
		{"usage meter too long", usage(func(p *drip.UsageParams) { p.Meter = long }), "meter"},
		{"usage units too long", usage(func(p *drip.UsageParams) { p.Units = long }), "units"},
		{"usage idempotency key too long", usage(func(p *drip.UsageParams) { p.IdempotencyKey = long }), "idempotencyKey"},
		{"usage description too long", usage(func(p *drip.UsageParams) { p.Description = longDesc }), "description"},
		{"usage quantity too big", usage(func(p *drip.UsageParams) { p.Quantity = 1e300 }), "quantity"},
		{"usage metadata too many keys", usage(func(p *drip.UsageParams) { p.Metadata = bigMeta }), "metadata"},

		{"run customer too long", run(func(p *drip.RunParams) { p.CustomerID = long }), "customerId"},
		{"run workflow too long", run(func(p *drip.RunParams) { p.Workflow = long }), "workflowId"},
		{"run workflow not UTF-8", run(func(p *drip.RunParams) { p.Workflow = badUTF8 }), "workflowId"},
		{"run external id too long", run(func(p *drip.RunParams) { p.ExternalRunID = long }), "externalRunId"},
		{"run correlation id not UTF-8", run(func(p *drip.RunParams) { p.CorrelationID = badUTF8 }), "correlationId"},
		{"run parent id too long", run(func(p *drip.RunParams) { p.ParentRunID = long }), "parentRunId"},

		{"end run error code too long", func() error {
			_, err := c.EndRun(ctx, "run_1", drip.EndRunParams{Status: drip.RunFailed, ErrorCode: long})
			return err
		}, "errorCode"},

		{"record workflow too long", record(func(p *drip.RecordRunParams) { p.Workflow = long }), "workflow"},
		{"record external id too long", record(func(p *drip.RecordRunParams) { p.ExternalRunID = long }), "externalRunId"},
		{"record correlation id not UTF-8", record(func(p *drip.RecordRunParams) { p.CorrelationID = badUTF8 }), "correlationId"},
		{"record error code too long", record(func(p *drip.RecordRunParams) { p.ErrorCode = long }), "errorCode"},
		{"record event description", record(func(p *drip.RecordRunParams) { p.Events[0].Description = longDesc }), "events[0].description"},

		{"customer external id too long", func() error {
			_, err := c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: long})
			return err
		}, "externalCustomerId"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { refusedBeforeSending(t, srv, tc.call, tc.field) })
	}
}

// The bounds themselves are allowed: exactly MaxIDLength bytes, a
// description of MaxDescriptionLength, MaxQuantity, multi-byte UTF-8.
func TestLimitsAllowTheBoundary(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	ctx := ctxT(t)
	cust := createCustomer(t, c, "edge")
	id := strings.Repeat("i", drip.MaxIDLength)
	run, err := c.StartRun(ctx, drip.RunParams{CustomerID: cust, Workflow: strings.Repeat("w", drip.MaxIDLength),
		ExternalRunID: id, CorrelationID: "corrélation-✓"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.EmitEvent(ctx, drip.Event{RunID: run.ID, Type: strings.Repeat("t", drip.MaxIDLength),
		IdempotencyKey: id, Description: strings.Repeat("é", drip.MaxDescriptionLength/2),
		Quantity: drip.MaxQuantity, CostUnits: drip.MaxQuantity}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TrackUsage(ctx, drip.UsageParams{CustomerID: cust, Meter: strings.Repeat("m", drip.MaxIDLength),
		Quantity: drip.MaxQuantity, IdempotencyKey: id, Mode: drip.UsageInternal}); err != nil {
		t.Fatal(err)
	}
	// A description the SDK derives from a long model name is cut to fit.
	if _, err := c.EmitEvent(ctx, drip.Event{RunID: run.ID, Type: drip.EventLLMCompletion,
		Model: strings.Repeat("m", 2*drip.MaxDescriptionLength)}); err != nil {
		t.Fatal(err)
	}
}

// A bad event is refused by Emit; the good ones around it are delivered.
func TestBadEmitCostsNoGoodEvent(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	tr := newTracker(t, c)
	cust := createCustomer(t, c, "acme")
	_, run := tr.Start(context.Background(), drip.RunParams{CustomerID: cust, Workflow: "wf"})
	if err := run.Emit(drip.Event{Type: "good.one"}); err != nil {
		t.Fatal(err)
	}
	err := run.Emit(drip.Event{Type: "bad", Description: "\xff\xfe"})
	if e, ok := drip.AsError(err); !ok || e.Code != drip.CodeValidation || e.Field != "description" {
		t.Fatalf("bad event: %v", err)
	}
	if err := run.Emit(drip.Event{Type: "good.two"}); err != nil {
		t.Fatal(err)
	}
	run.End(drip.RunCompleted)
	if err := tr.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	evs, err := srv.store.Events(ctxT(t), run.ID())
	if err != nil || len(evs) != 2 {
		t.Fatalf("events: %d %v, want the 2 good ones", len(evs), err)
	}
	if err := tr.TrackUsage(context.Background(), drip.UsageParams{CustomerID: cust, Meter: "m", Quantity: 1, Units: strings.Repeat("u", 300)}); err == nil {
		t.Fatal("Tracker.TrackUsage must refuse long units before queueing")
	}
}

// A run with the most metadata keys a caller may give still starts and
// ends: the key the tracker adds (occurredAt) is not the caller's.
func TestTrackerRunAtTheMetadataKeyLimit(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	tr := newTracker(t, c)
	md := map[string]any{}
	for i := range drip.MaxMetadataKeys {
		md[strings.Repeat("k", i+1)] = i
	}
	_, run := tr.Start(context.Background(), drip.RunParams{CustomerID: createCustomer(t, c, "acme"), Workflow: "wf", Metadata: md})
	if err := run.Err(); err != nil {
		t.Fatal(err)
	}
	if err := run.End(drip.RunCompleted); err != nil {
		t.Fatal(err)
	}
	if err := tr.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	got, ok, err := srv.store.Run(ctxT(t), run.ID())
	if err != nil || !ok || got.Status != "COMPLETED" {
		t.Fatalf("run: %+v %v %v", got, ok, err)
	}
}
