package dripserver_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/internal/wire"
)

// billingWireFields checks the shapes of internal/wire/billing.go, the
// usage reply with a charge, and the data of the webhook events billing
// sends.
func billingWireFields(t *testing.T, w *wireCheck) {
	clk := &lockedClock{t: time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)}
	a, n := startBilling(t, clk, dripserver.WithStartingBalance("1"))

	yes := true
	cp := wire.CreatePricingPlanRequest{Name: "Tokens", UnitType: "tokens", UnitPriceUsd: "0.02", IsActive: &yes, PricingModel: "FLAT"}
	var plan wire.PricingPlan
	a.ok(201, "POST", "/pricing-plans", cp, &plan)
	// tiers are for the TIERED, VOLUME and PACKAGE models, which dripd
	// refuses.
	w.stored("POST /pricing-plans stored", &cp, &plan, "tiers")
	w.served("POST /pricing-plans reply", &plan)
	up := wire.UpdatePricingPlanRequest{Name: "Tokens 2", UnitPriceUsd: "0.01", IsActive: &yes, PricingModel: "FLAT"}
	a.ok(200, "PATCH", "/pricing-plans/"+plan.ID, up, &plan)
	w.stored("PATCH /pricing-plans stored", &up, &plan, "tiers")
	w.served("PATCH /pricing-plans reply", &plan)
	var pl wire.PricingPlanList
	a.ok(200, "GET", "/pricing-plans", nil, &pl)
	w.served("GET /pricing-plans reply", &pl)
	a.ok(200, "GET", "/pricing-plans/by-type/tokens", nil, &plan)
	w.served("GET /pricing-plans/by-type reply", &plan)

	var cust wire.Customer
	a.ok(201, "POST", "/customers", wire.CreateCustomerRequest{ExternalCustomerID: "ext", OnchainAddress: "0xabc",
		Metadata: map[string]any{"tier": "pro"}}, &cust)
	var sync wire.SyncBalanceResult
	a.ok(200, "POST", "/customers/"+cust.ID+"/sync-balance", nil, &sync)
	w.served("POST /customers/{id}/sync-balance reply", &sync)
	var prov wire.Customer
	a.ok(200, "POST", "/customers/"+cust.ID+"/provision", nil, &prov)
	// The customer is billable, so isInternal is false.
	w.served("POST /customers/{id}/provision reply", &prov, "businessId", "isInternal")

	capReq := wire.SpendingCapRequest{CapType: "DAILY_CHARGE_LIMIT", LimitValue: "1", AutoBlock: &yes}
	var spCap wire.SpendingCap
	a.ok(200, "PUT", "/customers/"+cust.ID+"/spending-cap", capReq, &spCap)
	w.stored("PUT /customers/{id}/spending-cap stored", &capReq, &spCap)

	// 60 tokens at 0.01 is 0.6 of the 1 USDC balance and cap: a charge, a
	// spending alert at 50%; 35 more leave 0.05, under the 0.1 low-balance
	// threshold.
	var use wire.UsageResult
	a.ok(200, "POST", "/usage", wire.UsageRequest{CustomerID: cust.ID, UsageType: "tokens", Quantity: f64(60),
		Metadata: map[string]any{"model": "m"}}, &use)
	// The /usage reply carries the charge, not the echo of the internal
	// paths (customerId, usageType, quantity, isInternal), auto-promotion
	// (mode, autoPromoted, reason) or the internal batch's fields.
	// failureReason and isDuplicate are set only for a failed charge and
	// a replay.
	w.served("POST /usage reply", &use, "customerId", "usageType", "quantity", "isInternal", "mode", "autoPromoted",
		"reason", "idempotencyKey", "pendingEvents", "isDuplicate", "charge.failureReason", "charge.estimatedConfirmationTime")
	a.ok(200, "POST", "/usage", wire.UsageRequest{CustomerID: cust.ID, UsageType: "tokens", Quantity: f64(35)}, nil)

	var bal wire.Balance
	a.ok(200, "GET", "/customers/"+cust.ID+"/balance", nil, &bal)
	w.served("GET /customers/{id}/balance reply", &bal)
	var caps wire.SpendingCapList
	a.ok(200, "GET", "/customers/"+cust.ID+"/spending-caps", nil, &caps)
	w.served("GET /customers/{id}/spending-caps reply", &caps)

	var charges wire.ChargeList
	a.ok(200, "GET", "/charges?customerId="+cust.ID, nil, &charges)
	// A confirmed charge has no failure reason.
	w.served("GET /charges reply", &charges, "data[].failureReason", "data[].usageEvent.metadata{}")
	var ch wire.Charge
	a.ok(200, "GET", "/charges/"+use.Charge.ID, nil, &ch)
	w.served("GET /charges/{id} reply", &ch, "failureReason")

	// calls and misc have no pricing plan: estimates price them with
	// customPricing and defaultUnitPrice.
	for _, typ := range []string{"calls", "misc"} {
		a.ok(200, "POST", "/usage", wire.UsageRequest{CustomerID: cust.ID, UsageType: typ, Quantity: f64(4)}, nil)
	}
	start, end := clk.now().Add(-time.Hour).Format(time.RFC3339), clk.now().Add(time.Hour).Format(time.RFC3339)
	fu := wire.EstimateFromUsageRequest{CustomerID: cust.ID, PeriodStart: start, PeriodEnd: end, DefaultUnitPrice: "0.5",
		IncludeChargedEvents: &yes, UsageTypes: []string{"tokens", "calls", "misc"}, CustomPricing: map[string]string{"calls": "0.25"}}
	var est wire.CostEstimate
	a.ok(200, "POST", "/cost-estimate/from-usage", fu, &est)
	// dripd serves one business and leaves businessId out; notes are
	// there only when something needs saying; calls and misc have no
	// pricing plan.
	w.served("POST /cost-estimate/from-usage reply", &est, "businessId", "notes", "lineItems[].hasPricingPlan")
	// Every input shows in the estimate: the types, their prices, the
	// period; includeChargedEvents counted the charged tokens.
	w.stored("POST /cost-estimate/from-usage read", &fu, &est)
	hy := wire.EstimateHypotheticalRequest{Items: []wire.HypotheticalItem{{UsageType: "tokens", Quantity: 10, UnitPriceOverride: "0.3"},
		{UsageType: "calls", Quantity: 3}, {UsageType: "misc", Quantity: 2}},
		DefaultUnitPrice: "0.5", CustomPricing: map[string]string{"calls": "0.2"}}
	var hest wire.CostEstimate
	a.ok(200, "POST", "/cost-estimate/hypothetical", hy, &hest)
	// A hypothetical estimate has no customer, period or recorded events.
	w.served("POST /cost-estimate/hypothetical reply", &hest, "businessId", "customerId", "periodStart", "periodEnd",
		"lineItems[].eventCount", "notes",
		"lineItems[].hasPricingPlan")
	w.stored("POST /cost-estimate/hypothetical read", &hy, &hest)

	// The data of every webhook event billing queued.
	data := map[string]any{
		"usage.recorded":            &wire.WebhookUsageRecorded{},
		"charge.succeeded":          &wire.Charge{},
		"customer.created":          &wire.Customer{},
		"customer.balance.low":      &wire.WebhookBalanceLow{},
		"customer.spending.warning": &wire.WebhookSpendingAlert{},
	}
	webhookData(t, w, n, data, map[string][]string{
		"charge.succeeded": {"failureReason"},
		"customer.created": {"businessId", "isInternal"},
	})

	var rm wire.RemoveSpendingCapResult
	a.ok(200, "DELETE", "/customers/"+cust.ID+"/spending-caps/"+spCap.ID, nil, &rm)
	w.served("DELETE /customers/{id}/spending-caps/{capId} reply", &rm)
	var del wire.DeletePricingPlanResult
	a.ok(200, "DELETE", "/pricing-plans/"+plan.ID, nil, &del)
	w.served("DELETE /pricing-plans/{id} reply", &del)
}

// webhookData checks the body and the data of the first delivery queued to
// n's endpoint of each event type in data (a pointer to the wire type the
// data must fill), but for the paths ok lists by type. Every type must
// have been queued.
func webhookData(t *testing.T, w *wireCheck, n *notes, data map[string]any, ok map[string][]string) {
	t.Helper()
	ds, err := n.store.WebhookDeliveries(context.Background(), n.hookID)
	if err != nil {
		t.Fatal(err)
	}
	first := map[string][]byte{}
	for _, d := range ds {
		if first[d.EventType] == nil {
			first[d.EventType] = d.Body
		}
	}
	for typ, v := range data {
		body, found := first[typ]
		if !found {
			t.Errorf("no %s event queued", typ)
			continue
		}
		var ev wire.WebhookEventBody
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Fatalf("%s body %s: %v", typ, body, err)
		}
		w.served(typ+" body", &ev)
		if err := json.Unmarshal(ev.Data, v); err != nil {
			t.Fatalf("%s data %s: %v", typ, ev.Data, err)
		}
		w.served(typ+" data", v, ok[typ]...)
	}
}
