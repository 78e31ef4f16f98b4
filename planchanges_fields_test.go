package drip_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
)

// Plan changes are not in @drip-sdk/node 0.1.2, so no golden test covers
// them: their bodies are checked here against the field names the newer
// official clients send.
func TestPlanChangeRequestFieldNames(t *testing.T) {
	var bodies []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		bodies = append(bodies, m)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"pc_1","changeType":"PRICING","status":"APPLIED"}`)
	}))
	defer srv.Close()
	c := newClient(t, srv.URL+"/v1", drip.WithoutRetries())
	ctx := ctxT(t)
	yes := true
	if _, err := c.ChangeCustomerPricing(ctx, "cu", drip.PricingChangeParams{SourcePricingPlanIDs: []string{"plan_1"},
		PriceOverrides: []drip.PriceOverride{{UnitType: "tok", UnitPrice: dec("0.1")}}, ReplaceAll: true, DiscountPct: ptr(dec("5")),
		Minimum: ptr(dec("1")), Maximum: ptr(dec("2")), IncludedUnits: map[string]int64{"tok": 3}, Prorate: true,
		ProrationAmount: ptr(dec("-1.5")), EffectiveDate: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), Reason: "r", PerformedBy: "p"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ChangeCustomerEntitlementPlan(ctx, "cu", drip.EntitlementChangeParams{PlanID: "plan_1",
		Overrides: map[string]drip.EntitlementLimits{"f": {DailyLimit: ptr(dec("1")), MonthlyLimit: ptr(dec("2")), Unlimited: &yes}},
		Reason:    "r", PerformedBy: "p"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RollbackPlanChange(ctx, "cu", "pc_1", "p"); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	for i, want := range [][]string{
		{"discountPct", "effectiveDate", "includedUnits", "maximumUsdc", "minimumUsdc", "performedBy", "priceOverrides",
			"prorate", "prorationAmountOverride", "reason", "replaceAll", "sourcePricingPlanIds"},
		{"overrides", "performedBy", "planId", "reason"},
		{"performedBy"},
	} {
		if got := keys(bodies[i]); !slices.Equal(got, want) {
			t.Errorf("request %d fields %v, want %v", i, got, want)
		}
	}
	p := bodies[0]
	if po := p["priceOverrides"].([]any)[0].(map[string]any); !slices.Equal(keys(po), []string{"unitPriceUsd", "unitType"}) || po["unitPriceUsd"] != "0.1" {
		t.Errorf("priceOverrides[0] = %v", po)
	}
	// discountPct and the proration override are strings here (a signed
	// one), unlike a contract's numeric discountPct.
	if p["discountPct"] != "5" || p["prorationAmountOverride"] != "-1.5" || p["minimumUsdc"] != "1" {
		t.Errorf("amounts %v %v %v", p["discountPct"], p["prorationAmountOverride"], p["minimumUsdc"])
	}
	o := bodies[1]["overrides"].(map[string]any)["f"].(map[string]any)
	if !slices.Equal(keys(o), []string{"dailyLimit", "monthlyLimit", "unlimited"}) {
		t.Errorf("entitlement override %v", o)
	}
}
