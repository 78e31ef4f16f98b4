package drip_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
)

func TestNewValidatesConfiguration(t *testing.T) {
	t.Setenv(drip.EnvAPIKey, "")
	t.Setenv(drip.EnvAPIURL, "")
	t.Setenv(drip.EnvBaseURL, "")
	cases := []struct {
		name  string
		opts  []drip.Option
		field string
	}{
		{"missing key", nil, "apiKey"},
		{"short key", []drip.Option{drip.WithAPIKey("sk_1")}, "apiKey"},
		{"bad prefix", []drip.Option{drip.WithAPIKey("xk_live_0123456789")}, "apiKey"},
		{"relative url", []drip.Option{drip.WithAPIKey(testKey), drip.WithBaseURL("/v1")}, "baseURL"},
		{"plain http to a remote host", []drip.Option{drip.WithAPIKey(testKey), drip.WithBaseURL("http://api.example.com/v1")}, "baseURL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := drip.New(tc.opts...)
			e, ok := drip.AsError(err)
			if !ok || e.Code != drip.CodeValidation || e.Field != tc.field {
				t.Fatalf("got %v, want VALIDATION_ERROR on %s", err, tc.field)
			}
			if !errors.Is(err, drip.ErrValidation) {
				t.Fatalf("errors.Is(err, ErrValidation) = false")
			}
		})
	}
	t.Run("plain http allowed by opt-in and on loopback", func(t *testing.T) {
		for _, u := range []string{"http://127.0.0.1:1/v1", "http://localhost:7420/v1", "http://[::1]:1/v1"} {
			if _, err := drip.New(drip.WithAPIKey(testKey), drip.WithBaseURL(u)); err != nil {
				t.Errorf("%s: %v", u, err)
			}
		}
		if _, err := drip.New(drip.WithAPIKey(testKey), drip.WithBaseURL("http://api.example.com/v1"), drip.WithInsecureHTTP()); err != nil {
			t.Error(err)
		}
	})
	t.Run("environment order", func(t *testing.T) {
		t.Setenv(drip.EnvAPIKey, "pk_test_0123456789")
		t.Setenv(drip.EnvBaseURL, "http://127.0.0.1:2/v1")
		c, err := drip.New()
		if err != nil {
			t.Fatal(err)
		}
		if c.BaseURL() != "http://127.0.0.1:2/v1" || c.KeyType() != drip.KeyPublic {
			t.Fatalf("base %q type %q", c.BaseURL(), c.KeyType())
		}
		t.Setenv(drip.EnvAPIURL, "http://127.0.0.1:3/v1/")
		c, _ = drip.New()
		if c.BaseURL() != "http://127.0.0.1:3/v1" {
			t.Fatalf("DRIP_API_URL must win: %q", c.BaseURL())
		}
		c, _ = drip.New(drip.WithBaseURL("http://127.0.0.1:4/v1"), drip.WithAPIKey(testKey))
		if c.BaseURL() != "http://127.0.0.1:4/v1" || c.KeyType() != drip.KeySecret {
			t.Fatalf("option must win: %q %q", c.BaseURL(), c.KeyType())
		}
	})
}

func TestDefaultClientMissingKeyIsAnErrorAtFirstUse(t *testing.T) {
	t.Setenv(drip.EnvAPIKey, "")
	drip.SetDefault(nil)
	t.Cleanup(func() { drip.SetDefault(nil) })
	_, err := drip.TrackUsage(context.Background(), drip.UsageParams{CustomerID: "c", Meter: "m", Quantity: 1})
	if e, ok := drip.AsError(err); !ok || e.Field != "apiKey" {
		t.Fatalf("got %v, want a VALIDATION_ERROR on apiKey", err)
	}
}

