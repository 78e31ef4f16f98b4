package conformance

import (
	"context"
	"errors"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
)

// goBillingSteps makes, step by step, the calls billing.mjs makes with the
// Node client, through drip-go's client. Node 0.1.2 has no pricing-plan
// CRUD (beyond the raw create in setup) and no by-type read, so those are
// not compared.
func goBillingSteps(t *testing.T, env goEnv) []goStep {
	ctx := context.Background()
	c, pub := env.client(t, goodKey), env.client(t, publicKey)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var (
		cust, plain *drip.Customer
		hook        *drip.CreatedWebhook
		spendCap    *drip.SpendingCap
		chargeID    string
		plan        *drip.EntitlementPlan
		rule        *drip.EntitlementRule
		event       drip.ExecutionEvent
	)
	dec := drip.MustDecimal
	return []goStep{
		{"setup", func() {
			var err error
			cust, err = c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "conf-billing-1",
				OnchainAddress: "0x00000000000000000000000000000000c0ffee01"})
			must(err)
			plain, err = c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "conf-billing-2"})
			must(err)
			_, err = c.CreatePricingPlan(ctx, drip.PricingPlanParams{Name: "Tokens", UnitType: "tokens", UnitPrice: dec("0.000003")})
			must(err)
		}},
		{"createWebhook", func() {
			var err error
			hook, err = c.CreateWebhook(ctx, drip.WebhookParams{URL: env.hookURL,
				Events: []string{"charge.succeeded", "customer.created"}, Description: "conformance"})
			must(err)
		}},
		{"listWebhooks", func() { _, err := c.ListWebhooks(ctx); must(err) }},
		{"getWebhook", func() { _, err := c.GetWebhook(ctx, hook.ID); must(err) }},
		{"updateWebhook", func() {
			d := "conformance, updated"
			_, err := c.UpdateWebhook(ctx, hook.ID, drip.UpdateWebhookParams{Description: &d})
			must(err)
		}},
		{"testWebhook", func() { _, err := c.TestWebhook(ctx, hook.ID); must(err) }},
		{"getBalance", func() { _, err := c.GetBalance(ctx, cust.ID); must(err) }},
		{"provisionCustomer", func() { _, err := c.ProvisionCustomer(ctx, plain.ID); must(err) }},
		{"syncCustomerBalance", func() { _, err := c.SyncBalance(ctx, cust.ID); must(err) }},
		{"setCustomerSpendingCap", func() {
			yes := true
			var err error
			spendCap, err = c.SetSpendingCap(ctx, cust.ID, drip.SpendingCapParams{Type: drip.CapDaily, Limit: dec("5"), AutoBlock: &yes})
			must(err)
		}},
		{"getCustomerSpendingCaps", func() { _, err := c.ListSpendingCaps(ctx, cust.ID); must(err) }},
		// Node's charge() is drip-go's TrackUsage in its default (billing)
		// mode: both POST /usage.
		{"charge", func() {
			r, err := c.TrackUsage(ctx, drip.UsageParams{CustomerID: cust.ID, Meter: "tokens", Quantity: 1234})
			must(err)
			if r.Charge == nil {
				t.Fatalf("charge: no charge in %+v", r)
			}
			chargeID = r.Charge.ID
		}},
		{"listCharges", func() {
			_, err := c.ListCharges(ctx, &drip.ListChargesParams{CustomerID: cust.ID, Limit: 10})
			must(err)
		}},
		{"getCharge", func() { _, err := c.GetCharge(ctx, chargeID); must(err) }},
		{"balanceAfterCharge", func() {
			_, err := c.GetBalance(ctx, cust.ID)
			must(err)
			_, err = c.ListSpendingCaps(ctx, cust.ID)
			must(err)
		}},
		{"removeCustomerSpendingCap", func() { must(c.RemoveSpendingCap(ctx, cust.ID, spendCap.ID)) }},
		{"rotateWebhookSecret", func() {
			_, err := c.RotateWebhookSecret(ctx, hook.ID)
			must(err)
			_, err = c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "conf-billing-3"})
			must(err)
		}},
		{"createEntitlementPlan", func() {
			var err error
			plan, err = c.CreateEntitlementPlan(ctx, drip.EntitlementPlanParams{Name: "Pro", Slug: "pro", Description: "conformance"})
			must(err)
		}},
		{"listEntitlementPlans", func() { _, err := c.ListEntitlementPlans(ctx); must(err) }},
		{"getEntitlementPlan", func() { _, err := c.GetEntitlementPlan(ctx, plan.ID); must(err) }},
		{"updateEntitlementPlan", func() {
			d := "updated"
			_, err := c.UpdateEntitlementPlan(ctx, plan.ID, drip.UpdateEntitlementPlanParams{Description: &d})
			must(err)
		}},
		{"addEntitlementRule", func() {
			var err error
			rule, err = c.CreateEntitlementRule(ctx, plan.ID, drip.EntitlementRuleParams{FeatureKey: "llm_calls",
				LimitType: drip.LimitCount, Period: drip.PeriodDaily, LimitValue: dec("2")})
			must(err)
		}},
		{"listEntitlementRules", func() { _, err := c.ListEntitlementRules(ctx, plan.ID); must(err) }},
		{"updateEntitlementRule", func() {
			v := dec("3")
			_, err := c.UpdateEntitlementRule(ctx, rule.ID, drip.UpdateEntitlementRuleParams{LimitValue: &v})
			must(err)
		}},
		{"assignCustomerEntitlement", func() {
			_, err := c.AssignCustomerEntitlement(ctx, cust.ID, drip.AssignEntitlementParams{PlanID: plan.ID})
			must(err)
		}},
		{"getCustomerEntitlement", func() { _, err := c.GetCustomerEntitlement(ctx, cust.ID); must(err) }},
		{"checkEntitlement", func() {
			_, err := c.CheckEntitlement(ctx, cust.ID, "llm_calls", 1)
			must(err)
			// Node 0.1.2's trackUsage is the visibility-only endpoint.
			_, err = c.TrackUsage(ctx, drip.UsageParams{CustomerID: cust.ID, Meter: "llm_calls", Quantity: 3, Mode: drip.UsageInternal})
			must(err)
			_, err = c.CheckEntitlement(ctx, cust.ID, "llm_calls", 1)
			must(err)
		}},
		{"checkEntitlement.unlimited", func() {
			_, err := c.CreateEntitlementRule(ctx, plan.ID, drip.EntitlementRuleParams{FeatureKey: "embeddings",
				LimitType: drip.LimitCount, Period: drip.PeriodMonthly, LimitValue: dec("0"), Unlimited: true})
			must(err)
			_, err = c.CheckEntitlement(ctx, cust.ID, "embeddings", 1000)
			must(err)
		}},
		{"deleteEntitlementRule", func() { must(c.DeleteEntitlementRule(ctx, rule.ID)) }},
		{"deleteEntitlementPlan", func() {
			spare, err := c.CreateEntitlementPlan(ctx, drip.EntitlementPlanParams{Name: "Spare", Slug: "spare"})
			must(err)
			must(c.DeleteEntitlementPlan(ctx, spare.ID))
		}},
		{"listMeters", func() { _, err := c.ListMeters(ctx); must(err) }},
		{"estimateFromUsage", func() {
			now := time.Now()
			_, err := c.EstimateFromUsage(ctx, drip.EstimateFromUsageParams{CustomerID: cust.ID,
				PeriodStart: now.Add(-time.Hour), PeriodEnd: now.Add(time.Hour)})
			must(err)
		}},
		{"estimateFromHypothetical", func() {
			p := dec("0.25")
			_, err := c.EstimateHypothetical(ctx, drip.EstimateHypotheticalParams{Items: []drip.HypotheticalUsage{
				{Meter: "tokens", Quantity: 1000000}, {Meter: "other", Quantity: 4, UnitPrice: &p}}})
			must(err)
		}},
		{"listEvents", func() {
			r, err := c.RecordRun(ctx, drip.RecordRunParams{CustomerID: cust.ID, Workflow: "conformance-events", Status: drip.RunCompleted,
				Events: []drip.Event{{Type: "tool.call", Quantity: 1}, {Type: "llm.call", Quantity: 10}}})
			must(err)
			l, err := c.ListEvents(ctx, &drip.ListEventsParams{RunID: r.RunID, Limit: 10})
			must(err)
			if len(l.Events) == 0 {
				t.Fatal("listEvents: no events")
			}
			event = l.Events[0]
		}},
		{"getEvent", func() { _, err := c.GetEvent(ctx, event.ID); must(err) }},
		{"getEventTrace", func() { _, err := c.GetEventTrace(ctx, event.ID); must(err) }},
		{"createStreamMeter", func() {
			m, err := drip.NewStreamMeter(c, drip.StreamMeterParams{CustomerID: cust.ID, Meter: "tokens"})
			must(err)
			m.Accumulate(100)
			_, err = m.Add(ctx, 200)
			must(err)
			_, err = m.Flush(ctx)
			must(err)
			_, err = m.Flush(ctx)
			must(err)
		}},
		// Node's wrapApiCall is drip-go's Meter.
		{"wrapApiCall", func() {
			_, _, err := drip.Meter(ctx, c, drip.UsageParams{CustomerID: cust.ID, Meter: "tokens"},
				func(context.Context) (int, error) { return 50, nil }, func(n int) float64 { return float64(n) })
			must(err)
		}},
		// Node's chargeAsync is drip-go's TrackUsage in UsageAsync mode.
		{"chargeAsync", func() {
			_, err := c.TrackUsage(ctx, drip.UsageParams{CustomerID: cust.ID, Meter: "tokens", Quantity: 10, Mode: drip.UsageAsync})
			must(err)
		}},
		{"charge.replay", func() {
			p := drip.UsageParams{CustomerID: cust.ID, Meter: "tokens", Quantity: 1, IdempotencyKey: "conf-charge-replay"}
			_, err := c.TrackUsage(ctx, p)
			must(err)
			_, err = c.TrackUsage(ctx, p)
			must(err)
			_, err = c.ListCharges(ctx, &drip.ListChargesParams{CustomerID: cust.ID, Limit: 100})
			must(err)
		}},
		// Both clients refuse an sk-only call with a public key before
		// sending anything. (Node 0.1.2 also refuses a pk_ entitlement
		// check; drip-go allows it, as pk_ keys do billing reads.)
		{"publicKey", func() {
			_, err := pub.ListWebhooks(ctx)
			var de *drip.Error
			if !errors.As(err, &de) || de.StatusCode != 403 || de.Code != "PUBLIC_KEY_NOT_ALLOWED" {
				t.Errorf("ListWebhooks with a pk_ key: %v, want a local 403 PUBLIC_KEY_NOT_ALLOWED", err)
			}
		}},
		{"deleteWebhook", func() { must(c.DeleteWebhook(ctx, hook.ID)) }},
	}
}
