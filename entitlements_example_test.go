package drip_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
)

// Gate a feature on the customer's entitlement: a free plan allows 3
// reports a day, and usage recorded under the "reports" meter counts
// against it. A denied check is a result, not an error; Err turns it into
// one that matches drip.ErrEntitlementDenied.
func ExampleClient_CheckEntitlement() {
	ctx := context.Background()
	local, err := driptest.StartLocal(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer local.Close()
	client := local.Client

	// Set-up, with a secret key: a default plan and its rule.
	plan, err := client.CreateEntitlementPlan(ctx, drip.EntitlementPlanParams{Name: "Free", Slug: "free", IsDefault: true})
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.CreateEntitlementRule(ctx, plan.ID, drip.EntitlementRuleParams{
		FeatureKey: "reports", LimitType: drip.LimitCount, Period: drip.PeriodDaily, LimitValue: drip.MustDecimal("3"),
	})
	if err != nil {
		log.Fatal(err)
	}
	cust, err := client.GetOrCreateCustomer(ctx, "user_42", nil)
	if err != nil {
		log.Fatal(err)
	}

	for range 4 {
		check, err := client.CheckEntitlement(ctx, cust.ID, "reports", 1)
		if err != nil {
			log.Fatal(err) // Drip could not answer
		}
		if err := check.Err(); errors.Is(err, drip.ErrEntitlementDenied) {
			fmt.Println("denied:", check.Reason)
			break
		}
		fmt.Println("allowed, remaining", check.Remaining, "of", check.Limit, check.Period)
		// ... build the report, then record it:
		if _, err := client.TrackUsage(ctx, drip.UsageParams{CustomerID: cust.ID, Meter: "reports", Quantity: 1}); err != nil {
			log.Fatal(err)
		}
	}
	// Output:
	// allowed, remaining 3 of 3 DAILY
	// allowed, remaining 2 of 3 DAILY
	// allowed, remaining 1 of 3 DAILY
	// denied: daily limit of 3 for feature "reports" exceeded: 3 used, 1 requested
}
