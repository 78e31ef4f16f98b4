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
// below HTTP and JSON decoding: building the rows, the transaction and its
// commit to a WAL file.
func BenchmarkStoreEmitEvents(b *testing.B) {
	_, svc := testService(b, filepath.Join(b.TempDir(), "bench.db"), nil)
	ctx := context.Background()
	run := svc.mustRun(b, svc.mustCustomer(b, "bench").ID, "bench")
	const batch = 500
	at := time.Now().UTC()
	evs := make([]wire.RunEvent, batch)
	b.ResetTimer()
	for n := range b.N {
		b.StopTimer()
		for i := range evs {
			// Tokens, cost and latency differ from event to event, as in
			// real traffic.
			in, out := 900+i%211, 150+i%97
			q, cost := float64(in+out), float64(in)*0.15e-6+float64(out)*0.6e-6
			evs[i] = wire.RunEvent{RunID: run.ID, EventType: "llm.completion", Quantity: &q, Units: "tokens",
				CostUnits: &cost, IdempotencyKey: "evt_" + strconv.Itoa(n) + "_" + strconv.Itoa(i),
				Metadata: map[string]any{wire.MetaModel: "gpt-4o-mini", wire.MetaInputTokens: float64(in),
					wire.MetaOutputTokens: float64(out), wire.MetaLatencyMs: float64(300 + i%701),
					wire.MetaOccurredAt: at.Add(time.Duration(n*batch+i) * time.Millisecond).Format(time.RFC3339Nano)}}
		}
		b.StartTimer()
		if _, err := svc.emitEvents(ctx, evs, false); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/event")
}
