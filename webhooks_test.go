package drip_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
)

// hookDripd starts a dripd (on store, nil for a fresh in-memory one) with
// fast webhook retries and a secret-key client for it.
func hookDripd(t *testing.T, store *dripserver.Store, opts ...dripserver.Option) (*dripserver.Instance, *drip.Client) {
	t.Helper()
	inst, c := startHookDripd(t, store, opts...)
	t.Cleanup(func() { stopDripd(t, inst) })
	return inst, c
}

// startHookDripd is hookDripd for a test that stops dripd itself.
func startHookDripd(t *testing.T, store *dripserver.Store, opts ...dripserver.Option) (*dripserver.Instance, *drip.Client) {
	t.Helper()
	opts = append([]dripserver.Option{dripserver.WithLogger(slog.New(slog.DiscardHandler)),
		dripserver.WithWebhookRetry(2*time.Millisecond, 50)}, opts...)
	inst, err := dripserver.Start(context.Background(), "127.0.0.1:0", store, opts...)
	if err != nil {
		t.Fatal(err)
	}
	c, err := drip.New(drip.WithAPIKey("sk_test_webhooks_1"), drip.WithBaseURL(inst.BaseURL()))
	if err != nil {
		t.Fatal(err)
	}
	return inst, c
}

func stopDripd(t *testing.T, inst *dripserver.Instance) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := inst.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

// receiver is a webhook endpoint on 127.0.0.1. By default it verifies
// each delivery with drip.WebhookHandler and its secret; failN makes the
// next requests answer 500 first; a gate makes each request wait for the
// status to answer (0: verify and handle as usual).
type receiver struct {
	srv     *httptest.Server
	mu      sync.Mutex
	secret  string
	gate    chan int
	failN   atomic.Int32
	handled atomic.Int32 // deliveries the handler accepted
	events  chan drip.WebhookEvent
	raw     chan rawDelivery // every request, as received
}

type rawDelivery struct {
	body   []byte
	header http.Header
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{events: make(chan drip.WebhookEvent, 100), raw: make(chan rawDelivery, 100)}
	rc.srv = httptest.NewServer(rc)
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) setSecret(s string) { rc.mu.Lock(); rc.secret = s; rc.mu.Unlock() }

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	select {
	case rc.raw <- rawDelivery{body: body, header: r.Header.Clone()}:
	default:
	}
	code := 0
	rc.mu.Lock()
	gate := rc.gate
	rc.mu.Unlock()
	if gate != nil {
		select {
		case code = <-gate:
		case <-r.Context().Done():
			return
		}
	}
	if code == 0 && rc.failN.Add(-1) >= 0 {
		code = http.StatusInternalServerError
	}
	if code != 0 {
		w.WriteHeader(code)
		return
	}
	rc.mu.Lock()
	secret := rc.secret
	rc.mu.Unlock()
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	drip.WebhookHandler(secret, func(ctx context.Context, e drip.WebhookEvent) error {
		rc.handled.Add(1)
		rc.events <- e
		return nil
	}).ServeHTTP(w, r)
}

func (rc *receiver) next(t *testing.T) drip.WebhookEvent {
	t.Helper()
	select {
	case e := <-rc.events:
		return e
	case <-time.After(20 * time.Second):
		t.Fatal("no webhook delivery arrived")
	}
	return drip.WebhookEvent{}
}

func (rc *receiver) nextRaw(t *testing.T) rawDelivery {
	t.Helper()
	select {
	case d := <-rc.raw:
		return d
	case <-time.After(20 * time.Second):
		t.Fatal("no webhook request arrived")
	}
	return rawDelivery{}
}

