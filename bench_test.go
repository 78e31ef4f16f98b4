package drip_test

import (
	"context"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
)

// emitBench sets up a run whose tracker exports to the test sink
// (apiSink): these benchmarks measure the caller's side of Emit (validate,
// timestamp, enqueue), not delivery, which BenchmarkTrackerThroughput
// measures.
func emitBench(b *testing.B, opts ...drip.TrackerOption) (*drip.Tracker, *drip.Run) {
	sink := newAPISink(b, 0, 0)
	c := newClient(b, sink.URL+"/v1")
	// The exporter sends only on Flush, outside the timed loop: the figures
	// are the caller's own cost, not the exporter's competing for the cores.
	opts = append([]drip.TrackerOption{drip.WithoutSelfMetrics(), drip.WithMaxQueueSize(2 * flushEvery),
		drip.WithMaxBatchSize(4 * flushEvery), drip.WithBatchTimeout(time.Hour)}, opts...)
	tr, err := drip.OpenTracker(c, opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tr.Shutdown(context.Background()) })
	_, run := tr.Start(context.Background(), drip.RunParams{CustomerID: "cust_bench", Workflow: "bench"})
	return tr, run
}

const flushEvery = 1 << 14

// BenchmarkRunEmit is the caller's cost of one Emit, without and with a
// spool: the exporter writes the spool, so the figures should match.
func BenchmarkRunEmit(b *testing.B) {
	b.Run("memory", func(b *testing.B) { benchEmit(b) })
	b.Run("spool", func(b *testing.B) { benchEmit(b, drip.WithSpool(b.TempDir())) })
}

