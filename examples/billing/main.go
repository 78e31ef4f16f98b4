// Command billing shows an HTTP API that acts on Drip billing: its LLM
// endpoint is gated by each customer's entitlement plan and charged before
// it runs, a spending cap stops a customer at its daily limit, and a
// webhook receiver prints the spending alerts Drip sends on the way.
//
//	go run ./examples/billing
//
// The story: summaries cost 0.01 USDC each. acme is on the free plan (3
// summaries a day) and is refused the 4th with 403 ENTITLEMENT_DENIED;
// globex is on the pro plan (unlimited) with a daily spending cap of
// 0.05 USDC, and is refused with 403 CUSTOMER_BLOCKED once it has spent it,
// after alerts at 50, 80, 95 and 100%. Refused requests never reach the
// handler, so no LLM tokens are spent on them.
//
// It runs offline: with DRIP_BASE_URL (and DRIP_API_URL) unset it uses a
// local dripd started in this process, which delivers webhooks to the
// receiver on 127.0.0.1, and with OPENAI_BASE_URL unset the handler calls a
// fake OpenAI (package driptest/openaitest). Against Drip (DRIP_BASE_URL
// and a secret DRIP_API_KEY), webhooks need an https URL Drip can reach:
// set WEBHOOK_URL to it and WEBHOOK_ADDR to the local address it forwards
// to; without them the example runs without alerts.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/driptest/openaitest"
	"github.com/drip-sdk/drip-go/middleware"
)

// The product: one metered feature, priced per request.
const (
	feature    = "summaries" // the meter, the pricing plan's unit type and the entitlement feature
	unitPrice  = "0.01"      // USDC per summary
	freeDaily  = "3"         // summaries a day on the free plan
	dailyCap   = "0.05"      // globex's daily spending cap, USDC
	maxPerUser = 10          // requests each customer sends at most
)

