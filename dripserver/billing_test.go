package dripserver_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/internal/wire"
)

// notes reads the webhook events dripd queued for an endpoint subscribed
// to every event billing sends, in the order they were queued.
type notes struct {
	store  *dripserver.Store
	hookID string
}

type note struct {
	typ  string
	data map[string]any
}

// of returns the events of the given types, in order.
func (n *notes) of(types ...string) []note {
	ds, err := n.store.WebhookDeliveries(context.Background(), n.hookID)
	if err != nil {
		panic(err)
	}
	var out []note
	for _, d := range ds {
		if !slices.Contains(types, d.EventType) {
			continue
		}
		var body struct {
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(d.Body, &body); err != nil {
			panic(err)
		}
		out = append(out, note{d.EventType, body.Data})
	}
	return out
}

// startBilling starts dripd on clk with a webhook endpoint (a receiver
// answering 204) subscribed to every billing event.
func startBilling(t *testing.T, clk *lockedClock, opts ...dripserver.Option) (*api, *notes) {
	t.Helper()
	opts = append([]dripserver.Option{quiet, dripserver.WithClock(clk.now)}, opts...)
	inst, err := dripserver.Start(context.Background(), "127.0.0.1:0", nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Shutdown(context.Background()) })
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(recv.Close)
	a := newAPI(t, inst.BaseURL(), "sk_test_billing_key")
	var hook struct{ ID string }
	a.ok(201, "POST", "/webhooks", map[string]any{"url": recv.URL, "events": []string{
		"usage.recorded", "charge.succeeded", "charge.failed", "customer.created", "customer.balance.low",
		"customer.spending.warning", "customer.spending.blocked"}}, &hook)
	return a, &notes{store: inst.Store(), hookID: hook.ID}
}

func TestSpendingAlertsOncePerLevelPerPeriod(t *testing.T) {
	clk := &lockedClock{t: time.Date(2025, 1, 31, 10, 0, 0, 0, time.UTC)}
	a, n := startBilling(t, clk)
	a.ok(201, "POST", "/pricing-plans", map[string]any{"name": "T", "unitType": "tok", "unitPriceUsd": 0.01}, nil)
	var c wire.Customer
	a.ok(201, "POST", "/customers", wire.CreateCustomerRequest{ExternalCustomerID: "alerts", OnchainAddress: "0x01"}, &c)
	var cp wire.SpendingCap
	a.ok(200, "PUT", "/customers/"+c.ID+"/spending-cap", map[string]any{"capType": "MONTHLY_CHARGE_LIMIT", "limitValue": 1}, &cp)
	use := func(q float64) {
		t.Helper()
		a.ok(200, "POST", "/usage", wire.UsageRequest{CustomerID: c.ID, UsageType: "tok", Quantity: f64(q)}, nil)
	}
	levels := func() []int {
		var out []int
		for _, e := range n.of("customer.spending.warning", "customer.spending.blocked") {
			out = append(out, int(e.data["percentage"].(float64)))
		}
		return out
	}
	use(40) // 40%
	if l := levels(); len(l) != 0 {
		t.Fatalf("alerts at 40%%: %v", l)
	}
	use(56) // 96%: 50, 80 and 95 at once, in order
	if l := levels(); !slices.Equal(l, []int{50, 80, 95}) {
		t.Fatalf("alerts at 96%% = %v, want [50 80 95]", l)
	}
	use(1) // 97%: nothing new
	use(3) // 100%
	if l := levels(); !slices.Equal(l, []int{50, 80, 95, 100}) {
		t.Fatalf("alerts at 100%% = %v", l)
	}
	blocked := n.of("customer.spending.blocked")[0].data
	if blocked["level"] != "blocked" || blocked["currentUsage"] != "1.000000" || blocked["capId"] != cp.ID ||
		blocked["periodStart"] != "2025-01-01T00:00:00Z" {
		t.Fatalf("blocked event = %v", blocked)
	}
	if w := n.of("customer.spending.warning")[2].data; w["level"] != "critical" {
		t.Fatalf("95%% event = %v", w)
	}
	a.fail(403, "CUSTOMER_BLOCKED", "POST", "/usage", wire.UsageRequest{CustomerID: c.ID, UsageType: "tok", Quantity: f64(1)})

	// February: a new period, alerts again from 50%.
	clk.set(time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC))
	use(60)
	if l := levels(); !slices.Equal(l, []int{50, 80, 95, 100, 50}) {
		t.Fatalf("alerts in the next period = %v", l)
	}
	var caps wire.SpendingCapList
	a.ok(200, "GET", "/customers/"+c.ID+"/spending-caps", nil, &caps)
	if got := caps.Caps[0]; *got.LastAlertLevel != "50" || got.CurrentUsage != "0.600000" || got.PeriodStart != "2025-02-01T00:00:00.000Z" {
		t.Fatalf("cap = %+v", got)
	}
}

