package middleware_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/middleware"
)

func TestRecordAfter(t *testing.T) {
	e := newEnv(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		info := middleware.FromContext(r.Context())
		if info == nil || info.CustomerID != "acme" || info.Run != nil || info.Usage != nil {
			t.Errorf("FromContext = %+v", info)
		}
		if got := drip.CustomerFromContext(r.Context()); got != "acme" {
			t.Errorf("CustomerFromContext = %q, want acme (for WrapOpenAI outside runs)", got)
		}
		_, _ = io.WriteString(w, "item")
	})
	mux.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusBadGateway)
	})
	mux.HandleFunc("GET /missing", http.NotFound)
	url := serve(t, middleware.Wrap(mux, middleware.Config{
		Meter:            "api_calls",
		Quantity:         2,
		CustomerResolver: resolveTenant,
		Tracker:          e.tracker,
		Metadata:         map[string]any{"service": "catalog"},
	}))

	if r := do(t, "GET", url+"/items/42", "tok-acme"); r.status != 200 || r.body != "item" {
		t.Fatalf("reply = %+v", r)
	}
	e.flush(t)
	recs := e.usageFor("acme")
	if len(recs) != 1 {
		t.Fatalf("usage = %+v, want 1 record", e.drip.UsageRecords())
	}
	u := recs[0]
	if u.UsageType != "api_calls" || u.Quantity != 2 || u.Endpoint != "usage" {
		t.Errorf("record = %+v", u)
	}
	wantMD := map[string]any{"service": "catalog", "method": "GET", "route": "GET /items/{id}", "status": float64(200)}
	for k, v := range wantMD {
		if u.Metadata[k] != v {
			t.Errorf("metadata[%s] = %v, want %v (all: %v)", k, u.Metadata[k], v, u.Metadata)
		}
	}
	if _, ok := u.Metadata["path"]; ok {
		t.Errorf("raw path leaked into metadata: %v", u.Metadata)
	}

	t.Run("4xx billed, 5xx not, by default", func(t *testing.T) {
		do(t, "GET", url+"/missing", "tok-globex")
		do(t, "GET", url+"/boom", "tok-globex")
		e.flush(t)
		recs := e.usageFor("globex")
		if len(recs) != 1 || recs[0].Metadata["status"] != float64(404) {
			t.Fatalf("globex usage = %+v, want only the 404", recs)
		}
	})

	t.Run("no token is refused, not served unmetered", func(t *testing.T) {
		r := do(t, "GET", url+"/items/1", "")
		if r.status != http.StatusBadRequest {
			t.Fatalf("status = %d, want 400", r.status)
		}
		if _, code := r.errorBody(t); code != "CUSTOMER_RESOLUTION_FAILED" {
			t.Fatalf("code = %q", code)
		}
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type = %q", ct)
		}
	})
}

func TestQuantityFuncAndRecordStatus(t *testing.T) {
	e := newEnv(t)
	var seen atomic.Value
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_, _ = io.WriteString(w, strings.Repeat("x", 1500))
	})
	url := serve(t, middleware.Wrap(h, middleware.Config{
		Meter:            "kilobytes",
		CustomerResolver: resolveTenant,
		Tracker:          e.tracker,
		QuantityFunc: func(r *http.Request, resp middleware.Response) float64 {
			seen.Store(resp)
			return float64(resp.Size) / 1000
		},
		RecordStatus: func(status int) bool { return true }, // bill everything
	}))
	do(t, "GET", url+"/a", "tok-acme")
	do(t, "GET", url+"/fail", "tok-acme")
	e.flush(t)
	recs := e.usageFor("acme")
	if len(recs) != 2 || recs[0].Quantity != 1.5 || recs[1].Quantity != 1.5 {
		t.Fatalf("usage = %+v, want two records of 1.5", recs)
	}
	if resp := seen.Load().(middleware.Response); resp.Status != 503 || resp.Size != 1500 || resp.Duration <= 0 {
		t.Errorf("QuantityFunc saw %+v", resp)
	}
}

func TestChargeBefore(t *testing.T) {
	e := newEnv(t)
	var calls atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		info := middleware.FromContext(r.Context())
		if info == nil || info.Usage == nil || !info.Usage.Success {
			t.Errorf("FromContext = %+v, want the charge", info)
		}
		// Charged before the handler: the record is already in Drip.
		if n := len(e.usageFor("acme")); n != 1 {
			t.Errorf("usage records while handling = %d, want 1", n)
		}
		_, _ = io.WriteString(w, "paid")
	})
	mux := http.NewServeMux()
	mux.Handle("POST /gen", h)
	url := serve(t, middleware.Wrap(mux, middleware.Config{
		Meter:            "generations",
		Mode:             middleware.ChargeBefore,
		CustomerResolver: resolveTenant,
		Client:           e.client,
	}))
	if r := do(t, "POST", url+"/gen", "tok-acme"); r.status != 200 || r.body != "paid" {
		t.Fatalf("reply = %+v", r)
	}
	if calls.Load() != 1 {
		t.Fatal("handler not called")
	}
	// The route is known before the mux runs: the charge's metadata has it.
	if recs := e.usageFor("acme"); len(recs) != 1 || recs[0].Endpoint != "usage" || recs[0].UsageType != "generations" ||
		recs[0].Metadata["route"] != "POST /gen" {
		t.Fatalf("usage = %+v", recs)
	}
}