// alertLevels are the percentages of a spending cap Drip alerts at.
var alertLevels = []int{50, 80, 95, 100}

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, w io.Writer) error {
	out := &lockedWriter{w: w} // the app server's goroutines print too (OnError)

	// 1. A Drip client with a secret key (a local dripd when offline) and
	// a tracker for the LLM usage.
	client, local, stop, err := dripClient(ctx, out)
	if err != nil {
		return err
	}
	defer stop()
	tracker := drip.NewTracker(client)
	defer shutdown(tracker) // on an early return; a second Shutdown is harmless

	// 2. Admin set-up: prices, plans, customers, a spending cap.
	fmt.Fprintln(out, "\nset-up (secret key):")
	acme, globex, err := setup(ctx, client, out)
	if err != nil {
		return err
	}
	names := map[string]string{acme: "acme", globex: "globex"}

	// 3. The webhook receiver, registered for the spending alerts.
	receiver, closeReceiver, err := startReceiver(ctx, client, local != nil, names, out)
	if err != nil {
		return err
	}
	defer closeReceiver()

	// 4. The app: POST /v1/summarize calls an LLM, behind the middleware.
	baseURL, openaiKey := os.Getenv("OPENAI_BASE_URL"), os.Getenv("OPENAI_API_KEY")
	var fake *openaitest.Server
	if baseURL == "" {
		fake = openaitest.Start()
		defer fake.Close()
		baseURL, openaiKey = fake.BaseURL(), "sk-fake"
		fmt.Fprintln(out, "OPENAI_BASE_URL not set: calling a fake OpenAI at", baseURL)
	}
	cfg := goopenai.DefaultConfig(openaiKey)
	cfg.BaseURL = baseURL
	// The LLM tokens are tracked for the request's customer (the
	// middleware puts it in the context); there is no pricing plan for
	// them, so they are recorded, not billed: customers pay per summary.
	llm := drip.WrapOpenAI(goopenai.NewClientWithConfig(cfg), "", drip.WithOpenAITracker(tracker))

	var served sync.Map // customer id → *atomic.Int64: how often the handler ran
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/summarize", func(w http.ResponseWriter, r *http.Request) {
		customer := middleware.FromContext(r.Context()).CustomerID
		n, _ := served.LoadOrStore(customer, new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
		resp, err := llm.CreateChatCompletion(r.Context(), goopenai.ChatCompletionRequest{
			Model:    "gpt-4o-mini",
			Messages: []goopenai.ChatCompletionMessage{{Role: "user", Content: "Summarize: the order shipped."}},
		})
		if err != nil {
			http.Error(w, "upstream error", http.StatusBadGateway)
			return
		}
		io.WriteString(w, resp.Choices[0].Message.Content+"\n")
	})

	apiKeys := map[string]string{"key-acme": acme, "key-globex": globex} // the app's own auth
	app := middleware.New(middleware.Config{
		Meter:   feature,
		Tracker: tracker,
		CustomerResolver: func(r *http.Request) (string, error) {
			key, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if id, ok := apiKeys[key]; ok {
				return id, nil
			}
			return "", errors.New("unknown API key")
		},
		// Checked first: is the customer's plan good for one more summary?
		Entitlement: &middleware.EntitlementGate{Feature: feature},
		// Then charged, before the handler: the spending cap acts here.
		Mode: middleware.ChargeBefore,
		OnError: func(r *http.Request, err error) {
			if !errors.Is(err, drip.ErrEntitlementDenied) && !errors.Is(err, drip.ErrCustomerBlocked) {
				fmt.Fprintf(out, "     (drip: %s %s: %v)\n", r.Method, r.URL.Path, err)
			}
		},
	})(mux)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: app, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close() // on an early return
	base := "http://" + ln.Addr().String()
	fmt.Fprintln(out, "serving the app on", base)

	// 5. Traffic: each customer asks for summaries until it is refused.
	// Alerts are waited for after each request (never a fixed sleep), so
	// they print next to the request that caused them; one deadline bounds
	// all the waiting.
	alertCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, c := range []struct{ name, key, id string }{{"acme", "key-acme", acme}, {"globex", "key-globex", globex}} {
		fmt.Fprintf(out, "\n%s asks for summaries:\n", c.name)
		for i := 1; i <= maxPerUser; i++ {
			status, reply, err := summarize(ctx, base, c.key)
			if err != nil {
				return err
			}
			line := fmt.Sprintf("  #%-2d POST /v1/summarize -> %d %s", i, status, reply)
			caps, err := client.ListSpendingCaps(ctx, c.id)
			if err != nil {
				return err
			}
			for _, cp := range caps {
				if cp.Type == drip.CapDaily && status == http.StatusOK {
					line += fmt.Sprintf("   (daily cap: %s of %s USDC spent)", cp.CurrentUsage.StringFixed(2), cp.Limit.StringFixed(2))
				}
			}
			fmt.Fprintln(out, line)
			if receiver != nil {
				for _, cp := range caps {
					if err := receiver.waitFor(alertCtx, c.id, cp.LastAlertLevel); err != nil {
						return err
					}
				}
				receiver.print(out, "       ")
			}
			if status != http.StatusOK {
				break
			}
		}
	}

	if err := receiver.settle(alertCtx, client, out); err != nil {
		return err
	}

	// 6. Stop serving, deliver the LLM usage, then show the books.
	sctx, cancelShutdown := context.WithTimeout(ctx, 5*time.Second)
	defer cancelShutdown()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := shutdown(tracker); err != nil {
		return err
	}
	ran := func(id string) int64 {
		if n, ok := served.Load(id); ok {
			return n.(*atomic.Int64).Load()
		}
		return 0
	}
	fmt.Fprintf(out, "\nthe handler ran %d times for acme and %d times for globex: refused requests never reach it\n", ran(acme), ran(globex))
	if fake != nil {
		fmt.Fprintf(out, "the fake OpenAI answered %d chat completions\n", fake.Requests("/chat/completions"))
	}
	for _, id := range []string{acme, globex} {
		if err := report(ctx, client, id, names[id], out); err != nil {
			return err
		}
	}
	return nil
}

