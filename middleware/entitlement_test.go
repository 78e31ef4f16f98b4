package middleware_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/middleware"
)

// TestEntitlementGate: against dripd, a request whose customer has used up
// the feature (the middleware's own usage of the meter counts) gets 403
// ENTITLEMENT_DENIED with Drip's reason and the handler never runs; a
// request that fits runs.
func TestEntitlementGate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	plan, err := e.client.CreateEntitlementPlan(ctx, drip.EntitlementPlanParams{Name: "Basic", Slug: "basic", IsDefault: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.CreateEntitlementRule(ctx, plan.ID, drip.EntitlementRuleParams{FeatureKey: "api_calls",
		LimitType: drip.LimitCount, Period: drip.PeriodDaily, LimitValue: drip.MustDecimal("2")}); err != nil {
		t.Fatal(err)
	}
	var ran atomic.Int64
	var seen atomic.Pointer[drip.EntitlementCheck]
	h := middleware.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ran.Add(1)
		seen.Store(middleware.FromContext(r.Context()).Entitlement)
		ok(w, r)
	}), middleware.Config{
		Meter: "api_calls", Tracker: e.tracker, CustomerResolver: resolveTenant,
		Entitlement: &middleware.EntitlementGate{Quantity: func(r *http.Request) float64 {
			q, _ := strconv.ParseFloat(r.Header.Get("X-Units"), 64)
			return q
		}},
	})
	url := serve(t, h)

	// globex asks for more than its limit at once: denied, nothing ran.
	r := do(t, "GET", url, "tok-globex", "X-Units: 3")
	msg, code := r.errorBody(t)
	if r.status != 403 || code != drip.CodeEntitlementDenied || !strings.Contains(msg, "api_calls") || ran.Load() != 0 {
		t.Fatalf("over the limit at once: %d %s %q, handler ran %d times", r.status, code, msg, ran.Load())
	}
	for i := range 2 {
		if r := do(t, "GET", url, "tok-acme"); r.status != 200 || r.body != "ok" {
			t.Fatalf("request %d: %d %s", i, r.status, r.body)
		}
		e.flush(t) // its usage reaches dripd's counter
	}
	if chk := seen.Load(); chk == nil || !chk.Allowed || chk.Remaining.String() != "1" {
		t.Fatalf("Info.Entitlement = %+v", chk)
	}
	r = do(t, "GET", url, "tok-acme")
	msg, code = r.errorBody(t)
	if r.status != 403 || code != drip.CodeEntitlementDenied || !strings.Contains(msg, "exceeded") || ran.Load() != 2 {
		t.Fatalf("limit used up: %d %s %q, handler ran %d times", r.status, code, msg, ran.Load())
	}
	if n := len(e.usageFor("acme")); n != 2 {
		t.Fatalf("%d usage records for acme, want 2 (a denied request records nothing)", n)
	}
	if r := do(t, "GET", url, "tok-globex", "X-Units: 2"); r.status != 200 {
		t.Fatalf("globex within its limit: %d %s", r.status, r.body)
	}
}

// TestEntitlementGateFailsClosed: when Drip cannot answer the check, the
// request is refused with 503 unless FailOpen says otherwise.
func TestEntitlementGateFailsClosed(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	base := down.URL + "/v1"
	down.Close()
	c, err := drip.New(drip.WithAPIKey("sk_test_0123456789"), drip.WithBaseURL(base), drip.WithoutRetries())
	if err != nil {
		t.Fatal(err)
	}
	for _, failOpen := range []bool{false, true} {
		var ran atomic.Int64
		h := middleware.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran.Add(1); ok(w, r) }),
			middleware.Config{Meter: "api_calls", Client: c, Mode: middleware.ChargeBefore, CustomerResolver: resolveTenant,
				Entitlement: &middleware.EntitlementGate{FailOpen: failOpen}})
		r := do(t, "GET", serve(t, h), "tok-acme")
		if failOpen {
			// The check is skipped; the charge then fails closed on its own.
			if ran.Load() != 0 || r.status != 503 {
				t.Fatalf("fail open: %d %s, ran %d", r.status, r.body, ran.Load())
			}
			continue
		}
		if _, code := r.errorBody(t); r.status != 503 || code != middleware.CodeEntitlementCheckFailed || ran.Load() != 0 {
			t.Fatalf("fail closed: %d %s, ran %d", r.status, r.body, ran.Load())
		}
	}
}

// TestChargeBeforeCustomerBlocked: Drip's 403 CUSTOMER_BLOCKED (a spending
// cap) reaches the caller as 403 with that code and Drip's reason; the
// handler never runs. The reply is Drip's documented one, served by a stub
// until dripd enforces spending caps.
func TestChargeBeforeCustomerBlocked(t *testing.T) {
	blocked := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"error":"Forbidden","message":"daily spending cap of 10 USDC reached","code":"CUSTOMER_BLOCKED"}`))
	}))
	t.Cleanup(blocked.Close)
	c, err := drip.New(drip.WithAPIKey("sk_test_0123456789"), drip.WithBaseURL(blocked.URL+"/v1"), drip.WithoutRetries())
	if err != nil {
		t.Fatal(err)
	}
	var ran atomic.Int64
	h := middleware.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran.Add(1); ok(w, r) }),
		middleware.Config{Meter: "api_calls", Client: c, Mode: middleware.ChargeBefore, CustomerResolver: resolveTenant})
	r := do(t, "GET", serve(t, h), "tok-acme")
	msg, code := r.errorBody(t)
	if r.status != 403 || code != drip.CodeCustomerBlocked || msg != "daily spending cap of 10 USDC reached" || ran.Load() != 0 {
		t.Fatalf("%d %s %q, ran %d", r.status, code, msg, ran.Load())
	}
}
