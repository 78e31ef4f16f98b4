package dripserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/internal/wire"
)

// benchServer serves a file-backed store (WAL) over real HTTP/1.1.
func benchServer(b *testing.B) (*httptest.Server, *dripserver.Store, *api) {
	b.Helper()
	st, err := dripserver.OpenStore(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(dripserver.New(st, quiet))
	b.Cleanup(func() {
		srv.Close()
		st.Close()
	})
	return srv, st, newAPI(b, srv.URL+"/v1", "sk_test_bench_000000")
}

// batchTemplate is a batch of n events shaped like the ones drip-go sends
// (model, tokens, latency, occurredAt), with "@@" standing for the batch
// number in every idempotency key.
func batchTemplate(b *testing.B, runID string, n int) []byte {
	evs := make([]wire.RunEvent, n)
	at := time.Now().UTC()
	for i := range evs {
		evs[i] = wire.RunEvent{RunID: runID, EventType: "llm.completion", Quantity: f64(1200), Units: "tokens",
			CostUnits: f64(0.0042), IdempotencyKey: "evt_@@_" + strconv.Itoa(i),
			Metadata: map[string]any{wire.MetaModel: "gpt-4o-mini", wire.MetaInputTokens: 1000, wire.MetaOutputTokens: 200,
				wire.MetaLatencyMs: 812, wire.MetaOccurredAt: at.Add(time.Duration(i) * time.Millisecond).Format(time.RFC3339Nano)}}
	}
	raw, err := json.Marshal(wire.RunEventBatchRequest{Events: evs})
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

func post(b *testing.B, hc *http.Client, url string, body []byte, want int) {
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer sk_test_bench_000000")
	resp, err := hc.Do(req)
	if err != nil {
		b.Error(err)
		return
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		b.Errorf("status %d: %s", resp.StatusCode, raw)
	}
}

// BenchmarkRunEventsBatch measures events persisted per second through
// POST /run-events/batch, 500 events a batch, two clients at once.
func BenchmarkRunEventsBatch(b *testing.B) {
	const batch = 500
	srv, st, a := benchServer(b)
	cust := a.customer("bench")
	run := a.startRun(cust.ID, "bench")
	tmpl := batchTemplate(b, run.ID, batch)
	url := srv.URL + "/v1/run-events/batch"
	var seq atomic.Int64
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		hc := &http.Client{}
		for pb.Next() {
			body := bytes.ReplaceAll(tmpl, []byte("@@"), []byte(strconv.FormatInt(seq.Add(1), 10)))
			post(b, hc, url, body, 200)
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N*batch)/elapsed.Seconds(), "events/s")
	r, _, err := st.Run(context.Background(), run.ID)
	if err != nil || r.EventCount != b.N*batch {
		b.Fatalf("stored %d events, want %d (%v)", r.EventCount, b.N*batch, err)
	}
}

// BenchmarkTrackUsage measures POST /usage/internal, one usage write (one
// transaction) per request, two clients at once.
func BenchmarkTrackUsage(b *testing.B) {
	srv, st, a := benchServer(b)
	cust := a.customer("bench")
	url := srv.URL + "/v1/usage/internal"
	var seq atomic.Int64
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		hc := &http.Client{}
		for pb.Next() {
			body := fmt.Appendf(nil, `{"customerId":%q,"usageType":"tokens","quantity":1200,"idempotencyKey":"track_%d",`+
				`"metadata":{"model":"gpt-4o-mini"}}`, cust.ID, seq.Add(1))
			post(b, hc, url, body, 200)
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	if us, err := st.UsageRecords(context.Background()); err != nil || len(us) != b.N {
		b.Fatalf("stored %d usage records, want %d (%v)", len(us), b.N, err)
	}
}