func TestPing(t *testing.T) {
	srv := startServer(t, nil)
	res, err := newClient(t, srv.BaseURL()).Ping(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK || res.Status != "healthy" || res.Timestamp.IsZero() {
		t.Fatalf("ping: %+v", res)
	}
}

func TestVerify(t *testing.T) {
	srv := startServer(t, nil, dripserver.WithAPIKeys(testKey))
	ctx := ctxT(t)
	if err := newClient(t, srv.BaseURL()).Verify(ctx); err != nil {
		t.Fatalf("Verify with the right key and base URL: %v", err)
	}
	// Ping alone cannot tell a wrong key; Verify must.
	wrong := newClient(t, srv.BaseURL(), drip.WithAPIKey("sk_test_wrong_key_000000"))
	if _, err := wrong.Ping(ctx); err != nil {
		t.Fatalf("Ping with a wrong key: %v", err)
	}
	if err := wrong.Verify(ctx); !errors.Is(err, drip.ErrInvalidAPIKey) {
		t.Fatalf("Verify with a wrong key: %v, want ErrInvalidAPIKey", err)
	}
	// A base URL without /v1 reaches the server but no route: say why.
	err := newClient(t, srv.URL).Verify(ctx)
	if !errors.Is(err, drip.ErrNotFound) || !strings.Contains(err.Error(), "/v1") {
		t.Fatalf("Verify without /v1: %v, want ErrNotFound with a hint about /v1", err)
	}
	if strings.Contains(err.Error(), testKey) {
		t.Fatalf("error shows the key: %v", err)
	}
}

func TestCustomers(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	ctx := ctxT(t)

	created, err := c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "user-1", Metadata: map[string]any{"plan": "pro"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetCustomer(ctx, created.ID)
	if err != nil || got.ExternalCustomerID != "user-1" || got.Metadata["plan"] != "pro" {
		t.Fatalf("get: %+v %v", got, err)
	}

	_, err = c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "user-1"})
	var de *drip.Error
	if !errors.As(err, &de) || !errors.Is(err, drip.ErrDuplicateCustomer) || de.StatusCode != 409 || de.ExistingCustomerID != created.ID {
		t.Fatalf("duplicate: %v", err)
	}
	same, err := c.GetOrCreateCustomer(ctx, "user-1", nil)
	if err != nil || same.ID != created.ID {
		t.Fatalf("get-or-create existing: %+v %v", same, err)
	}
	fresh, err := c.GetOrCreateCustomer(ctx, "user-2", nil)
	if err != nil || fresh.ID == created.ID {
		t.Fatalf("get-or-create new: %+v %v", fresh, err)
	}

	if _, err := c.CreateCustomer(ctx, drip.CustomerParams{}); !errors.Is(err, drip.ErrValidation) {
		t.Fatalf("empty create: %v", err)
	}
	if _, err := c.GetCustomer(ctx, "cust_missing"); !errors.Is(err, drip.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}

	for i := 3; i <= 7; i++ {
		if _, err := c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: fmt.Sprintf("user-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := c.ListCustomers(ctx, &drip.ListCustomersParams{Limit: 2, Offset: 1})
	if err != nil || len(page.Customers) != 2 {
		t.Fatalf("page: %+v %v", page, err)
	}
	var all []string
	for cu, err := range c.Customers(ctx, &drip.ListCustomersParams{Limit: 3}) {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, cu.ExternalCustomerID)
	}
	if len(all) != 7 {
		t.Fatalf("iterator saw %d customers, want 7: %v", len(all), all)
	}
	if _, err := c.ListCustomers(ctx, &drip.ListCustomersParams{Limit: 101}); !errors.Is(err, drip.ErrValidation) {
		t.Fatalf("limit 101: %v", err)
	}
}

var keyShape = regexp.MustCompile(`^track_[0-9a-f]{24}$`)

func TestTrackUsageModes(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	ctx := ctxT(t)
	cu, err := c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []drip.UsageMode{drip.UsageSync, drip.UsageAsync, drip.UsageInternal} {
		res, err := c.TrackUsage(ctx, drip.UsageParams{CustomerID: cu.ID, Meter: "api_calls", Quantity: 3, Mode: mode,
			Metadata: map[string]any{"route": "/v1/chat", "prompt": "secret words", "email": "a@b.co"}})
		if err != nil {
			t.Fatalf("mode %d: %v", mode, err)
		}
		if !res.Success || res.IsDuplicate || !keyShape.MatchString(res.IdempotencyKey) {
			t.Fatalf("mode %d: %+v", mode, res)
		}
	}
	recs, err := srv.store.UsageRecords(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantEndpoints := map[string]bool{"usage": true, "usage/async": true, "usage/internal": true}
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	for _, r := range recs {
		if !wantEndpoints[r.Endpoint] || r.Quantity != 3 || r.UsageType != "api_calls" {
			t.Errorf("record %+v", r)
		}
		if _, ok := r.Metadata["prompt"]; ok {
			t.Errorf("prompt leaked into metadata: %v", r.Metadata)
		}
		if _, ok := r.Metadata["email"]; ok {
			t.Errorf("email leaked into metadata: %v", r.Metadata)
		}
		if r.Metadata["route"] != "/v1/chat" {
			t.Errorf("operational metadata lost: %v", r.Metadata)
		}
	}

	// A repeated key is a replay, never a second record.
	res, err := c.TrackUsage(ctx, drip.UsageParams{CustomerID: cu.ID, Meter: "api_calls", Quantity: 1, IdempotencyKey: "fixed-key"})
	if err != nil || res.IsDuplicate {
		t.Fatal(res, err)
	}
	res2, err := c.TrackUsage(ctx, drip.UsageParams{CustomerID: cu.ID, Meter: "api_calls", Quantity: 1, IdempotencyKey: "fixed-key"})
	if err != nil || !res2.IsDuplicate || res2.UsageEventID != res.UsageEventID {
		t.Fatalf("replay: %+v %v", res2, err)
	}

	// External customer ids are provisioned by the server.
	if _, err := c.TrackUsage(ctx, drip.UsageParams{ExternalCustomerID: "new-tenant", Meter: "api_calls", Quantity: 1}); err != nil {
		t.Fatal(err)
	}
}

func TestValidationHappensBeforeTheNetwork(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	ctx := ctxT(t)
	nan := 0.0
	nan = nan / nan
	cases := []struct {
		name  string
		call  func() error
		field string
	}{
		{"usage without customer", func() error {
			_, err := c.TrackUsage(ctx, drip.UsageParams{Meter: "m", Quantity: 1})
			return err
		}, "customerId"},
		{"usage without meter", func() error {
			_, err := c.TrackUsage(ctx, drip.UsageParams{CustomerID: "c", Quantity: 1})
			return err
		}, "meter"},
		{"negative quantity", func() error {
			_, err := c.TrackUsage(ctx, drip.UsageParams{CustomerID: "c", Meter: "m", Quantity: -1})
			return err
		}, "quantity"},
		{"NaN quantity", func() error {
			_, err := c.TrackUsage(ctx, drip.UsageParams{CustomerID: "c", Meter: "m", Quantity: nan})
			return err
		}, "quantity"},
		{"event without run", func() error {
			_, err := c.EmitEvent(ctx, drip.Event{Type: "x"})
			return err
		}, "runId"},
		{"event without type", func() error {
			_, err := c.EmitEvent(ctx, drip.Event{RunID: "run_1"})
			return err
		}, "eventType"},
		{"bad event status", func() error {
			_, err := c.EmitEvent(ctx, drip.Event{RunID: "run_1", Type: "x", Status: "meh"})
			return err
		}, "status"},
		{"negative audio tokens", func() error {
			_, err := c.EmitEvent(ctx, drip.Event{RunID: "run_1", Type: "x", InputTokens: 5, AudioInputTokens: -1})
			return err
		}, "audioInputTokens"},
		{"NaN audio seconds", func() error {
			_, err := c.EmitEvent(ctx, drip.Event{RunID: "run_1", Type: "x", AudioSeconds: nan})
			return err
		}, "audioSeconds"},
		{"batch event index", func() error {
			_, err := c.EmitEventsBatch(ctx, []drip.Event{{RunID: "r", Type: "x"}, {RunID: "r"}})
			return err
		}, "events[1].eventType"},
		{"end with non-terminal status", func() error {
			_, err := c.EndRun(ctx, "run_1", drip.EndRunParams{Status: drip.RunRunning})
			return err
		}, "status"},
		{"run without workflow", func() error {
			_, err := c.StartRun(ctx, drip.RunParams{CustomerID: "c"})
			return err
		}, "workflowId"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { refusedBeforeSending(t, srv, tc.call, tc.field) })
	}
}

func TestRunsEventsAndTimeline(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	ctx := ctxT(t)
	cu, err := c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	run, err := c.StartRun(ctx, drip.RunParams{CustomerID: cu.ID, Workflow: "research-agent", CorrelationID: "trace-1"})
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != drip.RunRunning || run.WorkflowName != "Research Agent" || run.ExternalRunID == "" {
		t.Fatalf("start: %+v", run)
	}
	again, err := c.StartRun(ctx, drip.RunParams{CustomerID: cu.ID, Workflow: "research-agent", ExternalRunID: run.ExternalRunID})
	if err != nil || again.ID != run.ID {
		t.Fatalf("same externalRunId must give the same run: %+v %v", again, err)
	}

	ev, err := c.EmitEvent(ctx, drip.Event{RunID: run.ID, Type: drip.EventLLMCompletion, Model: "gpt-4o-mini",
		InputTokens: 120, OutputTokens: 30, Duration: 850 * time.Millisecond, CostUnits: 0.000036})
	if err != nil || ev.Quantity != 150 || ev.IsDuplicate {
		t.Fatalf("emit: %+v %v", ev, err)
	}
	evs := []drip.Event{{RunID: run.ID, Type: drip.EventToolCall, Name: "search", Duration: 40 * time.Millisecond}}
	for i := range 5 {
		evs = append(evs, drip.Event{RunID: run.ID, Type: "agent.step", Quantity: float64(i + 1)})
	}
	br, err := c.EmitEventsBatch(ctx, evs)
	if err != nil || br.Created != 6 || br.Duplicates != 0 {
		t.Fatalf("batch: %+v %v", br, err)
	}
	// The keys were filled in the caller's slice: resending is a replay.
	br, err = c.EmitEventsBatch(ctx, evs)
	if err != nil || br.Created != 0 || br.Duplicates != 6 {
		t.Fatalf("batch replay: %+v %v", br, err)
	}

	end, err := c.EndRun(ctx, run.ID, drip.EndRunParams{Status: drip.RunCompleted})
	if err != nil || end.Status != drip.RunCompleted || end.EventCount != 7 {
		t.Fatalf("end: %+v %v", end, err)
	}
	if _, err := c.EndRun(ctx, run.ID, drip.EndRunParams{Status: drip.RunCompleted}); err != nil {
		t.Fatalf("same end again must be a replay: %v", err)
	}
	if _, err := c.EndRun(ctx, run.ID, drip.EndRunParams{Status: drip.RunFailed}); !errors.Is(err, drip.ErrRunAlreadyEnded) {
		t.Fatalf("different end: %v", err)
	}

	det, err := c.GetRun(ctx, run.ID)
	if err != nil || det.EventCount != 7 || det.Status != drip.RunCompleted || det.CorrelationID != "trace-1" {
		t.Fatalf("get run: %+v %v", det, err)
	}

	page, err := c.GetRunTimeline(ctx, run.ID, &drip.TimelineParams{Limit: 3})
	if err != nil || len(page.Events) != 3 || !page.HasMore || page.Summary.TotalEvents != 7 {
		t.Fatalf("timeline page: %+v %v", page, err)
	}
	llm := page.Events[0]
	if llm.Type != drip.EventLLMCompletion || llm.Metadata["model"] != "gpt-4o-mini" ||
		llm.Metadata["inputTokens"] != float64(120) || llm.Metadata["outputTokens"] != float64(30) ||
		llm.Duration != 850*time.Millisecond {
		t.Fatalf("llm event read back: %+v", llm)
	}
	var types []string
	for e, err := range c.TimelineEvents(ctx, run.ID, 2) {
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, e.Type)
	}
	if len(types) != 7 || types[0] != drip.EventLLMCompletion || types[1] != drip.EventToolCall {
		t.Fatalf("timeline order: %v", types)
	}
	if _, err := c.GetRun(ctx, "run_missing"); !errors.Is(err, drip.ErrNotFound) {
		t.Fatalf("missing run: %v", err)
	}
}

func TestRecordRun(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		t.Run(fmt.Sprintf("fallback=%v", fallback), func(t *testing.T) {
			var wrap func(http.Handler) http.Handler
			var recordHits atomic.Int64
			if fallback {
				// A server that predates /runs/record.
				wrap = func(h http.Handler) http.Handler {
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						if r.URL.Path == "/v1/runs/record" {
							recordHits.Add(1)
							w.Header().Set("Content-Type", "application/json")
							w.WriteHeader(404)
							w.Write([]byte(`{"error":"Not found","message":"Not found","code":"NOT_FOUND"}`))
							return
						}
						h.ServeHTTP(w, r)
					})
				}
			}
			srv := startServer(t, wrap)
			c := newClient(t, srv.BaseURL())
			ctx := ctxT(t)
			cu, _ := c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "acme"})
			res, err := c.RecordRun(ctx, drip.RecordRunParams{
				CustomerID: cu.ID, Workflow: "nightly_batch", Status: drip.RunCompleted, ExternalRunID: "job-42",
				Events: []drip.Event{
					{Type: drip.EventLLMCompletion, Model: "gpt-4o", InputTokens: 10, OutputTokens: 5},
					{Type: drip.EventToolCall, Name: "fetch"},
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.EventsCreated != 2 || res.Status != drip.RunCompleted || res.UsedFallbackCalls != fallback || res.Summary == "" {
				t.Fatalf("record: %+v", res)
			}
			if fallback && (recordHits.Load() != 1 || res.WorkflowName != "Nightly Batch") {
				t.Fatalf("fallback: hits %d, %+v", recordHits.Load(), res)
			}
			evs, _ := srv.store.Events(ctx, res.RunID)
			if len(evs) != 2 || evs[0].Quantity != 15 {
				t.Fatalf("stored events: %+v", evs)
			}
		})
	}
}