func benchEmit(b *testing.B, opts ...drip.TrackerOption) {
	tr, run := emitBench(b, opts...)
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

// benchThroughput emits b.N events into one run and reports events/s
// delivered through tr.
func benchThroughput(b *testing.B, tr *drip.Tracker, cust string) {
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

// BenchmarkTrackerThroughput measures what the SDK can ship: events
// delivered into apiSink, a minimal Drip that decodes every batch with
// encoding/json and counts.
func BenchmarkTrackerThroughput(b *testing.B) { benchSink(b) }

// BenchmarkTrackerThroughputSpool is the same with every item written to
// a spool and released once acknowledged.
func BenchmarkTrackerThroughputSpool(b *testing.B) { benchSink(b, drip.WithSpool(b.TempDir())) }

func benchSink(b *testing.B, opts ...drip.TrackerOption) {
	sink := newAPISink(b, 0, 0)
	c := newClient(b, sink.URL+"/v1")
	tr, err := drip.OpenTracker(c, append([]drip.TrackerOption{drip.WithoutSelfMetrics(), drip.WithBlockOnFull()}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	benchThroughput(b, tr, "cust_bench")
	if got := sink.events.Load(); got != int64(b.N) {
		b.Fatalf("sink counted %d of %d", got, b.N)
	}
}

// BenchmarkTrackerThroughputDripd is the same into dripd (in memory), which
// stores every event: client and server share the machine's cores.
func BenchmarkTrackerThroughputDripd(b *testing.B) {
	srv := startServer(b, nil)
	c := newClient(b, srv.BaseURL())
	cust := createCustomer(b, c, "bench")
	tr := drip.NewTracker(c, drip.WithoutSelfMetrics(), drip.WithBlockOnFull())
	benchThroughput(b, tr, cust)
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

// BenchmarkExportAtLatency delivers fixed workloads into a sink that
// answers every request after a delay, as a remote API does, and reports
// events/s and runs/s delivered (b.N repeats the workload; use
// -benchtime 1x). Long runs stream their events; short runs, whole before
// their start is sent, go out as one request each.
func BenchmarkExportAtLatency(b *testing.B) {
	for _, w := range []struct {
		name         string
		delay        time.Duration
		runs, perRun int
	}{
		{"20ms/runs=20x10000", 20 * time.Millisecond, 20, 10000},
		{"20ms/runs=20000x10", 20 * time.Millisecond, 20000, 10},
		{"loopback/runs=200x1000", 0, 200, 1000},
	} {
		b.Run(w.name, func(b *testing.B) {
			var elapsed time.Duration
			for b.Loop() {
				sink := newAPISink(b, w.delay, 0)
				c := newClient(b, sink.URL+"/v1")
				tr := drip.NewTracker(c, drip.WithoutSelfMetrics(), drip.WithBlockOnFull())
				ev := drip.Event{Type: drip.EventLLMCompletion, Model: "gpt-4o-mini", InputTokens: 812, OutputTokens: 164,
					Duration: 730 * time.Millisecond}
				start := time.Now()
				if w.perRun >= 1000 {
					// Long runs, all open at once, their events interleaved.
					runs := make([]*drip.Run, w.runs)
					for i := range runs {
						_, runs[i] = tr.Start(context.Background(), drip.RunParams{CustomerID: "cust_bench", Workflow: "bench"})
					}
					for i := range w.runs * w.perRun {
						runs[i%w.runs].Emit(ev)
					}
					for _, r := range runs {
						r.End(drip.RunCompleted)
					}
				} else {
					for range w.runs {
						_, r := tr.Start(context.Background(), drip.RunParams{CustomerID: "cust_bench", Workflow: "bench"})
						for range w.perRun {
							r.Emit(ev)
						}
						r.End(drip.RunCompleted)
					}
				}
				if err := tr.Shutdown(context.Background()); err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(start)
				sink.check(b)
				if got := sink.events.Load(); got != int64(w.runs*w.perRun) || sink.ended.Load() != int64(w.runs) {
					b.Fatalf("sink holds %d events and %d ended runs", got, sink.ended.Load())
				}
			}
			secs := elapsed.Seconds() / float64(b.N)
			b.ReportMetric(float64(w.runs*w.perRun)/secs, "events/s")
			b.ReportMetric(float64(w.runs)/secs, "runs/s")
		})
	}
}

// BenchmarkExportThrottled: a sink that takes 200 requests/s and answers
// 429 (Retry-After: 1) over that. Everything must arrive exactly once, and
// the request rate the sink sees in the second half of the run should
// settle below its limit (reported as requests/s and the share of 429s).
func BenchmarkExportThrottled(b *testing.B) {
	const limit = 200
	for b.Loop() {
		sink := newAPISink(b, 5*time.Millisecond, limit)
		c := newClient(b, sink.URL+"/v1")
		tr := drip.NewTracker(c, drip.WithoutSelfMetrics(), drip.WithBlockOnFull(), drip.WithBatchTimeout(10*time.Millisecond))
		const runs, per = 1500, 5
		var half time.Time
		var reqHalf, thrHalf int64
		for i := range runs {
			if i == runs/2 {
				half, reqHalf, thrHalf = time.Now(), sink.requests.Load(), sink.throttled.Load()
			}
			_, r := tr.Start(context.Background(), drip.RunParams{CustomerID: "cust_bench", Workflow: "bench"})
			for j := range per {
				r.Emit(drip.Event{Type: "step", Quantity: float64(j + 1)})
			}
			r.End(drip.RunCompleted)
			time.Sleep(2 * time.Millisecond) // arrivals spread over time, as a server's are
		}
		if err := tr.Shutdown(context.Background()); err != nil {
			b.Fatal(err)
		}
		end := time.Now()
		sink.check(b)
		if got := sink.events.Load(); got != runs*per || sink.ended.Load() != runs {
			b.Fatalf("sink holds %d events and %d ended runs, want %d and %d", got, sink.ended.Load(), runs*per, runs)
		}
		req2, thr2 := sink.requests.Load()-reqHalf, sink.throttled.Load()-thrHalf
		b.ReportMetric(float64(req2)/end.Sub(half).Seconds(), "req/s-2nd-half")
		b.ReportMetric(100*float64(thr2)/float64(max(req2, 1)), "%429-2nd-half")
		b.ReportMetric(float64(sink.throttled.Load()), "429s")
	}
}
