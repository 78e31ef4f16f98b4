package otelbridge

import (
	"context"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/internal/genaimap"
	"github.com/drip-sdk/drip-go/providers"
)

// benchFlushEvery is how many events a benchmark queues before it stops
// the timer and flushes them.
const benchFlushEvery = 1 << 14

// benchTracker is a tracker over a canned API that answers at once. Its
// exporter only works when the benchmark flushes (with the timer stopped),
// so the benchmarks measure the caller's side (attribute scan, event,
// enqueue) and their allocations, not the export running beside them.
func benchTracker(b *testing.B, opts ...drip.TrackerOption) *drip.Tracker {
	b.Helper()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/runs"):
			_, _ = io.WriteString(w, `{"id":"run_bench","customerId":"cus_bench","workflowId":"wf_bench",`+
				`"workflowName":"Bench","status":"RUNNING","correlationId":null,"createdAt":"2026-01-01T00:00:00Z"}`)
		case strings.HasSuffix(r.URL.Path, "/run-events/batch"):
			_, _ = io.WriteString(w, `{"success":true,"created":0,"duplicates":0,"skipped":0,"events":[]}`)
		default:
			_, _ = io.WriteString(w, `{}`)
		}
	}))
	b.Cleanup(api.Close)
	c, err := drip.New(drip.WithAPIKey("sk_test_bench_0000000000"), drip.WithBaseURL(api.URL+"/v1"))
	if err != nil {
		b.Fatal(err)
	}
	opts = append([]drip.TrackerOption{drip.WithoutSelfMetrics(), drip.WithMaxQueueSize(2 * benchFlushEvery),
		drip.WithMaxBatchSize(2 * benchFlushEvery), drip.WithBatchTimeout(time.Hour)}, opts...)
	tr := drip.NewTracker(c, opts...)
	b.Cleanup(func() { _ = tr.Shutdown(context.Background()) })
	return tr
}

// cpuPerOp reports, besides wall time, the CPU time the benchmark's own
// thread spent per op ("cpu-ns/op"), which other processes on a shared
// machine do not inflate. Call it before the loop and the result after.
func cpuPerOp(b *testing.B) func() {
	runtime.LockOSThread()
	start, ok := threadCPU()
	return func() {
		end, _ := threadCPU()
		runtime.UnlockOSThread()
		if ok && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

// flushSometimes empties the tracker's queue every benchFlushEvery calls,
// off the clock.
func flushSometimes(b *testing.B, tr *drip.Tracker, i *int) {
	if *i++; *i%benchFlushEvery != 0 {
		return
	}
	b.StopTimer()
	if err := tr.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
}

var (
	benchTrace  = trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	benchRoot   = trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}
	benchChild  = trace.SpanID{0x53, 0x99, 0x5c, 0x3f, 0x42, 0xcd, 0x8f, 0x81}
	benchIgnore = trace.SpanID{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x83}
)

func spanContext(tid trace.TraceID, sid trace.SpanID) trace.SpanContext {
	return trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled})
}

// genAISpan is an ended chat span as an OpenAI instrumentation emits it:
// eight attributes, usage included.
func genAISpan(tid trace.TraceID, sid, parent trace.SpanID) sdktrace.ReadOnlySpan {
	start := time.Now()
	return tracetest.SpanStub{
		Name:        "chat gpt-4o-mini",
		SpanContext: spanContext(tid, sid),
		Parent:      spanContext(tid, parent),
		SpanKind:    trace.SpanKindClient,
		StartTime:   start,
		EndTime:     start.Add(730 * time.Millisecond),
		Attributes: []attribute.KeyValue{
			attribute.String("gen_ai.operation.name", "chat"),
			attribute.String("gen_ai.provider.name", "openai"),
			attribute.String("gen_ai.request.model", "gpt-4o-mini"),
			attribute.String("gen_ai.response.model", "gpt-4o-mini-2024-07-18"),
			attribute.String("gen_ai.response.id", "chatcmpl-123"),
			attribute.Int("gen_ai.usage.input_tokens", 812),
			attribute.Int("gen_ai.usage.output_tokens", 164),
			attribute.Int("gen_ai.usage.cache_read.input_tokens", 256),
		},
	}.Snapshot()
}

