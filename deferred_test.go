package drip_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/providers"
)

// A call handed to UsageRecorder.ReportDeferred in a run is recorded as
// the same event Report records, built on the tracker's exporter: the
// caller's goroutine never runs complete.
func TestReportDeferredInARun(t *testing.T) {
	ds, c := newDriptest(t)
	var mu sync.Mutex
	var handled []error
	// No delivery before Flush: complete cannot have run on the exporter
	// by the time ReportDeferred returns, so a complete that ran is one the
	// caller's goroutine ran.
	tr := newTracker(t, c, drip.WithBatchTimeout(time.Hour), drip.WithErrorHandler(func(err error) {
		mu.Lock()
		handled = append(handled, err)
		mu.Unlock()
	}))
	cust := createCustomer(t, c, "acme")
	rec := &drip.UsageRecorder{Tracker: tr, Metadata: map[string]any{"team": "search"}}
	ctx, run := tr.Start(context.Background(), drip.RunParams{CustomerID: cust, Workflow: "deferred"})

	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	known := providers.Usage{Provider: "openai", Operation: providers.OpChat, RequestModel: "gpt-4o-mini",
		Start: start, Duration: 1500 * time.Millisecond}
	read := func(u *providers.Usage) {
		*u = known
		u.Model, u.InputTokens, u.OutputTokens, u.CachedInputTokens = "gpt-4o-mini-2024-07-18", 11, 7, 3
		u.ToolCalls, u.ToolNames = 1, []string{"lookup"}
	}
	var completed atomic.Int32
	rec.ReportDeferred(ctx, providers.CompleterFunc(func(u *providers.Usage) { completed.Add(1); read(u) }))
	if completed.Load() != 0 {
		t.Fatal("complete ran on the caller's goroutine")
	}
	var atOnce providers.Usage
	read(&atOnce)
	rec.Report(ctx, atOnce)

	// Token counts past the API's limit: the built event is invalid.
	rec.ReportDeferred(ctx, providers.CompleterFunc(func(u *providers.Usage) { *u = known; u.InputTokens = 1 << 60 }))
	if err := run.End(drip.RunCompleted); err != nil {
		t.Fatal(err)
	}
	// After End the run takes nothing: refused at once, never completed.
	var lateErr error
	refusing := &drip.UsageRecorder{Tracker: tr, OnError: func(err error) { lateErr = err }}
	refusing.ReportDeferred(ctx, providers.CompleterFunc(func(*providers.Usage) { t.Error("complete ran for a refused call") }))
	if !errors.Is(lateErr, drip.ErrRunAlreadyEnded) {
		t.Fatalf("after End: %v", lateErr)
	}

	if err := tr.Flush(ctxT(t)); !hasCode(err, drip.CodeDeliveryFailed) {
		t.Fatalf("Flush = %v, want DELIVERY_FAILED for the invalid event", err)
	}
	if completed.Load() != 1 {
		t.Fatalf("complete ran %d times", completed.Load())
	}
	mu.Lock()
	if len(handled) != 1 || !errors.Is(handled[0], drip.ErrValidation) {
		t.Fatalf("error handler got %v, want one VALIDATION_ERROR", handled)
	}
	mu.Unlock()
	if st := tr.Stats(); st.DeadLettered != 1 || st.Sent != 2 || st.Accepted != 3 {
		t.Fatalf("stats %+v", st)
	}
	evs := ds.Events(run.ID())
	if len(evs) != 2 {
		t.Fatalf("%d events, want 2", len(evs))
	}
	got, want := evs[0], evs[1]
	if got.EventType != drip.EventLLMCompletion || got.Quantity != 18 || got.Metadata["team"] != "search" ||
		got.Metadata["toolNames"] != "lookup" || !got.Timestamp.Equal(start) {
		t.Fatalf("deferred event %+v", got)
	}
	for _, e := range []*driptest.Event{&got, &want} {
		e.ID, e.IdempotencyKey, e.Seq = "", "", 0
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("deferred:\n%+v\nat once:\n%+v", got, want)
	}
}

// Outside a run a call is recorded as usage under Meter, built on the
// exporter too; one with no tokens records nothing and is not counted. A
// call that needs its counts at once (Feature), makes two records (split
// meters) or has no customer is completed at once and goes to Report.
func TestReportDeferredOutsideARun(t *testing.T) {
	ds, c := newDriptest(t)
	tr := newTracker(t, c, drip.WithBatchTimeout(time.Hour))
	cust := createCustomer(t, c, "acme")
	report := func(rec *drip.UsageRecorder, in, out int64) (completedAtOnce bool) {
		done := false
		start := time.Now()
		rec.ReportDeferred(context.Background(), providers.CompleterFunc(func(u *providers.Usage) {
			*u = providers.Usage{Provider: "openai", Operation: providers.OpChat, RequestModel: "gpt-4o-mini", Start: start}
			done, u.Model, u.InputTokens, u.OutputTokens = true, "gpt-4o-mini-2024-07-18", in, out
		}))
		return done
	}
	later := &drip.UsageRecorder{Tracker: tr, CustomerID: cust, Metadata: map[string]any{"team": "search"}}
	// Past the API's limit: the usage built is invalid.
	if report(later, 11, 7) || report(later, 0, 0) || report(later, 1<<60, 0) {
		t.Fatal("a call outside a run was completed on the caller's goroutine")
	}
	var noCustomerErr error
	for _, rec := range []*drip.UsageRecorder{
		{Tracker: tr, CustomerID: cust, Feature: "ai_tokens"},
		{Tracker: tr, CustomerID: cust, InputMeter: "in_tokens", OutputMeter: "out_tokens"},
		{Tracker: tr, OnError: func(err error) { noCustomerErr = err }},
	} {
		if !report(rec, 11, 7) {
			t.Fatalf("%+v: not completed at once", rec)
		}
	}
	if !errors.Is(noCustomerErr, drip.ErrValidation) {
		t.Fatalf("no customer: %v", noCustomerErr)
	}
	if err := tr.Flush(ctxT(t)); !hasCode(err, drip.CodeDeliveryFailed) {
		t.Fatalf("Flush = %v, want DELIVERY_FAILED for the invalid usage", err)
	}
	got := map[string][]driptest.UsageRecord{}
	for _, r := range ds.UsageRecords() {
		got[r.UsageType] = append(got[r.UsageType], r)
	}
	llm := got[drip.DefaultLLMMeter]
	if len(llm) != 2 || len(got["ai_tokens"]) != 1 || len(got["in_tokens"]) != 1 || len(got["out_tokens"]) != 1 {
		t.Fatalf("records %v", got)
	}
	built := 0 // the deferred one; the other is the Feature recorder's
	for _, r := range llm {
		md := r.Metadata
		if r.Quantity != 18 || md["model"] != "gpt-4o-mini-2024-07-18" || md["inputTokens"] != float64(11) {
			t.Errorf("usage %+v", r)
		}
		if md["team"] == "search" {
			built++
		}
	}
	if built != 1 {
		t.Fatalf("%d records with the recorder's metadata, want 1", built)
	}
	// 5 records sent, 1 invalid; the call with no tokens was never counted.
	if st := tr.Stats(); st.Accepted != 6 || st.Sent != 5 || st.DeadLettered != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func hasCode(err error, code string) bool {
	var de *drip.Error
	return errors.As(err, &de) && de.Code == code
}