// TestChaosNeverDoubleCounts is the point of idempotency keys: with a fifth
// of requests failing before the server acts and a fifth losing their reply
// after it committed, 1,000 usage calls and 1,000 events give exactly 1,000
// records each.
func TestChaosNeverDoubleCounts(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos test")
	}
	srv := startServer(t, nil, dripserver.WithErrorRate(0.2), dripserver.WithDropRate(0.2), dripserver.WithSeed(7))
	c := newClient(t, srv.BaseURL(), fastRetries())
	ctx := ctxT(t)
	var cu *drip.Customer
	var err error
	for cu == nil {
		if cu, err = c.GetOrCreateCustomer(ctx, "chaos", nil); err != nil && !errors.Is(err, drip.ErrUnavailable) {
			t.Fatal(err)
		}
	}
	run, err := c.StartRun(ctx, drip.RunParams{CustomerID: cu.ID, Workflow: "chaos"})
	if err != nil {
		t.Fatal(err)
	}
	const n = 1000
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	sem := make(chan struct{}, 8)
	for i := range n {
		wg.Add(2)
		sem <- struct{}{}
		go func() {
			defer func() { wg.Done(); <-sem }()
			if _, err := c.TrackUsage(ctx, drip.UsageParams{CustomerID: cu.ID, Meter: "calls", Quantity: 1}); err != nil {
				errs <- err
			}
		}()
		go func() {
			defer wg.Done()
			if _, err := c.EmitEvent(ctx, drip.Event{RunID: run.ID, Type: "step", Quantity: float64(i%3 + 1)}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("a call failed despite retries: %v", err)
	}
	recs, _ := srv.store.UsageRecords(ctx)
	evs, _ := srv.store.Events(ctx, run.ID)
	if len(recs) != n || len(evs) != n {
		t.Fatalf("server holds %d usage records and %d events, want %d each", len(recs), len(evs), n)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	var calls atomic.Int64
	srv := startServer(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) == 1 {
				w.Header().Set("Retry-After", "1")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(429)
				w.Write([]byte(`{"error":"slow down","message":"slow down","code":"RATE_LIMIT_EXCEEDED"}`))
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	c := newClient(t, srv.BaseURL(), drip.WithRetryPolicy(drip.RetryPolicy{MaxRetries: 2, BaseDelay: time.Millisecond,
		MaxDelay: time.Millisecond, MaxRetryAfter: 5 * time.Second}))
	start := time.Now()
	if _, err := c.TrackUsage(ctxT(t), drip.UsageParams{ExternalCustomerID: "x", Meter: "m", Quantity: 1}); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Fatalf("retried after %v, want ≥ 1s (Retry-After)", waited)
	}
	if calls.Load() != 2 {
		t.Fatalf("%d calls, want 2", calls.Load())
	}
}

func TestRateLimitErrorCarriesRetryAfter(t *testing.T) {
	srv := startServer(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(429)
			w.Write([]byte(`{"error":"slow","message":"slow","code":"RATE_LIMITED","retryAfter":2.5}`))
		})
	})
	c := newClient(t, srv.BaseURL(), drip.WithoutRetries())
	_, err := c.TrackUsage(ctxT(t), drip.UsageParams{CustomerID: "c", Meter: "m", Quantity: 1})
	var e *drip.Error
	if !errors.As(err, &e) || !errors.Is(err, drip.ErrRateLimited) || e.RetryAfter != 2500*time.Millisecond {
		t.Fatalf("got %#v", err)
	}
}

