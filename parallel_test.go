package drip_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
)

// TestCausalOrderUnderParallelExport: thousands of interleaved runs, some
// short (recorded in one request), some long (streamed while they run),
// exported with many requests in flight: the sink must never see an event
// of a run not started or already ended, and must get every event once.
func TestCausalOrderUnderParallelExport(t *testing.T) {
	sink := newAPISink(t, time.Millisecond, 0)
	c := newClient(t, sink.URL+"/v1", fastRetries())
	tr := drip.NewTracker(c, drip.WithoutSelfMetrics(), drip.WithBlockOnFull(), drip.WithMaxBatchSize(16),
		drip.WithBatchTimeout(2*time.Millisecond))
	const workers, runsPer = 8, 250
	var wg sync.WaitGroup
	var want int64
	var mu sync.Mutex
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			n := int64(0)
			for range runsPer {
				_, run := tr.Start(context.Background(), drip.RunParams{CustomerID: "cust_x", Workflow: "w"})
				events := 1 + rng.IntN(30)
				for j := range events {
					run.Emit(drip.Event{Type: "step", Quantity: float64(j + 1)})
					if rng.IntN(10) == 0 {
						time.Sleep(time.Duration(rng.IntN(3)) * time.Millisecond) // a long run: streamed
					}
				}
				n += int64(events)
				run.End(drip.RunCompleted)
			}
			mu.Lock()
			want += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	if err := tr.Shutdown(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	sink.check(t)
	if got := sink.events.Load(); got != want {
		t.Fatalf("sink holds %d events, want %d", got, want)
	}
	if got := sink.ended.Load(); got != workers*runsPer {
		t.Fatalf("%d runs ended, want %d", got, workers*runsPer)
	}
	if sink.recorded.Load() == 0 || sink.recorded.Load() == workers*runsPer {
		t.Fatalf("%d of %d runs recorded in one request: want both paths in play", sink.recorded.Load(), workers*runsPer)
	}
}

// TestThrottledExportDeliversOnceAndSlowsDown: a sink that allows 100
// requests/s and answers 429 with Retry-After: 1 over that gets every event
// exactly once, and the exporter backs off.
func TestThrottledExportDeliversOnceAndSlowsDown(t *testing.T) {
	sink := newAPISink(t, 2*time.Millisecond, 100)
	c := newClient(t, sink.URL+"/v1", fastRetries())
	tr := drip.NewTracker(c, drip.WithoutSelfMetrics(), drip.WithBlockOnFull(), drip.WithBatchTimeout(time.Millisecond))
	const runs, per = 150, 5
	recordShortRuns(t, tr, runs, per)
	sink.check(t)
	st := tr.Stats()
	if got := sink.events.Load(); got != runs*per || st.Sent != runs*per {
		t.Fatalf("sink holds %d events, tracker sent %d, want %d", got, st.Sent, runs*per)
	}
	if st.Throttled == 0 || st.Throttled != sink.throttled.Load() {
		t.Fatalf("throttled %d times by the tracker's count, %d by the sink's", st.Throttled, sink.throttled.Load())
	}
}

// TestChaosExactlyOnceWithRecordAndParallel: the chaos flags of dripd
// (a fifth of requests fail, a fifth lose their reply after committing)
// with parallel export and /runs/record both in play: exactly once.
func TestChaosExactlyOnceWithRecordAndParallel(t *testing.T) {
	srv := startServer(t, nil, dripserver.WithErrorRate(0.2), dripserver.WithDropRate(0.2), dripserver.WithSeed(9))
	c := newClient(t, srv.BaseURL(), fastRetries())
	cust := createCustomerRetrying(t, c, "chaos2")
	tr := drip.NewTracker(c, drip.WithoutSelfMetrics(), drip.WithBlockOnFull(), drip.WithMaxBatchSize(20),
		drip.WithBatchTimeout(2*time.Millisecond))
	const runs = 300
	want := 0
	for i := range runs {
		_, run := tr.Start(context.Background(), drip.RunParams{CustomerID: cust, Workflow: "chaos"})
		for j := range 1 + i%7 {
			run.Emit(drip.Event{Type: "step", Quantity: float64(j + 1)})
			want++
			if i%3 == 0 {
				time.Sleep(200 * time.Microsecond)
			}
		}
		run.End(drip.RunCompleted)
	}
	if err := tr.Shutdown(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	rs, _ := srv.store.Runs(context.Background())
	stored := 0
	for _, r := range rs {
		evs, _ := srv.store.Events(context.Background(), r.ID)
		stored += len(evs)
		if r.Status != "COMPLETED" {
			t.Errorf("run %s %s", r.ID, r.Status)
		}
	}
	if len(rs) != runs || stored != want {
		t.Fatalf("%d runs with %d events stored, want %d with %d", len(rs), stored, runs, want)
	}
}

// TestExportWithoutRecordEndpoint: against an API without POST
// /runs/record, short runs go the long way, and the tracker stops trying
// the endpoint after a few 404s.
func TestExportWithoutRecordEndpoint(t *testing.T) {
	sink := newAPISink(t, 0, 0)
	sink.noRecord = true
	c := newClient(t, sink.URL+"/v1", fastRetries())
	tr := drip.NewTracker(c, drip.WithoutSelfMetrics(), drip.WithMaxConcurrentExports(1))
	const runs, per = 50, 3
	recordShortRuns(t, tr, runs, per)
	sink.check(t)
	if sink.events.Load() != runs*per || sink.ended.Load() != runs {
		t.Fatalf("%d events, %d runs ended", sink.events.Load(), sink.ended.Load())
	}
	if n := sink.recordTries.Load(); n == 0 || n > 3 {
		t.Fatalf("%d tries of POST /runs/record, want 1 to 3", n)
	}
}

// recordShortRuns records runs runs of per events each, one after another,
// and shuts tr down.
func recordShortRuns(t *testing.T, tr *drip.Tracker, runs, per int) {
	t.Helper()
	for range runs {
		_, run := tr.Start(context.Background(), drip.RunParams{CustomerID: "cust_x", Workflow: "w"})
		for j := range per {
			run.Emit(drip.Event{Type: "step", Quantity: float64(j + 1)})
		}
		run.End(drip.RunCompleted)
	}
	if err := tr.Shutdown(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}