// summarize sends one request as a client of the app would, and returns
// the status and a one-line reply: the summary, or the error code and
// Drip's reason from the middleware's {error, code} envelope.
func summarize(ctx context.Context, base, key string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/v1/summarize", strings.NewReader(`{"text":"the order shipped"}`))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", err
	}
	if resp.StatusCode == http.StatusOK {
		return resp.StatusCode, strings.TrimSpace(string(body)), nil
	}
	var e struct{ Error, Code string }
	if json.Unmarshal(body, &e) != nil || e.Code == "" {
		return resp.StatusCode, strings.TrimSpace(string(body)), nil
	}
	return resp.StatusCode, e.Code + ": " + e.Error, nil
}

// setup creates what an operator sets up once, with the secret key: the
// price of a summary, the free (default) and pro entitlement plans, and
// two billable customers, globex on pro with a daily spending cap. Against
// a Drip account that already has them, it reuses them.
func setup(ctx context.Context, client *drip.Client, out io.Writer) (acme, globex string, err error) {
	plan, err := client.CreatePricingPlan(ctx, drip.PricingPlanParams{
		Name: "Summaries", UnitType: feature, UnitPrice: drip.MustDecimal(unitPrice),
	})
	if errors.Is(err, drip.ErrDuplicatePricingPlan) {
		plan, err = client.GetPricingPlanByType(ctx, feature)
	}
	if err != nil {
		return "", "", err
	}
	fmt.Fprintf(out, "  pricing plan %q: %s at %s %s each\n", plan.Name, plan.UnitType, plan.UnitPrice, plan.Currency)

	free, err := entitlementPlan(ctx, client, drip.EntitlementPlanParams{Name: "Free", Slug: "free", IsDefault: true},
		drip.EntitlementRuleParams{FeatureKey: feature, LimitType: drip.LimitCount, Period: drip.PeriodDaily, LimitValue: drip.MustDecimal(freeDaily)})
	if err != nil {
		return "", "", err
	}
	fmt.Fprintf(out, "  entitlement plan %s (the default): %s %s a day\n", free.Slug, freeDaily, feature)
	pro, err := entitlementPlan(ctx, client, drip.EntitlementPlanParams{Name: "Pro", Slug: "pro"},
		drip.EntitlementRuleParams{FeatureKey: feature, LimitType: drip.LimitCount, Period: drip.PeriodDaily, Unlimited: true})
	if err != nil {
		return "", "", err
	}
	fmt.Fprintf(out, "  entitlement plan %s: %s unlimited\n", pro.Slug, feature)

	// An on-chain address makes a customer billable: its charges are drawn
	// from that account's USDC balance.
	if acme, err = customer(ctx, client, "acme", "0x1111111111111111111111111111111111111111"); err != nil {
		return "", "", err
	}
	fmt.Fprintf(out, "  customer acme   %s: plan %s (the default)\n", acme, free.Slug)
	if globex, err = customer(ctx, client, "globex", "0x2222222222222222222222222222222222222222"); err != nil {
		return "", "", err
	}
	if _, err = client.AssignCustomerEntitlement(ctx, globex, drip.AssignEntitlementParams{PlanID: pro.ID}); err != nil {
		return "", "", err
	}
	block := true
	capped, err := client.SetSpendingCap(ctx, globex, drip.SpendingCapParams{
		Type: drip.CapDaily, Limit: drip.MustDecimal(dailyCap), AutoBlock: &block,
	})
	if err != nil {
		return "", "", err
	}
	fmt.Fprintf(out, "  customer globex %s: plan %s, %s cap of %s USDC (auto-block)\n", globex, pro.Slug, capped.Type, capped.Limit)
	return acme, globex, nil
}

