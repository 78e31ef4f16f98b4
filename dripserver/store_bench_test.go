package dripserver

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// BenchmarkStoreEmitEvents measures the write path of a 500-event batch
// below HTTP and JSON: building the rows, the transaction and its commit to
// a WAL file. Most of it is what the single writer connection serializes.
func BenchmarkStoreEmitEvents(b *testing.B) {
	st, err := OpenStore(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	svc := &service{store: st, now: func() time.Time { return time.Now().UTC() }}
	c, err := svc.createCustomer(ctx, wire.CreateCustomerRequest{ExternalCustomerID: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	run, _, err := svc.startRun(ctx, wire.StartRunRequest{CustomerID: c.ID, WorkflowID: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	const batch = 500
	meta := `{"inputTokens":1000,"latencyMs":812,"model":"gpt-4o-mini","occurredAt":"2026-11-27T13:54:02.123456789Z","outputTokens":200}`
	q, cost := 1200.0, 0.0042
	at := time.Now().UTC()
	evs := make([]ingestEvent, batch)
	b.ResetTimer()
	for n := range b.N {
		b.StopTimer()
		for i := range evs {
			evs[i] = ingestEvent{RunEvent: wire.RunEvent{RunID: run.ID, EventType: "llm.completion", Quantity: &q,
				Units: "tokens", CostUnits: &cost, IdempotencyKey: "evt_" + strconv.Itoa(n) + "_" + strconv.Itoa(i)},
				meta: meta, facts: metaFacts{occurredAt: at.Add(time.Duration(i) * time.Millisecond).Format(time.RFC3339Nano),
					hasOccurredAt: true, latency: 812, hasLatency: true}}
		}
		b.StartTimer()
		if _, err := svc.emitEvents(ctx, evs, false); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/event")
}
