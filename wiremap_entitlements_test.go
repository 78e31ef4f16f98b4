package drip

import (
	"context"
	"testing"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// TestEntitlementWireMappings is TestWireMappingsHandleEveryField for the
// entitlement calls.
func TestEntitlementWireMappings(t *testing.T) {
	runWireCases(t, entitlementWireCases())
}

// entitlementWireCases are the cases of the entitlement check, customer
// entitlement, plan and rule calls (internal/wire/entitlements.go).
func entitlementWireCases() []wireCase {
	yes := true
	name, desc := "n", "d"
	one := MustDecimal("1.5")
	return []wireCase{
		{name: "CheckEntitlement", method: "POST", path: "/v1/entitlements/check", request: &wire.EntitlementCheckRequest{},
			reply: &wire.EntitlementCheck{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CheckEntitlement(ctx, "cu", "feature", 2)
			}},
		{name: "GetCustomerEntitlement", method: "GET", path: "/v1/customers/cu/entitlement", reply: &wire.CustomerEntitlement{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.GetCustomerEntitlement(ctx, "cu") }},
		{name: "AssignCustomerEntitlement", method: "PUT", path: "/v1/customers/cu/entitlement", request: &wire.AssignEntitlementRequest{},
			reply: &wire.CustomerEntitlement{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.AssignCustomerEntitlement(ctx, "cu", AssignEntitlementParams{PlanID: "plan",
					Overrides: map[string]EntitlementOverride{"feature": {LimitValue: &one, Unlimited: &yes}}})
			}},
		{name: "CreateEntitlementPlan", method: "POST", path: "/v1/entitlement-plans", request: &wire.CreateEntitlementPlanRequest{},
			reply: &wire.EntitlementPlan{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateEntitlementPlan(ctx, EntitlementPlanParams{Name: "n", Slug: "pro", Description: "d", IsDefault: true})
			}},
		{name: "ListEntitlementPlans", method: "GET", path: "/v1/entitlement-plans", reply: &wire.EntitlementPlanList{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.ListEntitlementPlans(ctx) }},
		{name: "GetEntitlementPlan", method: "GET", path: "/v1/entitlement-plans/plan", reply: &wire.EntitlementPlan{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.GetEntitlementPlan(ctx, "plan") }},
		{name: "UpdateEntitlementPlan", method: "PATCH", path: "/v1/entitlement-plans/plan", request: &wire.UpdateEntitlementPlanRequest{},
			reply: &wire.EntitlementPlan{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.UpdateEntitlementPlan(ctx, "plan", UpdateEntitlementPlanParams{Name: &name, Description: &desc,
					IsDefault: &yes, IsActive: &yes})
			}},
		{name: "DeleteEntitlementPlan", method: "DELETE", path: "/v1/entitlement-plans/plan", reply: &wire.EntitlementDeleteResult{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return struct{}{}, c.DeleteEntitlementPlan(ctx, "plan")
			},
			// success is implied by a 2xx reply.
			unreadOK: []string{"success"}},
		{name: "CreateEntitlementRule", method: "POST", path: "/v1/entitlement-plans/plan/rules", request: &wire.CreateEntitlementRuleRequest{},
			reply: &wire.EntitlementRule{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateEntitlementRule(ctx, "plan", EntitlementRuleParams{FeatureKey: "feature", LimitType: LimitAmount,
					Period: PeriodMonthly, LimitValue: one, Unlimited: true})
			}},
		{name: "ListEntitlementRules", method: "GET", path: "/v1/entitlement-plans/plan/rules", reply: &wire.EntitlementRuleList{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.ListEntitlementRules(ctx, "plan") }},
		{name: "UpdateEntitlementRule", method: "PATCH", path: "/v1/entitlement-rules/rule", request: &wire.UpdateEntitlementRuleRequest{},
			reply: &wire.EntitlementRule{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.UpdateEntitlementRule(ctx, "rule", UpdateEntitlementRuleParams{LimitValue: &one, Unlimited: &yes})
			}},
		{name: "DeleteEntitlementRule", method: "DELETE", path: "/v1/entitlement-rules/rule", reply: &wire.EntitlementDeleteResult{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return struct{}{}, c.DeleteEntitlementRule(ctx, "rule")
			},
			unreadOK: []string{"success"}},
	}
}
