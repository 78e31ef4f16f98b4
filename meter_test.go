package drip_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
)

// completion stands in for a provider's reply.
type completion struct {
	Text   string
	Tokens int
}

func TestMeterBillsTheQuantityOfTheResult(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	ctx := ctxT(t)
	cust := newStreamCustomer(t, c)
	calls := 0
	before := srv.requests.Load()
	got, res, err := drip.Meter(ctx, c, drip.UsageParams{CustomerID: cust, Meter: "llm_tokens", Units: "tokens", Quantity: 999},
		func(context.Context) (completion, error) {
			calls++
			return completion{Text: "hi", Tokens: 321}, nil
		},
		func(r completion) float64 { return float64(r.Tokens) })
	if err != nil {
		t.Fatal(err)
	}
	if got.Tokens != 321 || calls != 1 || res == nil || !res.Success {
		t.Fatalf("Meter = %+v, %+v after %d calls", got, res, calls)
	}
	if !strings.HasPrefix(res.IdempotencyKey, "wrap_") {
		t.Fatalf("key %q; want a derived wrap_ key", res.IdempotencyKey)
	}
	if n := srv.requests.Load() - before; n != 1 {
		t.Fatalf("%d requests; want one usage call", n)
	}
	recs := usageOf(t, srv, "llm_tokens")
	if len(recs) != 1 || recs[0].Quantity != 321 || recs[0].Endpoint != "usage" || recs[0].IdempotencyKey != res.IdempotencyKey {
		t.Fatalf("stored %+v; want 321 tokens on POST /usage under %s", recs, res.IdempotencyKey)
	}
}

func TestMeterSendsNothingWhenFnFails(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	boom := errors.New("provider down")
	before := srv.requests.Load()
	got, res, err := drip.Meter(ctxT(t), c, drip.UsageParams{CustomerID: "cust_1", Meter: "llm_tokens"},
		func(context.Context) (completion, error) { return completion{Text: "partial"}, boom },
		func(r completion) float64 { t.Fatal("quantityOf called after fn failed"); return 0 })
	if !errors.Is(err, boom) || res != nil || got.Text != "partial" {
		t.Fatalf("Meter = %+v, %+v, %v; want fn's result and error", got, res, err)
	}
	if n := srv.requests.Load() - before; n != 0 {
		t.Fatalf("%d requests after fn failed; want none", n)
	}
}

// dripd fails and drops requests on purpose: the usage is retried under one
// key and recorded exactly once, and fn runs once.
func TestMeterRetriesUsageExactlyOnce(t *testing.T) {
	srv := startServer(t, nil, dripserver.WithErrorRate(0.4), dripserver.WithDropRate(0.3), dripserver.WithSeed(3))
	c := newClient(t, srv.BaseURL(), fastRetries())
	ctx := ctxT(t)
	cust := newStreamCustomer(t, c)
	for i := range 5 {
		calls := 0
		before := srv.requests.Load()
		_, _, err := drip.Meter(ctx, c, drip.UsageParams{CustomerID: cust, Meter: "tokens_chaos"},
			func(context.Context) (int, error) { calls++; return 10 * (i + 1), nil },
			func(n int) float64 { return float64(n) })
		if err != nil || calls != 1 {
			t.Fatalf("call %d: %v after %d fn calls", i, err, calls)
		}
		if i == 0 && srv.requests.Load()-before < 2 {
			t.Fatal("the seed should make the first usage call fail at least once")
		}
	}
	recs := usageOf(t, srv, "tokens_chaos")
	if len(recs) != 5 {
		t.Fatalf("stored %d records for 5 metered calls: %+v", len(recs), recs)
	}
	for i, u := range recs {
		if u.Quantity != float64(10*(i+1)) {
			t.Fatalf("record %d = %v; want %d", i, u.Quantity, 10*(i+1))
		}
	}
}

// When the usage call fails after fn succeeded, the caller keeps fn's
// result along with the *drip.Error.
func TestMeterKeepsTheResultWhenUsageFails(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	got, res, err := drip.Meter(ctxT(t), c, drip.UsageParams{CustomerID: "cust_unknown", Meter: "llm_tokens", IdempotencyKey: "mine_1"},
		func(context.Context) (completion, error) { return completion{Text: "done", Tokens: 5}, nil },
		func(r completion) float64 { return float64(r.Tokens) })
	var e *drip.Error
	if !errors.As(err, &e) || !errors.Is(err, drip.ErrNotFound) || res != nil {
		t.Fatalf("Meter for an unknown customer = %+v, %v; want a *drip.Error NOT_FOUND", res, err)
	}
	if got.Text != "done" {
		t.Fatalf("result %+v lost with the usage error", got)
	}
}

func TestMeterValidation(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	ctx := ctxT(t)
	fn := func(context.Context) (int, error) { t.Fatal("fn ran with bad parameters"); return 0, nil }
	qty := func(n int) float64 { return float64(n) }
	for _, tc := range []struct {
		field string
		p     drip.UsageParams
	}{
		{"customerId", drip.UsageParams{Meter: "m"}},
		{"meter", drip.UsageParams{CustomerID: "cust_1"}},
		{"idempotencyKey", drip.UsageParams{CustomerID: "cust_1", Meter: "m", IdempotencyKey: strings.Repeat("k", 300)}},
	} {
		refusedBeforeSending(t, srv, func() error { _, _, err := drip.Meter(ctx, c, tc.p, fn, qty); return err }, tc.field)
	}
	ok := drip.UsageParams{CustomerID: "cust_1", Meter: "m"}
	refusedBeforeSending(t, srv, func() error { _, _, err := drip.Meter(ctx, nil, ok, fn, qty); return err }, "client")
	refusedBeforeSending(t, srv, func() error { _, _, err := drip.Meter[int](ctx, c, ok, nil, qty); return err }, "fn")
	refusedBeforeSending(t, srv, func() error { _, _, err := drip.Meter(ctx, c, ok, fn, nil); return err }, "quantityOf")

	// A quantity the API cannot take is refused after fn, before sending;
	// fn's result is kept.
	ran := false
	refusedBeforeSending(t, srv, func() error {
		n, _, err := drip.Meter(ctx, c, ok, func(context.Context) (int, error) { ran = true; return 7, nil },
			func(int) float64 { return math.NaN() })
		if n != 7 {
			t.Errorf("result %d lost", n)
		}
		return err
	}, "quantity")
	if !ran {
		t.Fatal("fn did not run")
	}
}