// fakeDrip answers every usage call with one status and envelope.
func fakeDrip(t *testing.T, status int, code, msg string) *drip.Client {
	t.Helper()
	return fakeDripBody(t, status, fmt.Sprintf(`{"error":%q,"message":%q,"code":%q}`, msg, msg, code))
}

// fakeDripBody answers every usage call with one status and body. dripd
// never asks for payment, hence a stand-in for those answers.
func fakeDripBody(t *testing.T, status int, body string) *drip.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "7")
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := drip.New(drip.WithAPIKey("sk_test_fake_0000000000"), drip.WithBaseURL(srv.URL+"/v1"), drip.WithoutRetries())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestChargeBeforeFailsClosed(t *testing.T) {
	cases := []struct {
		name       string
		status     int
		code       string
		msg        string
		wantStatus int
		wantCode   string
		wantMsg    string // "" = anything without Drip's message
	}{
		{"payment required", 402, "PAYMENT_REQUIRED", "insufficient balance: amount 0.25", 402, "PAYMENT_REQUIRED", "insufficient balance: amount 0.25"},
		{"insufficient balance", 400, "INSUFFICIENT_BALANCE", "balance too low", 402, "PAYMENT_REQUIRED", "balance too low"},
		// A spending cap is about the customer's own account: Drip's reason
		// is passed on, as for entitlement denials and payment.
		{"customer blocked", 403, "CUSTOMER_BLOCKED", "blocked by spending cap", 403, "CUSTOMER_BLOCKED", "blocked by spending cap"},
		{"drip down", 503, "SERVICE_UNAVAILABLE", "maintenance at db-7.internal", 503, "CHARGE_FAILED", ""},
		{"bad api key", 401, "UNAUTHORIZED", "invalid key sk_test_fake", 500, "CHARGE_FAILED", ""},
		{"unknown customer", 404, "CUSTOMER_NOT_FOUND", "customer acme not found", 500, "CHARGE_FAILED", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var reported errs
			called := false
			url := serve(t, middleware.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				called = true
			}), middleware.Config{
				Meter:            "generations",
				Mode:             middleware.ChargeBefore,
				CustomerResolver: resolveTenant,
				Client:           fakeDrip(t, tc.status, tc.code, tc.msg),
				OnError:          reported.on,
			}))
			r := do(t, "POST", url+"/gen", "tok-acme")
			if called {
				t.Fatal("handler ran after a failed charge")
			}
			msg, code := r.errorBody(t)
			if r.status != tc.wantStatus || code != tc.wantCode {
				t.Fatalf("reply = %d %s %q, want %d %s", r.status, code, msg, tc.wantStatus, tc.wantCode)
			}
			if tc.wantMsg != "" && msg != tc.wantMsg {
				t.Errorf("message = %q, want %q", msg, tc.wantMsg)
			}
			if tc.wantMsg == "" && strings.Contains(msg, tc.msg) {
				t.Errorf("Drip's internal message leaked to the caller: %q", msg)
			}
			if tc.status == 503 && r.header.Get("Retry-After") != "7" {
				t.Errorf("Retry-After = %q, want 7", r.header.Get("Retry-After"))
			}
			if errs := reported.all(); len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.code) {
				t.Errorf("OnError got %v, want the Drip error", errs)
			}
		})
	}
}

