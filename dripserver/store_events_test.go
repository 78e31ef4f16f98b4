package dripserver

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// TestEventFieldsRoundTrip stores batches in which one field at a time
// varies between events (run, type, units, outcome, duration) and reads
// every field back.
func TestEventFieldsRoundTrip(t *testing.T) {
	st, svc := testService(t, ":memory:", nil)
	ctx := context.Background()
	c := svc.mustCustomer(t, "fields")
	var runs [2]string
	for i := range runs {
		runs[i] = svc.mustRun(t, c.ID, "fields").ID
	}
	at := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	variants := map[string]func(i int, e *wire.RunEvent){
		"all alike": func(int, *wire.RunEvent) {},
		"run":       func(i int, e *wire.RunEvent) { e.RunID = runs[i%2] },
		"type":      func(i int, e *wire.RunEvent) { e.EventType = []string{"tool.call", "llm.completion"}[i%3/2] },
		"units":     func(i int, e *wire.RunEvent) { e.Units = []string{"tokens", "calls", ""}[i%3] },
		"outcome":   func(i int, e *wire.RunEvent) { e.Metadata[wire.MetaStatus] = []string{"success", "error"}[i%5/4] },
		"duration": func(i int, e *wire.RunEvent) {
			if i%4 == 0 {
				delete(e.Metadata, wire.MetaLatencyMs)
			} else {
				e.Metadata[wire.MetaLatencyMs] = float64(i % 7)
			}
		},
		"no duration": func(_ int, e *wire.RunEvent) { delete(e.Metadata, wire.MetaLatencyMs) },
		"text fields": func(i int, e *wire.RunEvent) {
			e.Description, e.CostCurrency, e.SpanID = fmt.Sprint("d<", i), "USD", fmt.Sprint("s", i%2)
			e.CorrelationID, e.ParentEventID = "corr", []string{"", "evt_parent"}[i%2]
		},
	}
	for name, vary := range variants {
		t.Run(name, func(t *testing.T) {
			in := make([]wire.RunEvent, 150)
			for i := range in {
				q, cost := float64(i+1), float64(i)/8
				in[i] = wire.RunEvent{RunID: runs[0], EventType: "llm.completion", Quantity: &q, Units: "tokens",
					CostUnits: &cost, IdempotencyKey: name + "_" + strconv.Itoa(i),
					Metadata: map[string]any{"i": float64(i), wire.MetaLatencyMs: 5.0,
						wire.MetaOccurredAt: at.Add(time.Duration(i) * time.Second).Format(time.RFC3339Nano)}}
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
				want, sent := it.event, in[i]
				got, ok := stored[sent.IdempotencyKey]
				if it.duplicate || it.skipped != "" || !ok {
					t.Fatalf("event %d: %+v not stored", i, it)
				}
				if got.ID != want.ID || got.RunID != sent.RunID || got.EventType != sent.EventType ||
					got.Units != sent.Units || got.Description != sent.Description ||
					got.CostCurrency != sent.CostCurrency || got.SpanID != sent.SpanID ||
					got.CorrelationID != sent.CorrelationID || got.ParentEventID != sent.ParentEventID ||
					got.Quantity != *sent.Quantity || got.Outcome != want.Outcome || got.Seq != want.Seq ||
					!got.Timestamp.Equal(want.Timestamp) || got.Metadata["i"] != float64(i) ||
					!eqPtr(got.CostUnits, sent.CostUnits) || !eqPtr(got.DurationMs, want.DurationMs) {
					t.Errorf("event %d: stored %+v, sent %+v (as %+v)", i, got, sent, want)
				}
			}
		})
	}
}

func eqPtr[T comparable](a, b *T) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}