func TestCancellationStopsBackoff(t *testing.T) {
	srv := startServer(t, nil, dripserver.WithErrorRate(1))
	c := newClient(t, srv.BaseURL(), drip.WithRetryPolicy(drip.RetryPolicy{MaxRetries: 5, BaseDelay: 10 * time.Second,
		MaxDelay: 10 * time.Second, BreakerThreshold: -1}))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.TrackUsage(ctx, drip.UsageParams{CustomerID: "c", Meter: "m", Quantity: 1})
	if err == nil {
		t.Fatal("want an error")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("returned after %v; cancellation must stop the backoff at once", d)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error should wrap the ctx error: %v", err)
	}
}

func TestCircuitBreakerOpensAndRecovers(t *testing.T) {
	var down atomic.Bool
	srv := startServer(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if down.Load() {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(502)
				w.Write([]byte(`{"error":"bad gateway","message":"bad gateway","code":"BAD_GATEWAY"}`))
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	c := newClient(t, srv.BaseURL(), drip.WithRetryPolicy(drip.RetryPolicy{MaxRetries: 0,
		BreakerThreshold: 3, BreakerCooldown: 30 * time.Second}))
	var clock atomic.Int64 // nanoseconds past start
	start := time.Now()
	drip.SetBreakerClock(c, func() time.Time { return start.Add(time.Duration(clock.Load())) })
	ctx := ctxT(t)
	p := drip.UsageParams{ExternalCustomerID: "x", Meter: "m", Quantity: 1}

	// 4xx never opens it.
	for range 5 {
		if _, err := c.TrackUsage(ctx, drip.UsageParams{CustomerID: "cust_missing", Meter: "m", Quantity: 1}); !errors.Is(err, drip.ErrNotFound) {
			t.Fatalf("want 404, got %v", err)
		}
	}
	down.Store(true)
	for range 3 {
		if _, err := c.TrackUsage(ctx, p); err == nil || errors.Is(err, drip.ErrCircuitOpen) {
			t.Fatalf("want a 502, got %v", err)
		}
	}
	before := srv.requests.Load()
	_, err := c.TrackUsage(ctx, p)
	var e *drip.Error
	if !errors.As(err, &e) || !errors.Is(err, drip.ErrCircuitOpen) || e.RetryAfter <= 0 {
		t.Fatalf("breaker should be open: %v", err)
	}
	if srv.requests.Load() != before {
		t.Fatal("an open breaker must not send")
	}
	if e.RetryAfter > drip.BreakerFirstCooldown {
		t.Fatalf("first open period %v, want at most %v", e.RetryAfter, drip.BreakerFirstCooldown)
	}
	// The API comes back within seconds, as after a restart: it is probed
	// after the first, short, open period, not after BreakerCooldown.
	down.Store(false)
	clock.Add(int64(900 * time.Millisecond))
	if _, err := c.TrackUsage(ctx, p); !errors.Is(err, drip.ErrCircuitOpen) {
		t.Fatalf("before the cooldown ends: %v, want ErrCircuitOpen", err)
	}
	clock.Add(int64(200 * time.Millisecond))
	if _, err := c.TrackUsage(ctx, p); err != nil {
		t.Fatalf("probe after cooldown: %v", err)
	}
	if _, err := c.TrackUsage(ctx, p); err != nil {
		t.Fatalf("closed again: %v", err)
	}
}

// While the API stays down the open period doubles per failed probe up to
// BreakerCooldown, and a success starts it over at BreakerFirstCooldown.
func TestCircuitBreakerBacksOffWhileDown(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	srv := startServer(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if down.Load() {
				w.WriteHeader(503)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	const maxCooldown = 10 * time.Second
	c := newClient(t, srv.BaseURL(), drip.WithRetryPolicy(drip.RetryPolicy{MaxRetries: 0,
		BreakerThreshold: 2, BreakerCooldown: maxCooldown}))
	var clock atomic.Int64
	start := time.Now()
	drip.SetBreakerClock(c, func() time.Time { return start.Add(time.Duration(clock.Load())) })
	ctx := ctxT(t)
	p := drip.UsageParams{ExternalCustomerID: "x", Meter: "m", Quantity: 1, Mode: drip.UsageInternal}
	call := func() error { _, err := c.TrackUsage(ctx, p); return err }

	for range 2 {
		if err := call(); err == nil || errors.Is(err, drip.ErrCircuitOpen) {
			t.Fatalf("want a 503, got %v", err)
		}
	}
	// Each open period: refused just before it ends, probed (and failed)
	// just after.
	for _, period := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, maxCooldown, maxCooldown} {
		err := call()
		e, _ := drip.AsError(err)
		if !errors.Is(err, drip.ErrCircuitOpen) || e.RetryAfter != period {
			t.Fatalf("open for %v: got %v (RetryAfter %v)", period, err, e.RetryAfter)
		}
		clock.Add(int64(period - time.Millisecond))
		if err := call(); !errors.Is(err, drip.ErrCircuitOpen) {
			t.Fatalf("1ms before the %v period ends: %v", period, err)
		}
		clock.Add(int64(time.Millisecond))
		before := srv.requests.Load()
		if err := call(); err == nil || errors.Is(err, drip.ErrCircuitOpen) {
			t.Fatalf("probe after %v: want a 503, got %v", period, err)
		}
		if srv.requests.Load() != before+1 {
			t.Fatalf("the probe should send exactly one request")
		}
	}
	// Recovery closes it; the next outage starts over at one second.
	down.Store(false)
	clock.Add(int64(maxCooldown))
	if err := call(); err != nil {
		t.Fatalf("probe after recovery: %v", err)
	}
	down.Store(true)
	for range 2 {
		call()
	}
	if _, err := c.TrackUsage(ctx, p); !errors.Is(err, drip.ErrCircuitOpen) {
		t.Fatalf("want open again: %v", err)
	} else if e, _ := drip.AsError(err); e.RetryAfter != drip.BreakerFirstCooldown {
		t.Fatalf("a new outage starts at %v, got %v", drip.BreakerFirstCooldown, e.RetryAfter)
	}
}

func TestKeysNeverLeak(t *testing.T) {
	const secret = "sk_live_supersecretvalue123"
	srv := startServer(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// A hostile or buggy server echoing the key back.
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(503)
			fmt.Fprintf(w, `{"error":"bad key %[1]s","message":"bad key %[1]s","code":"SERVICE_UNAVAILABLE"}`, r.Header.Get("Authorization"))
		})
	})
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := drip.New(drip.WithAPIKey(secret), drip.WithBaseURL(srv.BaseURL()), drip.WithLogger(logger),
		drip.WithRetryPolicy(drip.RetryPolicy{MaxRetries: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, BreakerThreshold: 1}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.TrackUsage(ctxT(t), drip.UsageParams{CustomerID: "c", Meter: "m", Quantity: 1})
	var e *drip.Error
	if !errors.As(err, &e) {
		t.Fatalf("want *drip.Error, got %v", err)
	}
	for what, s := range map[string]string{"Error()": err.Error(), "Message": e.Message, "Body": string(e.Body),
		"logs": logs.String(), "%+v": fmt.Sprintf("%+v", e)} {
		if strings.Contains(s, secret) {
			t.Errorf("%s contains the API key: %s", what, s)
		}
	}
	if !strings.Contains(logs.String(), "retrying") {
		t.Errorf("expected retry logs, got %q", logs.String())
	}

	// A key the server refuses.
	srv2 := startServer(t, nil, dripserver.WithAPIKeys(testKey))
	c2, _ := drip.New(drip.WithAPIKey(secret), drip.WithBaseURL(srv2.BaseURL()))
	_, err = c2.TrackUsage(ctxT(t), drip.UsageParams{CustomerID: "c", Meter: "m", Quantity: 1})
	if !errors.Is(err, drip.ErrInvalidAPIKey) || strings.Contains(err.Error(), secret) {
		t.Fatalf("invalid key: %v", err)
	}
}

// A hostile server echoing the key into every envelope field and into a
// header leaks it into no field of the *Error, nor into PingResult.Status.
func TestKeysNeverLeakFromAnyField(t *testing.T) {
	const secret = "sk_live_supersecretvalue123"
	var header atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		w.Header().Set("Content-Type", "application/json")
		if header.Load() {
			w.Header().Set("X-Request-Id", "req-"+key)
		}
		switch r.URL.Path {
		case "/health":
			fmt.Fprintf(w, `{"status":"healthy %s","timestamp":1}`, key)
		case "/v1/customers/cus_1":
			io.WriteString(w, `{"id": not json `+key)
		default:
			w.WriteHeader(http.StatusConflict)
			fmt.Fprintf(w, `{"error":"e %[1]s","message":"m %[1]s","code":"%[1]s","field":"f %[1]s",`+
				`"existingCustomerId":"cus_%[1]s","requestId":"rid %[1]s","retryAfter":1}`, key)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := drip.New(drip.WithAPIKey(secret), drip.WithBaseURL(srv.URL+"/v1"), drip.WithoutRetries())
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	check := func(t *testing.T, err error) {
		t.Helper()
		e, ok := drip.AsError(err)
		if !ok {
			t.Fatalf("want *drip.Error, got %v", err)
		}
		fields := map[string]string{"Error()": err.Error(), "%+v": fmt.Sprintf("%+v", err), "%#v": fmt.Sprintf("%#v", e),
			"Op": e.Op, "Code": e.Code, "Message": e.Message, "Field": e.Field, "RequestID": e.RequestID,
			"ExistingCustomerID": e.ExistingCustomerID, "Body": string(e.Body)}
		if e.Err != nil {
			fields["Err"] = e.Err.Error()
		}
		for what, s := range fields {
			if strings.Contains(s, secret) {
				t.Errorf("%s contains the API key: %s", what, s)
			}
		}
	}
	for _, withHeader := range []bool{false, true} {
		header.Store(withHeader)
		t.Run(fmt.Sprintf("error envelope, header %v", withHeader), func(t *testing.T) {
			_, err := c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "x"})
			check(t, err)
			if e, _ := drip.AsError(err); e.Code == "" || e.Field == "" || e.RequestID == "" || e.ExistingCustomerID == "" {
				t.Errorf("every echoed field should be kept, scrubbed: %+v", e)
			}
		})
		t.Run(fmt.Sprintf("unparsable 2xx, header %v", withHeader), func(t *testing.T) {
			_, err := c.GetCustomer(ctx, "cus_1")
			check(t, err)
		})
	}
	res, err := c.Ping(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(res.Status, secret) || !strings.Contains(res.Status, "[REDACTED]") {
		t.Errorf("PingResult.Status = %q", res.Status)
	}
}

func TestErrorSentinelsMatchAliases(t *testing.T) {
	cases := []struct {
		err    *drip.Error
		target error
	}{
		{&drip.Error{Code: "RATE_LIMITED"}, drip.ErrRateLimited},
		{&drip.Error{Code: "RATE_LIMIT_EXCEEDED", StatusCode: 429}, drip.ErrRateLimited},
		{&drip.Error{StatusCode: 429}, drip.ErrRateLimited},
		{&drip.Error{Code: "INVALID_API_KEY"}, drip.ErrInvalidAPIKey},
		{&drip.Error{Code: "UNAUTHORIZED", StatusCode: 401}, drip.ErrInvalidAPIKey},
		{&drip.Error{Code: "PUBLIC_KEY_NOT_ALLOWED", StatusCode: 403}, drip.ErrForbidden},
		{&drip.Error{Code: "CUSTOMER_NOT_FOUND", StatusCode: 404}, drip.ErrNotFound},
		{&drip.Error{Code: "PAYMENT_REQUIRED", StatusCode: 402}, drip.ErrPaymentRequired},
	}
	for _, tc := range cases {
		wrapped := fmt.Errorf("calling drip: %w", tc.err)
		if !errors.Is(wrapped, tc.target) {
			t.Errorf("%+v should match %v", tc.err, tc.target)
		}
	}
	if errors.Is(&drip.Error{Code: "NOT_FOUND"}, drip.ErrRateLimited) {
		t.Error("NOT_FOUND must not match ErrRateLimited")
	}
}

func TestPackageLevelFunctionsUseTheDefaultClient(t *testing.T) {
	srv := startServer(t, nil)
	t.Setenv(drip.EnvAPIKey, testKey)
	t.Setenv(drip.EnvAPIURL, "")
	t.Setenv(drip.EnvBaseURL, srv.BaseURL())
	drip.SetDefault(nil)
	t.Cleanup(func() { drip.SetDefault(nil) })
	ctx := ctxT(t)
	if res, err := drip.Ping(ctx); err != nil || !res.OK {
		t.Fatal(res, err)
	}
	cu, err := drip.GetOrCreateCustomer(ctx, "pkg-level", nil)
	if err != nil {
		t.Fatal(err)
	}
	run, err := drip.StartRun(ctx, drip.RunParams{CustomerID: cu.ID, Workflow: "pkg"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := drip.EmitEventsBatch(ctx, []drip.Event{{RunID: run.ID, Type: "a"}, {RunID: run.ID, Type: "b"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := drip.EndRun(ctx, run.ID, drip.EndRunParams{Status: drip.RunCompleted}); err != nil {
		t.Fatal(err)
	}
	tl, err := drip.GetRunTimeline(ctx, run.ID, nil)
	if err != nil || len(tl.Events) != 2 || tl.Status != drip.RunCompleted {
		t.Fatalf("timeline %+v %v", tl, err)
	}
	if l, err := drip.ListCustomers(ctx, nil); err != nil || len(l.Customers) != 1 {
		t.Fatalf("list %+v %v", l, err)
	}
}

// CloseIdleConnections closes the connections of the transport the client
// made, and only those: another client's, or a caller's http.Client's, stay.
func TestCloseIdleConnections(t *testing.T) {
	var opened atomic.Int64
	closed := make(chan struct{}, 16)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"healthy","timestamp":1}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			opened.Add(1)
		case http.StateClosed:
			closed <- struct{}{}
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	ctx := ctxT(t)
	ping := func(c *drip.Client) {
		t.Helper()
		if _, err := c.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	}
	a := newClient(t, srv.URL+"/v1")
	b := newClient(t, srv.URL+"/v1")
	userHC := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	t.Cleanup(userHC.CloseIdleConnections)
	u := newClient(t, srv.URL+"/v1", drip.WithHTTPClient(userHC))
	ping(a)
	ping(b)
	ping(u)
	if n := opened.Load(); n != 3 {
		t.Fatalf("%d connections, want one per client (clients share no transport)", n)
	}

	a.CloseIdleConnections()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("a's idle connection was not closed")
	}
	u.CloseIdleConnections() // not its transport: a no-op
	ping(b)
	ping(u)
	if n := opened.Load(); n != 3 {
		t.Fatalf("%d connections: b's or the caller's connection was closed too", n)
	}
	select {
	case <-closed:
		t.Fatal("a second connection was closed")
	default:
	}
	ping(a) // still usable: dials again
	if n := opened.Load(); n != 4 {
		t.Fatalf("%d connections, want a's new one", n)
	}
}
