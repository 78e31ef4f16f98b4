package dripserver_test

import (
	"context"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/internal/wire"
)

// The dashboard's views of subscriptions and contracts read stored state:
// a period that ended is marked due, not renewed (no charge, no status
// change) until the API reads the subscription; a contract reads as of
// the time asked.
func TestAccountViewsReadStoredState(t *testing.T) {
	ctx := context.Background()
	clk := &lockedClock{t: time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)}
	a, n := startBilling(t, clk)
	store := n.store
	var c wire.Customer
	a.ok(201, "POST", "/customers", wire.CreateCustomerRequest{ExternalCustomerID: "views", OnchainAddress: "0x77"}, &c)
	var sub wire.Subscription
	a.ok(201, "POST", "/subscriptions", map[string]any{"customerId": c.ID, "name": "Pro", "interval": "MONTHLY",
		"priceUsdc": "10", "includedUsage": 500, "overageUnitType": "tokens"}, &sub)
	var early, late wire.Contract
	a.ok(201, "POST", "/contracts", map[string]any{"customerId": c.ID, "name": "Early", "startDate": "2025-01-01T00:00:00Z",
		"discountPct": 5}, &early)
	a.ok(201, "POST", "/contracts", map[string]any{"customerId": c.ID, "name": "Late", "startDate": "2025-03-01T00:00:00Z",
		"endDate": "2025-04-01T00:00:00Z", "includedUnits": map[string]int64{"tokens": 100}}, &late)
	a.ok(201, "POST", "/contracts/"+late.ID+"/overrides", map[string]any{"unitType": "tokens", "unitPriceUsd": "0.000003"}, nil)

	subs, total, err := store.CustomerSubscriptions(ctx, c.ID, 0, clk.now())
	if err != nil || total != 1 || len(subs) != 1 {
		t.Fatalf("subscriptions: %+v, %d, %v", subs, total, err)
	}
	v := subs[0]
	if v.ID != sub.ID || v.Name != "Pro" || v.Status != "ACTIVE" || v.Interval != "MONTHLY" || v.Price != "10.000000" ||
		v.IncludedUsage != 500 || v.OverageUnitType != "tokens" || v.RenewalDue ||
		!v.PeriodStart.Equal(clk.now()) || !v.PeriodEnd.Equal(clk.now().AddDate(0, 1, 0)) {
		t.Errorf("subscription view %+v", v)
	}

	cts, total, err := store.CustomerContracts(ctx, c.ID, 0, clk.now())
	if err != nil || total != 2 || len(cts) != 2 {
		t.Fatalf("contracts: %+v, %d, %v", cts, total, err)
	}
	// Newest first; both are in force, the latest started prices usage.
	if cts[0].ID != late.ID || !cts[0].InEffect || cts[1].ID != early.ID || cts[1].InEffect {
		t.Errorf("contracts in effect: %+v", cts)
	}
	if got := cts[0]; len(got.IncludedUnits) != 1 || got.IncludedUnits[0] != (dripserver.IncludedUnits{UnitType: "tokens", Units: 100}) ||
		len(got.Overrides) != 1 || got.Overrides[0] != (dripserver.PriceOverride{UnitType: "tokens", UnitPrice: "0.000003"}) ||
		!got.EndDate.Equal(time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("late contract view %+v", got)
	}
	if cts[1].DiscountPct != "5" || !cts[1].EndDate.IsZero() {
		t.Errorf("early contract view %+v", cts[1])
	}

	// Forty days on: the view marks the renewal, the late contract has
	// expired, and nothing was charged by reading.
	acct, _, err := store.Account(ctx, c.ID, clk.now())
	if err != nil {
		t.Fatal(err)
	}
	clk.mu.Lock()
	clk.t = clk.t.AddDate(0, 0, 40)
	clk.mu.Unlock()
	subs, _, err = store.CustomerSubscriptions(ctx, c.ID, 0, clk.now())
	if err != nil {
		t.Fatal(err)
	}
	if !subs[0].RenewalDue || subs[0].Status != "ACTIVE" || !subs[0].PeriodStart.Equal(v.PeriodStart) {
		t.Errorf("after the period: %+v, want it due and unrenewed", subs[0])
	}
	cts, _, err = store.CustomerContracts(ctx, c.ID, 0, clk.now())
	if err != nil {
		t.Fatal(err)
	}
	if cts[0].Status != "EXPIRED" || cts[0].InEffect || !cts[1].InEffect {
		t.Errorf("after the late contract's end: %+v", cts)
	}
	after, _, err := store.Account(ctx, c.ID, clk.now())
	if err != nil || after.Balance != acct.Balance {
		t.Errorf("balance %s before the views, %s after (%v): a view charged", acct.Balance, after.Balance, err)
	}

	// The API's read renews it; the view follows.
	a.ok(200, "GET", "/subscriptions/"+sub.ID, nil, nil)
	subs, _, err = store.CustomerSubscriptions(ctx, c.ID, 0, clk.now())
	if err != nil {
		t.Fatal(err)
	}
	if subs[0].RenewalDue || !subs[0].PeriodStart.Equal(v.PeriodEnd) {
		t.Errorf("after the API read: %+v, want the second period", subs[0])
	}

	if subs, total, err := store.CustomerSubscriptions(ctx, "", 0, clk.now()); err != nil || total != 0 || subs != nil {
		t.Errorf("no customer id: %+v, %d, %v", subs, total, err)
	}
}