// entitlementPlan returns the plan with p's slug, creating it with rule
// when there is none.
func entitlementPlan(ctx context.Context, client *drip.Client, p drip.EntitlementPlanParams, rule drip.EntitlementRuleParams) (*drip.EntitlementPlan, error) {
	plans, err := client.ListEntitlementPlans(ctx)
	if err != nil {
		return nil, err
	}
	for i := range plans {
		if plans[i].Slug == p.Slug {
			return &plans[i], nil
		}
	}
	plan, err := client.CreateEntitlementPlan(ctx, p)
	if err != nil {
		return nil, err
	}
	if _, err := client.CreateEntitlementRule(ctx, plan.ID, rule); err != nil {
		return nil, err
	}
	return plan, nil
}

// customer returns the Drip id of the customer with this external id,
// creating it with an on-chain address when there is none.
func customer(ctx context.Context, client *drip.Client, externalID, address string) (string, error) {
	c, err := client.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: externalID, OnchainAddress: address})
	if e, ok := drip.AsError(err); ok && errors.Is(err, drip.ErrDuplicateCustomer) && e.ExistingCustomerID != "" {
		return e.ExistingCustomerID, nil
	}
	if err != nil {
		return "", err
	}
	return c.ID, nil
}

// receiver is the app's webhook endpoint: it verifies each delivery (the
// WebhookHandler does), handles each event once and writes a line for it.
// Deliveries arrive on the server's goroutines, possibly before the client
// that caused them has its reply and in any order, so the lines wait in
// log until the traffic loop prints them after the request they belong to.
type receiver struct {
	webhookID string
	names     map[string]string // customer id → name, for printing
	arrived   chan struct{}     // a token after each alert received

	mu     sync.Mutex
	seen   map[string]bool         // event ids: Drip delivers again after a failure
	levels map[string]map[int]bool // customer id → alert levels received
	log    []alertLine             // lines not printed yet
}

type alertLine struct {
	percentage int
	text       string
}

// handle is the WebhookHandler callback: the delivery's signature is
// already verified when it runs. Returning an error answers 500 and Drip
// delivers the event again, so an event seen before is skipped.
func (rc *receiver) handle(_ context.Context, e drip.WebhookEvent) error {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.seen[e.ID] {
		return nil
	}
	switch e.Type {
	case drip.WebhookTest:
		rc.log = append(rc.log, alertLine{text: fmt.Sprintf("webhook %s: signature verified", e.Type)})
	case drip.WebhookCustomerSpendingWarning, drip.WebhookCustomerSpendingBlocked:
		a, err := e.SpendingAlert()
		if err != nil {
			return err
		}
		rc.log = append(rc.log, alertLine{a.Percentage, fmt.Sprintf("webhook %-25s %-8s %3d%%: %s has spent %s of its %s USDC %s",
			e.Type, a.Level, a.Percentage, rc.names[a.CustomerID], a.CurrentUsage.StringFixed(2), a.LimitValue.StringFixed(2), a.CapType)})
		if rc.levels[a.CustomerID] == nil {
			rc.levels[a.CustomerID] = map[int]bool{}
		}
		rc.levels[a.CustomerID][a.Percentage] = true
		select {
		case rc.arrived <- struct{}{}:
		default: // a token is already waiting
		}
	}
	rc.seen[e.ID] = true
	return nil
}

// waitFor returns once every alert level up to upTo has been received for
// customerID (a cap's LastAlertLevel says how far Drip has alerted), or
// fails when ctx ends first.
func (rc *receiver) waitFor(ctx context.Context, customerID string, upTo int) error {
	for {
		rc.mu.Lock()
		missing := slices.IndexFunc(alertLevels, func(l int) bool { return l <= upTo && !rc.levels[customerID][l] })
		rc.mu.Unlock()
		if missing < 0 {
			return nil
		}
		select {
		case <-rc.arrived:
		case <-ctx.Done():
			return fmt.Errorf("webhooks: the %d%% alert for %s did not arrive: %w", alertLevels[missing], rc.names[customerID], ctx.Err())
		}
	}
}

