package dripserver

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// TestEventInsertShapes stores batches whose chunks share different sets of
// columns (run, type, extra, outcome, duration) and reads every field back.
func TestEventInsertShapes(t *testing.T) {
	st, svc := testService(t, ":memory:", nil)
	ctx := context.Background()
	c := svc.mustCustomer(t, "shapes")
	var runs [2]string
	for i := range runs {
		runs[i] = svc.mustRun(t, c.ID, "shapes").ID
	}
	at := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	// Each variant varies one shareable column in some events; 150 events
	// make chunks of 100, 32, 16 and 2 rows.
	variants := map[string]func(i int, e *ingestEvent){
		"all shared": func(int, *ingestEvent) {},
		"run":        func(i int, e *ingestEvent) { e.RunID = runs[i%2] },
		"type":       func(i int, e *ingestEvent) { e.EventType = []string{"tool.call", "llm.completion"}[i%3/2] },
		"extra":      func(i int, e *ingestEvent) { e.Units = []string{"tokens", "calls", ""}[i%3] },
		"outcome":    func(i int, e *ingestEvent) { e.facts.status = []string{"success", "error"}[i%5/4] },
		"duration": func(i int, e *ingestEvent) {
			e.facts.hasLatency = i%4 != 0
			e.facts.latency = float64(i % 7)
		},
		"duration none": func(_ int, e *ingestEvent) { e.facts.hasLatency = false },
	}
	for name, vary := range variants {
		t.Run(name, func(t *testing.T) {
			in := make([]ingestEvent, 150)
			for i := range in {
				q, cost := float64(i+1), float64(i)/8
				occurred := at.Add(time.Duration(i) * time.Second).Format(time.RFC3339Nano)
				in[i] = ingestEvent{RunEvent: wire.RunEvent{RunID: runs[0], EventType: "llm.completion", Quantity: &q,
					Units: "tokens", CostUnits: &cost, IdempotencyKey: name + "_" + strconv.Itoa(i)},
					meta:  fmt.Sprintf(`{"i":%d,"occurredAt":%q}`, i, occurred),
					facts: metaFacts{occurredAt: occurred, hasOccurredAt: true, latency: 5, hasLatency: true}}
				if i%6 == 5 {
					in[i].CostUnits = nil
				}
				vary(i, &in[i])
			}
			items, err := svc.emitEvents(ctx, in, false)
			if err != nil {
				t.Fatal(err)
			}
			stored := map[string]Event{}
			for _, r := range runs {
				es, err := st.Events(ctx, r)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range es {
					stored[e.IdempotencyKey] = e
				}
			}
			for i, it := range items {
				want := it.event
				got, ok := stored[in[i].IdempotencyKey]
				if it.duplicate || it.skipped != "" || !ok {
					t.Fatalf("event %d: %+v not stored", i, it)
				}
				if got.ID != want.ID || got.RunID != in[i].RunID || got.EventType != in[i].EventType ||
					got.Units != in[i].Units || got.Quantity != *in[i].Quantity || got.Outcome != want.Outcome ||
					!got.Timestamp.Equal(want.Timestamp) || fmt.Sprint(got.Metadata["i"]) != strconv.Itoa(i) ||
					!eqPtr(got.CostUnits, in[i].CostUnits) || !eqPtr(got.DurationMs, want.DurationMs) {
					t.Errorf("event %d: stored %+v, sent %+v (as %+v)", i, got, in[i], want)
				}
			}
		})
	}
}

func eqPtr[T comparable](a, b *T) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}