func TestSpoofedCustomerIgnored(t *testing.T) {
	e := newEnv(t)
	var sawHeader, sawQuery atomic.Value
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawHeader.Store(r.Header.Get("X-Customer-Id") + r.Header.Get("X-Drip-Customer-Id"))
		sawQuery.Store(r.URL.RawQuery + " " + r.RequestURI + " " + fmt.Sprint(r.URL.Query()))
		_, _ = io.WriteString(w, "ok")
	})
	mw := middleware.New(middleware.Config{
		Meter: "api_calls",
		CustomerResolver: func(r *http.Request) (string, error) {
			if r.Header.Get("X-Drip-Customer-Id") != "" || r.URL.Query().Get("customer_id") != "" {
				t.Error("the resolver saw a client-chosen customer")
			}
			return resolveTenant(r)
		},
		Tracker: e.tracker,
	})
	url := serve(t, mw(h))

	spoof := "/x?q=1&customer_id=globex&CustomerID=globex&DRIP_CUSTOMER_ID=globex&dripcustomerid=globex&%63ustomer_id=globex&customer=kept"
	r := do(t, "GET", url+spoof, "tok-acme", "X-Drip-Customer-Id: globex", "X-Customer-Id: globex", "x-customer-id: globex")
	if r.status != 200 {
		t.Fatalf("reply = %+v", r)
	}
	if got := sawHeader.Load().(string); got != "" {
		t.Errorf("handler saw customer headers %q", got)
	}
	if got := sawQuery.Load().(string); strings.Contains(strings.ToLower(got), "globex") || !strings.Contains(got, "q=1&customer=kept") {
		t.Errorf("handler saw query %q", got)
	}
	e.flush(t)
	if n := len(e.usageFor("globex")); n != 0 {
		t.Fatalf("globex was billed %d times by a spoofed header", n)
	}
	if n := len(e.usageFor("acme")); n != 1 {
		t.Fatalf("acme billed %d times, want 1", n)
	}

	t.Run("a resolver that trusts the header gets nothing", func(t *testing.T) {
		naive := middleware.Wrap(h, middleware.Config{
			Meter:            "api_calls",
			CustomerResolver: func(r *http.Request) (string, error) { return r.Header.Get("X-Customer-Id"), nil },
			Tracker:          e.tracker,
		})
		r := do(t, "GET", serve(t, naive)+"/x", "", "X-Customer-Id: globex")
		if r.status != http.StatusBadRequest {
			t.Fatalf("status = %d, want 400", r.status)
		}
	})
}

func TestSkipPaths(t *testing.T) {
	e := newEnv(t)
	var resolved atomic.Int32
	url := serve(t, middleware.Wrap(http.HandlerFunc(ok), middleware.Config{
		Meter: "api_calls",
		CustomerResolver: func(r *http.Request) (string, error) {
			resolved.Add(1)
			return resolveTenant(r)
		},
		Tracker:   e.tracker,
		SkipPaths: []string{"/healthz", "/static/"},
		Skip:      func(r *http.Request) bool { return r.Method == http.MethodOptions },
	}))
	for _, p := range []string{"/healthz", "/static/app.js", "/static/"} {
		if r := do(t, "GET", url+p, ""); r.status != 200 {
			t.Errorf("%s: status %d", p, r.status)
		}
	}
	do(t, "OPTIONS", url+"/api", "")
	if r := do(t, "GET", url+"/healthzz", ""); r.status != 400 {
		t.Errorf("/healthzz is not skipped (exact match), got %d", r.status)
	}
	if resolved.Load() != 1 {
		t.Errorf("resolver ran %d times, want 1 (only /healthzz)", resolved.Load())
	}
	e.flush(t)
	if n := len(e.drip.UsageRecords()); n != 0 {
		t.Errorf("%d usage records for skipped paths", n)
	}
}

func TestIdempotencyKey(t *testing.T) {
	t.Run("RecordAfter replay billed once", func(t *testing.T) {
		e := newEnv(t)
		url := serve(t, middleware.Wrap(http.HandlerFunc(ok), middleware.Config{
			Meter: "api_calls", CustomerResolver: resolveTenant, Tracker: e.tracker,
		}))
		do(t, "POST", url+"/pay", "tok-acme", "Idempotency-Key: order-1")
		do(t, "POST", url+"/pay", "tok-acme", "Idempotency-Key: order-1") // client retry
		do(t, "POST", url+"/pay", "tok-acme", "Idempotency-Key: order-2")
		do(t, "POST", url+"/pay", "tok-acme") // two requests without a key
		do(t, "POST", url+"/pay", "tok-acme") // are two requests
		// Another tenant reusing the same key is its own request.
		do(t, "POST", url+"/pay", "tok-globex", "Idempotency-Key: order-1")
		e.flush(t)
		if n := len(e.usageFor("acme")); n != 4 {
			t.Errorf("acme billed %d times, want 4 (order-1 once, order-2, two keyless)", n)
		}
		if n := len(e.usageFor("globex")); n != 1 {
			t.Errorf("globex billed %d times, want 1 (keys are scoped per customer)", n)
		}
		keys := map[string]bool{}
		for _, u := range e.drip.UsageRecords() {
			if strings.Contains(u.IdempotencyKey, "order") {
				t.Errorf("the client's raw key reached Drip: %q", u.IdempotencyKey)
			}
			keys[u.IdempotencyKey] = true
		}
		if len(keys) != 5 {
			t.Errorf("%d distinct keys, want 5", len(keys))
		}
	})

	t.Run("ChargeBefore replay is flagged and billed once", func(t *testing.T) {
		e := newEnv(t)
		var dup []bool
		var mu sync.Mutex
		url := serve(t, middleware.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			dup = append(dup, middleware.FromContext(r.Context()).Usage.IsDuplicate)
			mu.Unlock()
		}), middleware.Config{
			Meter: "api_calls", Mode: middleware.ChargeBefore, CustomerResolver: resolveTenant, Client: e.client,
		}))
		for range 2 {
			if r := do(t, "POST", url+"/pay", "tok-acme", "Idempotency-Key: k-9"); r.status != 200 {
				t.Fatalf("reply = %+v", r)
			}
		}
		if n := len(e.usageFor("acme")); n != 1 {
			t.Errorf("billed %d times, want 1", n)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(dup) != 2 || dup[0] || !dup[1] {
			t.Errorf("IsDuplicate per request = %v, want [false true]", dup)
		}
	})
}