// eventually polls cond until it holds, failing the test after a generous
// deadline. It asserts on outcomes, never on elapsed time.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestWebhookCRUD(t *testing.T) {
	ctx := context.Background()
	_, c := hookDripd(t, nil)
	created, err := c.CreateWebhook(ctx, drip.WebhookParams{
		URL:         "https://hooks.example.com/drip",
		Events:      []string{drip.WebhookCustomerCreated, drip.WebhookCustomerSpendingBlocked},
		Description: "main",
		Filters:     &drip.WebhookFilters{CustomerIDs: []string{"cust_1"}, Severities: []string{drip.SeverityCritical}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(created.Secret, "whsec_") || created.Message == "" || created.ID == "" {
		t.Fatalf("created = %+v", created)
	}
	if created.HealthStatus != drip.WebhookHealthy || !created.IsActive || created.Description != "main" ||
		created.Filters == nil || created.Filters.CustomerIDs[0] != "cust_1" || created.CreatedAt.IsZero() ||
		created.Stats == nil || *created.Stats != (drip.WebhookStats{}) {
		t.Fatalf("created webhook = %+v", created.Webhook)
	}

	got, err := c.GetWebhook(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.URL != created.URL || len(got.Events) != 2 || got.Filters.Severities[0] != "critical" {
		t.Fatalf("get = %+v", got)
	}
	list, err := c.ListWebhooks(ctx)
	if err != nil || list.Count != 1 || list.Webhooks[0].ID != created.ID {
		t.Fatalf("list = %+v, %v", list, err)
	}

	off, desc := false, ""
	up, err := c.UpdateWebhook(ctx, created.ID, drip.UpdateWebhookParams{URL: "https://hooks.example.com/v2",
		Events: []string{drip.WebhookUsageRecorded}, Description: &desc, IsActive: &off,
		Filters: &drip.WebhookFilters{UsageTypes: []string{"tokens"}}})
	if err != nil {
		t.Fatal(err)
	}
	if up.URL != "https://hooks.example.com/v2" || up.Events[0] != drip.WebhookUsageRecorded || up.Description != "" ||
		up.IsActive || up.Filters == nil || up.Filters.UsageTypes[0] != "tokens" || up.Filters.CustomerIDs != nil {
		t.Fatalf("updated = %+v", up)
	}
	up, err = c.UpdateWebhook(ctx, created.ID, drip.UpdateWebhookParams{RemoveFilters: true})
	if err != nil || up.Filters != nil || up.URL != "https://hooks.example.com/v2" {
		t.Fatalf("filters removed = %+v, %v", up, err)
	}

	if err := c.DeleteWebhook(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetWebhook(ctx, created.ID); !errors.Is(err, drip.ErrNotFound) {
		t.Fatalf("get deleted: %v", err)
	}
	if err := c.DeleteWebhook(ctx, created.ID); !errors.Is(err, drip.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}

	// dripd refuses plain http to a host that is not this machine.
	_, err = c.CreateWebhook(ctx, drip.WebhookParams{URL: "http://hooks.example.com/", Events: []string{drip.WebhookChargeFailed}})
	if e, ok := drip.AsError(err); !ok || e.StatusCode != 400 || e.Code != drip.CodeInvalidParameter || e.Field != "url" {
		t.Fatalf("http URL: %v", err)
	}
}

// TestWebhookRefusedBeforeSending: bad input and public keys are refused
// by the client, and nothing reaches the API.
func TestWebhookRefusedBeforeSending(t *testing.T) {
	ctx := context.Background()
	var hits atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer api.Close()
	sk, _ := drip.New(drip.WithAPIKey("sk_test_webhooks_1"), drip.WithBaseURL(api.URL+"/v1"))
	pk, _ := drip.New(drip.WithAPIKey("pk_test_webhooks_1"), drip.WithBaseURL(api.URL+"/v1"))
	good := drip.WebhookParams{URL: "https://hooks.example.com/", Events: []string{drip.WebhookChargeSucceeded}}

	for name, call := range map[string]func() error{
		"relative url": func() error { p := good; p.URL = "/hooks"; _, err := sk.CreateWebhook(ctx, p); return err },
		"ftp url":      func() error { p := good; p.URL = "ftp://x.example/"; _, err := sk.CreateWebhook(ctx, p); return err },
		"no events":    func() error { p := good; p.Events = nil; _, err := sk.CreateWebhook(ctx, p); return err },
		"unknown event": func() error {
			p := good
			p.Events = []string{"charge.maybe"}
			_, err := sk.CreateWebhook(ctx, p)
			return err
		},
		"bad severity": func() error {
			p := good
			p.Filters = &drip.WebhookFilters{Severities: []string{"urgent"}}
			_, err := sk.CreateWebhook(ctx, p)
			return err
		},
		"no id": func() error { _, err := sk.GetWebhook(ctx, " "); return err },
		"both filters": func() error {
			_, err := sk.UpdateWebhook(ctx, "wh_1", drip.UpdateWebhookParams{Filters: &drip.WebhookFilters{}, RemoveFilters: true})
			return err
		},
		"empty events": func() error {
			_, err := sk.UpdateWebhook(ctx, "wh_1", drip.UpdateWebhookParams{Events: []string{}})
			return err
		},
		"update bad url": func() error {
			_, err := sk.UpdateWebhook(ctx, "wh_1", drip.UpdateWebhookParams{URL: "nope"})
			return err
		},
	} {
		if err := call(); !errors.Is(err, drip.ErrValidation) {
			t.Errorf("%s: got %v, want a validation error", name, err)
		}
	}
	for name, call := range map[string]func() error{
		"create": func() error { _, err := pk.CreateWebhook(ctx, good); return err },
		"list":   func() error { _, err := pk.ListWebhooks(ctx); return err },
		"get":    func() error { _, err := pk.GetWebhook(ctx, "wh_1"); return err },
		"update": func() error {
			_, err := pk.UpdateWebhook(ctx, "wh_1", drip.UpdateWebhookParams{URL: good.URL})
			return err
		},
		"delete": func() error { return pk.DeleteWebhook(ctx, "wh_1") },
		"test":   func() error { _, err := pk.TestWebhook(ctx, "wh_1"); return err },
		"rotate": func() error { _, err := pk.RotateWebhookSecret(ctx, "wh_1"); return err },
	} {
		err := call()
		if e, ok := drip.AsError(err); !ok || !errors.Is(err, drip.ErrPublicKeyNotAllowed) || e.StatusCode != 403 {
			t.Errorf("%s with pk_: got %v, want 403 PUBLIC_KEY_NOT_ALLOWED", name, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("%d requests reached the API", n)
	}
}

// TestWebhookDeliversCustomerCreated: creating a customer through the
// public API delivers a signed customer.created that a receiver built
// with WebhookHandler verifies and decodes.
func TestWebhookDeliversCustomerCreated(t *testing.T) {
	ctx := context.Background()
	inst, c := hookDripd(t, nil)
	rc := newReceiver(t)
	wh, err := c.CreateWebhook(ctx, drip.WebhookParams{URL: rc.srv.URL + "/drip", Events: []string{drip.WebhookCustomerCreated}})
	if err != nil {
		t.Fatal(err)
	}
	rc.setSecret(wh.Secret)
	cust, err := c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "user_42", Metadata: map[string]any{"plan": "pro"}})
	if err != nil {
		t.Fatal(err)
	}
	raw := rc.nextRaw(t)
	e := rc.next(t)
	if !strings.HasPrefix(e.ID, "whevt_") || e.Type != drip.WebhookCustomerCreated || e.CreatedAt.IsZero() {
		t.Fatalf("event = %+v", e)
	}
	if raw.header.Get("X-Drip-Event") != drip.WebhookCustomerCreated || !strings.HasPrefix(raw.header.Get("X-Drip-Delivery"), "whdel_") {
		t.Fatalf("headers = %v", raw.header)
	}
	got, err := e.Customer()
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != cust.ID || got.ExternalCustomerID != "user_42" || got.Metadata["plan"] != "pro" || !got.CreatedAt.Equal(cust.CreatedAt) {
		t.Fatalf("customer in event = %+v, created %+v", got, cust)
	}
	if _, err := e.SpendingAlert(); !errors.Is(err, drip.ErrValidation) {
		t.Fatalf("SpendingAlert of customer.created: %v", err)
	}

	// A customer auto-provisioned by usage is announced too.
	if _, err := c.TrackUsage(ctx, drip.UsageParams{ExternalCustomerID: "user_43", Meter: "tokens", Quantity: 1}); err != nil {
		t.Fatal(err)
	}
	if got, err := rc.next(t).Customer(); err != nil || got.ExternalCustomerID != "user_43" || !got.IsInternal {
		t.Fatalf("provisioned customer in event = %+v, %v", got, err)
	}
	eventually(t, "stats", func() bool {
		w, err := c.GetWebhook(ctx, wh.ID)
		return err == nil && w.Stats != nil && *w.Stats == drip.WebhookStats{Total: 2, Delivered: 2}
	})
	ds, err := inst.Store().WebhookDeliveries(ctx, wh.ID)
	if err != nil || len(ds) != 2 || ds[0].EventID != e.ID || ds[0].Attempts != 1 || ds[0].ResponseCode != 204 {
		t.Fatalf("deliveries = %+v, %v", ds, err)
	}
}

// TestWebhookRetriesUntilDelivered: an endpoint that fails twice, then
// succeeds, handles the event exactly once, on the third attempt.
func TestWebhookRetriesUntilDelivered(t *testing.T) {
	ctx := context.Background()
	inst, c := hookDripd(t, nil)
	rc := newReceiver(t)
	rc.failN.Store(2)
	wh, err := c.CreateWebhook(ctx, drip.WebhookParams{URL: rc.srv.URL, Events: []string{drip.WebhookCustomerCreated}})
	if err != nil {
		t.Fatal(err)
	}
	rc.setSecret(wh.Secret)
	if _, err := c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "retry_me"}); err != nil {
		t.Fatal(err)
	}
	first := rc.next(t)
	var d dripserver.WebhookDelivery
	eventually(t, "delivered", func() bool {
		ds, err := inst.Store().WebhookDeliveries(ctx, wh.ID)
		if err != nil || len(ds) != 1 {
			return false
		}
		d = ds[0]
		return d.Status == dripserver.DeliveryDelivered
	})
	if d.Attempts != 3 || d.ResponseCode != 204 || d.EventID != first.ID {
		t.Fatalf("delivery = %+v", d)
	}
	if n := rc.handled.Load(); n != 1 {
		t.Fatalf("handler ran %d times, want 1", n)
	}
	w, err := c.GetWebhook(ctx, wh.ID)
	if err != nil || w.ConsecutiveFailures != 0 || w.HealthStatus != drip.WebhookHealthy || *w.Stats != (drip.WebhookStats{Total: 1, Delivered: 1}) {
		t.Fatalf("webhook after recovery = %+v, %v", w, err)
	}
}

// TestWebhookHealth: consecutive failures make an endpoint DEGRADED, then
// UNHEALTHY (announced with webhook.endpoint.unhealthy), and one success
// makes it HEALTHY again.
func TestWebhookHealth(t *testing.T) {
	ctx := context.Background()
	inst, c := hookDripd(t, nil)
	flaky := newReceiver(t)
	flaky.gate = make(chan int)
	watcher := newReceiver(t)
	bad, err := c.CreateWebhook(ctx, drip.WebhookParams{URL: flaky.srv.URL, Events: []string{drip.WebhookCustomerCreated}})
	if err != nil {
		t.Fatal(err)
	}
	flaky.setSecret(bad.Secret)
	watch, err := c.CreateWebhook(ctx, drip.WebhookParams{URL: watcher.srv.URL, Events: []string{drip.WebhookEndpointUnhealthy}})
	if err != nil {
		t.Fatal(err)
	}
	watcher.setSecret(watch.Secret)
	if _, err := c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "health"}); err != nil {
		t.Fatal(err)
	}
	failUntil := func(n int, want string) {
		t.Helper()
		var w *drip.Webhook
		eventually(t, "consecutive failures", func() bool {
			select {
			case flaky.gate <- http.StatusBadGateway:
			default:
			}
			w, err = c.GetWebhook(ctx, bad.ID)
			return err == nil && w.ConsecutiveFailures >= n
		})
		if w.ConsecutiveFailures != n || w.HealthStatus != want || w.LastHealthChange.IsZero() {
			t.Fatalf("after %d failures: %+v", n, w)
		}
	}
	failUntil(3, drip.WebhookDegraded)
	failUntil(10, drip.WebhookUnhealthy)
	e := watcher.next(t)
	var data struct {
		WebhookID           string `json:"webhookId"`
		HealthStatus        string `json:"healthStatus"`
		ConsecutiveFailures int    `json:"consecutiveFailures"`
	}
	if err := e.DecodeData(&data); err != nil || e.Type != drip.WebhookEndpointUnhealthy || data.WebhookID != bad.ID ||
		data.HealthStatus != drip.WebhookUnhealthy || data.ConsecutiveFailures != 10 {
		t.Fatalf("unhealthy event = %+v %+v, %v", e, data, err)
	}

	flaky.gate <- 0 // the next attempt is handled
	flaky.next(t)
	eventually(t, "healthy again", func() bool {
		w, err := c.GetWebhook(ctx, bad.ID)
		return err == nil && w.HealthStatus == drip.WebhookHealthy && w.ConsecutiveFailures == 0
	})
	ds, err := inst.Store().WebhookDeliveries(ctx, bad.ID)
	if err != nil || len(ds) != 1 || ds[0].Attempts != 11 || ds[0].Status != dripserver.DeliveryDelivered {
		t.Fatalf("deliveries = %+v, %v", ds, err)
	}
}