// settle waits until Drip has no delivery pending for the endpoint, so
// every event it queued has been handled, then prints the lines left and
// the endpoint's delivery stats.
func (rc *receiver) settle(ctx context.Context, client *drip.Client, out io.Writer) error {
	if rc == nil {
		return nil
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		wh, err := client.GetWebhook(ctx, rc.webhookID)
		if err != nil {
			return err
		}
		if wh.Stats == nil || wh.Stats.Pending == 0 {
			rc.print(out, "  ")
			if st := wh.Stats; st != nil {
				fmt.Fprintf(out, "\nwebhook %s: %d deliveries, %d delivered, %d failed, %d pending; health %s\n",
					wh.ID, st.Total, st.Delivered, st.Failed, st.Pending, wh.HealthStatus)
			}
			return nil
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("webhooks: deliveries still pending: %w", ctx.Err())
		}
	}
}

// print writes the lines received since the last call, lowest alert level
// first (one charge can reach two levels, delivered in either order).
func (rc *receiver) print(out io.Writer, indent string) {
	if rc == nil {
		return
	}
	rc.mu.Lock()
	lines := rc.log
	rc.log = nil
	rc.mu.Unlock()
	slices.SortStableFunc(lines, func(a, b alertLine) int { return a.percentage - b.percentage })
	for _, l := range lines {
		fmt.Fprintln(out, indent+l.text)
	}
}

// startReceiver serves the webhook endpoint, registers it for the spending
// alerts and sends it a test event. Against Drip it needs WEBHOOK_URL, an
// https URL that reaches POST /webhooks/drip on WEBHOOK_ADDR (a tunnel, a
// reverse proxy); without it, it returns a nil receiver.
// closeFn deletes the webhook and stops the server.
func startReceiver(ctx context.Context, client *drip.Client, local bool, names map[string]string, out io.Writer) (rc *receiver, closeFn func(), err error) {
	publicURL := os.Getenv("WEBHOOK_URL")
	if !local && publicURL == "" {
		fmt.Fprintln(out, "  WEBHOOK_URL not set: running without the webhook receiver (Drip cannot reach this machine)")
		return nil, func() {}, nil
	}
	addr := os.Getenv("WEBHOOK_ADDR")
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	if publicURL == "" {
		publicURL = "http://" + ln.Addr().String() + "/webhooks/drip" // a local dripd delivers to loopback
	}
	wh, err := client.CreateWebhook(ctx, drip.WebhookParams{
		URL:         publicURL,
		Events:      []string{drip.WebhookCustomerSpendingWarning, drip.WebhookCustomerSpendingBlocked},
		Description: "examples/billing spending alerts",
	})
	if err != nil {
		ln.Close()
		return nil, nil, err
	}
	rc = &receiver{webhookID: wh.ID, names: names, arrived: make(chan struct{}, 1),
		seen: map[string]bool{}, levels: map[string]map[int]bool{}}
	mux := http.NewServeMux()
	// The secret is shown once, by CreateWebhook: keep it in your secret
	// store. The handler refuses deliveries it did not sign.
	mux.Handle("POST /webhooks/drip", drip.WebhookHandler(wh.Secret, rc.handle))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	closeFn = func() {
		_ = client.DeleteWebhook(context.WithoutCancel(ctx), wh.ID)
		srv.Close()
	}
	fmt.Fprintf(out, "  webhook %s -> %s\n    for %s\n", wh.ID, publicURL, strings.Join(wh.Events, ", "))
	test, err := client.TestWebhook(ctx, wh.ID)
	if err != nil {
		closeFn()
		return nil, nil, err
	}
	rc.print(out, "  ")
	fmt.Fprintf(out, "  webhook test delivery: %s (HTTP %d)\n", test.Status, test.ResponseCode)
	return rc, closeFn, nil
}

