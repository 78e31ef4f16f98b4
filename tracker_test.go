package drip_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/goleak"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/driptest"
)

func newTracker(t testing.TB, c *drip.Client, opts ...drip.TrackerOption) *drip.Tracker {
	t.Helper()
	opts = append([]drip.TrackerOption{drip.WithoutSelfMetrics(), drip.WithBatchTimeout(20 * time.Millisecond)}, opts...)
	tr := drip.NewTracker(c, opts...)
	t.Cleanup(func() { tr.Shutdown(context.Background()) })
	return tr
}

// newDriptest starts a driptest server and returns it with a client of it.
func newDriptest(t testing.TB) (*driptest.Server, *drip.Client) {
	t.Helper()
	ds := driptest.NewServer(t)
	c, err := drip.New(drip.WithAPIKey(ds.APIKey()), drip.WithBaseURL(ds.BaseURL()))
	if err != nil {
		t.Fatal(err)
	}
	return ds, c
}

func createCustomer(t testing.TB, c *drip.Client, ext string) string {
	t.Helper()
	cu, err := c.GetOrCreateCustomer(ctxT(t), ext, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cu.ID
}

func TestTrackerRecordsARun(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	tr := newTracker(t, c)
	cust := createCustomer(t, c, "acme")

	ctx, run := tr.Start(context.Background(), drip.RunParams{CustomerID: cust, Workflow: "support-agent"})
	if drip.RunFromContext(ctx) != run {
		t.Fatal("the returned ctx must carry the run")
	}
	if err := run.LLMCall("gpt-4o-mini", 812, 164, 730*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := run.ToolCall("search", 120*time.Millisecond, nil); err != nil {
		t.Fatal(err)
	}
	if err := run.ToolCall("fetch", 5*time.Millisecond, fmt.Errorf("wrapped: %w", io.ErrUnexpectedEOF)); err != nil {
		t.Fatal(err)
	}
	// A nested run records its parent.
	_, child := tr.Start(ctx, drip.RunParams{Workflow: "sub-task"})
	child.End(drip.RunCompleted)
	if err := run.End(drip.RunCompleted); err != nil {
		t.Fatal(err)
	}
	if err := run.Emit(drip.Event{Type: "late"}); !errors.Is(err, drip.ErrRunAlreadyEnded) {
		t.Fatalf("emit after end: %v", err)
	}
	// Flush says what was lost since the last Flush: the late event.
	if err := tr.Flush(ctxT(t)); err == nil || !strings.Contains(err.Error(), "1 refused") {
		t.Fatalf("Flush after a refused event: %v", err)
	}
	if err := tr.Flush(ctxT(t)); err != nil {
		t.Fatalf("second Flush, nothing lost since: %v", err)
	}

	if run.ID() == "" || child.ID() == "" {
		t.Fatal("runs should have ids after Flush")
	}
	got, ok, err := srv.store.Run(ctxT(t), run.ID())
	if err != nil || !ok || got.Status != "COMPLETED" || got.EventCount != 3 || got.ExternalRunID == "" {
		t.Fatalf("run: %+v %v %v", got, ok, err)
	}
	sub, _, _ := srv.store.Run(ctxT(t), child.ID())
	if sub.ParentRunID != run.ID() || sub.CustomerID != cust {
		t.Fatalf("child run: parent %q customer %q", sub.ParentRunID, sub.CustomerID)
	}
	evs, _ := srv.store.Events(ctxT(t), run.ID())
	if len(evs) != 3 {
		t.Fatalf("%d events", len(evs))
	}
	llm, tool, toolErr := evs[0], evs[1], evs[2]
	if llm.EventType != drip.EventLLMCompletion || llm.Quantity != 976 || llm.Units != "tokens" ||
		llm.Metadata["inputTokens"] != float64(812) || llm.Metadata["model"] != "gpt-4o-mini" || *llm.DurationMs != 730 {
		t.Errorf("llm event: %+v", llm)
	}
	if tool.EventType != drip.EventToolCall || tool.Metadata["name"] != "search" || tool.Outcome != "SUCCESS" {
		t.Errorf("tool event: %+v", tool)
	}
	if toolErr.EventType != drip.EventToolError || toolErr.Outcome != "FAILED" || toolErr.Metadata["errorType"] == nil {
		t.Errorf("tool error event: %+v", toolErr)
	}
	if strings.Contains(fmt.Sprint(toolErr.Metadata), "unexpected EOF") {
		t.Errorf("error text leaked: %v", toolErr.Metadata)
	}
	st := tr.Stats()
	if st.Accepted != 3 || st.Sent != 3 || st.RunsStarted != 2 || st.RunsEnded != 2 || st.Refused != 1 || st.Failed != 0 {
		t.Errorf("stats: %+v", st)
	}
}

func TestTrackerFailAndCustomerFromContext(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	tr := newTracker(t, c)
	cust := createCustomer(t, c, "tenant-7")
	ctx := drip.ContextWithCustomer(context.Background(), cust)
	if drip.CustomerFromContext(ctx) != cust {
		t.Fatal("CustomerFromContext")
	}
	_, run := tr.Start(ctx, drip.RunParams{Workflow: "w"})
	run.Fail(errors.New("upstream said no\n\tat secret/stack/trace.go:12"))
	if err := tr.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	got, _, _ := srv.store.Run(ctxT(t), run.ID())
	if got.Status != "FAILED" || got.ErrorMessage != "upstream said no" || got.CustomerID != cust || got.ErrorCode == "" {
		t.Fatalf("failed run: %+v", got)
	}

	// Invalid params are reported, not panicked on.
	_, bad := tr.Start(context.Background(), drip.RunParams{Workflow: "w"})
	if err := bad.Emit(drip.Event{Type: "x"}); !errors.Is(err, drip.ErrValidation) {
		t.Fatalf("run without customer: %v", err)
	}
	if err := run.Emit(drip.Event{}); !errors.Is(err, drip.ErrValidation) {
		t.Fatalf("event without type: %v", err)
	}
}

func TestTrackerTrackUsage(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	tr := newTracker(t, c)
	for i := range 20 {
		if err := tr.TrackUsage(context.Background(), drip.UsageParams{ExternalCustomerID: "u", Meter: "llm_tokens", Quantity: float64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.TrackUsage(context.Background(), drip.UsageParams{Meter: "x"}); !errors.Is(err, drip.ErrValidation) {
		t.Fatalf("invalid usage: %v", err)
	}
	if err := tr.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	recs, _ := srv.store.UsageRecords(ctxT(t))
	if len(recs) != 20 {
		t.Fatalf("%d records", len(recs))
	}
}

// orderLog records, in arrival order, which runs each request touched.
type orderLog struct {
	mu       sync.Mutex
	seq      int
	runs     map[string]*runOrder // by run id
	recorded map[string]int       // externalRunId -> seq of its POST /runs/record
}

type runOrder struct {
	firstEvent, lastEvent, end int
}

func (o *orderLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		o.mu.Lock()
		o.seq++
		seq := o.seq
		get := func(id string) *runOrder {
			if o.runs[id] == nil {
				o.runs[id] = &runOrder{}
			}
			return o.runs[id]
		}
		switch {
		case r.Method == "POST" && r.URL.Path == "/v1/run-events/batch":
			var b struct {
				Events []struct{ RunID string } `json:"events"`
			}
			json.Unmarshal(body, &b)
			for _, e := range b.Events {
				ro := get(e.RunID)
				if ro.firstEvent == 0 {
					ro.firstEvent = seq
				}
				ro.lastEvent = seq
			}
		case r.Method == "PATCH":
			ro := get(strings.TrimPrefix(r.URL.Path, "/v1/runs/"))
			if ro.end == 0 {
				ro.end = seq
			}
		case r.Method == "POST" && r.URL.Path == "/v1/runs/record":
			// Start, events and end in one request: in order by design.
			var b struct{ ExternalRunID string }
			json.Unmarshal(body, &b)
			if o.recorded[b.ExternalRunID] == 0 {
				o.recorded[b.ExternalRunID] = seq
			}
		}
		o.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// TestTrackerChaosExactlyOnce: 10,000 events over 100 runs through a server
// that fails a fifth of requests and loses the reply of another fifth after
// committing. The server must hold exactly 10,000 events, every run ended,
// each run's events sent before its end.
func TestTrackerChaosExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos test")
	}
	ol := &orderLog{runs: map[string]*runOrder{}, recorded: map[string]int{}}
	srv := startServer(t, ol.wrap, dripserver.WithErrorRate(0.2), dripserver.WithDropRate(0.2), dripserver.WithSeed(42))
	c := newClient(t, srv.BaseURL(), fastRetries())
	cust := createCustomerRetrying(t, c, "chaos")
	tr := drip.NewTracker(c, drip.WithoutSelfMetrics(), drip.WithBlockOnFull(), drip.WithMaxBatchSize(200),
		drip.WithBatchTimeout(5*time.Millisecond))

	const runs, perRun = 100, 100
	var wg sync.WaitGroup
	handles := make([]*drip.Run, runs)
	for i := range runs {
		_, run := tr.Start(context.Background(), drip.RunParams{CustomerID: cust, Workflow: "chaos"})
		handles[i] = run
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range perRun {
				if err := run.Emit(drip.Event{Type: "step", Quantity: float64(j + 1)}); err != nil {
					t.Error(err)
				}
			}
			run.End(drip.RunCompleted)
		}()
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	st := tr.Stats()
	if st.Sent != runs*perRun || st.Dropped != 0 || st.Failed != 0 || st.RunsEnded != runs {
		t.Fatalf("stats: %+v", st)
	}
	total := 0
	for _, h := range handles {
		r, ok, err := srv.store.Run(context.Background(), h.ID())
		if err != nil || !ok || r.Status != "COMPLETED" {
			t.Fatalf("run %s: %+v %v", h.ID(), r, err)
		}
		evs, _ := srv.store.Events(context.Background(), h.ID())
		total += len(evs)
		if ol.recorded[r.ExternalRunID] != 0 {
			continue
		}
		o := ol.runs[h.ID()]
		if o == nil || o.firstEvent == 0 || o.end == 0 || o.lastEvent > o.end {
			t.Fatalf("run %s: events and end out of order: %+v", h.ID(), o)
		}
	}
	if total != runs*perRun {
		t.Fatalf("server holds %d events, want %d", total, runs*perRun)
	}
}

func createCustomerRetrying(t *testing.T, c *drip.Client, ext string) string {
	for range 50 {
		if cu, err := c.GetOrCreateCustomer(ctxT(t), ext, nil); err == nil {
			return cu.ID
		}
	}
	t.Fatal("could not create a customer")
	return ""
}

func TestShutdownDeliversEverythingAndAbandonsOpenRuns(t *testing.T) {
	srv := startServer(t, nil, dripserver.WithLatency(2*time.Millisecond))
	c := newClient(t, srv.BaseURL())
	cust := createCustomer(t, c, "acme")
	tr := drip.NewTracker(c, drip.WithoutSelfMetrics(), drip.WithBatchTimeout(time.Hour), drip.WithMaxQueueSize(100000))
	_, open := tr.Start(context.Background(), drip.RunParams{CustomerID: cust, Workflow: "w"})
	for i := range 3000 {
		open.Emit(drip.Event{Type: "step", Quantity: float64(i%5 + 1)})
	}
	if err := tr.Shutdown(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	evs, _ := srv.store.Events(context.Background(), open.ID())
	if len(evs) != 3000 {
		t.Fatalf("%d of 3000 queued events delivered", len(evs))
	}
	r, _, _ := srv.store.Run(context.Background(), open.ID())
	if r.Status != "FAILED" || r.ErrorCode != drip.CodeAbandoned {
		t.Fatalf("open run at shutdown: %+v", r)
	}
	// After Shutdown: counted as dropped, never a panic.
	if err := open.Emit(drip.Event{Type: "x"}); err == nil {
		t.Fatal("emit after shutdown must fail")
	}
	_, late := tr.Start(context.Background(), drip.RunParams{CustomerID: cust, Workflow: "w"})
	if err := late.Emit(drip.Event{Type: "x"}); !errors.Is(err, drip.ErrTrackerShutdown) {
		t.Fatalf("late run: %v", err)
	}
	if err := tr.TrackUsage(context.Background(), drip.UsageParams{CustomerID: cust, Meter: "m"}); !errors.Is(err, drip.ErrTrackerShutdown) {
		t.Fatalf("late usage: %v", err)
	}
	// open.Emit, late.Emit (its run was refused) and TrackUsage.
	if st := tr.Stats(); st.Refused != 3 || st.Accepted != st.Sent {
		t.Fatalf("stats: %+v", st)
	}
	if err := tr.Shutdown(context.Background()); err == nil || !strings.Contains(err.Error(), "3 refused") {
		t.Fatalf("second Shutdown should report the refused items: %v", err)
	}
}

func TestShutdownWithDeadServerHonoursCtx(t *testing.T) {
	srv := startServer(t, nil, dripserver.WithErrorRate(1))
	c := newClient(t, srv.BaseURL(), fastRetries())
	var handled atomic.Int64
	tr := drip.NewTracker(c, drip.WithoutSelfMetrics(), drip.WithErrorHandler(func(error) { handled.Add(1) }))
	_, run := tr.Start(context.Background(), drip.RunParams{CustomerID: "cust_x", Workflow: "w"})
	for range 50 {
		run.Emit(drip.Event{Type: "step"})
	}
	tr.TrackUsage(context.Background(), drip.UsageParams{CustomerID: "cust_x", Meter: "m", Quantity: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := tr.Shutdown(ctx)
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Shutdown took %v with a 300ms ctx", d)
	}
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "not delivered") {
		t.Fatalf("Shutdown should report the loss: %v", err)
	}
	// Shutdown returned at its deadline; a second call with no deadline
	// waits for the exporter, which gives up at once, to stop, and says
	// what it dropped.
	if err := tr.Shutdown(context.Background()); err == nil || !strings.Contains(err.Error(), "51 dropped") {
		t.Fatalf("second Shutdown: %v", err)
	}
	st := tr.Stats()
	if st.Sent != 0 || st.Dropped != 51 || st.Accepted != 51 || handled.Load() == 0 {
		t.Fatalf("stats %+v, error handler calls %d", st, handled.Load())
	}
}

func TestQueueFullDropsAndWarns(t *testing.T) {
	srv := startServer(t, nil, dripserver.WithLatency(200*time.Millisecond))
	var logs syncBuffer
	c := newClient(t, srv.BaseURL(), drip.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	tr := newTracker(t, c, drip.WithMaxQueueSize(10))
	_, run := tr.Start(context.Background(), drip.RunParams{CustomerID: "cust_x", Workflow: "w"})
	var full int
	for range 100 {
		if err := run.Emit(drip.Event{Type: "step"}); err != nil {
			full++
		}
	}
	st := tr.Stats()
	if full == 0 || st.Refused != int64(full) || st.Accepted != int64(100-full) {
		t.Fatalf("refused %d, stats %+v", full, st)
	}
	if !strings.Contains(logs.String(), "refusing") {
		t.Fatalf("no drop warning: %q", logs.String())
	}
}

func TestBlockOnFullWaitsForRoom(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	cust := createCustomer(t, c, "acme")
	tr := newTracker(t, c, drip.WithMaxQueueSize(4), drip.WithBlockOnFull(), drip.WithMaxBatchSize(2))
	_, run := tr.Start(context.Background(), drip.RunParams{CustomerID: cust, Workflow: "w"})
	for range 200 {
		if err := run.Emit(drip.Event{Type: "step"}); err != nil {
			t.Fatal(err)
		}
	}
	run.End(drip.RunCompleted)
	if err := tr.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if st := tr.Stats(); st.Sent != 200 || st.Dropped != 0 {
		t.Fatalf("stats: %+v", st)
	}
}

// Shutdown leaves nothing running: not the exporter, not the spool's
// syncer, not the connections of the transport the SDK made itself.
func TestTrackerLeavesNoGoroutines(t *testing.T) {
	srv := startServer(t, nil)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	c := newClient(t, srv.BaseURL())
	cust := createCustomer(t, c, "acme")
	tr, err := drip.OpenTracker(c, drip.WithoutSelfMetrics(), drip.WithSpool(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	_, run := tr.Start(context.Background(), drip.RunParams{CustomerID: cust, Workflow: "w"})
	for range 100 {
		run.Emit(drip.Event{Type: "step"})
	}
	tr.TrackUsage(context.Background(), drip.UsageParams{CustomerID: cust, Meter: "m", Quantity: 1})
	run.End(drip.RunCompleted)
	if err := tr.Shutdown(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

// A full spool refuses new items, counts them and warns; nothing already
// spooled is lost.
func TestSpoolFullRefuses(t *testing.T) {
	var logs syncBuffer
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String() + "/v1"
	l.Close()
	c := newClient(t, dead, drip.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	tr, err := drip.OpenTracker(c, drip.WithoutSelfMetrics(), drip.WithSpool(t.TempDir()), drip.WithSpoolMaxBytes(64<<10),
		drip.WithBatchTimeout(time.Millisecond), drip.WithMaxRetryElapsed(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	_, run := tr.Start(context.Background(), drip.RunParams{CustomerID: "cust_x", Workflow: "w"})
	refused := 0
	for i := 0; i < 20000 && refused == 0; i++ {
		if err := run.Emit(drip.Event{Type: "step", Quantity: 1}); errors.Is(err, drip.ErrSpoolFull) {
			refused++
		}
		if i%100 == 99 {
			time.Sleep(time.Millisecond) // let the exporter spool
		}
	}
	st := tr.Stats()
	if refused == 0 || st.Refused == 0 || st.Spooled == 0 {
		t.Fatalf("a full spool should refuse: refused %d, stats %+v", refused, st)
	}
	if !strings.Contains(logs.String(), "spool") {
		t.Fatalf("no warning: %q", logs.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	tr.Shutdown(ctx)
	tr.Shutdown(context.Background())
}

func TestTrackerSelfMetrics(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	cust := createCustomer(t, c, "acme")
	reader := metric.NewManualReader()
	mp := metric.NewMeterProvider(metric.WithReader(reader))
	tr := drip.NewTracker(c, drip.WithMeterProvider(mp))
	_, run := tr.Start(context.Background(), drip.RunParams{CustomerID: cust, Workflow: "w"})
	for range 7 {
		run.Emit(drip.Event{Type: "step"})
	}
	run.End(drip.RunCompleted)
	if err := tr.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			found[m.Name] = true
			if m.Name == "drip.tracker.sent" {
				sum := m.Data.(metricdata.Sum[int64])
				if v := sum.DataPoints[0].Value; v != 7 {
					t.Errorf("sent = %d, want 7", v)
				}
				if sum.DataPoints[0].Attributes.Len() != 0 {
					t.Error("self-metrics must carry no per-customer attributes")
				}
			}
		}
	}
	for _, name := range []string{"drip.tracker.sent", "drip.tracker.queue.size", "drip.tracker.export.duration"} {
		if !found[name] {
			t.Errorf("metric %s missing; have %v", name, found)
		}
	}
	tr.Shutdown(ctxT(t))
}

// Runs are exported later than they happen; their start and end times
// must still be the caller's, so durations are real.
func TestTrackerRunDurationIsTheCallersTime(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	tr := newTracker(t, c, drip.WithBatchTimeout(time.Hour)) // start and end leave in one batch
	cust := createCustomer(t, c, "acme")
	_, run := tr.Start(context.Background(), drip.RunParams{CustomerID: cust, Workflow: "w", Metadata: map[string]any{"tier": "gold"}})
	time.Sleep(150 * time.Millisecond) // the run's duration is what is tested
	run.End(drip.RunCompleted)
	if err := tr.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	r, _, _ := srv.store.Run(context.Background(), run.ID())
	if d := r.EndedAt.Sub(r.StartedAt); d < 150*time.Millisecond || d > 10*time.Second {
		t.Fatalf("run lasted %v on the server, want the caller's ~150ms", d)
	}
	if _, ok := r.Metadata["occurredAt"]; ok || r.Metadata["tier"] != "gold" {
		t.Fatalf("run metadata: %v", r.Metadata)
	}
}