// TestWebhookDeliverySurvivesRestart: a delivery still pending when dripd
// stops is sent by the next dripd on the same database file.
func TestWebhookDeliverySurvivesRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "dripd.db")
	store, err := dripserver.OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	rc := newReceiver(t)
	rc.gate = make(chan int)
	inst, c := startHookDripd(t, store)
	wh, err := c.CreateWebhook(ctx, drip.WebhookParams{URL: rc.srv.URL, Events: []string{drip.WebhookCustomerCreated}})
	if err != nil {
		t.Fatal(err)
	}
	rc.setSecret(wh.Secret)
	if _, err := c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "restart"}); err != nil {
		t.Fatal(err)
	}
	rc.gate <- http.StatusServiceUnavailable // the first attempt fails
	eventually(t, "first attempt recorded", func() bool {
		ds, err := store.WebhookDeliveries(ctx, wh.ID)
		return err == nil && len(ds) == 1 && ds[0].Attempts == 1
	})
	rc.nextRaw(t) // the first attempt
	rc.nextRaw(t) // the second, waiting at the gate until dripd stops
	stopDripd(t, inst)
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	store, err = dripserver.OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ds, err := store.WebhookDeliveries(ctx, wh.ID)
	if err != nil || len(ds) != 1 || ds[0].Status != dripserver.DeliveryPending || ds[0].Attempts != 1 {
		t.Fatalf("after stop: %+v, %v", ds, err)
	}
	rc.mu.Lock()
	rc.gate = nil // from now on the receiver handles every delivery
	rc.mu.Unlock()
	hookDripd(t, store)
	e := rc.next(t)
	if e.Type != drip.WebhookCustomerCreated {
		t.Fatalf("event = %+v", e)
	}
	eventually(t, "delivered after restart", func() bool {
		ds, err := store.WebhookDeliveries(ctx, wh.ID)
		return err == nil && len(ds) == 1 && ds[0].Status == dripserver.DeliveryDelivered && ds[0].Attempts == 2
	})
	if n := rc.handled.Load(); n != 1 {
		t.Fatalf("handled %d times", n)
	}
}

