package main

import (
	"context"
	"testing"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/driptest"
)

func TestChargesAndBalance(t *testing.T) {
	ctx := context.Background()
	srv := driptest.NewServer(t)
	e := envFor(srv)
	c := sdk(t, srv)
	if _, err := c.CreatePricingPlan(ctx, drip.PricingPlanParams{Name: "Tokens", UnitType: "llm_tokens", UnitPrice: drip.MustDecimal("0.000003")}); err != nil {
		t.Fatal(err)
	}
	// A customer with an on-chain address can be billed.
	cu, err := c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "payer", OnchainAddress: "0x" + repeat("ab", 20)})
	if err != nil {
		t.Fatal(err)
	}

	var tracked usageJSON
	decodeJSON(t, ok(t, e, "usage", "track", "--customer", cu.ID, "--meter", "llm_tokens", "--quantity", "1234", "--json"), &tracked)
	if tracked.Charge == nil || tracked.Charge.AmountUSDC.String() != "0.003702" || tracked.Charge.Status != drip.ChargeConfirmed {
		t.Fatalf("usage track --json charge = %+v", tracked.Charge)
	}
	// A second charge: 0.5 tokens round half away from zero to 0.000002.
	if _, err := c.TrackUsage(ctx, drip.UsageParams{CustomerID: cu.ID, Meter: "llm_tokens", Quantity: 0.5}); err != nil {
		t.Fatal(err)
	}

	var page list[chargeJSON]
	decodeJSON(t, ok(t, e, "charges", "list", "--customer", cu.ID, "--json"), &page)
	want, err := c.ListCharges(ctx, &drip.ListChargesParams{CustomerID: cu.ID})
	if err != nil {
		t.Fatal(err)
	}
	if page.Count != 2 || len(page.Data) != len(want.Charges) {
		t.Fatalf("charges list --json = %+v, SDK lists %d", page, len(want.Charges))
	}
	for i, w := range want.Charges {
		g := page.Data[i]
		if g.ID != w.ID || g.AmountUSDC.String() != w.AmountUSDC.String() || g.AmountToken.String() != w.AmountToken.String() ||
			g.Status != w.Status || g.TxHash != w.TxHash || g.UsageEvent == nil || g.UsageEvent.Type != "llm_tokens" ||
			g.UsageEvent.Quantity != w.Usage.Quantity || g.Customer == nil || g.Customer.ExternalCustomerID != "payer" {
			t.Errorf("charge %d: got %+v, want %+v", i, g, w)
		}
	}
	if page.Data[1].ID != tracked.Charge.ID {
		t.Errorf("oldest charge %s, want the CLI's %s", page.Data[1].ID, tracked.Charge.ID)
	}
	decodeJSON(t, ok(t, e, "charges", "list", "--status", "FAILED", "--json"), &page)
	if page.Count != 0 {
		t.Errorf("--status FAILED listed %+v", page)
	}

	wantLines(t, "charges list", ok(t, e, "charges", "list").stdout,
		"ID CUSTOMER METER QUANTITY AMOUNT (USDC) STATUS CREATED",
		tracked.Charge.ID+" "+cu.ID+" llm_tokens 1234 0.003702 CONFIRMED",
		"total 0.003704")

	// Money is exact: 100 - 0.003702 - 0.000002.
	var bal balanceJSON
	decodeJSON(t, ok(t, e, "balance", cu.ID, "--json"), &bal)
	spent := drip.MustDecimal(dripserver.DefaultStartingBalance).Sub(bal.Balance)
	if bal.CustomerID != cu.ID || spent.String() != "0.003704" || bal.Available.String() != "99.996296" ||
		!bal.PendingCharges.IsZero() || bal.LastSyncedAt != nil {
		t.Errorf("balance --json = %+v (spent %s)", bal, spent)
	}
	wantLines(t, "balance", ok(t, e, "balance", cu.ID).stdout,
		"balance 99.996296 USDC", "pending charges 0 USDC", "available 99.996296 USDC", "last synced -")
}
