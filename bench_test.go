package drip_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
)

// emitBench sets up a run whose tracker exports to a sink that accepts
// every request without storing it: these benchmarks measure the caller's
// side of Emit (validate, timestamp, enqueue), not delivery, which
// BenchmarkTrackerThroughput measures against a real dripd.
func emitBench(b *testing.B) (*drip.Tracker, *drip.Run) {
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/v1/runs" && r.Method == "POST":
			io.WriteString(w, `{"id":"run_sink","status":"RUNNING"}`)
		default:
			io.WriteString(w, `{"success":true,"created":0,"duplicates":0,"skipped":0,"events":[]}`)
		}
	}))
	b.Cleanup(sink.Close)
	c := newClient(b, sink.URL+"/v1")
	tr := drip.NewTracker(c, drip.WithoutSelfMetrics(), drip.WithMaxQueueSize(1<<16))
	b.Cleanup(func() { tr.Shutdown(context.Background()) })
	_, run := tr.Start(context.Background(), drip.RunParams{CustomerID: "cust_bench", Workflow: "bench"})
	return tr, run
}

const flushEvery = 1 << 14

func BenchmarkRunEmit(b *testing.B) {
	tr, run := emitBench(b)
	ev := drip.Event{Type: drip.EventLLMCompletion, Model: "gpt-4o-mini", InputTokens: 812, OutputTokens: 164,
		Duration: 730 * time.Millisecond}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i%flushEvery == flushEvery-1 {
			b.StopTimer()
			tr.Flush(context.Background())
			b.StartTimer()
		}
		if err := run.Emit(ev); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRunEmitParallel(b *testing.B) {
	_, run := emitBench(b)
	ev := drip.Event{Type: drip.EventToolCall, Name: "search", Duration: 120 * time.Millisecond}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			// A full queue drops and counts: that is also caller-side cost.
			run.Emit(ev)
		}
	})
}

// BenchmarkTrackerThroughput measures events delivered end to end into
// dripd (client and server share the machine's cores).
func BenchmarkTrackerThroughput(b *testing.B) {
	srv := startServer(b, nil)
	c := newClient(b, srv.BaseURL())
	cust := createCustomer(b, c, "bench")
	tr := drip.NewTracker(c, drip.WithoutSelfMetrics(), drip.WithBlockOnFull())
	_, run := tr.Start(context.Background(), drip.RunParams{CustomerID: cust, Workflow: "bench"})
	ev := drip.Event{Type: drip.EventLLMCompletion, Model: "gpt-4o-mini", InputTokens: 812, OutputTokens: 164,
		Duration: 730 * time.Millisecond}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		run.Emit(ev)
	}
	if err := tr.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if st := tr.Stats(); st.Sent != int64(b.N) {
		b.Fatalf("delivered %d of %d", st.Sent, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	tr.Shutdown(context.Background())
}

// BenchmarkTrackUsageSync is one synchronous TrackUsage against dripd: the
// client's per-call overhead (allocations, bytes) beside the server time.
func BenchmarkTrackUsageSync(b *testing.B) {
	srv := startServer(b, nil)
	c := newClient(b, srv.BaseURL())
	cust := createCustomer(b, c, "bench")
	ctx := context.Background()
	p := drip.UsageParams{CustomerID: cust, Meter: "api_calls", Quantity: 1, Metadata: map[string]any{"route": "/v1/chat"}}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := c.TrackUsage(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
}
