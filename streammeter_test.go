package drip_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
)

// usageGate sits in front of a real dripd and holds every POST /v1/usage
// until the test releases it, reporting each held request's idempotency
// key on arrived: a flush the test can keep in flight as long as it needs.
type usageGate struct {
	arrived chan string
	release chan struct{}
}

func newUsageGate() *usageGate {
	return &usageGate{arrived: make(chan string, 16), release: make(chan struct{})}
}

func (g *usageGate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/usage" {
			g.arrived <- usageKey(r)
			<-g.release
		}
		next.ServeHTTP(w, r)
	})
}

// usageKey reads the idempotency key of a usage request and leaves its body
// readable for the next handler.
func usageKey(r *http.Request) string {
	b, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	var body struct {
		IdempotencyKey string `json:"idempotencyKey"`
	}
	_ = json.Unmarshal(b, &body)
	return body.IdempotencyKey
}

// newStreamCustomer creates a customer to bill.
func newStreamCustomer(t *testing.T, c *drip.Client) string {
	t.Helper()
	cu, err := c.CreateCustomer(ctxT(t), drip.CustomerParams{ExternalCustomerID: "user_" + strings.ReplaceAll(t.Name(), "/", "_")})
	if err != nil {
		t.Fatal(err)
	}
	return cu.ID
}

