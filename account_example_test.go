package drip_test

import (
	"context"
	"fmt"
	"log"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
)

// Put a customer on a monthly plan of 20 USDC that includes 1,000 API
// calls a month; calls beyond them are billed at the meter's price.
func ExampleClient_CreateSubscription() {
	ctx := context.Background()
	local, err := driptest.StartLocal(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer local.Close()
	client := local.Client

	if _, err := client.CreatePricingPlan(ctx, drip.PricingPlanParams{
		Name: "API calls", UnitType: "api_calls", UnitPrice: drip.MustDecimal("0.002"),
	}); err != nil {
		log.Fatal(err)
	}
	cust, err := client.CreateCustomer(ctx, drip.CustomerParams{
		ExternalCustomerID: "acme", OnchainAddress: "0x00000000000000000000000000000000000000ac",
	})
	if err != nil {
		log.Fatal(err)
	}
	included := 1000.0
	sub, err := client.CreateSubscription(ctx, drip.SubscriptionParams{
		CustomerID: cust.ID, Name: "Pro", Interval: drip.IntervalMonthly, Price: drip.MustDecimal("20"),
		IncludedUsage: &included, OverageUnitType: "api_calls",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sub.Name, sub.Status, sub.Price.StringFixed(2), "USDC per month")

	for _, calls := range []float64{900, 150} {
		res, err := client.TrackUsage(ctx, drip.UsageParams{CustomerID: cust.ID, Meter: "api_calls", Quantity: calls})
		if err != nil {
			log.Fatal(err)
		}
		if res.Charge == nil {
			fmt.Println(calls, "calls: included")
		} else {
			fmt.Println(calls, "calls: overage", res.Charge.AmountUSDC.StringFixed(6), "USDC")
		}
	}
	// Output:
	// Pro ACTIVE 20.00 USDC per month
	// 900 calls: included
	// 150 calls: overage 0.100000 USDC
}
