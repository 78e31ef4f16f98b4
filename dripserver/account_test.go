package dripserver_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// TestAccountWebhookEvents checks the events checkout and withdrawals
// send: one deposit per paid session with the credited amount and the new
// balance, and each withdrawal event once, when the clock gets there.
func TestAccountWebhookEvents(t *testing.T) {
	clk := &lockedClock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	a, n := startBilling(t, clk)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(recv.Close)
	var hook struct{ ID string }
	a.ok(201, "POST", "/webhooks", map[string]any{"url": recv.URL, "events": []string{
		"withdrawal.created", "withdrawal.completed", "withdrawal.failed", "transaction.confirmed", "customer.deposit.confirmed"}}, &hook)
	n.hookID = hook.ID
	var cust wire.Customer
	a.ok(201, "POST", "/customers", wire.CreateCustomerRequest{ExternalCustomerID: "ev", OnchainAddress: "0xe7"}, &cust)

	var cs wire.CheckoutSession
	a.ok(201, "POST", "/checkout", wire.CheckoutRequest{Amount: 1234, ReturnURL: "https://app.example/r", CustomerID: cust.ID}, &cs)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for range 2 { // the second pay changes nothing
		resp, err := noFollow.PostForm(cs.URL, url.Values{"action": {"pay"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("pay: %d", resp.StatusCode)
		}
	}
	deps := n.of("customer.deposit.confirmed")
	txs := n.of("transaction.confirmed")
	if len(deps) != 1 || len(txs) != 1 {
		t.Fatalf("deposits %v, transactions %v", deps, txs)
	}
	d := deps[0].data
	if d["amountUsdc"] != "12.340000" || d["balanceUsdc"] != "112.340000" || d["customerId"] != cust.ID ||
		d["checkoutSessionId"] != cs.ID || d["type"] != "DEPOSIT" {
		t.Fatalf("deposit data %v", d)
	}

	a.ok(201, "POST", "/pricing-plans", map[string]any{"name": "U", "unitType": "units", "unitPriceUsd": 1}, nil)
	a.ok(200, "POST", "/usage", wire.UsageRequest{CustomerID: cust.ID, UsageType: "units", Quantity: f64(50)}, nil)
	var ok, bad wire.Withdrawal
	a.ok(201, "POST", "/withdrawals", wire.WithdrawRequest{AmountUsdc: "20", IdempotencyKey: "a"}, &ok)
	a.ok(200, "POST", "/withdrawals", wire.WithdrawRequest{AmountUsdc: "20", IdempotencyKey: "a"}, nil) // replay: no event
	a.ok(201, "POST", "/withdrawals", wire.WithdrawRequest{AmountUsdc: "20", IdempotencyKey: "b", BankDescription: "x [FAIL]"}, &bad)
	a.fail(400, "INSUFFICIENT_BALANCE", "POST", "/withdrawals", wire.WithdrawRequest{AmountUsdc: "10.000001", IdempotencyKey: "c"})
	if c := n.of("withdrawal.created"); len(c) != 2 {
		t.Fatalf("created events: %v", c)
	}
	clk.add(23 * time.Hour)
	a.ok(200, "GET", "/withdrawals", nil, nil)
	if c := n.of("withdrawal.completed", "withdrawal.failed"); len(c) != 0 {
		t.Fatalf("finished early: %v", c)
	}
	clk.add(time.Hour)
	a.ok(200, "GET", "/withdrawals", nil, nil)
	a.ok(200, "GET", "/withdrawals", nil, nil)
	done, failed := n.of("withdrawal.completed"), n.of("withdrawal.failed")
	if len(done) != 1 || done[0].data["id"] != ok.ID || done[0].data["status"] != "COMPLETE" ||
		len(failed) != 1 || failed[0].data["id"] != bad.ID {
		t.Fatalf("completed %v, failed %v", done, failed)
	}
	// The failed withdrawal's 20 is back: 50 earned, 20 out.
	a.ok(201, "POST", "/withdrawals", wire.WithdrawRequest{AmountUsdc: "30", IdempotencyKey: "d"}, nil)
	a.fail(409, "WITHDRAWAL_NOT_CANCELLABLE", "DELETE", "/withdrawals/"+ok.ID, nil)
	a.fail(404, "NOT_FOUND", "DELETE", "/withdrawals/wd_nope", nil)
	a.fail(422, "VALIDATION_ERROR", "POST", "/withdrawals", wire.WithdrawRequest{AmountUsdc: "20"})
	a.fail(422, "VALIDATION_ERROR", "GET", "/withdrawals?status=DONE", nil)
}
