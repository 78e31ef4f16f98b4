package dripexporter

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/drip-sdk/drip-go"
)

// countingSink stands in for Drip in the benchmark: it counts what the
// exporter would send.
type countingSink struct {
	runs, events, ends atomic.Int64
}

func (c *countingSink) StartRun(_ context.Context, p drip.RunParams) (*drip.RunInfo, error) {
	c.runs.Add(1)
	return &drip.RunInfo{ID: "run_" + p.ExternalRunID}, nil
}

func (c *countingSink) EmitEventsBatch(_ context.Context, evs []drip.Event) (*drip.BatchResult, error) {
	c.events.Add(int64(len(evs)))
	return &drip.BatchResult{Created: len(evs)}, nil
}

func (c *countingSink) EndRun(context.Context, string, drip.EndRunParams) (*drip.EndRunResult, error) {
	c.ends.Add(1)
	return &drip.EndRunResult{}, nil
}

func (c *countingSink) GetRun(context.Context, string) (*drip.RunDetails, error) {
	return &drip.RunDetails{}, nil
}

// BenchmarkConsume is the exporter's consume path (pdata spans through the
// shared rules into runs and events) over batches of 250 agent traces of
// four GenAI spans each, into a counting sink. It reports spans/s.
func BenchmarkConsume(b *testing.B) {
	td := ptrace.NewTraces()
	const perBatch = 250
	for n := uint64(1); n <= perBatch; n++ {
		for _, s := range agentTrace(n, "cus_bench") {
			appendSpan(td, s)
		}
	}
	spans := td.SpanCount()
	cfg := createDefaultConfig().(*Config)
	sink := &countingSink{}
	x := newExporterWith(cfg, sink, nil)
	ctx := context.Background()
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		if err := x.consume(ctx, td); err != nil {
			b.Fatal(err)
		}
		x.mu.Lock()
		clear(x.traces) // the next batch's traces are new
		x.mu.Unlock()
	}
	b.ReportMetric(float64(b.N*spans)/time.Since(start).Seconds(), "spans/s")
	if sink.events.Load() != int64(b.N*spans) || sink.ends.Load() != int64(b.N*perBatch) {
		b.Fatalf("sink got %d events, %d ends for %d batches", sink.events.Load(), sink.ends.Load(), b.N)
	}
}
