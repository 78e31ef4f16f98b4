package drip_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
)

// TestSpendingAlertsReachAReceiverOnce follows a spending cap end to end:
// dripd bills usage against a daily cap, sends the 50/80/95% warnings and
// the 100% block as signed webhooks to a receiver built with
// drip.WebhookHandler (each level exactly once, the 80% one after a failed
// first attempt), then refuses more billed usage with CUSTOMER_BLOCKED.
func TestSpendingAlertsReachAReceiverOnce(t *testing.T) {
	ctx := ctxT(t)
	inst, err := dripserver.Start(ctx, "127.0.0.1:0", nil,
		dripserver.WithLogger(slog.New(slog.DiscardHandler)), dripserver.WithWebhookRetry(20*time.Millisecond, 5))
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Shutdown(context.Background())
	c := newClient(t, inst.BaseURL())

	var (
		mu       sync.Mutex
		secret   string
		alerts   = map[int]int{} // percentage → deliveries handled
		charges  []*drip.Charge
		failedAt = map[int]bool{}
		blocked  = make(chan struct{})
	)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		s := secret
		mu.Unlock()
		drip.WebhookHandler(s, func(ctx context.Context, e drip.WebhookEvent) error {
			mu.Lock()
			defer mu.Unlock()
			switch e.Type {
			case drip.WebhookChargeSucceeded:
				ch, err := e.Charge()
				if err != nil {
					t.Error(err)
					return nil
				}
				charges = append(charges, ch)
			case drip.WebhookCustomerSpendingWarning, drip.WebhookCustomerSpendingBlocked:
				a, err := e.SpendingAlert()
				if err != nil {
					t.Error(err)
					return nil
				}
				if a.Percentage == 80 && !failedAt[80] {
					failedAt[80] = true
					return errors.New("receiver busy") // 500: dripd delivers it again
				}
				alerts[a.Percentage]++
				if a.Percentage == 100 {
					if a.Level != "blocked" || a.LimitValue.Cmp(dec("1")) != 0 || a.CurrentUsage.Cmp(dec("1.06")) != 0 {
						t.Errorf("blocked alert = %+v", a)
					}
					close(blocked)
				}
			}
			return nil
		}).ServeHTTP(w, r)
	}))
	defer recv.Close()

	hook, err := c.CreateWebhook(ctx, drip.WebhookParams{URL: recv.URL + "/drip", Events: []string{
		drip.WebhookCustomerSpendingWarning, drip.WebhookCustomerSpendingBlocked, drip.WebhookChargeSucceeded}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	secret = hook.Secret
	mu.Unlock()

	if _, err := c.CreatePricingPlan(ctx, drip.PricingPlanParams{Name: "Tokens", UnitType: "tok", UnitPrice: dec("0.01")}); err != nil {
		t.Fatal(err)
	}
	cu := payer(t, c, "alerted-01")
	if _, err := c.SetSpendingCap(ctx, cu.ID, drip.SpendingCapParams{Type: drip.CapDaily, Limit: dec("1")}); err != nil {
		t.Fatal(err)
	}
	var billed []*drip.Charge
	for _, q := range []float64{40, 56, 10} { // 40%, then 96% (50, 80, 95), then 106% (100)
		res, err := c.TrackUsage(ctx, drip.UsageParams{CustomerID: cu.ID, Meter: "tok", Quantity: q})
		if err != nil || res.Charge == nil {
			t.Fatalf("usage of %v: %+v, %v", q, res, err)
		}
		billed = append(billed, res.Charge)
	}
	_, err = c.TrackUsage(ctx, drip.UsageParams{CustomerID: cu.ID, Meter: "tok", Quantity: 1})
	if !errors.Is(err, drip.ErrCustomerBlocked) {
		t.Fatalf("usage past the cap: %v, want CUSTOMER_BLOCKED", err)
	}

	select {
	case <-blocked:
	case <-ctx.Done():
		t.Fatal("no customer.spending.blocked delivery")
	}
	// Wait until dripd has nothing left to deliver, then count.
	for {
		ds, err := inst.Store().WebhookDeliveries(ctx, hook.ID)
		if err != nil {
			t.Fatal(err)
		}
		pending := 0
		for _, d := range ds {
			if d.Status == dripserver.DeliveryPending {
				pending++
			}
		}
		if pending == 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("%d deliveries still pending", pending)
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, pct := range []int{50, 80, 95, 100} {
		if alerts[pct] != 1 {
			t.Errorf("%d%% alert handled %d times, want once", pct, alerts[pct])
		}
	}
	if len(alerts) != 4 || !failedAt[80] {
		t.Errorf("alerts = %v (80%% failed once: %v)", alerts, failedAt[80])
	}
	if len(charges) != len(billed) {
		t.Fatalf("%d charge.succeeded deliveries, want %d", len(charges), len(billed))
	}
	// Deliveries run in parallel, so they may arrive in any order.
	want := map[string]*drip.Charge{}
	for _, b := range billed {
		want[b.ID] = b
	}
	for _, ch := range charges {
		b := want[ch.ID]
		if b == nil || ch.AmountUSDC.Cmp(b.AmountUSDC) != 0 || ch.CustomerID != cu.ID || ch.Status != drip.ChargeConfirmed {
			t.Errorf("charge.succeeded = %+v, want one of %v", ch, billed)
		}
		delete(want, ch.ID)
	}
}