// TestWebhookRotateSecret: after rotation, deliveries verify with the new
// secret only.
func TestWebhookRotateSecret(t *testing.T) {
	ctx := context.Background()
	_, c := hookDripd(t, nil)
	rc := newReceiver(t)
	wh, err := c.CreateWebhook(ctx, drip.WebhookParams{URL: rc.srv.URL, Events: []string{drip.WebhookCustomerCreated}})
	if err != nil {
		t.Fatal(err)
	}
	rc.setSecret(wh.Secret)
	if _, err := c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "before"}); err != nil {
		t.Fatal(err)
	}
	before := rc.nextRaw(t)
	if err := drip.VerifyWebhookSignature(before.body, before.header.Get(drip.WebhookSignatureHeader), wh.Secret); err != nil {
		t.Fatalf("before rotation: %v", err)
	}
	rot, err := c.RotateWebhookSecret(ctx, wh.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rot.Secret, "whsec_") || rot.Secret == wh.Secret || rot.Message == "" {
		t.Fatalf("rotated = %+v", rot)
	}
	rc.setSecret(rot.Secret)
	if _, err := c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "after"}); err != nil {
		t.Fatal(err)
	}
	after := rc.nextRaw(t)
	sig := after.header.Get(drip.WebhookSignatureHeader)
	if err := drip.VerifyWebhookSignature(after.body, sig, rot.Secret); err != nil {
		t.Fatalf("new secret: %v", err)
	}
	if err := drip.VerifyWebhookSignature(after.body, sig, wh.Secret); !errors.Is(err, drip.ErrWebhookSignature) {
		t.Fatalf("old secret still verifies: %v", err)
	}
}

