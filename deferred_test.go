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
	ds := driptest.NewServer(t)
	c, err := drip.New(drip.WithAPIKey(ds.APIKey()), drip.WithBaseURL(ds.BaseURL()))
	if err != nil {
		t.Fatal(err)
	}
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
		u.Model, u.InputTokens, u.OutputTokens, u.CachedInputTokens = "gpt-4o-mini-2024-07-18", 11, 7, 3
		u.ToolCalls, u.ToolNames = 1, []string{"lookup"}
	}
	var completed atomic.Int32
	deferred := known
	rec.ReportDeferred(ctx, &deferred, func(u *providers.Usage) { completed.Add(1); read(u) })
	if completed.Load() != 0 {
		t.Fatal("complete ran on the caller's goroutine")
	}
	atOnce := known
	read(&atOnce)
	rec.Report(ctx, atOnce)

	// Token counts past the API's limit: the built event is invalid.
	bad := known
	rec.ReportDeferred(ctx, &bad, func(u *providers.Usage) { u.InputTokens = 1 << 60 })
	if err := run.End(drip.RunCompleted); err != nil {
		t.Fatal(err)
	}
	// After End the run takes nothing: refused at once, never completed.
	late := known
	var lateErr error
	refusing := &drip.UsageRecorder{Tracker: tr, OnError: func(err error) { lateErr = err }}
	refusing.ReportDeferred(ctx, &late, func(*providers.Usage) { t.Error("complete ran for a refused call") })
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

// Outside a run, or when the counts are needed at once (Feature),
// ReportDeferred completes the call at once and records it as Report does.
func TestReportDeferredOutsideARunCompletesAtOnce(t *testing.T) {
	ds := driptest.NewServer(t)
	c, err := drip.New(drip.WithAPIKey(ds.APIKey()), drip.WithBaseURL(ds.BaseURL()))
	if err != nil {
		t.Fatal(err)
	}
	tr := newTracker(t, c, drip.WithBatchTimeout(time.Hour))
	cust := createCustomer(t, c, "acme")
	for _, rec := range []*drip.UsageRecorder{
		{Tracker: tr, CustomerID: cust},
		{Tracker: tr, CustomerID: cust, Feature: "ai_tokens"},
	} {
		ctx := context.Background()
		if rec.Feature != "" {
			ctx, _ = tr.Start(ctx, drip.RunParams{CustomerID: cust, Workflow: "featured"})
		}
		done := false
		u := providers.Usage{Provider: "openai", Operation: providers.OpChat, RequestModel: "gpt-4o-mini", Start: time.Now()}
		rec.ReportDeferred(ctx, &u, func(u *providers.Usage) { done, u.InputTokens, u.OutputTokens = true, 11, 7 })
		if !done {
			t.Fatalf("feature %q: not completed at once", rec.Feature)
		}
	}
	if err := tr.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	var llm, feature int
	for _, r := range ds.UsageRecords() {
		switch r.UsageType {
		case drip.DefaultLLMMeter:
			llm++
			if r.Quantity != 18 {
				t.Errorf("usage %+v", r)
			}
		case "ai_tokens":
			feature++
		}
	}
	if llm != 1 || feature != 1 {
		t.Fatalf("%d llm usage records, %d feature records; want 1 and 1", llm, feature)
	}
}

func hasCode(err error, code string) bool {
	var de *drip.Error
	return errors.As(err, &de) && de.Code == code
}