func TestConcurrentRequests(t *testing.T) {
	e := newEnv(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /work", func(w http.ResponseWriter, r *http.Request) {
		info := middleware.FromContext(r.Context())
		if info.Run == nil || drip.RunFromContext(r.Context()) != info.Run {
			t.Error("request has no run of its own")
		}
		_, _ = io.WriteString(w, info.CustomerID)
	})
	url := serve(t, middleware.Wrap(mux, middleware.Config{
		Meter: "api_calls", CustomerResolver: resolveTenant, Tracker: e.tracker, StartRun: true,
	}))
	const perTenant = 40
	var wg sync.WaitGroup
	for i := range 2 * perTenant {
		tok, want := "tok-acme", "acme"
		if i%2 == 1 {
			tok, want = "tok-globex", "globex"
		}
		wg.Go(func() {
			if r := do(t, "GET", url+"/work", tok); r.status != 200 || r.body != want {
				t.Errorf("reply = %+v, want %s", r, want)
			}
		})
	}
	wg.Wait()
	e.flush(t)
	for _, ext := range []string{"acme", "globex"} {
		if n := len(e.usageFor(ext)); n != perTenant {
			t.Errorf("%s: %d usage records, want %d", ext, n, perTenant)
		}
	}
	runs := e.drip.Runs()
	if len(runs) != 2*perTenant {
		t.Fatalf("%d runs, want %d", len(runs), 2*perTenant)
	}
	for _, r := range runs {
		if r.Status != "COMPLETED" || r.EventCount != 1 {
			t.Errorf("run %s: status %s, %d events", r.ID, r.Status, r.EventCount)
		}
	}
}

func TestNewPanicsOnBadConfig(t *testing.T) {
	cases := map[string]middleware.Config{
		"no meter":     {CustomerResolver: resolveTenant},
		"no resolver":  {Meter: "m"},
		"bad mode":     {Meter: "m", CustomerResolver: resolveTenant, Mode: 7},
		"neg quantity": {Meter: "m", CustomerResolver: resolveTenant, Quantity: -1},
		"bad skip":     {Meter: "m", CustomerResolver: resolveTenant, SkipPaths: []string{"health"}},
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			err := cfg.Validate()
			if err == nil {
				t.Fatal("Validate accepted it")
			}
			defer func() {
				if p := recover(); p == nil || !strings.Contains(fmt.Sprint(p), "middleware: invalid Config") {
					t.Fatalf("panic = %v", p)
				}
			}()
			middleware.New(cfg)
		})
	}
	good := middleware.Config{Meter: "m", CustomerResolver: resolveTenant}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestDefaultTrackerFromEnvironment(t *testing.T) {
	// With no Tracker or Client the middleware uses drip.DefaultTracker,
	// built from DRIP_API_KEY and DRIP_BASE_URL on first use.
	srv := driptest.NewServer(t)
	t.Setenv(drip.EnvAPIKey, srv.APIKey())
	t.Setenv(drip.EnvBaseURL, srv.BaseURL())
	t.Setenv(drip.EnvAPIURL, "")
	c, err := drip.New()
	if err != nil {
		t.Fatal(err)
	}
	drip.SetDefault(c)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = drip.DefaultTracker().Shutdown(ctx)
		drip.SetDefault(nil)
	})
	if _, err := c.CreateCustomer(context.Background(), drip.CustomerParams{ExternalCustomerID: "acme"}); err != nil {
		t.Fatal(err)
	}
	url := serve(t, middleware.Wrap(http.HandlerFunc(ok), middleware.Config{Meter: "api_calls", CustomerResolver: resolveTenant}))
	do(t, "GET", url+"/", "tok-acme")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := drip.DefaultTracker().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.UsageRecords()); n != 1 {
		t.Fatalf("%d usage records, want 1", n)
	}
}
