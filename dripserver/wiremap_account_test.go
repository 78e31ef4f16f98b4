package dripserver_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// accountWireFields checks the shapes of internal/wire/account.go:
// subscriptions, contracts and plan changes.
func accountWireFields(t *testing.T, w *wireCheck) {
	clk := &lockedClock{t: time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)}
	a, _ := startBilling(t, clk)
	yes := true
	var cust wire.Customer
	a.ok(201, "POST", "/customers", wire.CreateCustomerRequest{ExternalCustomerID: "acct", OnchainAddress: "0xacc"}, &cust)

	trial := 7
	cs := wire.CreateSubscriptionRequest{CustomerID: cust.ID, Name: "Pro", Description: "d", Interval: "MONTHLY",
		PriceUsdc: "9.990000", Metadata: map[string]any{"k": "v"}, TrialDays: &trial, IncludedUsage: f64(10), OverageUnitType: "tok"}
	var sub wire.Subscription
	a.ok(201, "POST", "/subscriptions", cs, &sub)
	w.stored("POST /subscriptions stored", &cs, &sub, "trialDays")
	// A trialing subscription was never cancelled nor paused.
	w.served("POST /subscriptions reply", &sub, "cancelledAt", "pausedAt", "resumesAt", "cancelAtPeriodEnd")
	name, desc, unit := "Pro 2", "d2", "calls"
	us := wire.UpdateSubscriptionRequest{Name: &name, Description: &desc, PriceUsdc: "19.990000", Metadata: map[string]any{"k": "v2"},
		IncludedUsage: f64(20), OverageUnitType: &unit}
	a.ok(200, "PATCH", "/subscriptions/"+sub.ID, us, &sub)
	w.stored("PATCH /subscriptions stored", &us, &sub)
	pr := wire.PauseSubscriptionRequest{ResumeDate: "2025-04-01T00:00:00.000Z"}
	a.ok(200, "POST", "/subscriptions/"+sub.ID+"/pause", pr, &sub)
	if sub.ResumesAt == nil || *sub.ResumesAt != pr.ResumeDate {
		t.Errorf("resumeDate not stored: %+v", sub.ResumesAt)
	}
	w.record(reflect.TypeOf(&pr))
	w.served("POST /subscriptions/{id}/pause reply", &sub, "cancelledAt", "cancelAtPeriodEnd")
	cr := wire.CancelSubscriptionRequest{Immediate: &yes}
	a.ok(200, "POST", "/subscriptions/"+sub.ID+"/cancel", cr, &sub)
	if sub.Status != "CANCELLED" {
		t.Errorf("immediate not applied: %s", sub.Status)
	}
	w.record(reflect.TypeOf(&cr))
	w.served("POST /subscriptions/{id}/cancel reply", &sub, "pausedAt", "resumesAt", "cancelAtPeriodEnd")
	var sl wire.SubscriptionList
	a.ok(200, "GET", "/subscriptions?customerId="+cust.ID, nil, &sl)
	// cancelAtPeriodEnd is false: these were cancelled at once.
	w.served("GET /subscriptions reply", &sl, "data[].pausedAt", "data[].resumesAt", "data[].cancelAtPeriodEnd")

	cc := wire.CreateContractRequest{CustomerID: cust.ID, Name: "Ent", StartDate: "2025-03-01T00:00:00.000Z",
		EndDate: "2026-03-01T00:00:00.000Z", MinimumUsdc: "1.000000", MaximumUsdc: "2.000000", DiscountPct: "10",
		PrepaidAmountUsdc: "3.000000", PrepaidRollover: &yes, IncludedUnits: map[string]int64{"tok": 5},
		Metadata: map[string]any{"k": "v"}}
	var ct wire.Contract
	a.ok(201, "POST", "/contracts", cc, &ct)
	w.stored("POST /contracts stored", &cc, &ct)
	co := wire.ContractOverrideRequest{UnitType: "tok", UnitPriceUsd: "0.500000"}
	var ov wire.ContractOverride
	a.ok(201, "POST", "/contracts/"+ct.ID+"/overrides", co, &ov)
	if ov.UnitType != "tok" || ov.UnitPriceUsdc != "0.500000" {
		t.Errorf("override reply %+v", ov)
	}
	w.record(reflect.TypeOf(&co))
	w.served("POST /contracts/{id}/overrides reply", &ov)
	cn := "Ent 2"
	uc := wire.UpdateContractRequest{Name: &cn, EndDate: "2027-03-01T00:00:00.000Z", MinimumUsdc: "4.000000",
		MaximumUsdc: "5.000000", DiscountPct: "20", PrepaidRollover: &yes, IncludedUnits: map[string]int64{"tok": 6},
		Metadata: map[string]any{"k": "v3"}}
	a.ok(200, "PATCH", "/contracts/"+ct.ID, uc, &ct)
	w.stored("PATCH /contracts stored", &uc, &ct)
	w.served("PATCH /contracts reply", &ct)
	var cl wire.ContractList
	a.ok(200, "GET", "/contracts?customerId="+cust.ID, nil, &cl)
	w.served("GET /contracts reply", &cl)
	var del wire.ContractDeleteResult
	a.ok(200, "DELETE", "/contracts/"+ct.ID+"/overrides/tok", nil, &del)
	w.served("DELETE /contracts/{id}/overrides reply", &del)

	var plan wire.PricingPlan
	a.ok(201, "POST", "/pricing-plans", wire.CreatePricingPlanRequest{Name: "T", UnitType: "img", UnitPriceUsd: "0.2"}, &plan)
	pc := wire.PricingChangeRequest{SourcePricingPlanIDs: []string{plan.ID},
		PriceOverrides: []wire.PriceOverride{{UnitType: "tok", UnitPriceUsd: "0.1"}}, ReplaceAll: &yes, DiscountPct: "5",
		MinimumUsdc: "30", MaximumUsdc: "90", IncludedUnits: map[string]int64{"tok": 2}, Prorate: &yes,
		ProrationAmountOverride: "1.5", EffectiveDate: "2025-03-10T12:00:00.000Z", Reason: "r", PerformedBy: "p"}
	var ch wire.PlanChange
	a.ok(201, "POST", "/customers/"+cust.ID+"/plan-changes/pricing", pc, &ch)
	if ch.ProrationAmountUsd == nil || *ch.ProrationAmountUsd != "1.500000" || ch.ProrationDirection != "CHARGE" ||
		ch.EffectiveFrom != pc.EffectiveDate || *ch.Reason != "r" || *ch.PerformedBy != "p" {
		t.Errorf("pricing change %+v", ch)
	}
	ns := ch.NewState
	if ns["discountPct"] != "5" || ns["minimumUsdc"] != "30.000000" || ns["maximumUsdc"] != "90.000000" {
		t.Errorf("new state %v", ns)
	}
	w.record(reflect.TypeOf(&pc))
	// The customer had no price overrides before.
	w.served("POST plan-changes/pricing reply", &ch, "previousState.priceOverrides[]")

	var ep wire.EntitlementPlan
	a.ok(201, "POST", "/entitlement-plans", wire.CreateEntitlementPlanRequest{Name: "P", Slug: "p"}, &ep)
	a.ok(201, "POST", "/entitlement-plans/"+ep.ID+"/rules", wire.CreateEntitlementRuleRequest{FeatureKey: "f",
		LimitType: "COUNT", Period: "DAILY", LimitValue: "3"}, nil)
	ec := wire.EntitlementChangeRequest{PlanID: ep.ID, Overrides: map[string]wire.EntitlementChangeOverride{
		"f": {DailyLimit: "7", Unlimited: &yes}}, Reason: "r", PerformedBy: "p"}
	a.ok(201, "POST", "/customers/"+cust.ID+"/plan-changes/entitlement", ec, &ch)
	var ent wire.CustomerEntitlement
	a.ok(200, "GET", "/customers/"+cust.ID+"/entitlement", nil, &ent)
	if ent.PlanID != ep.ID || ent.Overrides["f"].LimitValue != "7" || ent.Overrides["f"].Unlimited == nil {
		t.Errorf("entitlement change not stored: %+v", ent)
	}
	// monthlyLimit does not apply to a DAILY rule (checked in
	// TestPlanChangeEntitlementRollsBack).
	w.record(reflect.TypeOf(&ec))
	// An entitlement change has no proration and no contract.
	w.served("POST plan-changes/entitlement reply", &ch, "prorationAmountUsd", "proratedDays", "totalPeriodDays",
		"prorationPeriodStart", "prorationPeriodEnd", "prorationChargeId", "contractId", "previousState")
	rb := wire.RollbackPlanChangeRequest{PerformedBy: "ops"}
	a.ok(200, "POST", "/customers/"+cust.ID+"/plan-changes/"+ch.ID+"/rollback", rb, &ch)
	if ch.PerformedBy == nil || *ch.PerformedBy != "ops" {
		t.Errorf("performedBy not stored: %+v", ch)
	}
	w.record(reflect.TypeOf(&rb))
	var pl wire.PlanChangeList
	a.ok(200, "GET", "/customers/"+cust.ID+"/plan-changes", nil, &pl)
	if pl.Total != 3 {
		t.Errorf("total %d", pl.Total)
	}
	w.served("GET plan-changes reply", &pl, "data[].prorationAmountUsd", "data[].proratedDays", "data[].totalPeriodDays",
		"data[].prorationPeriodStart", "data[].prorationPeriodEnd", "data[].prorationChargeId", "data[].contractId",
		"data[].previousState", "data[].newState", "data[].reason")
}
