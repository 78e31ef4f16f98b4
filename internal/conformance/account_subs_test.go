package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
)

// TestNodeSubscriptionsContracts runs the official Node client's
// subscription and contract methods against dripd (account_subs.mjs
// asserts on every reply), checks what Node sent, and compares drip-go's
// requests for the same calls with Node's.
func TestNodeSubscriptionsContracts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := EnsureClient(ctx, NodeDir); err != nil {
		if errors.Is(err, ErrNoNode) && os.Getenv("CI") != "true" {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	rec, origin := startDripd(t)
	out, err := RunScript(ctx, NodeDir, "account_subs.mjs",
		"DRIP_BASE_URL="+origin+"/v1", "DRIP_API_KEY="+goodKey, "DRIP_PUBLIC_KEY="+publicKey, "DRIP_API_URL=")
	t.Logf("node output:\n%s", out)
	if err != nil {
		t.Fatal(err)
	}
	writeCapture(t, rec, "-account-subs")
	checkCalls(t, rec, []captureCheck{
		{"setup", []string{"POST /v1/customers 201"}, nil},
		{"createSubscription", []string{"POST /v1/subscriptions 201"},
			map[string]any{"customerId": "cust_*", "name": "Pro", "interval": "MONTHLY", "priceUsdc": json.Number("9.99"),
				"includedUsage": json.Number("1000"), "overageUnitType": "tokens", "metadata.tier": "pro"}},
		{"createSubscription.trial", []string{"POST /v1/subscriptions 201"}, map[string]any{"trialDays": json.Number("14")}},
		{"getSubscription", []string{"GET /v1/subscriptions/* 200"}, nil},
		{"listSubscriptions", []string{"GET /v1/subscriptions 200"}, nil},
		{"updateSubscription", []string{"PATCH /v1/subscriptions/* 200"},
			map[string]any{"name": "Pro+", "priceUsdc": json.Number("19.99"), "includedUsage": json.Number("2000")}},
		{"pauseSubscription", []string{"POST /v1/subscriptions/*/pause 200"}, map[string]any{"resumeDate": "2099-01-01T00:00:00.000Z"}},
		{"resumeSubscription", []string{"POST /v1/subscriptions/*/resume 200", "POST /v1/subscriptions/*/resume 409"}, nil},
		{"cancelSubscription", []string{"POST /v1/subscriptions/*/cancel 200"}, nil},
		{"cancelSubscription.immediate", []string{"POST /v1/subscriptions/*/cancel 200"}, map[string]any{"immediate": true}},
		{"createContract", []string{"POST /v1/contracts 201"},
			map[string]any{"startDate": "2025-01-01T00:00:00.000Z", "minimumUsdc": "50", "discountPct": json.Number("10"),
				"includedUnits.tokens": json.Number("1000"), "prepaidRollover": true}},
		{"getContract", []string{"GET /v1/contracts/* 200"}, nil},
		{"listContracts", []string{"GET /v1/contracts 200"}, nil},
		{"updateContract", []string{"PATCH /v1/contracts/* 200"}, map[string]any{"discountPct": json.Number("15")}},
		{"addContractOverride", []string{"POST /v1/contracts/*/overrides 201", "GET /v1/contracts/* 200"},
			map[string]any{"unitType": "tokens", "unitPriceUsd": "0.0005"}},
		{"removeContractOverride", []string{"DELETE /v1/contracts/*/overrides/tokens 200"}, nil},
		{"deleteContract", []string{"DELETE /v1/contracts/* 200", "GET /v1/contracts/* 200"}, nil},
		{"publicKey", nil, nil},
	})
	if c := rec.Labeled("publicKey.server"); len(c) != 1 || c[0].Status != 403 {
		t.Errorf("publicKey.server: %s", describe(c))
	}
	t.Run("golden", func(t *testing.T) { compareGoClient(t, rec, goSubscriptionSteps) })
}

// goSubscriptionSteps makes account_subs.mjs's calls with drip-go.
func goSubscriptionSteps(t *testing.T, env goEnv) []goStep {
	ctx := context.Background()
	c := env.client(t, goodKey)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	dec := drip.MustDecimal
	d := func(s string) *drip.Decimal { v := dec(s); return &v }
	var (
		cust       *drip.Customer
		sub, trial *drip.Subscription
		ct         *drip.Contract
	)
	return []goStep{
		{"setup", func() {
			var err error
			cust, err = c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "conf-subs-1",
				OnchainAddress: "0x00000000000000000000000000000000c0ffee51"})
			must(err)
		}},
		{"createSubscription", func() {
			included := 1000.0
			var err error
			sub, err = c.CreateSubscription(ctx, drip.SubscriptionParams{CustomerID: cust.ID, Name: "Pro", Description: "conformance",
				Interval: drip.IntervalMonthly, Price: dec("9.99"), Metadata: map[string]any{"tier": "pro"},
				IncludedUsage: &included, OverageUnitType: "tokens"})
			must(err)
		}},
		{"createSubscription.trial", func() {
			var err error
			trial, err = c.CreateSubscription(ctx, drip.SubscriptionParams{CustomerID: cust.ID, Name: "Trial",
				Interval: drip.IntervalWeekly, Price: dec("1"), TrialDays: 14})
			must(err)
		}},
		{"getSubscription", func() { _, err := c.GetSubscription(ctx, sub.ID); must(err) }},
		{"listSubscriptions", func() {
			_, err := c.ListSubscriptions(ctx, &drip.ListSubscriptionsParams{CustomerID: cust.ID, Status: drip.SubscriptionActive, Limit: 10})
			must(err)
		}},
		{"updateSubscription", func() {
			name, included := "Pro+", 2000.0
			_, err := c.UpdateSubscription(ctx, sub.ID, drip.UpdateSubscriptionParams{Name: &name, Price: d("19.99"), IncludedUsage: &included})
			must(err)
		}},
		{"pauseSubscription", func() {
			_, err := c.PauseSubscription(ctx, sub.ID, drip.PauseSubscriptionParams{ResumeAt: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)})
			must(err)
		}},
		{"resumeSubscription", func() {
			_, err := c.ResumeSubscription(ctx, sub.ID)
			must(err)
			if _, err := c.ResumeSubscription(ctx, sub.ID); !errors.Is(err, drip.ErrInvalidState) {
				t.Fatalf("second resume: %v", err)
			}
		}},
		{"cancelSubscription", func() {
			_, err := c.CancelSubscription(ctx, sub.ID, drip.CancelSubscriptionParams{})
			must(err)
		}},
		{"cancelSubscription.immediate", func() {
			_, err := c.CancelSubscription(ctx, trial.ID, drip.CancelSubscriptionParams{Immediate: true})
			must(err)
		}},
		{"createContract", func() {
			var err error
			ct, err = c.CreateContract(ctx, drip.ContractParams{CustomerID: cust.ID, Name: "Enterprise",
				StartDate: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), EndDate: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
				Minimum: d("50"), Maximum: d("500"), DiscountPct: d("10"), PrepaidAmount: d("25"), PrepaidRollover: true,
				IncludedUnits: map[string]int64{"tokens": 1000}, Metadata: map[string]any{"deal": "q1"}})
			must(err)
		}},
		{"getContract", func() { _, err := c.GetContract(ctx, ct.ID); must(err) }},
		{"listContracts", func() {
			_, err := c.ListContracts(ctx, &drip.ListContractsParams{CustomerID: cust.ID, Status: drip.ContractActive})
			must(err)
		}},
		{"updateContract", func() {
			name := "Enterprise 2"
			_, err := c.UpdateContract(ctx, ct.ID, drip.UpdateContractParams{Name: &name, DiscountPct: d("15"),
				IncludedUnits: map[string]int64{"tokens": 2000}})
			must(err)
		}},
		{"addContractOverride", func() {
			_, err := c.AddContractOverride(ctx, ct.ID, "tokens", dec("0.0005"))
			must(err)
			_, err = c.GetContract(ctx, ct.ID)
			must(err)
		}},
		{"removeContractOverride", func() { must(c.RemoveContractOverride(ctx, ct.ID, "tokens")) }},
		{"deleteContract", func() {
			must(c.DeleteContract(ctx, ct.ID))
			_, err := c.GetContract(ctx, ct.ID)
			must(err)
		}},
		{"publicKey", func() {
			pub := env.client(t, publicKey)
			// drip-go, unlike Node 0.1.2, lets pk_ read subscriptions (as
			// the Python client does); contracts are refused by both.
			if _, err := pub.ListContracts(ctx, nil); !errors.Is(err, drip.ErrPublicKeyNotAllowed) {
				t.Fatalf("pk_ ListContracts: %v", err)
			}
		}},
	}
}
