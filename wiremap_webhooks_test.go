package drip

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/drip-sdk/drip-go/internal/wire"
	"github.com/drip-sdk/drip-go/internal/wiretest"
)

// TestWebhookWireMappings is TestWireMappingsHandleEveryField for the
// webhook management calls.
func TestWebhookWireMappings(t *testing.T) {
	runWireCases(t, webhookWireCases())
}

// webhookWireCases are the cases of the webhook management calls
// (internal/wire/webhooks.go).
func webhookWireCases() []wireCase {
	yes := true
	desc := "d"
	filters := func() *WebhookFilters {
		return &WebhookFilters{UsageTypes: []string{"tokens"}, CustomerIDs: []string{"cu"}, Severities: []string{SeverityHigh}}
	}
	return []wireCase{
		{name: "CreateWebhook", method: "POST", path: "/v1/webhooks", request: &wire.CreateWebhookRequest{},
			reply: &wire.CreatedWebhook{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.CreateWebhook(ctx, WebhookParams{URL: "https://example.com/hook", Events: []string{WebhookChargeFailed},
					Description: "d", Filters: filters()})
			}},
		{name: "ListWebhooks", method: "GET", path: "/v1/webhooks", reply: &wire.WebhookList{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.ListWebhooks(ctx) }},
		{name: "GetWebhook", method: "GET", path: "/v1/webhooks/wh", reply: &wire.Webhook{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.GetWebhook(ctx, "wh") }},
		{name: "UpdateWebhook", method: "PATCH", path: "/v1/webhooks/wh", request: &wire.UpdateWebhookRequest{},
			reply: &wire.Webhook{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.UpdateWebhook(ctx, "wh", UpdateWebhookParams{URL: "https://example.com/new", Events: []string{WebhookUsageRecorded},
					Description: &desc, IsActive: &yes, Filters: filters()})
			}},
		{name: "DeleteWebhook", method: "DELETE", path: "/v1/webhooks/wh", reply: &wire.WebhookDeleteResult{},
			call: func(ctx context.Context, c *Client) (any, error) { return struct{}{}, c.DeleteWebhook(ctx, "wh") },
			// success is implied by a 2xx reply.
			unreadOK: []string{"success"}},
		{name: "TestWebhook", method: "POST", path: "/v1/webhooks/wh/test", reply: &wire.WebhookTestResult{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.TestWebhook(ctx, "wh") }},
		{name: "RotateWebhookSecret", method: "POST", path: "/v1/webhooks/wh/rotate-secret", reply: &wire.WebhookSecret{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.RotateWebhookSecret(ctx, "wh") }},
	}
}

// webhookDataCase decodes a filled wire value, delivered as a webhook
// event's JSON (or, for the event body itself, as the whole delivery),
// through the SDK's decoder.
type webhookDataCase struct {
	name     string
	data     any // a pointer to the wire type the decoder reads
	decode   func(raw json.RawMessage) (any, error)
	unreadOK []string // fields the public result does not carry
}

// accessor decodes raw as the data of an event of type typ through get.
func accessor[T any](typ string, get func(WebhookEvent) (*T, error)) func(json.RawMessage) (any, error) {
	return func(raw json.RawMessage) (any, error) { return get(WebhookEvent{ID: "evt", Type: typ, Data: raw}) }
}

// webhookDataCases are the decoders of webhook deliveries: the event body
// and the typed data accessors of WebhookEvent.
func webhookDataCases() []webhookDataCase {
	return []webhookDataCase{
		{name: "WebhookEvent", data: &wire.WebhookEventBody{},
			decode: func(raw json.RawMessage) (any, error) {
				var e WebhookEvent
				err := json.Unmarshal(raw, &e)
				return e, err
			}},
		{name: "SpendingAlert", data: &wire.WebhookSpendingAlert{},
			decode: accessor(WebhookCustomerSpendingWarning, WebhookEvent.SpendingAlert)},
		{name: "BalanceLow", data: &wire.WebhookBalanceLow{},
			decode: accessor(WebhookCustomerBalanceLow, WebhookEvent.BalanceLow)},
		{name: "UsageRecorded", data: &wire.WebhookUsageRecorded{},
			decode: accessor(WebhookUsageRecorded, WebhookEvent.UsageRecorded)},
		{name: "Customer", data: &wire.Customer{},
			decode: accessor(WebhookCustomerCreated, WebhookEvent.Customer),
			// The business is the API key's; it says nothing a caller needs.
			unreadOK: []string{"businessId"}},
		{name: "Charge", data: &wire.Charge{},
			decode: accessor(WebhookChargeSucceeded, WebhookEvent.Charge),
			// customer.id repeats customerId, usageEvent.id repeats usageId.
			unreadOK: []string{"customer.id", "usageEvent.id"}},
		{name: "Deposit", data: &wire.WebhookDeposit{},
			decode: accessor(WebhookCustomerDepositConfirmed, WebhookEvent.Deposit)},
		{name: "Withdrawal", data: &wire.Withdrawal{},
			decode: accessor(WebhookWithdrawalCompleted, WebhookEvent.Withdrawal)},
	}
}

// TestWebhookDataMappings fills every field of each webhook delivery shape,
// decodes it as a receiver would, and checks every value reached the
// result.
func TestWebhookDataMappings(t *testing.T) {
	for _, dc := range webhookDataCases() {
		t.Run(dc.name, func(t *testing.T) {
			wiretest.Fill(dc.data)
			raw, err := json.Marshal(dc.data)
			if err != nil {
				t.Fatal(err)
			}
			res, err := dc.decode(raw)
			if err != nil {
				t.Fatal(err)
			}
			if lost := wiretest.Lost(dc.data, res, dc.unreadOK...); len(lost) > 0 {
				slices.Sort(lost)
				t.Errorf("data fields the decoder drops: %v\nresult: %+v", lost, res)
			}
		})
	}
}