func TestBillingWebhookEvents(t *testing.T) {
	clk := &lockedClock{t: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}
	a, n := startBilling(t, clk, dripserver.WithStartingBalance("1"))
	a.ok(201, "POST", "/pricing-plans", map[string]any{"name": "J", "unitType": "job", "unitPriceUsd": "0.45"}, nil)
	var c wire.Customer
	a.ok(201, "POST", "/customers", wire.CreateCustomerRequest{ExternalCustomerID: "hooks", OnchainAddress: "0x02"}, &c)
	if cr := n.of("customer.created"); len(cr) != 1 || cr[0].data["id"] != c.ID {
		t.Fatalf("customer.created = %v", cr)
	}
	var u1, u2, u3 wire.UsageResult
	a.ok(200, "POST", "/usage", wire.UsageRequest{CustomerID: c.ID, UsageType: "job"}, &u1)
	a.ok(200, "POST", "/usage", wire.UsageRequest{CustomerID: c.ID, UsageType: "job"}, &u2) // 0.10 left: not below 0.1
	a.ok(200, "POST", "/usage", wire.UsageRequest{CustomerID: c.ID, UsageType: "job"}, &u3) // fails
	if u3.Charge == nil || u3.Charge.Status != "FAILED" || u3.Charge.FailureReason == nil {
		t.Fatalf("third charge = %+v", u3.Charge)
	}
	if ok := n.of("charge.succeeded"); len(ok) != 2 || ok[0].data["id"] != u1.Charge.ID {
		t.Fatalf("charge.succeeded = %v", ok)
	}
	failed := n.of("charge.failed")
	if len(failed) != 1 || failed[0].data["failureReason"] == nil {
		t.Fatalf("charge.failed = %v", failed)
	}
	if low := n.of("customer.balance.low"); len(low) != 0 {
		t.Fatalf("balance.low at exactly the threshold: %v", low)
	}
	if rec := n.of("usage.recorded"); len(rec) != 3 || rec[2].data["chargeId"] != u3.Charge.ID {
		t.Fatalf("usage.recorded = %v", rec)
	}
	// Auto-provisioned customers are announced too, and internal usage is
	// recorded (no charge).
	a.ok(200, "POST", "/usage/internal", wire.UsageRequest{ExternalCustomerID: "auto"}, nil)
	if cr := n.of("customer.created"); len(cr) != 2 {
		t.Fatalf("customer.created after auto-provisioning = %d events", len(cr))
	}
	if rec := n.of("usage.recorded"); len(rec) != 4 || rec[3].data["chargeId"] != nil {
		t.Fatalf("usage.recorded = %v", rec)
	}

	// Below 10% of the starting balance: one customer.balance.low, and the
	// customer is LOW_BALANCE.
	a.ok(201, "POST", "/pricing-plans", map[string]any{"name": "S", "unitType": "small", "unitPriceUsd": 0.01}, nil)
	for range 2 {
		a.ok(200, "POST", "/usage", wire.UsageRequest{CustomerID: c.ID, UsageType: "small"}, nil)
	}
	low := n.of("customer.balance.low")
	if len(low) != 1 {
		t.Fatalf("customer.balance.low sent %d times, want once per crossing", len(low))
	}
	if d := low[0].data; d["availableUsdc"] != "0.090000" || d["thresholdUsdc"] != "0.100000" {
		t.Fatalf("balance.low = %v", d)
	}
	var got wire.Customer
	a.ok(200, "GET", "/customers/"+c.ID, nil, &got)
	var bal wire.Balance
	a.ok(200, "GET", "/customers/"+c.ID+"/balance", nil, &bal)
	if got.Status != "LOW_BALANCE" || bal.BalanceUsdc != "0.080000" || bal.AvailableUsdc != "0.080000" || bal.PendingChargesUsdc != "0.000000" {
		t.Fatalf("customer %s, balance %+v", got.Status, bal)
	}
}

