package drip_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
)

// returnSite records the requests the checkout page redirects to.
type returnSite struct {
	*httptest.Server
	mu   sync.Mutex
	hits []url.URL
}

func newReturnSite(t *testing.T) *returnSite {
	rs := &returnSite{}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.mu.Lock()
		rs.hits = append(rs.hits, *r.URL)
		rs.mu.Unlock()
		io.WriteString(w, "back in the app")
	}))
	t.Cleanup(rs.Close)
	return rs
}

func (rs *returnSite) last(t *testing.T) *url.URL {
	t.Helper()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if len(rs.hits) == 0 {
		t.Fatal("the return URL was never visited")
	}
	u := rs.hits[len(rs.hits)-1]
	return &u
}

// submit posts the checkout page's form with a real HTTP client that
// follows the redirect, as a browser would.
func submit(t *testing.T, pageURL, action string) *http.Response {
	t.Helper()
	resp, err := http.PostForm(pageURL, url.Values{"action": {action}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func getPage(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestCheckoutCompletesThroughLocalPage(t *testing.T) {
	ctx := ctxT(t)
	clock := newClock()
	srv := startServer(t, nil, dripserver.WithClock(clock.now))
	c := newClient(t, srv.BaseURL())
	site := newReturnSite(t)
	cu := payer(t, c, "checkout-01")

	s, err := c.Checkout(ctx, drip.CheckoutParams{Amount: dec("25.50"), CustomerID: cu.ID, ReturnURL: site.URL + "/done?from=drip",
		Metadata: map[string]any{"campaign": "spring"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.URL, srv.URL+"/checkout/") || !s.ExpiresAt.Equal(clock.now().Add(30*time.Minute)) {
		t.Fatalf("session = %+v", s)
	}
	wantDec(t, "amount_usd", s.AmountUSD, "25.5")
	st, body := getPage(t, s.URL)
	if st != 200 || !strings.Contains(body, "$25.50") || !strings.Contains(body, `value="pay"`) {
		t.Fatalf("page: %d %s", st, body)
	}

	resp := submit(t, s.URL, "pay")
	if resp.StatusCode != 200 || resp.Request.URL.Host != strings.TrimPrefix(site.URL, "http://") {
		t.Fatalf("after paying: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	q := site.last(t).Query()
	if q.Get("session_id") != s.ID || q.Get("customer_id") != cu.ID || q.Get("status") != "complete" || q.Get("from") != "drip" {
		t.Fatalf("return URL query = %v", q)
	}
	bal, err := c.GetBalance(ctx, cu.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantDec(t, "balance after the deposit", bal.Balance, "125.5")

	// Paying again redirects again and credits nothing.
	submit(t, s.URL, "pay")
	if bal, _ = c.GetBalance(ctx, cu.ID); bal.Balance.Cmp(dec("125.5")) != 0 {
		t.Fatalf("second pay credited again: %s", bal.Balance)
	}
	if st, body = getPage(t, s.URL); st != 200 || !strings.Contains(body, "Paid") {
		t.Fatalf("paid page: %d %s", st, body)
	}
}

func TestCheckoutCreatesCustomerOnPayment(t *testing.T) {
	ctx := ctxT(t)
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL(), drip.WithAPIKey("pk_test_checkout_0001")) // checkout is a public key's
	site := newReturnSite(t)
	s, err := c.Checkout(ctx, drip.CheckoutParams{Amount: dec("5"), ExternalCustomerID: "new-buyer", ReturnURL: site.URL})
	if err != nil {
		t.Fatal(err)
	}
	submit(t, s.URL, "pay")
	q := site.last(t).Query()
	cust := q.Get("customer_id")
	if !strings.HasPrefix(cust, "cust_") || q.Get("status") != "complete" {
		t.Fatalf("return query = %v", q)
	}
	got, err := c.GetCustomer(ctx, cust)
	if err != nil {
		t.Fatal(err)
	}
	if got.ExternalCustomerID != "new-buyer" || got.OnchainAddress == "" {
		t.Fatalf("customer = %+v", got)
	}
	bal, err := c.GetBalance(ctx, cust)
	if err != nil {
		t.Fatal(err)
	}
	// A new customer's balance is exactly what they paid.
	wantDec(t, "new customer's balance", bal.Balance, "5")
}

func TestCheckoutExpiresAfter30Minutes(t *testing.T) {
	ctx := ctxT(t)
	clock := newClock()
	srv := startServer(t, nil, dripserver.WithClock(clock.now))
	c := newClient(t, srv.BaseURL())
	site := newReturnSite(t)
	cu := payer(t, c, "checkout-02")
	start := clock.now()
	late, err := c.Checkout(ctx, drip.CheckoutParams{Amount: dec("10"), CustomerID: cu.ID, ReturnURL: site.URL})
	if err != nil {
		t.Fatal(err)
	}
	onTime, err := c.Checkout(ctx, drip.CheckoutParams{Amount: dec("7"), CustomerID: cu.ID, ReturnURL: site.URL})
	if err != nil {
		t.Fatal(err)
	}
	clock.set(start.Add(30*time.Minute - time.Second))
	submit(t, onTime.URL, "pay")
	clock.set(start.Add(30 * time.Minute))
	if st, body := getPage(t, late.URL); st != http.StatusGone || !strings.Contains(body, "expired") {
		t.Fatalf("expired page: %d %s", st, body)
	}
	if resp := submit(t, late.URL, "pay"); resp.StatusCode != http.StatusGone {
		t.Fatalf("paying an expired session: %d", resp.StatusCode)
	}
	bal, err := c.GetBalance(ctx, cu.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantDec(t, "balance: only the session paid in time", bal.Balance, "107")
}

func TestCheckoutCancel(t *testing.T) {
	ctx := ctxT(t)
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	site := newReturnSite(t)
	cu := payer(t, c, "checkout-03")
	s, err := c.Checkout(ctx, drip.CheckoutParams{Amount: dec("10"), CustomerID: cu.ID, ReturnURL: site.URL + "/ok",
		CancelURL: site.URL + "/cancelled"})
	if err != nil {
		t.Fatal(err)
	}
	submit(t, s.URL, "cancel")
	u := site.last(t)
	if u.Path != "/cancelled" || u.Query().Get("status") != "cancelled" || u.Query().Get("session_id") != s.ID {
		t.Fatalf("cancel went to %s", u.String())
	}
	submit(t, s.URL, "pay") // a cancelled session stays cancelled
	bal, _ := c.GetBalance(ctx, cu.ID)
	wantDec(t, "balance after cancel", bal.Balance, "100")
}

func TestCheckoutValidation(t *testing.T) {
	ctx := ctxT(t)
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	for _, tc := range []struct {
		field string
		p     drip.CheckoutParams
	}{
		{"amount", drip.CheckoutParams{Amount: dec("4.99"), ReturnURL: "https://a.example/r"}},
		{"amount", drip.CheckoutParams{Amount: dec("10000.01"), ReturnURL: "https://a.example/r"}},
		{"amount", drip.CheckoutParams{Amount: dec("5.001"), ReturnURL: "https://a.example/r"}},
		{"returnUrl", drip.CheckoutParams{Amount: dec("5")}},
		{"returnUrl", drip.CheckoutParams{Amount: dec("5"), ReturnURL: "/relative"}},
		{"cancelUrl", drip.CheckoutParams{Amount: dec("5"), ReturnURL: "https://a.example/r", CancelURL: "ftp://x"}},
	} {
		_, err := c.Checkout(ctx, tc.p)
		if e, ok := drip.AsError(err); !ok || e.Code != drip.CodeValidation || e.Field != tc.field {
			t.Errorf("%+v: %v, want VALIDATION_ERROR on %s", tc.p, err, tc.field)
		}
	}
	if n := srv.requests.Load(); n != 0 {
		t.Fatalf("%d requests sent for invalid checkouts", n)
	}
	// The bounds themselves are fine; dripd checks them too.
	if _, err := c.Checkout(ctx, drip.CheckoutParams{Amount: dec("10000"), ReturnURL: "https://a.example/r"}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", srv.BaseURL()+"/checkout", strings.NewReader(`{"amount":499,"return_url":"https://a.example/r"}`))
	req.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("dripd took 499 cents: %d", resp.StatusCode)
	}
}

// earnings gives dripd's business confirmed charges worth usdc (at 1 USDC
// a unit).
func earnings(t *testing.T, c *drip.Client, units float64) {
	t.Helper()
	ctx := ctxT(t)
	if _, err := c.CreatePricingPlan(ctx, drip.PricingPlanParams{Name: "Units", UnitType: "units", UnitPrice: dec("1")}); err != nil {
		t.Fatal(err)
	}
	cu := payer(t, c, "earner-01")
	r, err := c.TrackUsage(ctx, drip.UsageParams{CustomerID: cu.ID, Meter: "units", Quantity: units})
	if err != nil || r.Charge == nil || r.Charge.Status != drip.ChargeConfirmed {
		t.Fatalf("earnings: %+v %v", r, err)
	}
}

func TestWithdrawalFees(t *testing.T) {
	ctx := ctxT(t)
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	for _, tc := range []struct{ amount, fee, net string }{
		{"10", "0.5", "9.5"},                     // the 0.50 minimum
		{"50", "0.5", "49.5"},                    // 1% is exactly the minimum
		{"1000", "10", "990"},                    // 1%
		{"123.456789", "1.234568", "122.222221"}, // rounded to 6 decimals
	} {
		e, err := c.EstimateWithdrawalFee(ctx, dec(tc.amount))
		if err != nil {
			t.Fatal(err)
		}
		wantDec(t, tc.amount+" amount", e.Amount, tc.amount)
		wantDec(t, tc.amount+" fee", e.Fee, tc.fee)
		wantDec(t, tc.amount+" net", e.NetAmount, tc.net)
		if e.FeeBps != 100 || e.FeePercent != "1.00" || e.Method != "ACH" || e.EstimatedArrival == "" {
			t.Fatalf("estimate = %+v", e)
		}
	}
	for _, bad := range []string{"9.99", "100000.01", "10.0000001"} {
		if _, err := c.EstimateWithdrawalFee(ctx, dec(bad)); !errors.Is(err, drip.ErrValidation) {
			t.Fatalf("estimate %s: %v", bad, err)
		}
	}
}

func TestWithdrawalLifecycle(t *testing.T) {
	ctx := ctxT(t)
	clock := newClock()
	srv := startServer(t, nil, dripserver.WithClock(clock.now))
	c := newClient(t, srv.BaseURL())
	earnings(t, c, 60)
	start := clock.now()

	w1, err := c.Withdraw(ctx, drip.WithdrawParams{Amount: dec("30"), IdempotencyKey: "payout-1", BankDescription: "Chase ****1234"})
	if err != nil {
		t.Fatal(err)
	}
	if w1.Status != drip.WithdrawalPending || w1.FiatCurrency != "USD" || w1.BankDescription != "Chase ****1234" ||
		!w1.CreatedAt.Equal(start) || !w1.CompletedAt.IsZero() {
		t.Fatalf("withdrawal = %+v", w1)
	}
	wantDec(t, "fee", w1.Fee, "0.5")
	wantDec(t, "net", w1.NetAmount, "29.5")
	again, err := c.Withdraw(ctx, drip.WithdrawParams{Amount: dec("30"), IdempotencyKey: "payout-1"})
	if err != nil || again.ID != w1.ID {
		t.Fatalf("replay: %+v %v, want %s", again, err, w1.ID)
	}
	w2, err := c.Withdraw(ctx, drip.WithdrawParams{Amount: dec("10"), BankDescription: "Test bank [fail]"})
	if err != nil {
		t.Fatal(err)
	}
	w3, err := c.Withdraw(ctx, drip.WithdrawParams{Amount: dec("20")})
	if err != nil {
		t.Fatal(err)
	}
	// 60 earned, 60 in flight.
	_, err = c.Withdraw(ctx, drip.WithdrawParams{Amount: dec("10")})
	if e, ok := drip.AsError(err); !ok || e.Code != drip.CodeInsufficientBalance || e.StatusCode != 400 {
		t.Fatalf("over the balance: %v", err)
	}

	clock.set(start.Add(5 * time.Minute))
	cw, err := c.CancelWithdrawal(ctx, w3.ID)
	if err != nil || !cw.Cancelled || cw.Status != drip.WithdrawalCancelled {
		t.Fatalf("cancel: %+v %v", cw, err)
	}
	if _, err := c.CancelWithdrawal(ctx, w3.ID); err == nil {
		t.Fatal("cancelled a cancelled withdrawal")
	}

	status := func(id string) drip.Withdrawal {
		t.Helper()
		for w, err := range c.Withdrawals(ctx, &drip.ListWithdrawalsParams{Limit: 1}) {
			if err != nil {
				t.Fatal(err)
			}
			if w.ID == id {
				return w
			}
		}
		t.Fatalf("withdrawal %s not listed", id)
		return drip.Withdrawal{}
	}
	for _, step := range []struct {
		at   time.Duration
		want drip.WithdrawalStatus
	}{
		{9 * time.Minute, drip.WithdrawalPending},
		{10 * time.Minute, drip.WithdrawalOnchainPending},
		{20 * time.Minute, drip.WithdrawalOnchainConfirmed},
		{30 * time.Minute, drip.WithdrawalOfframpPending},
		{time.Hour, drip.WithdrawalOfframpProcessing},
		{24*time.Hour - time.Second, drip.WithdrawalOfframpProcessing},
		{24 * time.Hour, drip.WithdrawalComplete},
	} {
		clock.set(start.Add(step.at))
		if got := status(w1.ID); got.Status != step.want {
			t.Fatalf("at +%s: %s, want %s", step.at, got.Status, step.want)
		}
		if step.at == 10*time.Minute {
			_, err := c.CancelWithdrawal(ctx, w1.ID)
			if e, ok := drip.AsError(err); !ok || e.StatusCode != 409 || e.Code != "WITHDRAWAL_NOT_CANCELLABLE" {
				t.Fatalf("cancel after PENDING: %v", err)
			}
		}
	}
	if got := status(w1.ID); !got.CompletedAt.Equal(start.Add(24 * time.Hour)) {
		t.Fatalf("completed at %s", got.CompletedAt)
	}
	if got := status(w2.ID); got.Status != drip.WithdrawalFailed || !got.Status.Final() {
		t.Fatalf("w2 = %+v, want FAILED", got)
	}
	done, err := c.ListWithdrawals(ctx, &drip.ListWithdrawalsParams{Status: drip.WithdrawalComplete})
	if err != nil || done.Total != 1 || len(done.Withdrawals) != 1 || done.Withdrawals[0].ID != w1.ID {
		t.Fatalf("COMPLETE filter: %+v %v", done, err)
	}
	// The failed and the cancelled withdrawals gave their 30 back.
	if _, err := c.Withdraw(ctx, drip.WithdrawParams{Amount: dec("30.000001")}); !errors.Is(err, drip.ErrPaymentRequired) {
		t.Fatalf("30.000001 of 30: %v", err)
	}
	if _, err := c.Withdraw(ctx, drip.WithdrawParams{Amount: dec("30")}); err != nil {
		t.Fatal(err)
	}
	all, err := c.ListWithdrawals(ctx, nil)
	if err != nil || all.Total != 4 {
		t.Fatalf("list: %+v %v", all, err)
	}
}

// TestWithdrawRetryReusesKey loses the reply of the first attempt: the
// retry carries the same generated key, so one withdrawal is made.
func TestWithdrawRetryReusesKey(t *testing.T) {
	ctx := ctxT(t)
	var mu sync.Mutex
	var keys []string
	lost := false
	srv := startServer(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != "POST" || r.URL.Path != "/v1/withdrawals" {
				h.ServeHTTP(w, r)
				return
			}
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			keys = append(keys, string(b))
			first := !lost
			lost = true
			mu.Unlock()
			r.Body = io.NopCloser(strings.NewReader(string(b)))
			if first {
				h.ServeHTTP(httptest.NewRecorder(), r) // done, reply lost
				w.WriteHeader(http.StatusBadGateway)
				io.WriteString(w, `{"code":"INTERNAL_ERROR","message":"upstream lost"}`)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	c := newClient(t, srv.BaseURL(), drip.WithRetryPolicy(drip.RetryPolicy{MaxRetries: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, BreakerThreshold: -1}))
	earnings(t, c, 20)
	w, err := c.Withdraw(ctx, drip.WithdrawParams{Amount: dec("15")})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0] != keys[1] || !strings.Contains(keys[0], `"idempotency_key":"wd_`) {
		t.Fatalf("bodies sent: %q", keys)
	}
	l, err := c.ListWithdrawals(ctx, nil)
	if err != nil || l.Total != 1 || l.Withdrawals[0].ID != w.ID {
		t.Fatalf("list: %+v %v", l, err)
	}
	// Two calls without a key are two withdrawals.
	if _, err := c.Withdraw(ctx, drip.WithdrawParams{Amount: dec("10")}); !errors.Is(err, drip.ErrPaymentRequired) {
		t.Fatalf("second call: %v (5 left)", err)
	}
}

func TestPortalSessions(t *testing.T) {
	ctx := ctxT(t)
	clock := newClock()
	srv := startServer(t, nil, dripserver.WithClock(clock.now))
	c := newClient(t, srv.BaseURL())
	cu := payer(t, c, "portal-01")
	start := clock.now()

	ps, err := c.CreatePortalSession(ctx, drip.PortalSessionParams{CustomerID: "portal-01"}) // by external id
	if err != nil {
		t.Fatal(err)
	}
	if ps.CustomerID != cu.ID || !strings.HasPrefix(ps.ID, "ps_") || ps.URL != "/portal/"+ps.Token || len(ps.Token) < 32 ||
		!ps.ExpiresAt.Equal(start.Add(time.Hour)) {
		t.Fatalf("session = %+v", ps)
	}
	st, body := getPage(t, srv.URL+ps.URL)
	if st != 200 || !strings.Contains(body, cu.ID) || !strings.Contains(body, "100.000000 USDC") {
		t.Fatalf("portal page: %d %s", st, body)
	}
	for _, tc := range []struct {
		in   time.Duration
		want time.Duration
	}{{time.Minute, 5 * time.Minute}, {90 * time.Second, 5 * time.Minute}, {30 * time.Minute, 30 * time.Minute},
		{48 * time.Hour, 24 * time.Hour}} {
		p, err := c.CreatePortalSession(ctx, drip.PortalSessionParams{CustomerID: cu.ID, ExpiresIn: tc.in})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.ExpiresAt.Sub(start); got != tc.want {
			t.Errorf("ExpiresIn %s: expires after %s, want %s", tc.in, got, tc.want)
		}
	}
	clock.set(start.Add(time.Hour - time.Second))
	if st, _ := getPage(t, srv.URL+ps.URL); st != 200 {
		t.Fatalf("before expiry: %d", st)
	}
	clock.set(start.Add(time.Hour))
	if st, _ := getPage(t, srv.URL+ps.URL); st != 404 {
		t.Fatalf("after expiry: %d", st)
	}

	live, err := c.CreatePortalSession(ctx, drip.PortalSessionParams{CustomerID: cu.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RevokePortalSession(ctx, live.ID); err != nil {
		t.Fatal(err)
	}
	if st, _ := getPage(t, srv.URL+live.URL); st != 404 {
		t.Fatalf("after revoke: %d", st)
	}
	if err := c.RevokePortalSession(ctx, "ps_unknown"); !errors.Is(err, drip.ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
	if _, err := c.CreatePortalSession(ctx, drip.PortalSessionParams{CustomerID: "nobody"}); !errors.Is(err, drip.ErrNotFound) {
		t.Fatalf("unknown customer: %v", err)
	}
}
