package drip

import (
	"context"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
	"github.com/drip-sdk/drip-go/internal/wiretest"
)

// TestAccountWireMappings is TestWireMappingsHandleEveryField for the
// subscription, contract and plan-change calls.
func TestAccountWireMappings(t *testing.T) {
	runWireCases(t, accountWireCases())
}

// accountWireCases are the cases of internal/wire/account.go.
func accountWireCases() []wireCase {
	yes := true
	d := func(s string) *Decimal { v := MustDecimal(s); return &v }
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	included := 10.0
	return []wireCase{
		{name: "CreateSubscription", method: "POST", path: "/v1/subscriptions", request: &wire.CreateSubscriptionRequest{},
			reply: &wire.Subscription{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateSubscription(ctx, SubscriptionParams{CustomerID: "cu", Name: "n", Description: "d",
					Interval: IntervalMonthly, Price: MustDecimal("9.5"), Metadata: map[string]any{"k": "v"}, TrialDays: 3,
					IncludedUsage: &included, OverageUnitType: "tok"})
			},
			// The business is the API key's.
			unreadOK: []string{"businessId"}},
		{name: "ListSubscriptions", method: "GET", path: "/v1/subscriptions", reply: &wire.SubscriptionList{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListSubscriptions(ctx, &ListSubscriptionsParams{CustomerID: "cu", Status: SubscriptionActive, Limit: 5})
			},
			unreadOK: []string{"data[].businessId"}},
		{name: "UpdateSubscription", method: "PATCH", path: "/v1/subscriptions/sub_1", request: &wire.UpdateSubscriptionRequest{},
			reply: &wire.Subscription{},
			call: func(ctx context.Context, c *Client) (any, error) {
				var p UpdateSubscriptionParams
				wiretest.Fill(&p)
				p.IncludedUsage = &included
				return c.UpdateSubscription(ctx, "sub_1", p)
			},
			unreadOK: []string{"businessId"}},
		{name: "CancelSubscription", method: "POST", path: "/v1/subscriptions/sub_1/cancel", request: &wire.CancelSubscriptionRequest{},
			reply: &wire.Subscription{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CancelSubscription(ctx, "sub_1", CancelSubscriptionParams{Immediate: true})
			},
			unreadOK: []string{"businessId"}},
		{name: "PauseSubscription", method: "POST", path: "/v1/subscriptions/sub_1/pause", request: &wire.PauseSubscriptionRequest{},
			reply: &wire.Subscription{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.PauseSubscription(ctx, "sub_1", PauseSubscriptionParams{ResumeAt: start})
			},
			unreadOK: []string{"businessId"}},
		{name: "CreateContract", method: "POST", path: "/v1/contracts", request: &wire.CreateContractRequest{}, reply: &wire.Contract{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateContract(ctx, ContractParams{CustomerID: "cu", Name: "n", StartDate: start, EndDate: start.AddDate(1, 0, 0),
					Minimum: d("1"), Maximum: d("2"), DiscountPct: d("10"), PrepaidAmount: d("3"), PrepaidRollover: true,
					IncludedUnits: map[string]int64{"tok": 5}, Metadata: map[string]any{"k": "v"}})
			}},
		{name: "ListContracts", method: "GET", path: "/v1/contracts", reply: &wire.ContractList{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListContracts(ctx, &ListContractsParams{CustomerID: "cu", Status: ContractActive})
			}},
		{name: "UpdateContract", method: "PATCH", path: "/v1/contracts/ctr_1", request: &wire.UpdateContractRequest{}, reply: &wire.Contract{},
			call: func(ctx context.Context, c *Client) (any, error) {
				n := "n2"
				return c.UpdateContract(ctx, "ctr_1", UpdateContractParams{Name: &n, EndDate: start, Minimum: d("1"), Maximum: d("2"),
					DiscountPct: d("5"), PrepaidRollover: &yes, IncludedUnits: map[string]int64{"tok": 1}, Metadata: map[string]any{"k": 1}})
			}},
		{name: "DeleteContract", method: "DELETE", path: "/v1/contracts/ctr_1", reply: &wire.ContractDeleteResult{},
			call: func(ctx context.Context, c *Client) (any, error) { return struct{}{}, c.DeleteContract(ctx, "ctr_1") },
			// success is implied by a 2xx reply.
			unreadOK: []string{"success"}},
		{name: "AddContractOverride", method: "POST", path: "/v1/contracts/ctr_1/overrides", request: &wire.ContractOverrideRequest{},
			reply: &wire.ContractOverride{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.AddContractOverride(ctx, "ctr_1", "tok", MustDecimal("0.5"))
			}},
		{name: "ChangeCustomerPricing", method: "POST", path: "/v1/customers/cu/plan-changes/pricing", request: &wire.PricingChangeRequest{},
			reply: &wire.PlanChange{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ChangeCustomerPricing(ctx, "cu", PricingChangeParams{SourcePricingPlanIDs: []string{"plan_1"},
					PriceOverrides: []PriceOverride{{UnitType: "tok", UnitPrice: MustDecimal("0.1")}}, ReplaceAll: true,
					DiscountPct: d("5"), Minimum: d("1"), Maximum: d("9"), IncludedUnits: map[string]int64{"tok": 2}, Prorate: true,
					ProrationAmount: d("-1.5"), EffectiveDate: start, Reason: "r", PerformedBy: "p"})
			},
			unreadOK: []string{"businessId"}},
		{name: "ChangeCustomerEntitlementPlan", method: "POST", path: "/v1/customers/cu/plan-changes/entitlement",
			request: &wire.EntitlementChangeRequest{}, reply: &wire.PlanChange{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ChangeCustomerEntitlementPlan(ctx, "cu", EntitlementChangeParams{PlanID: "plan_1",
					Overrides: map[string]EntitlementLimits{"f": {DailyLimit: d("1"), MonthlyLimit: d("2"), Unlimited: &yes}},
					Reason:    "r", PerformedBy: "p"})
			},
			unreadOK: []string{"businessId"}},
		{name: "ListPlanChanges", method: "GET", path: "/v1/customers/cu/plan-changes", reply: &wire.PlanChangeList{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListPlanChanges(ctx, "cu", &ListPlanChangesParams{Limit: 150, Offset: 2})
			},
			unreadOK: []string{"data[].businessId"}},
		{name: "RollbackPlanChange", method: "POST", path: "/v1/customers/cu/plan-changes/pc_1/rollback",
			request: &wire.RollbackPlanChangeRequest{}, reply: &wire.PlanChange{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.RollbackPlanChange(ctx, "cu", "pc_1", "ops")
			},
			unreadOK: []string{"businessId"}},
	}
}