// report prints what Drip has for a customer: balance, charges, the
// entitlement's use today and the usage priced so far.
func report(ctx context.Context, client *drip.Client, id, name string, out io.Writer) error {
	ent, err := client.GetCustomerEntitlement(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\n%s (%s), plan %s:\n", name, id, ent.PlanSlug)

	bal, err := client.GetBalance(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  balance %s USDC, available %s USDC\n", bal.Balance.StringFixed(6), bal.Available.StringFixed(6))

	charges, err := client.ListCharges(ctx, &drip.ListChargesParams{CustomerID: id})
	if err != nil {
		return err
	}
	var total drip.Decimal
	for _, ch := range charges.Charges {
		total = total.Add(ch.AmountUSDC)
	}
	fmt.Fprintf(out, "  %d charges, %s USDC in all:\n", charges.Count, total.StringFixed(6))
	for _, ch := range slices.Backward(charges.Charges) { // oldest first
		fmt.Fprintf(out, "    %s  %s ×%g  %s USDC  %s\n", ch.ID, ch.Usage.Meter, ch.Usage.Quantity, ch.AmountUSDC.StringFixed(6), ch.Status)
	}

	if u, ok := ent.Usage[feature]; ok {
		if u.Limit.Sign() < 0 {
			fmt.Fprintf(out, "  %s this period (%s): %s used, unlimited\n", feature, u.Period, u.Used)
		} else {
			fmt.Fprintf(out, "  %s this period (%s): %s used of %s, %s remaining\n", feature, u.Period, u.Used, u.Limit, u.Remaining)
		}
	}

	caps, err := client.ListSpendingCaps(ctx, id)
	if err != nil {
		return err
	}
	for _, cp := range caps {
		fmt.Fprintf(out, "  %s: %s of %s USDC spent, last alert at %d%%\n", cp.Type, cp.CurrentUsage.StringFixed(6), cp.Limit.StringFixed(6), cp.LastAlertLevel)
	}

	// Everything recorded today, priced: the LLM tokens are there too, at
	// no charge, as they have no pricing plan.
	now := time.Now().UTC()
	est, err := client.EstimateFromUsage(ctx, drip.EstimateFromUsageParams{
		CustomerID:  id,
		PeriodStart: time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC),
		PeriodEnd:   now.Add(time.Minute),
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "  usage today:")
	for _, li := range est.LineItems {
		priced := "no pricing plan: recorded, not billed"
		if li.HasPricingPlan {
			priced = "at " + li.UnitPrice.String() + " USDC"
		}
		fmt.Fprintf(out, "    %-10s %s in %d records -> %s USDC (%s)\n", li.Meter, li.Quantity, li.EventCount, li.EstimatedCost.StringFixed(6), priced)
	}
	return nil
}

// lockedWriter serialises writes from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// shutdown shuts the tracker down, giving it 10 seconds to deliver what is
// still queued.
func shutdown(t *drip.Tracker) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return t.Shutdown(ctx)
}

// dripClient returns a client for Drip when DRIP_BASE_URL or DRIP_API_URL
// is set (drip.New reads them and DRIP_API_KEY, which must be a secret key
// here: the set-up writes plans and webhooks). Otherwise it starts a local
// dripd with an in-memory store, returned as local, and a client for it
// with a secret key. stop shuts down what it started.
func dripClient(ctx context.Context, out io.Writer) (client *drip.Client, local *driptest.Local, stop func(), err error) {
	if os.Getenv("DRIP_BASE_URL") != "" || os.Getenv("DRIP_API_URL") != "" {
		client, err = drip.New()
		if err != nil {
			return nil, nil, nil, err
		}
		fmt.Fprintln(out, "billing through Drip at", client.BaseURL())
		return client, nil, func() {}, nil
	}
	if local, err = driptest.StartLocal(ctx); err != nil {
		return nil, nil, nil, err
	}
	fmt.Fprintln(out, "DRIP_BASE_URL not set: billing through a local dripd at", local.BaseURL())
	return local.Client, local, func() { local.Close() }, nil
}