// benchBatch is how many distinct spans BenchmarkOnEnd tracks, off the
// clock, before ending them on the clock.
const benchBatch = 256

// benchClock stops and restarts both the benchmark timer and the thread
// CPU count that cpu-ns/op reports, so work done off the clock (tracking,
// flushing) counts in neither.
type benchClock struct {
	b         *testing.B
	cpu, from int64
	ok        bool
}

func startBenchClock(b *testing.B) *benchClock {
	runtime.LockOSThread()
	c := &benchClock{b: b}
	c.from, c.ok = threadCPU()
	return c
}

func (c *benchClock) pause() {
	now, _ := threadCPU()
	c.cpu += now - c.from
	c.b.StopTimer()
}

func (c *benchClock) resume() {
	c.b.StartTimer()
	c.from, _ = threadCPU()
}

// report ends the measure (the clock must be running) and reports it.
func (c *benchClock) report() {
	now, _ := threadCPU()
	c.cpu += now - c.from
	runtime.UnlockOSThread()
	if c.ok && c.b.N > 0 {
		c.b.ReportMetric(float64(c.cpu)/float64(c.b.N), "cpu-ns/op")
	}
}

// BenchmarkOnEnd is the cost a GenAI span in a run adds when it ends:
// table lookup and removal, attribute scan, span status, drip.LLMEvent
// into the tracker's queue slot, enqueue (the exporter reads the span's
// times and parent and formats the event ids). OnEnd forgets the span, so
// spans are tracked (what OnStart does) off the clock: benchBatch spans
// with distinct span ids, then the batch is ended on the clock.
// BenchmarkTrackOnEnd times both.
func BenchmarkOnEnd(b *testing.B) {
	tr := benchTracker(b)
	p := NewSpanProcessor(tr)
	_, run := tr.Start(context.Background(), drip.RunParams{CustomerID: "cus_bench", Workflow: "bench"})
	_ = tr.Flush(context.Background()) // the run exists
	sc := &scope{run: run, owned: true, born: time.Now()}
	rng := rand.New(rand.NewPCG(3, 4))
	spans := make([]sdktrace.ReadOnlySpan, benchBatch)
	for i := range spans {
		var sid trace.SpanID
		binary.LittleEndian.PutUint64(sid[:], rng.Uint64()|1)
		spans[i] = genAISpan(benchTrace, sid, benchRoot)
	}

	b.ReportAllocs()
	clk := startBenchClock(b)
	i := 0
	for b.Loop() {
		if i%benchBatch == 0 {
			clk.pause()
			if i%benchFlushEvery == 0 && i > 0 {
				if err := tr.Flush(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
			for _, s := range spans {
				if !p.track(s.SpanContext(), entry{sc: sc}) {
					b.Fatal("track failed")
				}
			}
			clk.resume()
		}
		p.OnEnd(spans[i%benchBatch])
		i++
	}
	clk.report()
	b.StopTimer()
	if s := p.Stats(); s.Events != int64(i) || s.Tracked != int64((benchBatch-i%benchBatch)%benchBatch) {
		b.Fatalf("stats = %+v after %d spans", s, i)
	}
	if s := tr.Stats(); s.Dropped != 0 {
		b.Fatalf("tracker dropped %d events: the benchmark measured drops", s.Dropped)
	}
}

// BenchmarkTrackOnEnd is BenchmarkOnEnd with the tracking on the clock:
// each iteration re-tracks one span (the table work of OnStart) and ends it.
func BenchmarkTrackOnEnd(b *testing.B) {
	tr := benchTracker(b)
	p := NewSpanProcessor(tr)
	_, run := tr.Start(context.Background(), drip.RunParams{CustomerID: "cus_bench", Workflow: "bench"})
	_ = tr.Flush(context.Background()) // the run exists
	sc := &scope{run: run, owned: true, born: time.Now()}
	span := genAISpan(benchTrace, benchChild, benchRoot)

	b.ReportAllocs()
	report := cpuPerOp(b)
	i := 0
	for b.Loop() {
		p.track(span.SpanContext(), entry{sc: sc})
		p.OnEnd(span)
		flushSometimes(b, tr, &i)
	}
	b.StopTimer()
	report()
	if s := p.Stats(); s.Events != int64(i) {
		b.Fatalf("stats = %+v after %d spans", s, i)
	}
	if s := tr.Stats(); s.Dropped != 0 {
		b.Fatalf("tracker dropped %d events: the benchmark measured drops", s.Dropped)
	}
}

// busyProcessor is a processor with 1000 spans of 1000 other traces open,
// as on a server with requests in flight.
func busyProcessor(b *testing.B) *SpanProcessor {
	tr := benchTracker(b)
	p := NewSpanProcessor(tr)
	_, run := tr.Start(context.Background(), drip.RunParams{CustomerID: "cus_bench", Workflow: "bench"})
	sc := &scope{run: run, owned: true, born: time.Now()}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		var tid trace.TraceID
		var sid trace.SpanID
		binary.LittleEndian.PutUint64(tid[:8], rng.Uint64())
		binary.LittleEndian.PutUint64(tid[8:], rng.Uint64())
		binary.LittleEndian.PutUint64(sid[:], rng.Uint64())
		p.track(spanContext(tid, sid), entry{sc: sc})
	}
	return p
}

// BenchmarkOnEndIgnored is the cost of a span whose trace is in no run
// while other runs are open: one atomic load of the trace filter.
func BenchmarkOnEndIgnored(b *testing.B) {
	p := busyProcessor(b)
	other := trace.TraceID{1, 2, 3}
	if p.spans.mayHold(other) {
		b.Fatal("pick a trace id whose bucket is empty")
	}
	span := genAISpan(other, benchIgnore, benchRoot)
	b.ReportAllocs()
	report := cpuPerOp(b)
	for b.Loop() {
		p.OnEnd(span)
	}
	report()
	if s := p.Stats(); s.Events != 0 || s.Tracked != 1000 {
		b.Fatalf("stats = %+v", s)
	}
}

// BenchmarkOnEndIgnoredBucketShared is the rarer case (about 6% of traces
// with 1000 runs open) where the ignored trace shares its filter bucket
// with a tracked one, so the table is looked up.
func BenchmarkOnEndIgnoredBucketShared(b *testing.B) {
	p := busyProcessor(b)
	var other trace.TraceID
	for i := 0; ; i++ {
		binary.LittleEndian.PutUint64(other[:], uint64(i))
		other[12], other[13], other[14], other[15] = 0, 0, 0, 0
		if p.spans.mayHold(other) {
			break
		}
		binary.LittleEndian.PutUint32(other[12:], uint32(i))
		if p.spans.mayHold(other) {
			break
		}
	}
	span := genAISpan(other, benchIgnore, benchRoot)
	b.ReportAllocs()
	report := cpuPerOp(b)
	for b.Loop() {
		p.OnEnd(span)
	}
	report()
	if s := p.Stats(); s.Events != 0 {
		b.Fatalf("stats = %+v", s)
	}
}

// BenchmarkGenAISpan is the whole cost per span as the program sees it:
// start and end one GenAI child span of an open run, with eight
// attributes, under a TracerProvider with OpenTelemetry's batch span
// processor ("bsp"), and with the bridge added ("bsp+bridge"). The
// difference is what the bridge adds to an already-traced app.
func BenchmarkGenAISpan(b *testing.B) {
	attrs := trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "chat"),
		attribute.String("gen_ai.provider.name", "openai"),
		attribute.String("gen_ai.request.model", "gpt-4o-mini"))
	usage := []attribute.KeyValue{
		attribute.String("gen_ai.response.model", "gpt-4o-mini-2024-07-18"),
		attribute.String("gen_ai.response.id", "chatcmpl-123"),
		attribute.Int("gen_ai.usage.input_tokens", 812),
		attribute.Int("gen_ai.usage.output_tokens", 164),
		attribute.Int("gen_ai.usage.cache_read.input_tokens", 256),
	}
	for _, withBridge := range []bool{false, true} {
		name := "bsp"
		if withBridge {
			name = "bsp+bridge"
		}
		b.Run(name, func(b *testing.B) {
			// The tracker exports off the clock, every batch's worth of
			// spans, and the garbage of that export is collected off the
			// clock too (in both variants): what is timed is the cost on
			// the span's goroutine, with no more events held than an
			// app's tracker holds.
			tr := benchTracker(b)
			opts := []sdktrace.TracerProviderOption{sdktrace.WithBatcher(discardExporter{})}
			var p *SpanProcessor
			if withBridge {
				p = NewSpanProcessor(tr)
				opts = append(opts, sdktrace.WithSpanProcessor(p))
			}
			tp := sdktrace.NewTracerProvider(opts...)
			tracer := tp.Tracer("bench")
			ctx, root := tracer.Start(drip.ContextWithCustomer(context.Background(), "cus_bench"), "root")
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				_, s := tracer.Start(ctx, "chat gpt-4o-mini", attrs)
				s.SetAttributes(usage...)
				s.End()
				if i++; i%drip.DefaultMaxBatchSize == 0 {
					b.StopTimer()
					if err := tr.Flush(context.Background()); err != nil {
						b.Fatal(err)
					}
					runtime.GC()
					b.StartTimer()
				}
			}
			b.StopTimer()
			if err := tr.Flush(context.Background()); err != nil {
				b.Fatal(err)
			}
			root.End()
			_ = tp.Shutdown(context.Background())
			if p != nil && p.Stats().Events != int64(b.N) {
				b.Fatalf("bridge recorded %d events of %d spans", p.Stats().Events, b.N)
			}
		})
	}
}

