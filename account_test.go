package drip_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
)

func wantStatus(t *testing.T, what string, got *drip.Subscription, err error, want drip.SubscriptionStatus) *drip.Subscription {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if got.Status != want {
		t.Fatalf("%s: status %s, want %s (%+v)", what, got.Status, want, got)
	}
	return got
}

func balanceOf(t *testing.T, c *drip.Client, id string) drip.Decimal {
	t.Helper()
	b, err := c.GetBalance(ctxT(t), id)
	if err != nil {
		t.Fatal(err)
	}
	return b.Balance
}

// A monthly subscription charges its first period at once, renews when the
// clock passes the period's end (charging again), and within each period
// bills only the usage of its meter beyond the included amount.
func TestSubscriptionRenewsAndBillsOverage(t *testing.T) {
	ctx := ctxT(t)
	clock := &testClock{t: time.Date(2025, 1, 31, 12, 0, 0, 0, time.UTC)}
	srv := startServer(t, nil, dripserver.WithClock(clock.now))
	c := newClient(t, srv.BaseURL())
	if _, err := c.CreatePricingPlan(ctx, drip.PricingPlanParams{Name: "Calls", UnitType: "calls", UnitPrice: dec("0.01")}); err != nil {
		t.Fatal(err)
	}
	cu := payer(t, c, "sub-renew-01")
	included := 100.0
	sub, err := c.CreateSubscription(ctx, drip.SubscriptionParams{CustomerID: cu.ID, Name: "Pro", Interval: drip.IntervalMonthly,
		Price: dec("9.99"), IncludedUsage: &included, OverageUnitType: "calls", Metadata: map[string]any{"tier": "pro"}})
	wantStatus(t, "created", sub, err, drip.SubscriptionActive)
	wantDec(t, "price", sub.Price, "9.99")
	if !sub.CurrentPeriodEnd.Equal(time.Date(2025, 2, 28, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("period end %s: January 31 + 1 month is February 28", sub.CurrentPeriodEnd)
	}
	wantDec(t, "balance after first period", balanceOf(t, c, cu.ID), "90.01")

	use := func(q float64) *drip.Charge {
		t.Helper()
		r, err := c.TrackUsage(ctx, drip.UsageParams{CustomerID: cu.ID, Meter: "calls", Quantity: q})
		if err != nil {
			t.Fatal(err)
		}
		return r.Charge
	}
	if ch := use(60); ch != nil {
		t.Fatalf("60 of 100 included calls charged: %+v", ch)
	}
	ch := use(50) // 10 beyond the 100 included
	if ch == nil {
		t.Fatal("usage beyond the included amount was not charged")
	}
	wantDec(t, "overage charge", ch.AmountUSDC, "0.1")
	wantDec(t, "overage at full price", use(5).AmountUSDC, "0.05")

	// Past the period's end: renewed (and charged) on the next read, and
	// the included usage is fresh.
	clock.set(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC))
	sub, err = c.GetSubscription(ctx, sub.ID)
	wantStatus(t, "renewed", sub, err, drip.SubscriptionActive)
	if !sub.CurrentPeriodStart.Equal(time.Date(2025, 2, 28, 12, 0, 0, 0, time.UTC)) ||
		!sub.CurrentPeriodEnd.Equal(time.Date(2025, 3, 31, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("renewed period %s – %s: the anchor day (31) comes back in March", sub.CurrentPeriodStart, sub.CurrentPeriodEnd)
	}
	wantDec(t, "balance after renewal", balanceOf(t, c, cu.ID), "79.87") // 90.01 − 0.15 − 9.99
	if ch := use(100); ch != nil {
		t.Fatalf("the new period's included usage was charged: %+v", ch)
	}
	wantDec(t, "overage in the new period", use(1).AmountUSDC, "0.01")

	// Two more months pass unread: both renewals are charged, in order.
	clock.set(time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC))
	l, err := c.ListSubscriptions(ctx, &drip.ListSubscriptionsParams{CustomerID: cu.ID})
	if err != nil || l.Count != 1 || len(l.Subscriptions) != 1 {
		t.Fatalf("list = %+v, %v", l, err)
	}
	if got := l.Subscriptions[0].CurrentPeriodEnd; !got.Equal(time.Date(2025, 5, 31, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("period end after two renewals %s", got)
	}
	wantDec(t, "balance after two more renewals", balanceOf(t, c, cu.ID), "59.88") // 79.87 − 0.01 − 2×9.99
}

func TestSubscriptionTrialEndsThenCharges(t *testing.T) {
	ctx := ctxT(t)
	clock := &testClock{t: time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)}
	srv := startServer(t, nil, dripserver.WithClock(clock.now))
	c := newClient(t, srv.BaseURL())
	cu := payer(t, c, "sub-trial-02")
	sub, err := c.CreateSubscription(ctx, drip.SubscriptionParams{CustomerID: cu.ID, Name: "Team", Interval: drip.IntervalWeekly,
		Price: dec("5"), TrialDays: 14})
	wantStatus(t, "created", sub, err, drip.SubscriptionTrialing)
	if !sub.TrialEnd.Equal(time.Date(2025, 6, 15, 8, 0, 0, 0, time.UTC)) || !sub.CurrentPeriodEnd.Equal(sub.TrialEnd) {
		t.Fatalf("trial = %+v", sub)
	}
	wantDec(t, "balance in trial", balanceOf(t, c, cu.ID), "100")
	clock.set(time.Date(2025, 6, 15, 8, 0, 0, 0, time.UTC))
	sub, err = c.GetSubscription(ctx, sub.ID)
	wantStatus(t, "after the trial", sub, err, drip.SubscriptionActive)
	if !sub.CurrentPeriodStart.Equal(sub.TrialEnd) || !sub.CurrentPeriodEnd.Equal(time.Date(2025, 6, 22, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("first paid period %s – %s", sub.CurrentPeriodStart, sub.CurrentPeriodEnd)
	}
	wantDec(t, "balance after the first paid week", balanceOf(t, c, cu.ID), "95")
}

func TestSubscriptionCancelPauseResume(t *testing.T) {
	ctx := ctxT(t)
	clock := &testClock{t: time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)}
	srv := startServer(t, nil, dripserver.WithClock(clock.now))
	c := newClient(t, srv.BaseURL())
	cu := payer(t, c, "sub-cancel-03")
	daily := func() *drip.Subscription {
		sub, err := c.CreateSubscription(ctx, drip.SubscriptionParams{CustomerID: cu.ID, Name: "Daily", Interval: drip.IntervalDaily, Price: dec("1")})
		return wantStatus(t, "created", sub, err, drip.SubscriptionActive)
	}

	t.Run("at period end", func(t *testing.T) {
		sub := daily()
		got, err := c.CancelSubscription(ctx, sub.ID, drip.CancelSubscriptionParams{})
		wantStatus(t, "cancel requested", got, err, drip.SubscriptionActive)
		if !got.CancelAtPeriodEnd {
			t.Fatal("cancelAtPeriodEnd not set")
		}
		before := balanceOf(t, c, cu.ID)
		clock.set(clock.now().Add(25 * time.Hour))
		got, err = c.GetSubscription(ctx, sub.ID)
		wantStatus(t, "after the period", got, err, drip.SubscriptionCancelled)
		if !got.CancelledAt.Equal(sub.CurrentPeriodEnd) {
			t.Fatalf("cancelledAt %s, want the period end %s", got.CancelledAt, sub.CurrentPeriodEnd)
		}
		if b := balanceOf(t, c, cu.ID); b.Cmp(before) != 0 {
			t.Fatalf("a cancelled subscription was charged: %s → %s", before, b)
		}
		if _, err := c.UpdateSubscription(ctx, sub.ID, drip.UpdateSubscriptionParams{Name: ptr("x")}); !errors.Is(err, drip.ErrInvalidState) {
			t.Fatalf("update of a cancelled subscription: %v, want 409", err)
		}
	})
	t.Run("immediately", func(t *testing.T) {
		sub := daily()
		got, err := c.CancelSubscription(ctx, sub.ID, drip.CancelSubscriptionParams{Immediate: true})
		wantStatus(t, "cancelled", got, err, drip.SubscriptionCancelled)
		again, err := c.CancelSubscription(ctx, sub.ID, drip.CancelSubscriptionParams{Immediate: true})
		wantStatus(t, "cancelled again", again, err, drip.SubscriptionCancelled)
	})
	t.Run("pause and resume", func(t *testing.T) {
		sub := daily()
		got, err := c.PauseSubscription(ctx, sub.ID, drip.PauseSubscriptionParams{})
		wantStatus(t, "paused", got, err, drip.SubscriptionPaused)
		before := balanceOf(t, c, cu.ID)
		clock.set(clock.now().Add(72 * time.Hour))
		got, err = c.GetSubscription(ctx, sub.ID)
		wantStatus(t, "still paused", got, err, drip.SubscriptionPaused)
		wantDec(t, "balance while paused", balanceOf(t, c, cu.ID), before.String())
		got, err = c.ResumeSubscription(ctx, sub.ID)
		wantStatus(t, "resumed", got, err, drip.SubscriptionActive)
		if !got.CurrentPeriodStart.Equal(clock.now()) {
			t.Fatalf("resume starts a new period now: %s", got.CurrentPeriodStart)
		}
		wantDec(t, "resume charges the new period", balanceOf(t, c, cu.ID), before.Sub(dec("1")).String())
		if _, err := c.ResumeSubscription(ctx, sub.ID); !errors.Is(err, drip.ErrInvalidState) {
			t.Fatalf("resuming an active subscription: %v, want 409", err)
		}
	})
	t.Run("pause until a date", func(t *testing.T) {
		sub := daily()
		at := clock.now().Add(48 * time.Hour)
		got, err := c.PauseSubscription(ctx, sub.ID, drip.PauseSubscriptionParams{ResumeAt: at})
		wantStatus(t, "paused", got, err, drip.SubscriptionPaused)
		if !got.ResumesAt.Equal(at) {
			t.Fatalf("resumesAt %s", got.ResumesAt)
		}
		clock.set(at.Add(time.Hour))
		got, err = c.GetSubscription(ctx, sub.ID)
		wantStatus(t, "resumed by itself", got, err, drip.SubscriptionActive)
		if !got.CurrentPeriodStart.Equal(at) {
			t.Fatalf("the new period starts at the resume date: %s", got.CurrentPeriodStart)
		}
	})
}

