package drip_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
)

// payer creates a customer dripd can bill (it has an on-chain address).
func payer(t *testing.T, c *drip.Client, ext string) *drip.Customer {
	t.Helper()
	cu, err := c.CreateCustomer(ctxT(t), drip.CustomerParams{ExternalCustomerID: ext, OnchainAddress: "0x" + strings.Repeat("ab", 19) + ext[len(ext)-2:]})
	if err != nil {
		t.Fatal(err)
	}
	return cu
}

func TestBillingChargesExactAmounts(t *testing.T) {
	ctx := ctxT(t)
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())

	plan, err := c.CreatePricingPlan(ctx, drip.PricingPlanParams{Name: "Tokens", UnitType: "llm_tokens", UnitPrice: dec("0.000003")})
	if err != nil {
		t.Fatal(err)
	}
	if plan.ID == "" || !plan.IsActive || plan.Currency != "USDC" || plan.PricingModel != "FLAT" {
		t.Fatalf("plan = %+v", plan)
	}
	wantDec(t, "unit price", plan.UnitPrice, "0.000003")
	if _, err := c.CreatePricingPlan(ctx, drip.PricingPlanParams{Name: "Again", UnitType: "llm_tokens", UnitPrice: dec("1")}); !errors.Is(err, drip.ErrDuplicatePricingPlan) {
		t.Fatalf("second active plan: %v, want ErrDuplicatePricingPlan", err)
	}

	cu := payer(t, c, "acme-01")
	before, err := c.GetBalance(ctx, cu.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantDec(t, "starting balance", before.Balance, dripserver.DefaultStartingBalance)

	res, err := c.TrackUsage(ctx, drip.UsageParams{CustomerID: cu.ID, Meter: "llm_tokens", Quantity: 1234})
	if err != nil {
		t.Fatal(err)
	}
	ch := res.Charge
	if ch == nil || ch.Status != drip.ChargeConfirmed || ch.TxHash == "" || ch.UsageID != res.UsageEventID {
		t.Fatalf("charge = %+v", ch)
	}
	wantDec(t, "1234 tokens at 0.000003", ch.AmountUSDC, "0.003702")
	wantDec(t, "amount in token units", ch.AmountToken, "3702")

	after, err := c.GetBalance(ctx, cu.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantDec(t, "balance drop", before.Balance.Sub(after.Balance), "0.003702")
	wantDec(t, "available", after.Available, "99.996298")
	wantDec(t, "pending", after.PendingCharges, "0")

	// A fraction of a micro-USDC rounds half away from zero.
	res2, err := c.TrackUsage(ctx, drip.UsageParams{CustomerID: cu.ID, Meter: "llm_tokens", Quantity: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	wantDec(t, "0.5 tokens at 0.000003", res2.Charge.AmountUSDC, "0.000002")

	// A replay returns the original charge and charges nothing more.
	dup, err := c.TrackUsage(ctx, drip.UsageParams{CustomerID: cu.ID, Meter: "llm_tokens", Quantity: 1234, IdempotencyKey: res.IdempotencyKey})
	if err != nil || !dup.IsDuplicate || dup.Charge == nil || dup.Charge.ID != ch.ID {
		t.Fatalf("replay = %+v, %v", dup, err)
	}

	got, err := c.GetCharge(ctx, ch.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.CustomerID != cu.ID || got.Customer.ExternalCustomerID != "acme-01" || got.Usage.Meter != "llm_tokens" ||
		got.Usage.Quantity != 1234 || got.BlockNumber == "" || got.ConfirmedAt.IsZero() || got.TxHash != ch.TxHash {
		t.Fatalf("GetCharge = %+v", got)
	}
	wantDec(t, "GetCharge amount", got.AmountUSDC, "0.003702")

	page, err := c.ListCharges(ctx, &drip.ListChargesParams{CustomerID: cu.ID, Status: drip.ChargeConfirmed, Limit: 1})
	if err != nil || page.Count != 2 || len(page.Charges) != 1 || page.Charges[0].ID != res2.Charge.ID {
		t.Fatalf("ListCharges = %+v, %v (want the newest of 2)", page, err)
	}
	total := drip.Decimal{}
	n := 0
	for ch, err := range c.Charges(ctx, &drip.ListChargesParams{CustomerID: cu.ID, Limit: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		total, n = total.Add(ch.AmountUSDC), n+1
	}
	if n != 2 {
		t.Fatalf("Charges walked %d charges, want 2", n)
	}
	bal, err := c.SyncBalance(ctx, cu.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantDec(t, "synced balance + charges", bal.Add(total), dripserver.DefaultStartingBalance)
	if b, _ := c.GetBalance(ctx, cu.ID); b.LastSyncedAt.IsZero() {
		t.Fatal("lastSyncedAt not set by SyncBalance")
	}
}

func TestBillingPlansMetersAndProvisioning(t *testing.T) {
	ctx := ctxT(t)
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())

	p, err := c.CreatePricingPlan(ctx, drip.PricingPlanParams{Name: "Calls", UnitType: "api_calls", UnitPrice: dec("0.01")})
	if err != nil {
		t.Fatal(err)
	}
	byType, err := c.GetPricingPlanByType(ctx, "api_calls")
	if err != nil || byType.ID != p.ID {
		t.Fatalf("by type = %+v, %v", byType, err)
	}
	name, price := "Calls v2", dec("0.02")
	up, err := c.UpdatePricingPlan(ctx, p.ID, drip.UpdatePricingPlanParams{Name: &name, UnitPrice: &price})
	if err != nil || up.Name != name || up.UnitPrice.Cmp(price) != 0 || up.ID != p.ID {
		t.Fatalf("update = %+v, %v", up, err)
	}
	meters, err := c.ListMeters(ctx)
	if err != nil || len(meters) != 1 || meters[0].Meter != "api_calls" || meters[0].UnitPrice.Cmp(price) != 0 || !meters[0].IsActive {
		t.Fatalf("meters = %+v, %v", meters, err)
	}

	// Provisioning gives a customer without an address one and the
	// starting balance, and makes its usage billable.
	cu, err := c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "late-payer"})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := c.TrackUsage(ctx, drip.UsageParams{CustomerID: cu.ID, Meter: "api_calls", Quantity: 1}); err != nil || res.Charge != nil || !res.AutoPromoted {
		t.Fatalf("before provisioning: %+v, %v", res, err)
	}
	prov, err := c.ProvisionCustomer(ctx, cu.ID)
	if err != nil || !strings.HasPrefix(prov.OnchainAddress, "0x") || len(prov.OnchainAddress) != 42 {
		t.Fatalf("provision = %+v, %v", prov, err)
	}
	again, err := c.ProvisionCustomer(ctx, cu.ID)
	if err != nil || again.OnchainAddress != prov.OnchainAddress {
		t.Fatalf("provisioning again = %+v, %v", again, err)
	}
	res, err := c.TrackUsage(ctx, drip.UsageParams{CustomerID: cu.ID, Meter: "api_calls", Quantity: 3})
	if err != nil || res.Charge == nil {
		t.Fatalf("after provisioning: %+v, %v", res, err)
	}
	wantDec(t, "3 calls at 0.02", res.Charge.AmountUSDC, "0.06")
	b, err := c.GetBalance(ctx, cu.ID)
	if err != nil || b.OnchainAddress != prov.OnchainAddress {
		t.Fatalf("balance = %+v, %v", b, err)
	}
	wantDec(t, "balance", b.Balance, "99.94")

	// Deleting deactivates: the plan stays readable, usage is no longer
	// charged, and a new plan may take the unit type.
	if err := c.DeletePricingPlan(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if old, err := c.GetPricingPlan(ctx, p.ID); err != nil || old.IsActive {
		t.Fatalf("deleted plan = %+v, %v", old, err)
	}
	if _, err := c.GetPricingPlanByType(ctx, "api_calls"); !errors.Is(err, drip.ErrNotFound) {
		t.Fatalf("by type after delete: %v, want ErrNotFound", err)
	}
	if res, err := c.TrackUsage(ctx, drip.UsageParams{CustomerID: cu.ID, Meter: "api_calls", Quantity: 3}); err != nil || res.Charge != nil || res.AutoPromoted {
		t.Fatalf("usage without a plan: %+v, %v", res, err)
	}
	if _, err := c.CreatePricingPlan(ctx, drip.PricingPlanParams{Name: "Calls v3", UnitType: "api_calls", UnitPrice: dec("0.03")}); err != nil {
		t.Fatal(err)
	}
	plans, err := c.ListPricingPlans(ctx)
	if err != nil || len(plans) != 2 || plans[0].IsActive || !plans[1].IsActive {
		t.Fatalf("plans = %+v, %v", plans, err)
	}
}

func TestBillingInsufficientBalanceFailsTheCharge(t *testing.T) {
	ctx := ctxT(t)
	srv := startServer(t, nil, dripserver.WithStartingBalance("1"))
	c := newClient(t, srv.BaseURL())
	if _, err := c.CreatePricingPlan(ctx, drip.PricingPlanParams{Name: "Jobs", UnitType: "jobs", UnitPrice: dec("0.6")}); err != nil {
		t.Fatal(err)
	}
	cu := payer(t, c, "short-01")
	if _, err := c.TrackUsage(ctx, drip.UsageParams{CustomerID: cu.ID, Meter: "jobs", Quantity: 1}); err != nil {
		t.Fatal(err)
	}
	res, err := c.TrackUsage(ctx, drip.UsageParams{CustomerID: cu.ID, Meter: "jobs", Quantity: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Success || res.Charge == nil || res.Charge.Status != drip.ChargeFailed || !strings.Contains(res.Charge.FailureReason, "insufficient balance") {
		t.Fatalf("reply = %+v, charge %+v", res, res.Charge)
	}
	b, err := c.GetBalance(ctx, cu.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantDec(t, "balance after a failed charge", b.Balance, "0.4")
	failed, err := c.ListCharges(ctx, &drip.ListChargesParams{Status: drip.ChargeFailed})
	if err != nil || failed.Count != 1 || failed.Charges[0].FailureReason == "" || failed.Charges[0].TxHash != "" {
		t.Fatalf("failed charges = %+v, %v", failed, err)
	}
	if cu2, _ := c.GetCustomer(ctx, cu.ID); cu2.Status != "ACTIVE" {
		t.Fatalf("status = %s; 0.4 is not below 10%% of 1", cu2.Status)
	}
}

func TestSpendingCapBlocksAndResetsNextPeriod(t *testing.T) {
	ctx := ctxT(t)
	clock := &testClock{t: time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)}
	srv := startServer(t, nil, dripserver.WithClock(clock.now))
	c := newClient(t, srv.BaseURL())
	if _, err := c.CreatePricingPlan(ctx, drip.PricingPlanParams{Name: "Tokens", UnitType: "tok", UnitPrice: dec("0.01")}); err != nil {
		t.Fatal(err)
	}
	cu := payer(t, c, "capped-01")
	cp, err := c.SetSpendingCap(ctx, cu.ID, drip.SpendingCapParams{Type: drip.CapDaily, Limit: dec("1")})
	if err != nil || !cp.AutoBlock || !cp.IsActive || cp.LastAlertLevel != 0 || !cp.PeriodStart.Equal(time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("cap = %+v, %v", cp, err)
	}
	// PUT again is an upsert: still one daily cap.
	if _, err := c.SetSpendingCap(ctx, cu.ID, drip.SpendingCapParams{Type: drip.CapDaily, Limit: dec("1")}); err != nil {
		t.Fatal(err)
	}
	use := func(q float64) (*drip.UsageResult, error) {
		return c.TrackUsage(ctx, drip.UsageParams{CustomerID: cu.ID, Meter: "tok", Quantity: q})
	}
	level := func() (int, drip.Decimal) {
		caps, err := c.ListSpendingCaps(ctx, cu.ID)
		if err != nil || len(caps) != 1 {
			t.Fatalf("caps = %+v, %v", caps, err)
		}
		return caps[0].LastAlertLevel, caps[0].CurrentUsage
	}
	for _, step := range []struct {
		q     float64
		level int
		usage string
	}{{40, 0, "0.4"}, {56, 95, "0.96"}, {10, 100, "1.06"}} {
		if _, err := use(step.q); err != nil {
			t.Fatalf("usage of %v: %v (the charge that crosses the limit goes through)", step.q, err)
		}
		l, u := level()
		if l != step.level {
			t.Fatalf("after %v: lastAlertLevel %d, want %d", step.q, l, step.level)
		}
		wantDec(t, "currentUsage", u, step.usage)
	}
	records := len(mustUsage(t, srv))
	_, err = use(1)
	if !errors.Is(err, drip.ErrCustomerBlocked) || !errors.Is(err, drip.ErrForbidden) {
		t.Fatalf("usage past the cap: %v, want ErrCustomerBlocked", err)
	}
	if e, _ := drip.AsError(err); e.StatusCode != http.StatusForbidden {
		t.Fatalf("status %d", e.StatusCode)
	}
	if n := len(mustUsage(t, srv)); n != records {
		t.Fatalf("a refused usage was recorded: %d records, want %d", n, records)
	}

	clock.set(time.Date(2025, 3, 11, 0, 0, 1, 0, time.UTC))
	if l, u := level(); l != 0 || !u.IsZero() {
		t.Fatalf("next day: level %d, usage %s; want a fresh period", l, u)
	}
	if _, err := use(50); err != nil {
		t.Fatalf("next day: %v", err)
	}
	if l, u := level(); l != 50 || u.Cmp(dec("0.5")) != 0 {
		t.Fatalf("next day after 0.5: level %d, usage %s", l, u)
	}

	// A single-charge cap refuses one charge above it; removing it lifts that.
	single, err := c.SetSpendingCap(ctx, cu.ID, drip.SpendingCapParams{Type: drip.CapSingleCharge, Limit: dec("0.05")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := use(6); !errors.Is(err, drip.ErrCustomerBlocked) {
		t.Fatalf("0.06 over a 0.05 single-charge cap: %v", err)
	}
	if _, err := use(5); err != nil {
		t.Fatalf("0.05 at a 0.05 single-charge cap: %v", err)
	}
	if err := c.RemoveSpendingCap(ctx, cu.ID, single.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := use(6); err != nil {
		t.Fatalf("after removing the cap: %v", err)
	}
	if err := c.RemoveSpendingCap(ctx, cu.ID, single.ID); !errors.Is(err, drip.ErrNotFound) {
		t.Fatalf("removing twice: %v", err)
	}
}

func mustUsage(t *testing.T, srv *testServer) []dripserver.UsageRecord {
	t.Helper()
	us, err := srv.store.UsageRecords(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	return us
}

func TestCostEstimates(t *testing.T) {
	ctx := ctxT(t)
	clock := &testClock{t: time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)}
	srv := startServer(t, nil, dripserver.WithClock(clock.now))
	c := newClient(t, srv.BaseURL())
	if _, err := c.CreatePricingPlan(ctx, drip.PricingPlanParams{Name: "Tokens", UnitType: "tok", UnitPrice: dec("0.000002")}); err != nil {
		t.Fatal(err)
	}
	cu := payer(t, c, "est-01")
	for _, u := range []struct {
		m string
		q float64
	}{{"tok", 1000}, {"tok", 500}, {"img", 3}} {
		if _, err := c.TrackUsage(ctx, drip.UsageParams{CustomerID: cu.ID, Meter: u.m, Quantity: u.q}); err != nil {
			t.Fatal(err)
		}
	}
	def := dec("0.04")
	est, err := c.EstimateFromUsage(ctx, drip.EstimateFromUsageParams{CustomerID: cu.ID,
		PeriodStart: clock.now().Add(-time.Hour), PeriodEnd: clock.now().Add(time.Hour), DefaultUnitPrice: &def})
	if err != nil {
		t.Fatal(err)
	}
	if len(est.LineItems) != 2 || est.Currency != "USDC" || est.CustomerID != cu.ID || len(est.Notes) != 1 {
		t.Fatalf("estimate = %+v", est)
	}
	tok, img := est.LineItems[0], est.LineItems[1]
	if tok.Meter != "tok" || !tok.HasPricingPlan || tok.EventCount != 2 || img.HasPricingPlan || img.EventCount != 1 {
		t.Fatalf("lines = %+v", est.LineItems)
	}
	wantDec(t, "tok cost", tok.EstimatedCost, "0.003")
	wantDec(t, "img cost", img.EstimatedCost, "0.12")
	wantDec(t, "total", est.EstimatedTotal, "0.123")

	over := dec("1")
	hyp, err := c.EstimateHypothetical(ctx, drip.EstimateHypotheticalParams{Items: []drip.HypotheticalUsage{
		{Meter: "tok", Quantity: 1_000_000}, {Meter: "img", Quantity: 2, UnitPrice: &over}}})
	if err != nil || len(hyp.LineItems) != 2 {
		t.Fatalf("hypothetical = %+v, %v", hyp, err)
	}
	wantDec(t, "hypothetical total", hyp.Subtotal, "4")
	wantDec(t, "hypothetical tok", hyp.LineItems[0].EstimatedCost, "2")
}

func TestBillingPublicKey(t *testing.T) {
	ctx := ctxT(t)
	srv := startServer(t, nil)
	pk := newClient(t, srv.BaseURL(), drip.WithAPIKey("pk_test_0123456789abcdef"))
	sk := newClient(t, srv.BaseURL())
	plan, err := sk.CreatePricingPlan(ctx, drip.PricingPlanParams{Name: "Calls", UnitType: "calls", UnitPrice: dec("0.1")})
	if err != nil {
		t.Fatal(err)
	}
	name := "x"
	for what, call := range map[string]func() error{
		"create": func() error {
			_, err := pk.CreatePricingPlan(ctx, drip.PricingPlanParams{Name: "P", UnitType: "u", UnitPrice: dec("1")})
			return err
		},
		"update": func() error {
			_, err := pk.UpdatePricingPlan(ctx, plan.ID, drip.UpdatePricingPlanParams{Name: &name})
			return err
		},
		"delete": func() error { return pk.DeletePricingPlan(ctx, plan.ID) },
	} {
		before := srv.requests.Load()
		err := call()
		var e *drip.Error
		if !errors.As(err, &e) || e.Code != drip.CodePublicKeyNotAllowed || e.StatusCode != 403 || !errors.Is(err, drip.ErrPublicKeyNotAllowed) {
			t.Fatalf("%s with pk_: %v", what, err)
		}
		if srv.requests.Load() != before {
			t.Fatalf("%s with pk_ was sent", what)
		}
	}
	// dripd refuses the same routes itself.
	for _, r := range []struct{ method, path string }{
		{"POST", "/pricing-plans"}, {"PATCH", "/pricing-plans/" + plan.ID}, {"DELETE", "/pricing-plans/" + plan.ID},
	} {
		req, _ := http.NewRequest(r.method, srv.BaseURL()+r.path, strings.NewReader(`{"name":"P","unitType":"u","unitPriceUsd":1}`))
		req.Header.Set("Authorization", "Bearer pk_test_0123456789abcdef")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("dripd: %s %s with pk_ = %d, want 403", r.method, r.path, resp.StatusCode)
		}
	}
	// Reads and the rest of billing are a public key's.
	if _, err := pk.ListMeters(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := pk.GetPricingPlanByType(ctx, "calls"); err != nil {
		t.Fatal(err)
	}
	cu := payer(t, pk, "pk-user-01")
	if _, err := pk.SetSpendingCap(ctx, cu.ID, drip.SpendingCapParams{Type: drip.CapMonthly, Limit: dec("5")}); err != nil {
		t.Fatal(err)
	}
	if _, err := pk.GetBalance(ctx, cu.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := pk.ListCharges(ctx, nil); err != nil {
		t.Fatal(err)
	}
}

func TestBillingValidationBeforeSending(t *testing.T) {
	ctx := ctxT(t)
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	neg := dec("-1")
	for _, tc := range []struct {
		field string
		call  func() error
	}{
		{"unitPriceUsd", func() error {
			_, err := c.CreatePricingPlan(ctx, drip.PricingPlanParams{Name: "P", UnitType: "u", UnitPrice: dec("0.0000025")})
			return err
		}},
		{"unitPriceUsd", func() error {
			_, err := c.UpdatePricingPlan(ctx, "plan_x", drip.UpdatePricingPlanParams{UnitPrice: &neg})
			return err
		}},
		{"unitType", func() error {
			_, err := c.CreatePricingPlan(ctx, drip.PricingPlanParams{Name: "P", UnitPrice: dec("1")})
			return err
		}},
		{"limitValue", func() error {
			_, err := c.SetSpendingCap(ctx, "cust_1", drip.SpendingCapParams{Type: drip.CapDaily})
			return err
		}},
		{"capType", func() error {
			_, err := c.SetSpendingCap(ctx, "cust_1", drip.SpendingCapParams{Type: "WEEKLY", Limit: dec("1")})
			return err
		}},
		{"customerId", func() error { _, err := c.GetBalance(ctx, " "); return err }},
		{"chargeId", func() error { _, err := c.GetCharge(ctx, ""); return err }},
		{"capId", func() error { return c.RemoveSpendingCap(ctx, "cust_1", "") }},
		{"limit", func() error { _, err := c.ListCharges(ctx, &drip.ListChargesParams{Limit: 101}); return err }},
		{"periodEnd", func() error {
			now := time.Now()
			_, err := c.EstimateFromUsage(ctx, drip.EstimateFromUsageParams{PeriodStart: now, PeriodEnd: now})
			return err
		}},
		{"items", func() error { _, err := c.EstimateHypothetical(ctx, drip.EstimateHypotheticalParams{}); return err }},
		{"defaultUnitPrice", func() error {
			_, err := c.EstimateHypothetical(ctx, drip.EstimateHypotheticalParams{Items: []drip.HypotheticalUsage{{Meter: "m", Quantity: 1}}, DefaultUnitPrice: &neg})
			return err
		}},
	} {
		refusedBeforeSending(t, srv, tc.call, tc.field)
	}
}
