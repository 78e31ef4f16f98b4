package drip

import (
	"context"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// TestBillingWireMappings is TestWireMappingsHandleEveryField for the
// billing calls.
func TestBillingWireMappings(t *testing.T) {
	runWireCases(t, billingWireCases())
}

// billingWireCases are the cases of the charge, balance, spending-cap,
// pricing-plan and cost-estimate calls (internal/wire/billing.go).
func billingWireCases() []wireCase {
	yes := true
	name, price := "n", MustDecimal("0.5")
	one := MustDecimal("1")
	return []wireCase{
		{name: "GetCharge", method: "GET", path: "/v1/charges/chg_1", reply: &wire.Charge{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.GetCharge(ctx, "chg_1") },
			// customer.id repeats customerId, usageEvent.id repeats usageId.
			unreadOK: []string{"customer.id", "usageEvent.id"}},
		{name: "ListCharges", method: "GET", path: "/v1/charges", reply: &wire.ChargeList{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListCharges(ctx, &ListChargesParams{CustomerID: "cu", Status: ChargeConfirmed, Limit: 5, Offset: 1})
			},
			unreadOK: []string{"data[].customer.id", "data[].usageEvent.id"}},
		{name: "GetBalance", method: "GET", path: "/v1/customers/cu/balance", reply: &wire.Balance{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.GetBalance(ctx, "cu") }},
		{name: "SyncBalance", method: "POST", path: "/v1/customers/cu/sync-balance", reply: &wire.SyncBalanceResult{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.SyncBalance(ctx, "cu") }},
		{name: "ProvisionCustomer", method: "POST", path: "/v1/customers/cu/provision", reply: &wire.Customer{},
			call:     func(ctx context.Context, c *Client) (any, error) { return c.ProvisionCustomer(ctx, "cu") },
			unreadOK: []string{"businessId"}},
		{name: "SetSpendingCap", method: "PUT", path: "/v1/customers/cu/spending-cap", request: &wire.SpendingCapRequest{},
			reply: &wire.SpendingCap{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.SetSpendingCap(ctx, "cu", SpendingCapParams{Type: CapDaily, Limit: one, AutoBlock: &yes})
			}},
		{name: "ListSpendingCaps", method: "GET", path: "/v1/customers/cu/spending-caps", reply: &wire.SpendingCapList{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.ListSpendingCaps(ctx, "cu") }},
		{name: "RemoveSpendingCap", method: "DELETE", path: "/v1/customers/cu/spending-caps/cap", reply: &wire.RemoveSpendingCapResult{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return struct{}{}, c.RemoveSpendingCap(ctx, "cu", "cap")
			},
			// success is implied by a 2xx reply.
			unreadOK: []string{"success"}},
		{name: "CreatePricingPlan", method: "POST", path: "/v1/pricing-plans", request: &wire.CreatePricingPlanRequest{},
			reply: &wire.PricingPlan{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreatePricingPlan(ctx, PricingPlanParams{Name: "n", UnitType: "u", UnitPrice: price, Inactive: true, PricingModel: "FLAT"})
			},
			// Tiers belong to the TIERED, VOLUME and PACKAGE models, which
			// the SDK does not expose yet. isActive is sent only as false
			// (Inactive), which reads as unset here; true is the default.
			unsentOK: []string{"tiers", "isActive"}},
		{name: "UpdatePricingPlan", method: "PATCH", path: "/v1/pricing-plans/p", request: &wire.UpdatePricingPlanRequest{},
			reply: &wire.PricingPlan{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.UpdatePricingPlan(ctx, "p", UpdatePricingPlanParams{Name: &name, UnitPrice: &price, IsActive: &yes})
			},
			unsentOK: []string{"tiers", "pricingModel"}},
		{name: "DeletePricingPlan", method: "DELETE", path: "/v1/pricing-plans/p", reply: &wire.DeletePricingPlanResult{},
			call:     func(ctx context.Context, c *Client) (any, error) { return struct{}{}, c.DeletePricingPlan(ctx, "p") },
			unreadOK: []string{"success"}},
		{name: "GetPricingPlanByType", method: "GET", path: "/v1/pricing-plans/by-type/u", reply: &wire.PricingPlan{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.GetPricingPlanByType(ctx, "u") }},
		{name: "ListPricingPlans", method: "GET", path: "/v1/pricing-plans", reply: &wire.PricingPlanList{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.ListPricingPlans(ctx) },
			// count is len(data).
			unreadOK: []string{"count"}},
		{name: "EstimateFromUsage", method: "POST", path: "/v1/cost-estimate/from-usage", request: &wire.EstimateFromUsageRequest{},
			reply: &wire.CostEstimate{},
			call: func(ctx context.Context, c *Client) (any, error) {
				now := time.Now()
				return c.EstimateFromUsage(ctx, EstimateFromUsageParams{PeriodStart: now, PeriodEnd: now.Add(time.Hour),
					CustomerID: "cu", Meters: []string{"m"}, DefaultUnitPrice: &one, CustomPricing: map[string]Decimal{"m": one},
					ExcludeCharged: true})
			},
			// dripd and Drip serve one business per key; an estimate
			// always says it is one.
			unreadOK: []string{"businessId", "isEstimate"},
			// Sent only as false (ExcludeCharged), which reads as unset
			// here; true is the default.
			unsentOK: []string{"includeChargedEvents"}},
		{name: "EstimateHypothetical", method: "POST", path: "/v1/cost-estimate/hypothetical", request: &wire.EstimateHypotheticalRequest{},
			reply: &wire.CostEstimate{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.EstimateHypothetical(ctx, EstimateHypotheticalParams{Items: []HypotheticalUsage{{Meter: "m", Quantity: 2, UnitPrice: &one}},
					DefaultUnitPrice: &one, CustomPricing: map[string]Decimal{"m": one}})
			},
			unreadOK: []string{"businessId", "isEstimate"}},
	}
}
