package dashboard_test

import (
	"context"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
)

// plans is what recordPlans created, as the customer page must show it.
type plans struct {
	customer   string // external id
	sub, trial *drip.Subscription
	contract   *drip.Contract
}

// recordPlans creates, through the SDK client, a billable customer with a
// paid monthly subscription that includes usage, a weekly one in its trial
// set to cancel at period end, and a contract with a discount, included
// units and a price override.
func recordPlans(t *testing.T, e *env) plans {
	t.Helper()
	ctx := context.Background()
	p := plans{customer: "initech"}
	c, err := e.client.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: p.customer,
		OnchainAddress: "0x5f3c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a"})
	if err != nil {
		t.Fatal(err)
	}
	included := 1000.0
	if p.sub, err = e.client.CreateSubscription(ctx, drip.SubscriptionParams{CustomerID: c.ID, Name: "Pro",
		Interval: drip.IntervalMonthly, Price: drip.MustDecimal("29.99"), IncludedUsage: &included,
		OverageUnitType: "tokens"}); err != nil {
		t.Fatal(err)
	}
	if p.trial, err = e.client.CreateSubscription(ctx, drip.SubscriptionParams{CustomerID: c.ID, Name: "Team seats",
		Interval: drip.IntervalWeekly, Price: drip.MustDecimal("5"), TrialDays: 14}); err != nil {
		t.Fatal(err)
	}
	if p.trial, err = e.client.CancelSubscription(ctx, p.trial.ID, drip.CancelSubscriptionParams{}); err != nil {
		t.Fatal(err)
	}
	discount := drip.MustDecimal("15")
	start := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	if p.contract, err = e.client.CreateContract(ctx, drip.ContractParams{CustomerID: p.customer, Name: "Enterprise 2025",
		StartDate: start, EndDate: start.AddDate(1, 0, 0), DiscountPct: &discount,
		IncludedUnits: map[string]int64{"tokens": 50000, "api_calls": 200}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.AddContractOverride(ctx, p.contract.ID, "tokens", drip.MustDecimal("0.000002")); err != nil {
		t.Fatal(err)
	}
	return p
}

// row returns the table row of the element with attr="id".
func row(t *testing.T, body, attr, id string) string {
	t.Helper()
	i := strings.Index(body, attr+`="`+id+`"`)
	if i < 0 {
		t.Fatalf("the page has no row %s=%q", attr, id)
	}
	end := strings.Index(body[i:], "</tr>")
	if end < 0 {
		t.Fatalf("row %s is not closed", id)
	}
	return body[i : i+end]
}

var tagRE = regexp.MustCompile(`<[^>]+>`)

// cell returns the text of the element whose class list holds class, in
// a row: tags dropped, <br> as "; ", entities decoded.
func cell(t *testing.T, row, class string) string {
	t.Helper()
	re := regexp.MustCompile(`<(td|span)[^>]* class="(?:[^"]* )?` + class + `(?: [^"]*)?"[^>]*>(.*?)</(?:td|span)>`)
	m := re.FindStringSubmatch(row)
	if m == nil {
		t.Fatalf("no .%s in row %s", class, row)
	}
	return html.UnescapeString(tagRE.ReplaceAllString(strings.ReplaceAll(m[2], "<br>", "; "), ""))
}

// when writes a time as the dashboard does.
func when(tm time.Time) string { return tm.UTC().Format("2006-01-02 15:04:05") }

func TestCustomerSubscriptionsAndContracts(t *testing.T) {
	e := newEnv(t)
	p := recordPlans(t, e)
	st, body, _ := e.get(t, "/customers/"+p.customer)
	if st != 200 {
		t.Fatalf("customer page: %d", st)
	}

	sub := row(t, body, "data-subscription-id", p.sub.ID)
	for class, want := range map[string]string{
		"sub-name":     "Pro",
		"sub-status":   "ACTIVE",
		"sub-price":    "29.990000 USDC / month",
		"sub-period":   when(p.sub.CurrentPeriodStart) + " → " + when(p.sub.CurrentPeriodEnd),
		"sub-trial":    "—",
		"sub-included": "1,000 tokens / month",
	} {
		if got := cell(t, sub, class); got != want {
			t.Errorf("subscription %s = %q, want %q", class, got, want)
		}
	}
	if !strings.Contains(sub, `class="badge sub-status ok"`) || strings.Contains(sub, "sub-cancels") {
		t.Errorf("the paid subscription's badges: %s", sub)
	}

	trial := row(t, body, "data-subscription-id", p.trial.ID)
	for class, want := range map[string]string{
		"sub-status":   "TRIALING",
		"sub-cancels":  "cancels at period end",
		"sub-price":    "5.000000 USDC / week",
		"sub-trial":    when(p.trial.TrialEnd),
		"sub-period":   when(p.trial.CurrentPeriodStart) + " → " + when(p.trial.TrialEnd),
		"sub-included": "—",
	} {
		if got := cell(t, trial, class); got != want {
			t.Errorf("trial subscription %s = %q, want %q", class, got, want)
		}
	}
	if p.trial.TrialEnd.IsZero() || !p.trial.CancelAtPeriodEnd {
		t.Fatalf("the trial subscription was not created as meant: %+v", p.trial)
	}
	// Newest first, like the API lists them.
	if strings.Index(body, p.trial.ID) > strings.Index(body, p.sub.ID) {
		t.Error("subscriptions are not listed newest first")
	}

	ct := row(t, body, "data-contract-id", p.contract.ID)
	for class, want := range map[string]string{
		"ct-name":      "Enterprise 2025",
		"ct-status":    "ACTIVE",
		"ct-in-effect": "in effect",
		"ct-dates":     when(p.contract.StartDate) + " → " + when(p.contract.EndDate),
		"ct-discount":  "15%",
		"ct-included":  "200 api_calls; 50,000 tokens",
		"ct-overrides": "tokens: 0.000002 USDC / unit",
	} {
		if got := cell(t, ct, class); got != want {
			t.Errorf("contract %s = %q, want %q", class, got, want)
		}
	}

	// The paid period was charged against the starting balance.
	if !strings.Contains(body, `id="balance">70.010000 USDC<`) {
		t.Error("the balance does not show the subscription's charge (100 − 29.99)")
	}
	for _, avoid := range []string{"no-subscriptions", "no-contracts", "renewal due"} {
		if strings.Contains(body, avoid) {
			t.Errorf("the customer page shows %q", avoid)
		}
	}
}

func TestCustomerPlansEmptyStates(t *testing.T) {
	e := newEnv(t)
	rec := record(t, e)
	_, body, _ := e.get(t, "/customers/"+rec.customer)
	for _, want := range []string{
		`No subscriptions. Create one with <code>client.CreateSubscription</code>.`,
		`No contracts. Create one with <code>client.CreateContract</code>.`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("customer page lacks %q", want)
		}
	}
	for _, avoid := range []string{`id="subscriptions"`, `id="contracts"`} {
		if strings.Contains(body, avoid) {
			t.Errorf("customer page without plans has %s", avoid)
		}
	}
}

// A cancelled contract reads CANCELLED and is no longer in effect.
func TestCustomerCancelledContract(t *testing.T) {
	e := newEnv(t)
	p := recordPlans(t, e)
	if err := e.client.DeleteContract(context.Background(), p.contract.ID); err != nil {
		t.Fatal(err)
	}
	_, body, _ := e.get(t, "/customers/"+p.customer)
	ct := row(t, body, "data-contract-id", p.contract.ID)
	if got := cell(t, ct, "ct-status"); got != "CANCELLED" {
		t.Errorf("cancelled contract status %q", got)
	}
	if strings.Contains(ct, "ct-in-effect") {
		t.Error("a cancelled contract shows as in effect")
	}
}