// A subscription whose renewal the balance cannot cover is PAST_DUE.
func TestSubscriptionPaymentFails(t *testing.T) {
	ctx := ctxT(t)
	clock := newClock()
	srv := startServer(t, nil, dripserver.WithClock(clock.now), dripserver.WithStartingBalance("15"))
	c := newClient(t, srv.BaseURL())
	cu := payer(t, c, "sub-pastdue-04")
	sub, err := c.CreateSubscription(ctx, drip.SubscriptionParams{CustomerID: cu.ID, Name: "Big", Interval: drip.IntervalDaily, Price: dec("10")})
	wantStatus(t, "created", sub, err, drip.SubscriptionActive)
	clock.set(clock.now().Add(24 * time.Hour))
	sub, err = c.GetSubscription(ctx, sub.ID)
	wantStatus(t, "renewal without balance", sub, err, drip.SubscriptionPastDue)
	wantDec(t, "balance", balanceOf(t, c, cu.ID), "5")
	l, err := c.ListCharges(ctx, &drip.ListChargesParams{CustomerID: cu.ID, Status: drip.ChargeFailed})
	if err != nil || l.Count != 1 || l.Charges[0].UsageID != sub.ID {
		t.Fatalf("failed charges = %+v, %v", l, err)
	}
}

// A contract's override replaces the plan's price, its discount applies,
// and its included units are free.
func TestContractOverrideChangesCharge(t *testing.T) {
	ctx := ctxT(t)
	clock := &testClock{t: time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)}
	srv := startServer(t, nil, dripserver.WithClock(clock.now))
	c := newClient(t, srv.BaseURL())
	if _, err := c.CreatePricingPlan(ctx, drip.PricingPlanParams{Name: "Tokens", UnitType: "tok", UnitPrice: dec("0.002")}); err != nil {
		t.Fatal(err)
	}
	cu := payer(t, c, "contract-05")
	charge := func(q float64) drip.Decimal {
		t.Helper()
		r, err := c.TrackUsage(ctx, drip.UsageParams{CustomerID: cu.ID, Meter: "tok", Quantity: q})
		if err != nil {
			t.Fatal(err)
		}
		if r.Charge == nil {
			return dec("0")
		}
		return r.Charge.AmountUSDC
	}
	wantDec(t, "plan price", charge(1000), "2")

	ct, err := c.CreateContract(ctx, drip.ContractParams{CustomerID: cu.ID, Name: "Enterprise", StartDate: clock.now().Add(-time.Hour),
		Minimum: ptr(dec("100")), Metadata: map[string]any{"deal": "q1"}})
	if err != nil || ct.Status != drip.ContractActive {
		t.Fatalf("contract = %+v, %v", ct, err)
	}
	o, err := c.AddContractOverride(ctx, ct.ID, "tok", dec("0.0005"))
	if err != nil || o.UnitType != "tok" {
		t.Fatalf("override = %+v, %v", o, err)
	}
	wantDec(t, "override price", o.UnitPrice, "0.0005")
	wantDec(t, "charge at the override", charge(1000), "0.5")

	if _, err := c.UpdateContract(ctx, ct.ID, drip.UpdateContractParams{DiscountPct: ptr(dec("20")),
		IncludedUnits: map[string]int64{"tok": 500}}); err != nil {
		t.Fatal(err)
	}
	// 1,000 tokens already this month: no more included units left.
	wantDec(t, "discounted", charge(1000), "0.4")
	clock.set(time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC))
	wantDec(t, "included units in a new month", charge(400), "0")
	wantDec(t, "beyond them, discounted", charge(200), "0.04") // 100 × 0.0005 × 0.8

	got, err := c.GetContract(ctx, ct.ID)
	if err != nil || len(got.Overrides) != 1 || got.DiscountPct == nil || got.Minimum == nil || got.IncludedUnits["tok"] != 500 {
		t.Fatalf("contract = %+v, %v", got, err)
	}
	wantDec(t, "minimum", *got.Minimum, "100")
	if err := c.RemoveContractOverride(ctx, ct.ID, "tok"); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveContractOverride(ctx, ct.ID, "tok"); !errors.Is(err, drip.ErrNotFound) {
		t.Fatalf("removing a missing override: %v", err)
	}
	wantDec(t, "plan price again, discounted", charge(100), "0.16")
	if err := c.DeleteContract(ctx, ct.ID); err != nil {
		t.Fatal(err)
	}
	wantDec(t, "without the contract", charge(100), "0.2")
	l, err := c.ListContracts(ctx, &drip.ListContractsParams{CustomerID: cu.ID, Status: drip.ContractCancelled})
	if err != nil || len(l) != 1 || l[0].ID != ct.ID {
		t.Fatalf("cancelled contracts = %+v, %v", l, err)
	}
}

