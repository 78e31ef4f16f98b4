package drip

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
	"github.com/drip-sdk/drip-go/internal/wiretest"
)

// TestPaymentWireMappings is TestWireMappingsHandleEveryField for the
// checkout, withdrawal, portal-session and payload-mapping calls
// (internal/wire/payments.go and mappings.go).
func TestPaymentWireMappings(t *testing.T) {
	runWireCases(t, paymentWireCases())
}

func paymentWireCases() []wireCase {
	return []wireCase{
		{name: "Checkout", method: "POST", path: "/v1/checkout", request: &wire.CheckoutRequest{}, reply: &wire.CheckoutSession{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Checkout(ctx, CheckoutParams{Amount: MustDecimal("12.34"), ReturnURL: "https://app.example/return",
					CancelURL: "https://app.example/cancel", CustomerID: "cu", ExternalCustomerID: "ext",
					Metadata: map[string]any{"k": "v"}})
			}},
		{name: "Withdraw", method: "POST", path: "/v1/withdrawals", request: &wire.WithdrawRequest{}, reply: &wire.Withdrawal{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Withdraw(ctx, WithdrawParams{Amount: MustDecimal("25.5"), IdempotencyKey: "k1", BankDescription: "Chase ****1234"})
			}},
		{name: "ListWithdrawals", method: "GET", path: "/v1/withdrawals", reply: &wire.WithdrawalList{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.ListWithdrawals(ctx, &ListWithdrawalsParams{Status: WithdrawalComplete, Limit: 5, Offset: 1})
			}},
		{name: "EstimateWithdrawalFee", method: "GET", path: "/v1/withdrawals/fee-estimate", reply: &wire.WithdrawalFeeEstimate{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.EstimateWithdrawalFee(ctx, MustDecimal("100"))
			}},
		{name: "CancelWithdrawal", method: "DELETE", path: "/v1/withdrawals/wd_1", reply: &wire.CancelWithdrawalResult{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.CancelWithdrawal(ctx, "wd_1") }},
		{name: "CreatePortalSession", method: "POST", path: "/v1/portal-sessions", request: &wire.CreatePortalSessionRequest{},
			reply: &wire.PortalSession{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreatePortalSession(ctx, PortalSessionParams{CustomerID: "cu", ExpiresIn: 30 * time.Minute})
			}},
		{name: "RevokePortalSession", method: "DELETE", path: "/v1/portal-sessions/ps_1", reply: &wire.RevokePortalSessionResult{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return struct{}{}, c.RevokePortalSession(ctx, "ps_1")
			},
			// success is implied by a 2xx reply.
			unreadOK: []string{"success"}},
		{name: "CreatePayloadMapping", method: "POST", path: "/v1/payload-mappings", request: &wire.CreatePayloadMappingRequest{},
			reply: &wire.PayloadMapping{},
			call: func(ctx context.Context, c *Client) (any, error) {
				var p PayloadMappingParams
				wiretest.Fill(&p)
				return c.CreatePayloadMapping(ctx, p)
			},
			// isActive is sent only as false (Inactive), which reads as
			// unset here; true is the default.
			unsentOK: []string{"isActive"}},
		{name: "UpdatePayloadMapping", method: "PATCH", path: "/v1/payload-mappings/pm_1", request: &wire.UpdatePayloadMappingRequest{},
			reply: &wire.PayloadMapping{},
			call: func(ctx context.Context, c *Client) (any, error) {
				var p UpdatePayloadMappingParams
				wiretest.Fill(&p)
				return c.UpdatePayloadMapping(ctx, "pm_1", p)
			}},
		{name: "GetPayloadMapping", method: "GET", path: "/v1/payload-mappings/pm_1", reply: &wire.PayloadMapping{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.GetPayloadMapping(ctx, "pm_1") }},
		{name: "ListPayloadMappings", method: "GET", path: "/v1/payload-mappings", reply: &wire.PayloadMappingList{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.ListPayloadMappings(ctx) },
			// count is len(mappings).
			unreadOK: []string{"count"}},
		{name: "ListPayloadMappingVersions", method: "GET", path: "/v1/payload-mappings/pm_1/versions",
			reply:    &wire.PayloadMappingVersionList{},
			call:     func(ctx context.Context, c *Client) (any, error) { return c.ListPayloadMappingVersions(ctx, "pm_1") },
			unreadOK: []string{"count"}},
		{name: "DryRunPayloadMapping", method: "POST", path: "/v1/payload-mappings/pm_1/dry-run", request: &wire.DryRunRequest{},
			reply: &wire.DryRunResult{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.DryRunPayloadMapping(ctx, "pm_1", map[string]any{"usage": 3})
			}},
		{name: "Ingest", method: "POST", path: "/v1/ingest/src", reply: &wire.IngestResult{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Ingest(ctx, "src", json.RawMessage(`{"usage":3}`))
			},
			// ok is implied by a 2xx reply.
			unreadOK: []string{"ok"}},
	}
}
