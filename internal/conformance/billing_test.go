package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// TestNodeBilling runs the official Node client's billing methods against
// dripd (billing.mjs asserts on every reply and verifies the webhook
// deliveries with Node's own helper), checks here what Node sent, and
// compares drip-go's requests for the same calls with Node's.
func TestNodeBilling(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := EnsureClient(ctx, NodeDir); err != nil {
		if errors.Is(err, ErrNoNode) && os.Getenv("CI") != "true" {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	rec, origin := startDripd(t)
	out, err := RunScript(ctx, NodeDir, "billing.mjs",
		"DRIP_BASE_URL="+origin+"/v1", "DRIP_API_KEY="+goodKey, "DRIP_PUBLIC_KEY="+publicKey, "DRIP_API_URL=")
	t.Logf("node output:\n%s", out)
	if err != nil {
		t.Fatal(err)
	}
	writeCapture(t, rec, "-billing")
	checkBillingCaptures(t, rec)
	t.Run("golden", func(t *testing.T) { compareGoClient(t, rec, goBillingSteps) })
}

// checkBillingCaptures pins what @drip-sdk/node 0.1.2 sends for the main
// billing calls.
func checkBillingCaptures(t *testing.T, rec *Recorder) {
	checkCalls(t, rec, []captureCheck{
		{"setup", []string{"POST /v1/customers 201", "POST /v1/customers 201", "POST /v1/pricing-plans 201"},
			map[string]any{"externalCustomerId": "conf-billing-1", "onchainAddress": "0x00000000000000000000000000000000c0ffee01"}},
		{"createWebhook", []string{"POST /v1/webhooks 201"},
			map[string]any{"url": "http://127.0.0.1:*", "events.0": "charge.succeeded", "events.1": "customer.created", "description": "conformance"}},
		{"updateWebhook", []string{"PATCH /v1/webhooks/* 200"}, map[string]any{"description": "conformance, updated"}},
		{"testWebhook", []string{"POST /v1/webhooks/*/test 200"}, nil},
		{"getBalance", []string{"GET /v1/customers/*/balance 200"}, nil},
		{"provisionCustomer", []string{"POST /v1/customers/*/provision 200"}, nil},
		{"syncCustomerBalance", []string{"POST /v1/customers/*/sync-balance 200"}, nil},
		{"setCustomerSpendingCap", []string{"PUT /v1/customers/*/spending-cap 200"},
			map[string]any{"capType": "DAILY_CHARGE_LIMIT", "limitValue": json.Number("5"), "autoBlock": true}},
		{"getCustomerSpendingCaps", []string{"GET /v1/customers/*/spending-caps 200"}, nil},
		{"charge", []string{"POST /v1/usage 200"},
			map[string]any{"customerId": "cust_*", "usageType": "tokens", "quantity": json.Number("1234"), "idempotencyKey": "chg_*"}},
		{"listCharges", []string{"GET /v1/charges 200"}, nil},
		{"getCharge", []string{"GET /v1/charges/* 200"}, nil},
		{"removeCustomerSpendingCap", []string{"DELETE /v1/customers/*/spending-caps/* 200"}, nil},
		{"rotateWebhookSecret", []string{"POST /v1/webhooks/*/rotate-secret 200", "POST /v1/customers 201"}, nil},
		{"createEntitlementPlan", []string{"POST /v1/entitlement-plans 201"},
			map[string]any{"name": "Pro", "slug": "pro", "description": "conformance"}},
		{"updateEntitlementPlan", []string{"PATCH /v1/entitlement-plans/* 200"}, map[string]any{"description": "updated"}},
		{"addEntitlementRule", []string{"POST /v1/entitlement-plans/*/rules 201"},
			map[string]any{"featureKey": "llm_calls", "limitType": "COUNT", "period": "DAILY", "limitValue": json.Number("2")}},
		{"updateEntitlementRule", []string{"PATCH /v1/entitlement-rules/* 200"}, map[string]any{"limitValue": json.Number("3")}},
		{"assignCustomerEntitlement", []string{"PUT /v1/customers/*/entitlement 200"}, map[string]any{"planId": "plan_*"}},
		{"getCustomerEntitlement", []string{"GET /v1/customers/*/entitlement 200"}, nil},
		{"checkEntitlement", []string{"POST /v1/entitlements/check 200", "POST /v1/usage/internal 200", "POST /v1/entitlements/check 200"},
			map[string]any{"customerId": "cust_*", "featureKey": "llm_calls", "quantity": json.Number("1")}},
		{"checkEntitlement.unlimited", []string{"POST /v1/entitlement-plans/*/rules 201", "POST /v1/entitlements/check 200"},
			map[string]any{"featureKey": "embeddings", "period": "MONTHLY", "limitValue": json.Number("0"), "unlimited": true}},
		{"deleteEntitlementRule", []string{"DELETE /v1/entitlement-rules/* 200"}, nil},
		{"deleteEntitlementPlan", []string{"POST /v1/entitlement-plans 201", "DELETE /v1/entitlement-plans/* 200"}, nil},
		{"listMeters", []string{"GET /v1/pricing-plans 200"}, nil},
		{"estimateFromUsage", []string{"POST /v1/cost-estimate/from-usage 200"}, map[string]any{"customerId": "cust_*"}},
		{"estimateFromHypothetical", []string{"POST /v1/cost-estimate/hypothetical 200"},
			map[string]any{"items.0.usageType": "tokens", "items.0.quantity": json.Number("1000000"), "items.1.unitPriceOverride": "0.25"}},
		{"listEvents", []string{"POST /v1/runs/record 201", "GET /v1/events 200"}, nil},
		{"getEvent", []string{"GET /v1/events/* 200"}, nil},
		{"getEventTrace", []string{"GET /v1/events/*/trace 200"}, nil},
		{"createStreamMeter", []string{"POST /v1/usage 200"},
			map[string]any{"usageType": "tokens", "quantity": json.Number("300"), "idempotencyKey": "stream_*"}},
		{"wrapApiCall", []string{"POST /v1/usage 200"},
			map[string]any{"usageType": "tokens", "quantity": json.Number("50"), "idempotencyKey": "wrap_*"}},
		{"chargeAsync", []string{"POST /v1/usage/async 202"},
			map[string]any{"usageType": "tokens", "quantity": json.Number("10"), "idempotencyKey": "chg-async_*"}},
		{"charge.replay", []string{"POST /v1/usage 200", "POST /v1/usage 200", "GET /v1/charges 200"},
			map[string]any{"quantity": json.Number("1"), "idempotencyKey": "conf-charge-replay"}},
		{"publicKey", nil, nil}, // refused by Node before sending
		{"deleteWebhook", []string{"DELETE /v1/webhooks/* 200"}, nil},
	})
	queries := map[string]map[string]string{
		"listCharges": {"customerId": "cust_", "limit": "10"},
		"listEvents":  {"runId": "run_", "limit": "10"},
	}
	for label, want := range queries {
		calls := rec.Labeled(label)
		q, _ := url.ParseQuery(calls[len(calls)-1].Query)
		if len(q) != len(want) {
			t.Errorf("%s: query %v, want %v", label, q, want)
		}
		for k, v := range want {
			if !strings.HasPrefix(q.Get(k), v) {
				t.Errorf("%s: query %s = %q, want %s…", label, k, q.Get(k), v)
			}
		}
	}
	// A raw request: the server's own refusal of a public key.
	if c := rec.Labeled("publicKey.server"); len(c) != 1 || c[0].Method != "GET" || c[0].Path != "/v1/webhooks" || c[0].Status != 403 {
		t.Errorf("publicKey.server: %s", describe(c))
	}
}
