package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
)

// TestNodeAccountPayments runs the official Node client's checkout,
// withdrawal and portal-session methods against dripd
// (account_payments.mjs asserts on every reply), pins what Node sent, and
// compares drip-go's requests for the same calls with Node's.
func TestNodeAccountPayments(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := EnsureClient(ctx, NodeDir); err != nil {
		if errors.Is(err, ErrNoNode) && os.Getenv("CI") != "true" {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	rec, origin := startDripd(t)
	out, err := RunScript(ctx, NodeDir, "account_payments.mjs",
		"DRIP_BASE_URL="+origin+"/v1", "DRIP_API_KEY="+goodKey, "DRIP_PUBLIC_KEY="+publicKey, "DRIP_API_URL=")
	t.Logf("node output:\n%s", out)
	if err != nil {
		t.Fatal(err)
	}
	writeCapture(t, rec, "-account-payments")
	checkCalls(t, rec, []captureCheck{
		{"checkout", []string{"POST /v1/checkout 201"}, map[string]any{"customer_id": "cust_*", "amount": json.Number("2500"),
			"return_url": "https://app.example/return", "cancel_url": "https://app.example/cancel", "metadata.campaign": "conformance"}},
		{"checkout.publicKey", []string{"POST /v1/checkout 201"}, map[string]any{"external_customer_id": "conf-acct-new",
			"amount": json.Number("500")}},
		{"checkout.invalid", []string{"POST /v1/checkout 422"}, nil},
		{"estimateWithdrawalFee", []string{"GET /v1/withdrawals/fee-estimate 200"}, nil},
		{"withdraw", []string{"POST /v1/withdrawals 201"}, map[string]any{"amount_usdc": "25.5", "idempotency_key": "conf-wd-1",
			"bank_description": "Chase ****1234"}},
		{"withdraw.replay", []string{"POST /v1/withdrawals 200"}, map[string]any{"idempotency_key": "conf-wd-1"}},
		{"withdraw.insufficient", []string{"POST /v1/withdrawals 400"}, map[string]any{"amount_usdc": "40"}},
		{"listWithdrawals", []string{"GET /v1/withdrawals 200"}, nil},
		{"cancelWithdrawal", []string{"DELETE /v1/withdrawals/* 200"}, nil},
		{"createPortalSession", []string{"POST /v1/portal-sessions 201"}, map[string]any{"customerId": "conf-acct-1",
			"expiresInMinutes": json.Number("30")}},
		{"revokePortalSession", []string{"DELETE /v1/portal-sessions/* 200"}, nil},
		{"publicKey", nil, nil}, // refused by Node before sending
	})
	for label, want := range map[string]url.Values{
		"estimateWithdrawalFee": {"amount_usdc": {"25.5"}},
		"listWithdrawals":       {"status": {"PENDING"}, "limit": {"10"}},
	} {
		calls := rec.Labeled(label)
		if q, _ := url.ParseQuery(calls[len(calls)-1].Query); q.Encode() != want.Encode() {
			t.Errorf("%s: query %v, want %v", label, q, want)
		}
	}
	if c := rec.Labeled("publicKey.server"); len(c) != 1 || c[0].Path != "/v1/withdrawals" || c[0].Status != 403 {
		t.Errorf("publicKey.server: %s", describe(c))
	}
	t.Run("golden", func(t *testing.T) { compareGoClient(t, rec, goAccountPaymentsSteps) })
}

// goAccountPaymentsSteps makes, step by step, the calls
// account_payments.mjs makes with the Node client, through drip-go's
// client.
func goAccountPaymentsSteps(t *testing.T, env goEnv) []goStep {
	ctx := context.Background()
	c, pub := env.client(t, goodKey), env.client(t, publicKey)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	dec := drip.MustDecimal
	var (
		cust *drip.Customer
		wd   *drip.Withdrawal
		ps   *drip.PortalSession
	)
	return []goStep{
		{"setup", func() {
			var err error
			cust, err = c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "conf-acct-1",
				OnchainAddress: "0x00000000000000000000000000000000c0ffee02"})
			must(err)
			_, err = c.CreatePricingPlan(ctx, drip.PricingPlanParams{Name: "Units", UnitType: "units", UnitPrice: dec("1")})
			must(err)
			_, err = c.TrackUsage(ctx, drip.UsageParams{CustomerID: cust.ID, Meter: "units", Quantity: 60, IdempotencyKey: "conf-acct-earn"})
			must(err)
		}},
		{"checkout", func() {
			_, err := c.Checkout(ctx, drip.CheckoutParams{CustomerID: cust.ID, Amount: dec("25"), ReturnURL: "https://app.example/return",
				CancelURL: "https://app.example/cancel", Metadata: map[string]any{"campaign": "conformance"}})
			must(err)
		}},
		{"checkout.publicKey", func() {
			_, err := pub.Checkout(ctx, drip.CheckoutParams{ExternalCustomerID: "conf-acct-new", Amount: dec("5"),
				ReturnURL: "https://app.example/return"})
			must(err)
		}},
		// drip-go refuses 100 cents before sending; the raw request shows
		// dripd refusing it as Node saw.
		{"checkout.invalid", func() {
			if _, err := c.Checkout(ctx, drip.CheckoutParams{Amount: dec("1"), ReturnURL: "https://app.example/return"}); !errors.Is(err, drip.ErrValidation) {
				t.Fatalf("checkout of $1: %v", err)
			}
			rawPost(t, env, "/checkout", `{"amount":100,"return_url":"https://app.example/return"}`)
		}},
		{"estimateWithdrawalFee", func() { _, err := c.EstimateWithdrawalFee(ctx, dec("25.5")); must(err) }},
		{"withdraw", func() {
			var err error
			wd, err = c.Withdraw(ctx, drip.WithdrawParams{Amount: dec("25.5"), IdempotencyKey: "conf-wd-1", BankDescription: "Chase ****1234"})
			must(err)
		}},
		{"withdraw.replay", func() {
			w, err := c.Withdraw(ctx, drip.WithdrawParams{Amount: dec("25.5"), IdempotencyKey: "conf-wd-1", BankDescription: "Chase ****1234"})
			must(err)
			if w.ID != wd.ID {
				t.Fatalf("replay made %s, want %s", w.ID, wd.ID)
			}
		}},
		{"withdraw.insufficient", func() {
			if _, err := c.Withdraw(ctx, drip.WithdrawParams{Amount: dec("40"), IdempotencyKey: "conf-wd-2"}); !errors.Is(err, drip.ErrPaymentRequired) {
				t.Fatalf("withdraw 40: %v", err)
			}
		}},
		{"listWithdrawals", func() {
			_, err := c.ListWithdrawals(ctx, &drip.ListWithdrawalsParams{Status: drip.WithdrawalPending, Limit: 10})
			must(err)
		}},
		{"cancelWithdrawal", func() { _, err := c.CancelWithdrawal(ctx, wd.ID); must(err) }},
		{"createPortalSession", func() {
			var err error
			ps, err = c.CreatePortalSession(ctx, drip.PortalSessionParams{CustomerID: "conf-acct-1", ExpiresIn: 30 * time.Minute})
			must(err)
		}},
		{"revokePortalSession", func() { must(c.RevokePortalSession(ctx, ps.ID)) }},
		{"publicKey", func() {
			if _, err := pub.CreatePortalSession(ctx, drip.PortalSessionParams{CustomerID: cust.ID}); !errors.Is(err, drip.ErrPublicKeyNotAllowed) {
				t.Fatalf("pk_ portal session: %v", err)
			}
			if _, err := pub.ListWithdrawals(ctx, nil); !errors.Is(err, drip.ErrPublicKeyNotAllowed) {
				t.Fatalf("pk_ withdrawals: %v", err)
			}
		}},
	}
}

// rawPost sends body to dripd with the secret key, outside any client.
func rawPost(t *testing.T, env goEnv, path, body string) {
	t.Helper()
	req, err := http.NewRequest("POST", env.baseURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+goodKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}
