package middleware_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/middleware"
)

// benchFlushEvery is how many requests run before the timer stops and the
// tracker's queue is drained, so the benchmark measures an enqueue into a
// queue with room: the request's own cost.
const benchFlushEvery = 2048

// BenchmarkMiddlewareRecordAfter compares a bare handler with the same
// handler behind the RecordAfter middleware, called in-process (no network)
// so the difference is what the middleware adds to a request. p50-ns is the
// median of per-request timings; the budget is +2 µs at the median.
func BenchmarkMiddlewareRecordAfter(b *testing.B) {
	// A Drip that accepts everything at once, so draining is cheap.
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"success":true,"usageEventId":"u_1","isDuplicate":false}`)
	}))
	b.Cleanup(fake.Close)
	c, err := drip.New(drip.WithAPIKey("sk_test_bench_000000000"), drip.WithBaseURL(fake.URL+"/v1"))
	if err != nil {
		b.Fatal(err)
	}
	// The exporter waits for the flush (batch size and timeout beyond one
	// flush interval), so its work (one POST /usage per record: Drip has no
	// batch usage endpoint) runs with the timer stopped instead of competing
	// for the cores with the requests being timed.
	tr := drip.NewTracker(c, drip.WithoutSelfMetrics(), drip.WithMaxQueueSize(4*benchFlushEvery),
		drip.WithMaxBatchSize(4*benchFlushEvery), drip.WithBatchTimeout(time.Hour))
	b.Cleanup(func() { _ = tr.Shutdown(context.Background()) })

	bare := http.NewServeMux()
	bare.HandleFunc("GET /v1/items/{id}", ok)
	metered := middleware.Wrap(bare, middleware.Config{
		Meter:            "api_calls",
		CustomerResolver: func(*http.Request) (string, error) { return "cust_bench", nil },
		Tracker:          tr,
		OnError:          func(_ *http.Request, err error) { b.Error(err) },
	})

	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"bare", bare}, {"metered", metered}} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest("GET", "/v1/items/42", nil)
			w := &discardWriter{h: http.Header{}}
			samples := make([]int64, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if i%benchFlushEvery == benchFlushEvery-1 {
					b.StopTimer()
					if err := tr.Flush(context.Background()); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				t0 := time.Now()
				bc.h.ServeHTTP(w, req)
				samples = append(samples, int64(time.Since(t0)))
			}
			b.StopTimer()
			slices.Sort(samples)
			b.ReportMetric(float64(samples[len(samples)/2]), "p50-ns")
			b.ReportMetric(float64(samples[len(samples)*99/100]), "p99-ns")
		})
	}
}

// discardWriter is the cheapest possible http.ResponseWriter.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(code int)        { w.status = code }
