package dripserver_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// paymentWireFields checks the shapes of internal/wire/payments.go and
// mappings.go, and the data of the webhook events account management
// sends.
func paymentWireFields(t *testing.T, w *wireCheck) {
	clk := &lockedClock{t: time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)}
	a, n := startBilling(t, clk)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(recv.Close)
	var hook struct{ ID string }
	a.ok(201, "POST", "/webhooks", map[string]any{"url": recv.URL, "events": []string{
		"withdrawal.created", "withdrawal.completed", "withdrawal.failed", "transaction.confirmed", "customer.deposit.confirmed"}}, &hook)
	n.hookID = hook.ID

	var cust wire.Customer
	a.ok(201, "POST", "/customers", wire.CreateCustomerRequest{ExternalCustomerID: "acct", OnchainAddress: "0xacc7"}, &cust)

	// Checkout.
	co := wire.CheckoutRequest{Amount: 1234, ReturnURL: "https://app.example/return", CancelURL: "https://app.example/cancel",
		CustomerID: cust.ID, ExternalCustomerID: "acct", Metadata: map[string]any{"campaign": "spring"}}
	var cs wire.CheckoutSession
	a.ok(201, "POST", "/checkout", co, &cs)
	w.served("POST /checkout reply", &cs)
	doc, err := n.store.CheckoutSession(t.Context(), cs.ID)
	if err != nil {
		t.Fatal(err)
	}
	w.stored("POST /checkout stored", &co, doc)
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).
		PostForm(cs.URL, url.Values{"action": {"pay"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("pay: %d", resp.StatusCode)
	}

	// Withdrawals: 60 units at 1 USDC earn 60.
	a.ok(201, "POST", "/pricing-plans", map[string]any{"name": "U", "unitType": "units", "unitPriceUsd": 1}, nil)
	a.ok(200, "POST", "/usage", wire.UsageRequest{CustomerID: cust.ID, UsageType: "units", Quantity: f64(60)}, nil)
	var fee wire.WithdrawalFeeEstimate
	a.ok(200, "GET", "/withdrawals/fee-estimate?amount_usdc=25", nil, &fee)
	w.served("GET /withdrawals/fee-estimate reply", &fee)
	wr := wire.WithdrawRequest{AmountUsdc: "25.500000", IdempotencyKey: "wk-1", BankDescription: "Chase ****1234"}
	var wd wire.Withdrawal
	a.ok(201, "POST", "/withdrawals", wr, &wd)
	// The key is kept for replays, which return the same withdrawal.
	w.stored("POST /withdrawals stored", &wr, &wd, "idempotency_key")
	// completed_at is set when the withdrawal completes, below.
	w.served("POST /withdrawals reply", &wd, "completed_at")
	var failing, cancel wire.Withdrawal
	a.ok(201, "POST", "/withdrawals", wire.WithdrawRequest{AmountUsdc: "10", IdempotencyKey: "wk-2", BankDescription: "[fail]"}, &failing)
	a.ok(201, "POST", "/withdrawals", wire.WithdrawRequest{AmountUsdc: "10", IdempotencyKey: "wk-3"}, &cancel)
	var cr wire.CancelWithdrawalResult
	a.ok(200, "DELETE", "/withdrawals/"+cancel.ID, nil, &cr)
	w.served("DELETE /withdrawals/{id} reply", &cr)
	clk.add(25 * time.Hour)
	var wl wire.WithdrawalList
	a.ok(200, "GET", "/withdrawals?status=COMPLETE", nil, &wl)
	w.served("GET /withdrawals reply", &wl)

	// Portal sessions.
	mins := 30
	pr := wire.CreatePortalSessionRequest{CustomerID: cust.ID, ExpiresInMinutes: &mins}
	var ps wire.PortalSession
	a.ok(201, "POST", "/portal-sessions", pr, &ps)
	// expiresInMinutes becomes expiresAt.
	w.stored("POST /portal-sessions stored", &pr, &ps, "expiresInMinutes")
	w.served("POST /portal-sessions reply", &ps)
	var rv wire.RevokePortalSessionResult
	a.ok(200, "DELETE", "/portal-sessions/"+ps.ID, nil, &rv)
	w.served("DELETE /portal-sessions/{id} reply", &rv)

	// Payload mappings.
	yes := true
	mr := wire.CreatePayloadMappingRequest{Name: "OpenAI", SourceName: "openai", TargetUnitType: "tokens",
		TargetQuantityPath: "$.usage.total", TargetCustomerIDPath: "$.user", TargetIdempotencyPath: "$.id",
		TargetMetadataMap: map[string]string{"model": "$.model"}, TargetActionName: "chat",
		SampleInput: map[string]any{"sample": "yes"}, IsActive: &yes}
	var pm wire.PayloadMapping
	a.ok(201, "POST", "/payload-mappings", mr, &pm)
	w.stored("POST /payload-mappings stored", &mr, &pm)
	w.served("POST /payload-mappings reply", &pm)
	str := func(s string) *string { return &s }
	um := wire.UpdatePayloadMappingRequest{Name: str("OpenAI 2"), SourceName: str("openai2"), TargetUnitType: str("tokens2"),
		TargetQuantityPath: str("$.usage.total_tokens"), TargetCustomerIDPath: str("$.user.id"), TargetIdempotencyPath: str("$['id']"),
		TargetMetadataMap: &map[string]string{"m": "$.model"}, TargetActionName: str("chat2"),
		SampleInput: &map[string]any{"sample": "two"}, IsActive: &yes}
	a.ok(200, "PATCH", "/payload-mappings/"+pm.ID, um, &pm)
	w.stored("PATCH /payload-mappings stored", &um, &pm)
	w.served("PATCH /payload-mappings reply", &pm)
	var pl wire.PayloadMappingList
	a.ok(200, "GET", "/payload-mappings", nil, &pl)
	w.served("GET /payload-mappings reply", &pl)
	var vl wire.PayloadMappingVersionList
	a.ok(200, "GET", "/payload-mappings/"+pm.ID+"/versions", nil, &vl)
	w.served("GET /payload-mappings/{id}/versions reply", &vl)
	payload := `{"id":"req-1","user":{"id":"acct"},"model":"m1","usage":{"total_tokens":12}}`
	dr := wire.DryRunRequest{Payload: json.RawMessage(payload)}
	var dres wire.DryRunResult
	a.ok(200, "POST", "/payload-mappings/"+pm.ID+"/dry-run", dr, &dres)
	// The payload is mapped, not echoed: its values show in the event.
	w.stored("POST /payload-mappings/{id}/dry-run read", &dr, &dres, "payload")
	w.served("POST /payload-mappings/{id}/dry-run reply", &dres)
	var ing wire.IngestResult
	a.ok(202, "POST", "/ingest/openai2", payload, &ing)
	// replayed is set only for a replay.
	w.served("POST /ingest/{sourceName} reply", &ing, "replayed")
	st, raw := a.do("POST", "/ingest/openai2", `{"user":{"id":"acct"}}`, nil)
	var mf wire.MappingFailed
	if err := json.Unmarshal(raw, &mf); err != nil || st != 400 || mf.Code != "MAPPING_FAILED" {
		t.Fatalf("mapping failure: %d %s", st, raw)
	}
	w.served("400 MAPPING_FAILED reply", &mf)

	webhookData(t, w, n, map[string]any{
		"customer.deposit.confirmed": &wire.WebhookDeposit{},
		"transaction.confirmed":      &wire.WebhookDeposit{},
		"withdrawal.created":         &wire.Withdrawal{},
		"withdrawal.completed":       &wire.Withdrawal{},
		"withdrawal.failed":          &wire.Withdrawal{},
	}, map[string][]string{
		"withdrawal.created": {"completed_at"},
		"withdrawal.failed":  {"completed_at"},
	})
}
