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
	"sync"
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
// (model, tokens, latency, occurredAt; tokens, cost and latency differ from
// event to event, as they do in real traffic), with "@@@@@@@@" standing for
// the batch number in every idempotency key.
func batchTemplate(b *testing.B, runID string, n int) []byte {
	evs := make([]wire.RunEvent, n)
	at := time.Now().UTC()
	for i := range evs {
		in, out := 900+i%211, 150+i%97
		evs[i] = wire.RunEvent{RunID: runID, EventType: "llm.completion", Quantity: f64(float64(in + out)),
			Units: "tokens", CostUnits: f64(float64(in)*0.15e-6 + float64(out)*0.6e-6), IdempotencyKey: "evt_" + batchMark + "_" + strconv.Itoa(i),
			Metadata: map[string]any{wire.MetaModel: "gpt-4o-mini", wire.MetaInputTokens: in, wire.MetaOutputTokens: out,
				wire.MetaLatencyMs: 300 + i%701, wire.MetaOccurredAt: at.Add(time.Duration(i) * time.Millisecond).Format(time.RFC3339Nano)}}
	}
	raw, err := json.Marshal(wire.RunEventBatchRequest{Events: evs})
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// batchMark stands for the batch number in a template's keys.
const batchMark = "@@@@@@@@"

// batchStamper writes batch numbers into a copy of a template in place, so
// that making a body costs the benchmark next to nothing.
type batchStamper struct {
	body []byte
	at   []int // offsets of the marks
}

func newBatchStamper(tmpl []byte) *batchStamper {
	s := &batchStamper{body: bytes.Clone(tmpl)}
	for off := 0; ; {
		i := bytes.Index(s.body[off:], []byte(batchMark))
		if i < 0 {
			return s
		}
		s.at = append(s.at, off+i)
		off += i + len(batchMark)
	}
}

// stamp returns the template with batch number n (fixed width) in its keys.
func (s *batchStamper) stamp(n int64) []byte {
	var num [len(batchMark)]byte
	for i := len(num) - 1; i >= 0; i-- {
		num[i] = byte('0' + n%10)
		n /= 10
	}
	for _, at := range s.at {
		copy(s.body[at:], num[:])
	}
	return s.body
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
	defer resp.Body.Close()
	if resp.StatusCode != want {
		raw, _ := io.ReadAll(resp.Body)
		b.Errorf("status %d: %s", resp.StatusCode, raw)
		return
	}
	// The reply is read in full (the connection is reused), not kept.
	_, _ = io.Copy(io.Discard, resp.Body)
}

// BenchmarkRunEventsBatch measures events persisted per second to a file
// database through POST /run-events/batch, 500 events a batch, with two
// clients at once and with eight. dripd's budget is 20,000 events/s.
func BenchmarkRunEventsBatch(b *testing.B) {
	for _, clients := range []int{2, 8} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) { benchRunEventsBatch(b, clients) })
	}
}

func benchRunEventsBatch(b *testing.B, clients int) {
	const batch = 500
	srv, st, a := benchServer(b)
	cust := a.customer("bench")
	run := a.startRun(cust.ID, "bench")
	tmpl := batchTemplate(b, run.ID, batch)
	url := srv.URL + "/v1/run-events/batch"
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := &http.Client{}
			st := newBatchStamper(tmpl)
			for n := next.Add(1); n <= int64(b.N); n = next.Add(1) {
				post(b, hc, url, st.stamp(n), 200)
			}
		}()
	}
	wg.Wait()
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
