package dripserver_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/internal/wire"
)

// TestConcurrentWriters has 8 writers post usage and event batches at once,
// each batch overlapping the next writer's keys: every key must be stored
// exactly once, and the run totals must match the stored events.
func TestConcurrentWriters(t *testing.T) {
	for _, store := range []string{"memory", "file"} {
		t.Run(store, func(t *testing.T) {
			var st *dripserver.Store
			var err error
			if store == "file" {
				st, err = dripserver.OpenStore(filepath.Join(t.TempDir(), "c.db"))
			} else {
				st, err = dripserver.OpenStore(":memory:")
			}
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			inst, err := dripserver.Start(context.Background(), "127.0.0.1:0", st, quiet)
			if err != nil {
				t.Fatal(err)
			}
			defer inst.Shutdown(context.Background())
			concurrentWriters(t, inst)
		})
	}
}

func concurrentWriters(t *testing.T, inst *dripserver.Instance) {
	const writers, perWriter, batchSize = 8, 10, 25
	a := newAPI(t, inst.BaseURL(), driptest.DefaultAPIKey)
	cust := a.customer("busy")
	run := a.startRun(cust.ID, "busy-flow")

	var wg sync.WaitGroup
	errs := make(chan error, writers*perWriter*2)
	for w := range writers {
		wg.Go(func() {
			c := newAPI(t, inst.BaseURL(), driptest.DefaultAPIKey)
			for i := range perWriter {
				// Writer w's key i is also sent by writer w+1.
				for _, owner := range []int{w, (w + 1) % writers} {
					body := wire.UsageRequest{CustomerID: cust.ID, Quantity: f64(1),
						IdempotencyKey: fmt.Sprintf("u-%d-%d", owner, i)}
					if st, raw := c.do("POST", "/usage/internal", body, nil); st != 200 {
						errs <- fmt.Errorf("usage: %d %s", st, raw)
					}
				}
				evs := make([]wire.RunEvent, batchSize)
				for j := range evs {
					owner := w
					if j%2 == 1 {
						owner = (w + 1) % writers
					}
					evs[j] = wire.RunEvent{RunID: run.ID, EventType: "step", Quantity: f64(1), CostUnits: f64(0.5),
						IdempotencyKey: fmt.Sprintf("e-%d-%d-%d", owner, i, j)}
				}
				if st, raw := c.do("POST", "/run-events/batch", wire.RunEventBatchRequest{Events: evs}, nil); st != 200 {
					errs <- fmt.Errorf("batch: %d %s", st, raw)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	ctx := context.Background()
	usage, err := inst.Store().UsageRecords(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(usage) != writers*perWriter {
		t.Errorf("%d usage records, want %d", len(usage), writers*perWriter)
	}
	events, err := inst.Store().Events(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Odd positions belong to the next writer; even positions are unique to
	// their writer; each (owner, i, j) key appears once.
	keys := map[string]bool{}
	for _, e := range events {
		if keys[e.IdempotencyKey] {
			t.Fatalf("key %s stored twice", e.IdempotencyKey)
		}
		keys[e.IdempotencyKey] = true
	}
	want := writers * perWriter * batchSize
	if len(events) != want {
		t.Errorf("%d events, want %d", len(events), want)
	}
	r, _, err := inst.Store().Run(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.EventCount != len(events) || r.TotalQuantity != float64(len(events)) || r.TotalCostUnits != float64(len(events))/2 {
		t.Errorf("run totals %d/%v/%v do not match %d stored events", r.EventCount, r.TotalQuantity, r.TotalCostUnits, len(events))
	}
}

func TestChaos(t *testing.T) {
	t.Run("error rate 1 answers 503 and writes nothing", func(t *testing.T) {
		srv := driptest.NewServer(t, driptest.WithErrorRate(1))
		a := newAPI(t, srv.BaseURL(), srv.APIKey())
		for _, path := range []string{"/customers", "/usage/internal"} {
			a.fail(503, "SERVICE_UNAVAILABLE", "POST", path, `{"externalCustomerId":"x","customerId":"x"}`)
		}
		if len(srv.Customers()) != 0 || len(srv.UsageRecords()) != 0 {
			t.Fatal("a failed request wrote")
		}
		// Health stays up so clients can tell dripd is there.
		if resp, err := http.Get(srv.URL() + "/health"); err != nil || resp.StatusCode != 200 {
			t.Fatalf("health: %v", err)
		}
	})
	t.Run("drop rate 1 commits but never answers", func(t *testing.T) {
		srv := driptest.NewServer(t, driptest.WithDropRate(1))
		req, _ := http.NewRequest("POST", srv.BaseURL()+"/usage/internal",
			strings.NewReader(`{"externalCustomerId":"dropped","idempotencyKey":"d1"}`))
		req.Header.Set("Authorization", "Bearer "+srv.APIKey())
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("got a reply (%d), want a connection error", resp.StatusCode)
		}
		if recs := srv.UsageRecords(); len(recs) != 1 || recs[0].IdempotencyKey != "d1" {
			t.Fatalf("records = %+v, want the dropped write committed", recs)
		}
	})
	t.Run("seeded faults repeat", func(t *testing.T) {
		pattern := func() string {
			srv := driptest.NewServer(t, driptest.WithErrorRate(0.5), driptest.WithSeed(42))
			a := newAPI(t, srv.BaseURL(), srv.APIKey())
			var sb strings.Builder
			for range 20 {
				st, _ := a.do("GET", "/workflows", nil, nil)
				sb.WriteString(fmt.Sprint(st / 100))
			}
			return sb.String()
		}
		p1, p2 := pattern(), pattern()
		if p1 != p2 || !strings.Contains(p1, "5") || !strings.Contains(p1, "2") {
			t.Fatalf("patterns %s and %s", p1, p2)
		}
	})
}

// TestStoreReopen checks a file store keeps its data and schema version
// across a close and reopen.
func TestStoreReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reopen.db")
	st, err := dripserver.OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := dripserver.Start(context.Background(), "127.0.0.1:0", st, quiet)
	if err != nil {
		t.Fatal(err)
	}
	a := newAPI(t, inst.BaseURL(), driptest.DefaultAPIKey)
	c := a.customer("stays")
	a.ok(200, "POST", "/usage/internal", wire.UsageRequest{CustomerID: c.ID, IdempotencyKey: "once"}, nil)
	if err := inst.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st, err = dripserver.OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cs, err := st.Customers(context.Background())
	if err != nil || len(cs) != 1 || cs[0].ID != c.ID {
		t.Fatalf("customers after reopen = %+v, %v", cs, err)
	}
	us, err := st.UsageRecords(context.Background())
	if err != nil || len(us) != 1 || us[0].IdempotencyKey != "once" {
		t.Fatalf("usage after reopen = %+v, %v", us, err)
	}
}