// A pricing plan change prorates the commitment over the days left in the
// period, rolls back once (crediting the proration) and a second rollback
// is 400.
func TestPlanChangeProratesAndRollsBackOnce(t *testing.T) {
	ctx := ctxT(t)
	clock := &testClock{t: time.Date(2025, 4, 21, 0, 0, 0, 0, time.UTC)} // 10 of April's 30 days left
	srv := startServer(t, nil, dripserver.WithClock(clock.now))
	c := newClient(t, srv.BaseURL())
	cu := payer(t, c, "planchange-06")

	pc, err := c.ChangeCustomerPricing(ctx, cu.ID, drip.PricingChangeParams{Minimum: ptr(dec("30")), Prorate: true,
		PriceOverrides: []drip.PriceOverride{{UnitType: "tok", UnitPrice: dec("0.001")}}, Reason: "upgrade", PerformedBy: "ops"})
	if err != nil {
		t.Fatal(err)
	}
	if pc.Status != drip.PlanChangeApplied || pc.ChangeType != drip.PlanChangePricing || pc.ProrationDirection != drip.ProrationCharge ||
		pc.ProratedDays != 10 || pc.TotalPeriodDays != 30 || pc.ProrationChargeID == "" || pc.ContractID == "" {
		t.Fatalf("plan change = %+v", pc)
	}
	wantDec(t, "proration", *pc.ProrationAmount, "10") // 30 × 10/30
	wantDec(t, "balance after the proration", balanceOf(t, c, cu.ID), "90")
	if pc.NewState["minimumUsdc"] != "30.000000" || pc.PreviousState["minimumUsdc"] != nil {
		t.Fatalf("states: previous %v, new %v", pc.PreviousState, pc.NewState)
	}

	inv, err := c.RollbackPlanChange(ctx, cu.ID, pc.ID, "ops")
	if err != nil {
		t.Fatal(err)
	}
	if inv.ID == pc.ID || inv.Status != drip.PlanChangeApplied || inv.ProrationDirection != drip.ProrationCredit {
		t.Fatalf("inverse = %+v", inv)
	}
	wantDec(t, "balance after the rollback", balanceOf(t, c, cu.ID), "100")
	got, err := c.GetPlanChange(ctx, cu.ID, pc.ID)
	if err != nil || got.Status != drip.PlanChangeRolledBack {
		t.Fatalf("rolled back change = %+v, %v", got, err)
	}
	_, err = c.RollbackPlanChange(ctx, cu.ID, pc.ID, "ops")
	if e, ok := drip.AsError(err); !ok || e.StatusCode != http.StatusBadRequest {
		t.Fatalf("second rollback: %v, want 400", err)
	}
	ct, err := c.GetContract(ctx, pc.ContractID)
	if err != nil || ct.Minimum != nil || len(ct.Overrides) != 0 {
		t.Fatalf("the contract is not back to its previous terms: %+v, %v", ct, err)
	}

	// An override amount: negative is a credit. A later change supersedes.
	credit, err := c.ChangeCustomerPricing(ctx, cu.ID, drip.PricingChangeParams{ProrationAmount: ptr(dec("-2.5"))})
	if err != nil || credit.ProrationDirection != drip.ProrationCredit {
		t.Fatalf("credit = %+v, %v", credit, err)
	}
	wantDec(t, "balance after the credit", balanceOf(t, c, cu.ID), "102.5")
	if _, err := c.ChangeCustomerPricing(ctx, cu.ID, drip.PricingChangeParams{DiscountPct: ptr(dec("5"))}); err != nil {
		t.Fatal(err)
	}
	var statuses []drip.PlanChangeStatus
	for ch, err := range c.PlanChanges(ctx, cu.ID, &drip.ListPlanChangesParams{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		statuses = append(statuses, ch.Status)
	}
	want := []drip.PlanChangeStatus{drip.PlanChangeApplied, drip.PlanChangeSuperseded, drip.PlanChangeSuperseded, drip.PlanChangeRolledBack}
	if len(statuses) != len(want) {
		t.Fatalf("statuses %v, want %v", statuses, want)
	}
	for i := range want {
		if statuses[i] != want[i] {
			t.Fatalf("statuses %v, want %v", statuses, want)
		}
	}
}

func TestPlanChangeEntitlementRollsBack(t *testing.T) {
	ctx := ctxT(t)
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	cu := payer(t, c, "planchange-07")
	plan, err := c.CreateEntitlementPlan(ctx, drip.EntitlementPlanParams{Name: "Pro", Slug: "pro-pc"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateEntitlementRule(ctx, plan.ID, drip.EntitlementRuleParams{FeatureKey: "llm", LimitType: drip.LimitCount,
		Period: drip.PeriodDaily, LimitValue: dec("5")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ChangeCustomerEntitlementPlan(ctx, cu.ID, drip.EntitlementChangeParams{PlanID: plan.ID,
		Overrides: map[string]drip.EntitlementLimits{"llm": {MonthlyLimit: ptr(dec("9"))}}}); !errors.Is(err, drip.ErrValidation) {
		t.Fatalf("a monthly limit for a daily rule: %v", err)
	}
	pc, err := c.ChangeCustomerEntitlementPlan(ctx, cu.ID, drip.EntitlementChangeParams{PlanID: plan.ID,
		Overrides: map[string]drip.EntitlementLimits{"llm": {DailyLimit: ptr(dec("9"))}}, Reason: "trial"})
	if err != nil || pc.ChangeType != drip.PlanChangeEntitlement || pc.ProrationDirection != drip.ProrationNone {
		t.Fatalf("change = %+v, %v", pc, err)
	}
	ent, err := c.GetCustomerEntitlement(ctx, cu.ID)
	if err != nil || ent.PlanID != plan.ID {
		t.Fatalf("entitlement = %+v, %v", ent, err)
	}
	wantDec(t, "override", ent.Usage["llm"].Limit, "9")
	if _, err := c.RollbackPlanChange(ctx, cu.ID, pc.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetCustomerEntitlement(ctx, cu.ID); !errors.Is(err, drip.ErrNotFound) {
		t.Fatalf("after the rollback the customer has no plan again: %v", err)
	}
}

// Public keys may read subscriptions; everything else here needs a secret
// key, refused by the client before sending and by dripd.
func TestAccountPublicKeyRules(t *testing.T) {
	ctx := ctxT(t)
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	cu := payer(t, c, "pk-rules-08")
	sub, err := c.CreateSubscription(ctx, drip.SubscriptionParams{CustomerID: cu.ID, Name: "S", Interval: drip.IntervalDaily, Price: dec("1")})
	if err != nil {
		t.Fatal(err)
	}
	pub := newClient(t, srv.BaseURL(), drip.WithAPIKey("pk_test_account_rules"))
	if _, err := pub.GetSubscription(ctx, sub.ID); err != nil {
		t.Fatalf("pk_ GetSubscription: %v", err)
	}
	if _, err := pub.ListSubscriptions(ctx, nil); err != nil {
		t.Fatalf("pk_ ListSubscriptions: %v", err)
	}
	before := srv.requests.Load()
	refused := map[string]error{}
	_, refused["CreateSubscription"] = pub.CreateSubscription(ctx, drip.SubscriptionParams{CustomerID: cu.ID, Name: "S", Interval: drip.IntervalDaily})
	_, refused["CancelSubscription"] = pub.CancelSubscription(ctx, sub.ID, drip.CancelSubscriptionParams{})
	_, refused["PauseSubscription"] = pub.PauseSubscription(ctx, sub.ID, drip.PauseSubscriptionParams{})
	_, refused["ResumeSubscription"] = pub.ResumeSubscription(ctx, sub.ID)
	_, refused["UpdateSubscription"] = pub.UpdateSubscription(ctx, sub.ID, drip.UpdateSubscriptionParams{})
	_, refused["ListContracts"] = pub.ListContracts(ctx, nil)
	_, refused["GetContract"] = pub.GetContract(ctx, "ctr_1")
	_, refused["CreateContract"] = pub.CreateContract(ctx, drip.ContractParams{CustomerID: cu.ID, Name: "C", StartDate: time.Now()})
	refused["DeleteContract"] = pub.DeleteContract(ctx, "ctr_1")
	_, refused["AddContractOverride"] = pub.AddContractOverride(ctx, "ctr_1", "tok", dec("1"))
	refused["RemoveContractOverride"] = pub.RemoveContractOverride(ctx, "ctr_1", "tok")
	_, refused["ChangeCustomerPricing"] = pub.ChangeCustomerPricing(ctx, cu.ID, drip.PricingChangeParams{Prorate: true})
	_, refused["ChangeCustomerEntitlementPlan"] = pub.ChangeCustomerEntitlementPlan(ctx, cu.ID, drip.EntitlementChangeParams{PlanID: "p"})
	_, refused["ListPlanChanges"] = pub.ListPlanChanges(ctx, cu.ID, nil)
	_, refused["GetPlanChange"] = pub.GetPlanChange(ctx, cu.ID, "pc_1")
	_, refused["RollbackPlanChange"] = pub.RollbackPlanChange(ctx, cu.ID, "pc_1", "")
	for name, err := range refused {
		if !errors.Is(err, drip.ErrPublicKeyNotAllowed) {
			t.Errorf("%s with pk_: %v, want PUBLIC_KEY_NOT_ALLOWED", name, err)
		}
	}
	if n := srv.requests.Load() - before; n != 0 {
		t.Fatalf("%d requests sent with a public key", n)
	}
	// dripd refuses the same set.
	for _, r := range []struct{ method, path string }{
		{"POST", "/subscriptions"}, {"PATCH", "/subscriptions/" + sub.ID}, {"POST", "/subscriptions/" + sub.ID + "/cancel"},
		{"POST", "/subscriptions/" + sub.ID + "/pause"}, {"POST", "/subscriptions/" + sub.ID + "/resume"},
		{"POST", "/contracts"}, {"GET", "/contracts"}, {"GET", "/contracts/x"}, {"PATCH", "/contracts/x"},
		{"DELETE", "/contracts/x"}, {"POST", "/contracts/x/overrides"}, {"DELETE", "/contracts/x/overrides/t"},
		{"POST", "/customers/" + cu.ID + "/plan-changes/pricing"}, {"POST", "/customers/" + cu.ID + "/plan-changes/entitlement"},
		{"GET", "/customers/" + cu.ID + "/plan-changes"}, {"GET", "/customers/" + cu.ID + "/plan-changes/x"},
		{"POST", "/customers/" + cu.ID + "/plan-changes/x/rollback"},
	} {
		req, _ := http.NewRequestWithContext(ctx, r.method, srv.BaseURL()+r.path, nil)
		req.Header.Set("Authorization", "Bearer pk_test_account_rules")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("dripd %s %s with pk_: %d, want 403", r.method, r.path, resp.StatusCode)
		}
	}
}

func TestAccountValidation(t *testing.T) {
	ctx := ctxT(t)
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	now := time.Now()
	for _, tc := range []struct {
		field string
		call  func() error
	}{
		{"customerId", func() error {
			_, err := c.CreateSubscription(ctx, drip.SubscriptionParams{Name: "n", Interval: drip.IntervalDaily})
			return err
		}},
		{"interval", func() error {
			_, err := c.CreateSubscription(ctx, drip.SubscriptionParams{CustomerID: "c", Name: "n", Interval: "HOURLY"})
			return err
		}},
		{"priceUsdc", func() error {
			_, err := c.CreateSubscription(ctx, drip.SubscriptionParams{CustomerID: "c", Name: "n", Interval: drip.IntervalDaily, Price: dec("0.0000001")})
			return err
		}},
		{"includedUsage", func() error {
			_, err := c.CreateSubscription(ctx, drip.SubscriptionParams{CustomerID: "c", Name: "n", Interval: drip.IntervalDaily, IncludedUsage: ptr(1.5)})
			return err
		}},
		{"subscriptionId", func() error { _, err := c.GetSubscription(ctx, " "); return err }},
		{"startDate", func() error {
			_, err := c.CreateContract(ctx, drip.ContractParams{CustomerID: "c", Name: "n"})
			return err
		}},
		{"endDate", func() error {
			_, err := c.CreateContract(ctx, drip.ContractParams{CustomerID: "c", Name: "n", StartDate: now, EndDate: now.Add(-time.Hour)})
			return err
		}},
		{"discountPct", func() error {
			_, err := c.CreateContract(ctx, drip.ContractParams{CustomerID: "c", Name: "n", StartDate: now, DiscountPct: ptr(dec("101"))})
			return err
		}},
		{"maximumUsdc", func() error {
			_, err := c.UpdateContract(ctx, "ctr", drip.UpdateContractParams{Minimum: ptr(dec("5")), Maximum: ptr(dec("4"))})
			return err
		}},
		{"unitPriceUsd", func() error { _, err := c.AddContractOverride(ctx, "ctr", "tok", dec("-1")); return err }},
		{"body", func() error { _, err := c.ChangeCustomerPricing(ctx, "c", drip.PricingChangeParams{}); return err }},
		{"limit", func() error {
			_, err := c.ListPlanChanges(ctx, "c", &drip.ListPlanChangesParams{Limit: 201})
			return err
		}},
		{"planId", func() error {
			_, err := c.ChangeCustomerEntitlementPlan(ctx, "c", drip.EntitlementChangeParams{})
			return err
		}},
	} {
		refusedBeforeSending(t, srv, tc.call, tc.field)
	}
	// dripd's own checks.
	cu := payer(t, c, "validate-09")
	plain, err := c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "no-address"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateSubscription(ctx, drip.SubscriptionParams{CustomerID: plain.ID, Name: "n", Interval: drip.IntervalDaily,
		Price: dec("1")}); !errors.Is(err, drip.ErrValidation) {
		t.Fatalf("paid subscription for a customer without an address: %v", err)
	}
	if _, err := c.ChangeCustomerPricing(ctx, cu.ID, drip.PricingChangeParams{Prorate: true,
		EffectiveDate: time.Now().AddDate(1, 0, 0)}); !errors.Is(err, drip.ErrValidation) {
		t.Fatalf("effectiveDate outside the period: %v", err)
	}
}