func newMeter(t *testing.T, c *drip.Client, p drip.StreamMeterParams) *drip.StreamMeter {
	t.Helper()
	m, err := drip.NewStreamMeter(c, p)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// usageOf returns dripd's usage records for meter.
func usageOf(t *testing.T, srv *testServer, meter string) []dripserver.UsageRecord {
	t.Helper()
	all, err := srv.store.UsageRecords(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []dripserver.UsageRecord
	for _, u := range all {
		if u.UsageType == meter {
			out = append(out, u)
		}
	}
	return out
}

// waitUntil spins until cond holds: synchronisation with goroutines the
// test started, bounded so that a bug fails instead of hanging.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestStreamMeterFlushSendsOneUsageForTheTotal(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	ctx := ctxT(t)
	cust := newStreamCustomer(t, c)
	var adds []float64
	m := newMeter(t, c, drip.StreamMeterParams{CustomerID: cust, Meter: "llm_tokens", Units: "tokens",
		IdempotencyKey: "resp_42", Metadata: map[string]any{"model": "gpt-4o-mini"},
		OnAdd: func(q, total float64) { adds = append(adds, total) }})

	before := srv.requests.Load()
	want := 0.0
	for i := 1; i <= 50; i++ { // a streamed reply, chunk by chunk
		m.Accumulate(float64(i))
		want += float64(i)
	}
	if res, err := m.Add(ctx, 25); err != nil || res != nil {
		t.Fatalf("Add without a threshold = %+v, %v; want no flush", res, err)
	}
	want += 25
	if n := srv.requests.Load() - before; n != 0 {
		t.Fatalf("%d requests while accumulating; want none before Flush", n)
	}
	if m.Total() != want || len(adds) != 51 || adds[50] != want {
		t.Fatalf("Total = %v, OnAdd totals %v; want %v", m.Total(), adds, want)
	}

	res, err := m.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Success || res.Quantity != want || res.IsDuplicate || res.IdempotencyKey != "resp_42_flush_0" {
		t.Fatalf("Flush = %+v; want success for %v with key resp_42_flush_0", res, want)
	}
	if n := srv.requests.Load() - before; n != 1 {
		t.Fatalf("%d requests for one flush; want 1", n)
	}
	recs := usageOf(t, srv, "llm_tokens")
	if len(recs) != 1 {
		t.Fatalf("dripd stored %d usage records; want 1: %+v", len(recs), recs)
	}
	u := recs[0]
	if u.Quantity != want || u.CustomerID != cust || u.Endpoint != "usage" || u.IdempotencyKey != "resp_42_flush_0" ||
		u.Units != "tokens" || u.Metadata["model"] != "gpt-4o-mini" {
		t.Fatalf("stored usage %+v; want %v tokens on POST /usage for %s", u, want, cust)
	}
	if m.Total() != 0 || !m.Flushed() || m.FlushCount() != 1 {
		t.Fatalf("after flush: Total %v, Flushed %v, FlushCount %d", m.Total(), m.Flushed(), m.FlushCount())
	}
}

func TestStreamMeterZeroTotalSendsNothing(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	ctx := ctxT(t)
	flushes := 0
	m := newMeter(t, c, drip.StreamMeterParams{CustomerID: "cust_x", Meter: "llm_tokens",
		OnFlush: func(drip.StreamFlushResult) { flushes++ }})
	before := srv.requests.Load()
	m.Accumulate(0)
	m.Accumulate(-3)
	m.Accumulate(math.Inf(-1))
	for _, q := range []float64{0, -1} {
		if res, err := m.Add(ctx, q); res != nil || err != nil {
			t.Fatalf("Add(%v) = %+v, %v; want it ignored", q, res, err)
		}
	}
	res, err := m.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if *res != (drip.StreamFlushResult{Success: true}) {
		t.Fatalf("Flush of nothing = %+v; want {Success: true, Quantity: 0}", res)
	}
	if n := srv.requests.Load() - before; n != 0 || flushes != 0 || m.FlushCount() != 0 || m.Flushed() {
		t.Fatalf("flush of nothing sent %d requests, OnFlush %d times, FlushCount %d", n, flushes, m.FlushCount())
	}
}

func TestStreamMeterThresholdFlushesFromAdd(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	ctx := ctxT(t)
	cust := newStreamCustomer(t, c)
	var flushed []drip.StreamFlushResult
	m := newMeter(t, c, drip.StreamMeterParams{CustomerID: cust, Meter: "tokens_threshold", FlushThreshold: 10,
		OnFlush: func(r drip.StreamFlushResult) { flushed = append(flushed, r) }})

	for _, q := range []float64{4, 4} {
		if res, err := m.Add(ctx, q); err != nil || res != nil {
			t.Fatalf("Add(%v) below the threshold = %+v, %v", q, res, err)
		}
	}
	m.Accumulate(5) // past the threshold, but Accumulate never flushes
	if got := len(usageOf(t, srv, "tokens_threshold")); got != 0 || m.Total() != 13 {
		t.Fatalf("Accumulate flushed: %d records, total %v", got, m.Total())
	}
	res, err := m.Add(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if res == nil || !res.Success || res.Quantity != 14 {
		t.Fatalf("Add reaching the threshold = %+v; want a flush of 14", res)
	}
	if m.Total() != 0 {
		t.Fatalf("Total after the auto-flush = %v", m.Total())
	}
	m.Accumulate(3)
	if res, err = m.Flush(ctx); err != nil || res.Quantity != 3 {
		t.Fatalf("final Flush = %+v, %v; want 3", res, err)
	}
	recs := usageOf(t, srv, "tokens_threshold")
	if len(recs) != 2 || recs[0].Quantity != 14 || recs[1].Quantity != 3 {
		t.Fatalf("stored %+v; want 14 then 3", recs)
	}
	if recs[0].IdempotencyKey == recs[1].IdempotencyKey || !strings.HasPrefix(recs[0].IdempotencyKey, "stream_") {
		t.Fatalf("flush keys %q, %q; want two distinct stream_ keys", recs[0].IdempotencyKey, recs[1].IdempotencyKey)
	}
	if len(flushed) != 2 || flushed[0].Quantity != 14 || flushed[1].Quantity != 3 {
		t.Fatalf("OnFlush saw %+v", flushed)
	}
}

// A flush held in flight at dripd: usage added meanwhile stays for the next
// flush, concurrent Flush calls share the one request, and Add does not
// start a second flush past the threshold.
func TestStreamMeterFlushInFlight(t *testing.T) {
	gate := newUsageGate()
	srv := startServer(t, gate.wrap)
	c := newClient(t, srv.BaseURL())
	ctx := ctxT(t)
	cust := newStreamCustomer(t, c)
	m := newMeter(t, c, drip.StreamMeterParams{CustomerID: cust, Meter: "tokens_inflight", FlushThreshold: 50,
		IdempotencyKey: "chat_9"})

	m.Accumulate(100)
	type outcome struct {
		res *drip.StreamFlushResult
		err error
	}
	first := make(chan outcome, 1)
	go func() {
		res, err := m.Flush(ctx)
		first <- outcome{res, err}
	}()
	if key := <-gate.arrived; key != "chat_9_flush_0" {
		t.Fatalf("first flush key %q", key)
	}

	// While it is held: more usage arrives, past the threshold.
	if res, err := m.Add(ctx, 60); err != nil || res != nil {
		t.Fatalf("Add during a flush = %+v, %v; want no second flush", res, err)
	}
	m.Accumulate(7)
	if m.Total() != 167 {
		t.Fatalf("Total during the flush = %v; want 167 (the 100 in flight included)", m.Total())
	}
	const sharers = 3
	shared := make(chan outcome, sharers)
	for range sharers {
		go func() {
			res, err := m.Flush(ctx)
			shared <- outcome{res, err}
		}()
	}
	waitUntil(t, "the concurrent flushes join the one in flight", func() bool { return drip.StreamFlushJoined(m) == sharers })
	gate.release <- struct{}{}

	o := <-first
	if o.err != nil || o.res.Quantity != 100 {
		t.Fatalf("first flush = %+v, %v; want 100", o.res, o.err)
	}
	for range sharers {
		s := <-shared
		if s.err != nil || *s.res != *o.res {
			t.Fatalf("shared flush = %+v, %v; want the first one's result %+v", s.res, s.err, o.res)
		}
	}
	if recs := usageOf(t, srv, "tokens_inflight"); len(recs) != 1 || recs[0].Quantity != 100 {
		t.Fatalf("stored %+v; want one record of 100 for four Flush calls", recs)
	}
	if m.Total() != 67 {
		t.Fatalf("Total after the flush = %v; want the 67 added meanwhile", m.Total())
	}

	// The next flush sends what was added during the first.
	next := make(chan outcome, 1)
	go func() {
		res, err := m.Flush(ctx)
		next <- outcome{res, err}
	}()
	if key := <-gate.arrived; key != "chat_9_flush_1" {
		t.Fatalf("second flush key %q", key)
	}
	gate.release <- struct{}{}
	if o := <-next; o.err != nil || o.res.Quantity != 67 {
		t.Fatalf("second flush = %+v, %v; want 67", o.res, o.err)
	}
	if recs := usageOf(t, srv, "tokens_inflight"); len(recs) != 2 || recs[1].Quantity != 67 {
		t.Fatalf("stored %+v; want 100 then 67", recs)
	}
}

// A Reset while a flush is in flight drops the unflushed total; the flush
// still bills what it sent, and is not subtracted again from usage added
// after the Reset.
func TestStreamMeterReset(t *testing.T) {
	gate := newUsageGate()
	srv := startServer(t, gate.wrap)
	c := newClient(t, srv.BaseURL())
	ctx := ctxT(t)
	cust := newStreamCustomer(t, c)
	m := newMeter(t, c, drip.StreamMeterParams{CustomerID: cust, Meter: "tokens_reset"})

	m.Accumulate(40)
	m.Reset()
	before := srv.requests.Load()
	if res, err := m.Flush(ctx); err != nil || res.Quantity != 0 || srv.requests.Load() != before {
		t.Fatalf("Flush after Reset = %+v, %v; want nothing sent", res, err)
	}

	m.Accumulate(10)
	done := make(chan error, 1)
	go func() {
		_, err := m.Flush(ctx)
		done <- err
	}()
	<-gate.arrived
	m.Reset()
	m.Accumulate(5)
	gate.release <- struct{}{}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if m.Total() != 5 {
		t.Fatalf("Total = %v; want the 5 added after the Reset", m.Total())
	}
	if recs := usageOf(t, srv, "tokens_reset"); len(recs) != 1 || recs[0].Quantity != 10 {
		t.Fatalf("stored %+v; want the 10 in flight", recs)
	}
}

// A flush that fails keeps the total and has used its key: flushing again
// sends the same total under the next key, and dripd bills it once.
func TestStreamMeterRetriedFlushGetsANewKey(t *testing.T) {
	var (
		mu       sync.Mutex
		keys     []string
		failNext atomic.Bool
	)
	failNext.Store(true)
	srv := startServer(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && r.URL.Path == "/v1/usage" {
				mu.Lock()
				keys = append(keys, usageKey(r))
				mu.Unlock()
				if failNext.CompareAndSwap(true, false) {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusServiceUnavailable)
					io.WriteString(w, `{"error":"Service Unavailable","message":"down","code":"SERVICE_UNAVAILABLE"}`)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	})
	c := newClient(t, srv.BaseURL(), drip.WithoutRetries())
	ctx := ctxT(t)
	cust := newStreamCustomer(t, c)
	m := newMeter(t, c, drip.StreamMeterParams{CustomerID: cust, Meter: "tokens_retry", IdempotencyKey: "job_5"})

	m.Accumulate(30)
	if _, err := m.Flush(ctx); !errors.Is(err, drip.ErrUnavailable) {
		t.Fatalf("Flush against a 503 = %v; want SERVICE_UNAVAILABLE", err)
	}
	if m.Total() != 30 || m.Flushed() || m.FlushCount() != 1 {
		t.Fatalf("after a failed flush: Total %v, Flushed %v, FlushCount %d; want 30 kept, one attempt",
			m.Total(), m.Flushed(), m.FlushCount())
	}
	res, err := m.Flush(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Quantity != 30 || res.IdempotencyKey != "job_5_flush_1" {
		t.Fatalf("retried flush = %+v; want 30 under job_5_flush_1", res)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(keys) != 2 || keys[0] != "job_5_flush_0" || keys[1] != "job_5_flush_1" {
		t.Fatalf("keys sent %v; want job_5_flush_0 then job_5_flush_1", keys)
	}
	if recs := usageOf(t, srv, "tokens_retry"); len(recs) != 1 || recs[0].IdempotencyKey != "job_5_flush_1" {
		t.Fatalf("stored %+v; want one record under job_5_flush_1", recs)
	}
}

// The client's own retries inside one flush share its key: with dripd
// failing and dropping replies on purpose, the total is billed once.
func TestStreamMeterFlushThroughFaults(t *testing.T) {
	srv := startServer(t, nil, dripserver.WithErrorRate(0.3), dripserver.WithDropRate(0.3), dripserver.WithSeed(11))
	c := newClient(t, srv.BaseURL(), fastRetries())
	ctx := ctxT(t)
	cust := newStreamCustomer(t, c)
	m := newMeter(t, c, drip.StreamMeterParams{CustomerID: cust, Meter: "tokens_faults", IdempotencyKey: "s1"})
	for range 5 {
		m.Accumulate(100)
		if _, err := m.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.requests.Load(); n <= 6 {
		t.Fatalf("dripd saw %d requests; the seed should have made some fail and be retried", n)
	}
	recs := usageOf(t, srv, "tokens_faults")
	if len(recs) != 5 {
		t.Fatalf("stored %d records for 5 flushes: %+v", len(recs), recs)
	}
	for i, u := range recs {
		if u.Quantity != 100 {
			t.Fatalf("record %d = %+v; want 100", i, u)
		}
	}
}

// Many goroutines adding, flushing at the threshold and flushing by hand:
// every unit is billed exactly once.
func TestStreamMeterConcurrentUse(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	ctx := ctxT(t)
	cust := newStreamCustomer(t, c)
	m := newMeter(t, c, drip.StreamMeterParams{CustomerID: cust, Meter: "tokens_conc", FlushThreshold: 25})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 40 {
				var err error
				switch {
				case i%10 == 9:
					_, err = m.Flush(ctx)
				case g%2 == 0:
					_, err = m.Add(ctx, 1)
				default:
					m.Accumulate(1)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if _, err := m.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, u := range usageOf(t, srv, "tokens_conc") {
		sum += u.Quantity
	}
	added := 8 * 36.0 // 4 of every 40 steps flush
	if sum != added || m.Total() != 0 {
		t.Fatalf("billed %v of %v added; %v left", sum, added, m.Total())
	}
}

func TestStreamMeterValidation(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	ctx := ctxT(t)
	for _, tc := range []struct {
		field string
		p     drip.StreamMeterParams
	}{
		{"customerId", drip.StreamMeterParams{Meter: "m"}},
		{"meter", drip.StreamMeterParams{CustomerID: "cust_1"}},
		{"flushThreshold", drip.StreamMeterParams{CustomerID: "cust_1", Meter: "m", FlushThreshold: -1}},
		{"flushThreshold", drip.StreamMeterParams{CustomerID: "cust_1", Meter: "m", FlushThreshold: math.NaN()}},
		{"idempotencyKey", drip.StreamMeterParams{CustomerID: "cust_1", Meter: "m", IdempotencyKey: strings.Repeat("k", 250)}},
		{"metadata", drip.StreamMeterParams{CustomerID: "cust_1", Meter: "m", Metadata: map[string]any{strings.Repeat("k", 300): 1}}},
	} {
		refusedBeforeSending(t, srv, func() error { _, err := drip.NewStreamMeter(c, tc.p); return err }, tc.field)
	}
	refusedBeforeSending(t, srv, func() error { _, err := drip.NewStreamMeter(nil, drip.StreamMeterParams{}); return err }, "client")

	m := newMeter(t, c, drip.StreamMeterParams{CustomerID: "cust_1", Meter: "m", FlushThreshold: 1})
	for _, q := range []float64{math.NaN(), math.Inf(1), 2e15} {
		refusedBeforeSending(t, srv, func() error { _, err := m.Add(ctx, q); return err }, "quantity")
	}
	if m.Total() != 0 {
		t.Fatalf("refused quantities were added: %v", m.Total())
	}
}
