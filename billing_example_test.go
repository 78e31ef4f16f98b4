package drip_test

import (
	"context"
	"fmt"
	"log"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
)

// Price a meter, bill usage against it and read the balance and charges
// back. Amounts are exact decimals: 1234 tokens at 0.000003 USD cost
// exactly 0.003702 USDC.
func ExampleClient_GetBalance() {
	ctx := context.Background()
	local, err := driptest.StartLocal(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer local.Close()
	client := local.Client

	// Pricing-plan writes need a secret (sk_) key.
	if _, err := client.CreatePricingPlan(ctx, drip.PricingPlanParams{
		Name: "LLM tokens", UnitType: "llm_tokens", UnitPrice: drip.MustDecimal("0.000003"),
	}); err != nil {
		log.Fatal(err)
	}
	// A customer with an on-chain address can be billed (local dripd gives
	// it 100 USDC to start with).
	cust, err := client.CreateCustomer(ctx, drip.CustomerParams{
		ExternalCustomerID: "user_42", OnchainAddress: "0x00000000000000000000000000000000000000aa",
	})
	if err != nil {
		log.Fatal(err)
	}
	res, err := client.TrackUsage(ctx, drip.UsageParams{CustomerID: cust.ID, Meter: "llm_tokens", Quantity: 1234})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("charged", res.Charge.AmountUSDC, "USDC:", res.Charge.Status)

	bal, err := client.GetBalance(ctx, cust.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("balance", bal.Balance.StringFixed(6), "available", bal.Available.StringFixed(6))

	for ch, err := range client.Charges(ctx, &drip.ListChargesParams{CustomerID: cust.ID}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ch.Usage.Meter, ch.Usage.Quantity, "→", ch.AmountUSDC.StringFixed(6))
	}
	// Output:
	// charged 0.003702 USDC: CONFIRMED
	// balance 99.996298 available 99.996298
	// llm_tokens 1234 → 0.003702
}
