package dripserver

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// TestNotifyFilters calls notify as the billing code does, with no delivery
// loop running, and checks who gets a delivery: subscribed, active
// endpoints whose filters match (kinds ANDed, values ORed; a kind the event
// does not carry does not hold it back).
func TestNotifyFilters(t *testing.T) {
	ctx := context.Background()
	store, err := OpenStore(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	s := New(store).svc
	mk := func(events []string, f *wire.WebhookFilters) string {
		h, err := s.createWebhook(ctx, wire.CreateWebhookRequest{URL: "https://x.example/", Events: events, Filters: f})
		if err != nil {
			t.Fatal(err)
		}
		return h.ID
	}
	all := mk([]string{"usage.recorded", "customer.spending.warning"}, nil)
	other := mk([]string{"charge.failed"}, nil)
	cust := mk([]string{"usage.recorded", "customer.spending.warning"}, &wire.WebhookFilters{CustomerIDs: []string{"cust_a", "cust_b"}})
	both := mk([]string{"usage.recorded"}, &wire.WebhookFilters{CustomerIDs: []string{"cust_a"}, UsageTypes: []string{"tokens"}})
	severe := mk([]string{"customer.spending.warning"}, &wire.WebhookFilters{Severities: []string{"high", "critical"}})
	off := mk([]string{"usage.recorded"}, nil)
	no := false
	if _, _, err := s.updateWebhook(ctx, off, wire.UpdateWebhookRequest{IsActive: &no}); err != nil {
		t.Fatal(err)
	}

	notify := func(typ, customerID, usageType string, data any) {
		t.Helper()
		if err := store.update(ctx, func(tx *txn) error { return s.notify(tx, typ, customerID, usageType, data) }); err != nil {
			t.Fatal(err)
		}
	}
	notify("usage.recorded", "cust_a", "tokens", wire.WebhookUsageRecorded{UsageEventID: "use_1", CustomerID: "cust_a", UsageType: "tokens", Quantity: 3})
	notify("usage.recorded", "cust_b", "tokens", map[string]any{"customerId": "cust_b"})
	notify("usage.recorded", "cust_c", "images", map[string]any{"customerId": "cust_c"})
	notify("customer.spending.warning", "cust_a", "", wire.WebhookSpendingAlert{Level: "critical", Percentage: 95})
	notify("customer.spending.warning", "cust_a", "", wire.WebhookSpendingAlert{Level: "info", Percentage: 50})

	count := func(id string) int {
		ds, err := store.WebhookDeliveries(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			var body wire.WebhookEventBody
			if err := json.Unmarshal(d.Body, &body); err != nil || body.ID != d.EventID || body.Type != d.EventType ||
				d.Status != DeliveryPending || d.Attempts != 0 || d.NextAttemptAt.IsZero() {
				t.Fatalf("delivery %+v: %v", d, err)
			}
		}
		return len(ds)
	}
	for _, c := range []struct {
		name string
		id   string
		want int
	}{
		{"no filters", all, 5},
		{"not subscribed", other, 0},
		{"customers a or b", cust, 4},
		{"customer a and tokens", both, 1},
		{"severity high or critical", severe, 1}, // critical level is high; info is low
		{"inactive", off, 0},
	} {
		if got := count(c.id); got != c.want {
			t.Errorf("%s: %d deliveries, want %d", c.name, got, c.want)
		}
	}
	// One event, one id, for every endpoint it goes to.
	a, _ := store.WebhookDeliveries(ctx, all)
	b, _ := store.WebhookDeliveries(ctx, both)
	if a[0].EventID != b[0].EventID || a[0].ID == b[0].ID {
		t.Fatalf("event ids %s/%s, delivery ids %s/%s", a[0].EventID, b[0].EventID, a[0].ID, b[0].ID)
	}
}

func TestWebhookBackoff(t *testing.T) {
	h := webhookState{initial: 10}
	for n, want := range map[int]int64{1: 10, 2: 20, 3: 40, 5: 160} {
		if got := h.backoff(n); int64(got) != want {
			t.Errorf("backoff(%d) = %d, want %d", n, got, want)
		}
	}
	if got := (&webhookState{}).backoff(100); got != DefaultWebhookMaxBackoff {
		t.Errorf("backoff cap = %v", got)
	}
}