func TestTestWebhook(t *testing.T) {
	ctx := context.Background()
	inst, c := hookDripd(t, nil)
	rc := newReceiver(t)
	wh, err := c.CreateWebhook(ctx, drip.WebhookParams{URL: rc.srv.URL, Events: []string{drip.WebhookChargeFailed}})
	if err != nil {
		t.Fatal(err)
	}
	rc.setSecret(wh.Secret)
	res, err := c.TestWebhook(ctx, wh.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "DELIVERED" || res.ResponseCode != 204 || !strings.HasPrefix(res.DeliveryID, "whdel_") || res.Message == "" {
		t.Fatalf("test result = %+v", res)
	}
	e := rc.next(t)
	var data struct {
		WebhookID string `json:"webhookId"`
	}
	if err := e.DecodeData(&data); err != nil || e.Type != drip.WebhookTest || data.WebhookID != wh.ID {
		t.Fatalf("test event = %+v, %v", e, err)
	}

	rc.failN.Store(1)
	res, err = c.TestWebhook(ctx, wh.ID)
	if err != nil || res.Status != "FAILED" || res.ResponseCode != 500 {
		t.Fatalf("failing test = %+v, %v", res, err)
	}
	ds, err := inst.Store().WebhookDeliveries(ctx, wh.ID)
	if err != nil || len(ds) != 2 || ds[0].ID != res.DeliveryID && ds[1].ID != res.DeliveryID {
		t.Fatalf("deliveries = %+v, %v", ds, err)
	}
	if _, err := c.TestWebhook(ctx, "wh_missing"); !errors.Is(err, drip.ErrNotFound) {
		t.Fatalf("unknown webhook: %v", err)
	}
}