// BenchmarkOnEndParts splits BenchmarkOnEnd: the attribute scan and the
// span reads (the bridge's own work), drip.LLMEvent (the funnel shared by
// every integration), the enqueue and the table, on the same span.
func BenchmarkOnEndParts(b *testing.B) {
	span := genAISpan(benchTrace, benchChild, benchRoot)
	b.Run("scan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var f genaimap.Facts
			f.ScanOTel(span.Attributes())
			if f.Kind() != genaimap.KindLLM {
				b.Fatal("not an LLM span")
			}
		}
	})
	b.Run("LLMEvent", func(b *testing.B) {
		var f genaimap.Facts
		f.ScanOTel(span.Attributes())
		var u providers.Usage
		f.Usage(&u)
		b.ReportAllocs()
		for b.Loop() {
			_ = drip.LLMEvent(&u)
		}
	})
	b.Run("Emit", func(b *testing.B) {
		tr := benchTracker(b)
		_, run := tr.Start(context.Background(), drip.RunParams{CustomerID: "cus_bench", Workflow: "bench"})
		var f genaimap.Facts
		f.ScanOTel(span.Attributes())
		var u providers.Usage
		f.Usage(&u)
		ev := drip.LLMEvent(&u)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := run.Emit(ev); err != nil {
				b.Fatal(err)
			}
			flushSometimes(b, tr, &i)
		}
	})
	b.Run("table", func(b *testing.B) {
		p := NewSpanProcessor(benchTracker(b))
		sc := &scope{born: time.Now()}
		b.ReportAllocs()
		for b.Loop() {
			p.track(span.SpanContext(), entry{sc: sc})
			spc := span.SpanContext()
			p.spans.take(&spc)
		}
	})
	b.Run("read", func(b *testing.B) {
		p := NewSpanProcessor(benchTracker(b))
		var f genaimap.Facts
		f.ScanOTel(span.Attributes())
		b.ReportAllocs()
		for b.Loop() {
			var x genaimap.End
			if !p.read(&x, span, &f) {
				b.Fatal("no event")
			}
		}
	})
}

// BenchmarkBSPOnEnd is the OpenTelemetry batch span processor's OnEnd on
// the same sampled span: a reference to compare BenchmarkOnEnd with, and
// machines with one another.
func BenchmarkBSPOnEnd(b *testing.B) {
	bsp := sdktrace.NewBatchSpanProcessor(discardExporter{})
	b.Cleanup(func() { _ = bsp.Shutdown(context.Background()) })
	span := genAISpan(benchTrace, benchChild, benchRoot)
	b.ReportAllocs()
	for b.Loop() {
		bsp.OnEnd(span)
	}
}

type discardExporter struct{}

func (discardExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardExporter) Shutdown(context.Context) error                             { return nil }
