package dripserver

import (
	"context"
	"fmt"
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
	_, svc := testService(b, filepath.Join(b.TempDir(), "bench.db"), nil)
	ctx := context.Background()
	run := svc.mustRun(b, svc.mustCustomer(b, "bench").ID, "bench")
	const batch = 500
	at := time.Now().UTC()
	evs := make([]ingestEvent, batch)
	b.ResetTimer()
	for n := range b.N {
		b.StopTimer()
		for i := range evs {
			// Tokens, cost and latency differ from event to event, as in
			// real traffic (and as in BenchmarkRunEventsBatch).
			in, out := 900+i%211, 150+i%97
			q, cost := float64(in+out), float64(in)*0.15e-6+float64(out)*0.6e-6
			occurred := at.Add(time.Duration(n*batch+i) * time.Millisecond).Format(time.RFC3339Nano)
			latency := 300 + i%701
			meta := fmt.Sprintf(`{"inputTokens":%d,"latencyMs":%d,"model":"gpt-4o-mini","occurredAt":%q,"outputTokens":%d}`,
				in, latency, occurred, out)
			evs[i] = ingestEvent{RunEvent: wire.RunEvent{RunID: run.ID, EventType: "llm.completion", Quantity: &q,
				Units: "tokens", CostUnits: &cost, IdempotencyKey: "evt_" + strconv.Itoa(n) + "_" + strconv.Itoa(i)},
				meta: meta, facts: metaFacts{occurredAt: occurred, hasOccurredAt: true, latency: float64(latency), hasLatency: true}}
		}
		b.StartTimer()
		if _, err := svc.emitEvents(ctx, evs, false); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/event")
}
