package conformance

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestGoldenComparison pins what the golden comparison lets through and
// what it reports, so a loosened rule shows up here.
func TestGoldenComparison(t *testing.T) {
	paths := []struct {
		a, b string
		same bool
	}{
		{"/v1/webhooks/wh_abc/test", "/v1/webhooks/wh_xyz/test", true},
		{"/v1/entitlement-plans/plan_a/rules", "/v1/entitlement-plans/plan_b/rules", true},
		{"/v1/customers/cust_a/spending-caps/cap_1", "/v1/customers/cust_b/spending-caps/cap_2", true},
		{"/v1/webhooks/wh_abc", "/v1/webhooks/cust_abc", false},
		{"/v1/usage/internal", "/v1/usage/async", false},
		{"/v1/customers/cust_a/balance", "/v1/customers/cust_a/entitlement", false},
		{"/v1/charges", "/v1/charges/chg_1", false},
	}
	for _, p := range paths {
		if samePath(p.a, p.b) != p.same {
			t.Errorf("samePath(%s, %s) = %v", p.a, p.b, !p.same)
		}
	}

	bodies := []struct {
		label, node, goBody string
		diff                string // "" for none, else a substring of the one difference
	}{
		{"x", `{"unitPriceUsd":3e-6}`, `{"unitPriceUsd":0.000003}`, ""},
		{"x", `{"unitPriceUsd":3e-6}`, `{"unitPriceUsd":"0.000003"}`, "unitPriceUsd"},
		{"x", `{"limitValue":5}`, `{"limitValue":5.5}`, "limitValue"},
		{"x", `{"planId":"plan_a"}`, `{"planId":"plan_b"}`, ""},
		{"x", `{"planId":"plan_a"}`, `{"planId":"ent_b"}`, "planId shape"},
		{"x", `{"idempotencyKey":"track_0123456789abcdef01234567"}`, `{"idempotencyKey":"track_fedcba9876543210fedcba98"}`, ""},
		{"x", `{"idempotencyKey":"track_0123456789abcdef01234567"}`, `{"idempotencyKey":"track_1"}`, "idempotencyKey shape"},
		{"x", `{"idempotencyKey":"chg_0123456789abcdef01234567"}`, `{"idempotencyKey":"track_0123456789abcdef01234567"}`, "idempotencyKey shape"},
		{"charge", `{"idempotencyKey":"chg_0123456789abcdef01234567"}`, `{"idempotencyKey":"track_0123456789abcdef01234567"}`, ""},
		{"charge", `{"idempotencyKey":"chg_0123456789abcdef01234567"}`, `{"idempotencyKey":"wrap_0123456789abcdef01234567"}`, "idempotencyKey shape"},
		{"x", `{"url":"http://127.0.0.1:4000/hooks"}`, `{"url":"http://127.0.0.1:5000/hooks"}`, ""},
		{"x", `{"url":"http://127.0.0.1:4000/hooks"}`, `{"url":"http://127.0.0.1:5000/other"}`, "url"},
		{"x", `{"periodStart":"2025-01-01T00:00:00.000Z"}`, `{"periodStart":"2026-02-03T04:05:06.789Z"}`, ""},
		{"x", `{"periodStart":"2025-01-01T00:00:00.000Z"}`, `{"periodStart":"2026-02-03T04:05:06.789123Z"}`, "periodStart"},
		{"x", `{"periodStart":"2025-01-01T00:00:00.000Z"}`, `{"periodStart":"2026-02-03T04:05:06.789+00:00"}`, "periodStart"},
		{"x", `{"a":{}}`, `{"a":{}}`, ""},
		{"x", `{"a":1,"b":"x"}`, `{"a":1}`, "does not send b"},
		{"x", `{"a":1}`, `{"a":1,"units":"x"}`, "fields Node does not: [units]"},
		{"x", `{"events":[{"eventType":"a"}]}`, `{"events":[{"eventType":"a","metadata":{"occurredAt":"t"}}]}`, ""},
	}
	for _, b := range bodies {
		diffs, err := bodyDiffs(b.label, json.RawMessage(b.node), json.RawMessage(b.goBody))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case b.diff == "" && len(diffs) > 0:
			t.Errorf("%s vs %s: %v, want no difference", b.node, b.goBody, diffs)
		case b.diff != "" && (len(diffs) != 1 || !strings.Contains(diffs[0], b.diff)):
			t.Errorf("%s vs %s: %v, want one difference about %q", b.node, b.goBody, diffs, b.diff)
		}
	}

	if d := queryDiffs("runId=run_a&limit=10", "limit=10&runId=run_b"); len(d) != 0 {
		t.Errorf("queries in another order: %v", d)
	}
	if d := queryDiffs("customerId=cust_a&limit=10", "customerId=cust_a&limit=10&offset=0"); len(d) != 1 {
		t.Errorf("an extra offset: %v", d)
	}
	if d := queryDiffs("limit=10", "limit=20"); len(d) != 1 {
		t.Errorf("another limit: %v", d)
	}
}