func TestPricingPlanRulesInDripd(t *testing.T) {
	clk := &lockedClock{t: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}
	a, _ := startBilling(t, clk)
	a.fail(422, "VALIDATION_ERROR", "POST", "/pricing-plans", `{"name":"P","unitType":"u","unitPriceUsd":0.0000025}`)
	a.fail(422, "VALIDATION_ERROR", "POST", "/pricing-plans", `{"name":"P","unitType":"u","unitPriceUsd":-1}`)
	a.fail(422, "VALIDATION_ERROR", "POST", "/pricing-plans", `{"name":"P","unitType":"u"}`)
	e := a.fail(400, "INVALID_PARAMETER", "POST", "/pricing-plans", `{"name":"P","unitType":"u","unitPriceUsd":1,"pricingModel":"TIERED"}`)
	if e.Field != "pricingModel" {
		t.Fatalf("field = %q", e.Field)
	}
	var p wire.PricingPlan
	a.ok(201, "POST", "/pricing-plans", `{"name":"P","unitType":"u","unitPriceUsd":"0.123456"}`, &p)
	if p.UnitPriceUsd != "0.123456" || p.Currency != "USDC" || !p.IsActive {
		t.Fatalf("plan = %+v", p)
	}
	a.fail(409, "DUPLICATE_PRICING_PLAN", "POST", "/pricing-plans", `{"name":"Q","unitType":"u","unitPriceUsd":1}`)
	var off wire.PricingPlan
	a.ok(201, "POST", "/pricing-plans", `{"name":"Q","unitType":"u","unitPriceUsd":1,"isActive":false}`, &off)
	a.fail(409, "DUPLICATE_PRICING_PLAN", "PATCH", "/pricing-plans/"+off.ID, `{"isActive":true}`)
	a.ok(200, "DELETE", "/pricing-plans/"+p.ID, nil, nil)
	a.ok(200, "PATCH", "/pricing-plans/"+off.ID, `{"isActive":true}`, nil)
	var byType wire.PricingPlan
	a.ok(200, "GET", "/pricing-plans/by-type/u", nil, &byType)
	if byType.ID != off.ID {
		t.Fatalf("by type = %+v", byType)
	}
	a.fail(404, "NOT_FOUND", "GET", "/pricing-plans/plan_nope", nil)
	a.fail(404, "NOT_FOUND", "GET", "/charges/chg_nope", nil)
	a.fail(422, "VALIDATION_ERROR", "GET", "/charges?status=LOST", nil)
	a.fail(422, "VALIDATION_ERROR", "PUT", "/customers/x/spending-cap", `{"capType":"DAILY_CHARGE_LIMIT","limitValue":0}`)
	a.fail(404, "CUSTOMER_NOT_FOUND", "GET", "/customers/x/balance", nil)
	var in wire.Customer
	a.ok(201, "POST", "/customers", wire.CreateCustomerRequest{ExternalCustomerID: "int", IsInternal: ptrTrue()}, &in)
	a.fail(400, "INTERNAL_CUSTOMER", "POST", "/customers/"+in.ID+"/provision", nil)
	a.fail(422, "VALIDATION_ERROR", "POST", "/cost-estimate/from-usage", `{"periodStart":"yesterday","periodEnd":"2025-01-01T00:00:00Z"}`)
	a.fail(422, "VALIDATION_ERROR", "POST", "/cost-estimate/hypothetical", `{"items":[]}`)

	pk := newAPI(t, a.base, "pk_test_billing_key")
	pk.fail(403, "PUBLIC_KEY_NOT_ALLOWED", "POST", "/pricing-plans", `{"name":"P","unitType":"v","unitPriceUsd":1}`)
	pk.fail(403, "PUBLIC_KEY_NOT_ALLOWED", "PATCH", "/pricing-plans/"+off.ID, `{"name":"R"}`)
	pk.fail(403, "PUBLIC_KEY_NOT_ALLOWED", "DELETE", "/pricing-plans/"+off.ID, nil)
	pk.ok(200, "GET", "/pricing-plans", nil, nil)
}

func ptrTrue() *bool { t := true; return &t }

// lockedClock is a clock the test moves while dripd's delivery worker
// reads it.
type lockedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *lockedClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *lockedClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *lockedClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}
