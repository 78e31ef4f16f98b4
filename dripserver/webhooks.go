package dripserver

// Webhooks: endpoints, signed deliveries with retries, health.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// schemaWebhooks is migration 5: webhook endpoints and their deliveries.
// A delivery is written in the transaction of the change that caused it
// and keeps its exact body, so pending ones survive a restart and a retry
// sends the same bytes. next_attempt_at is wall-clock time.
const schemaWebhooks = `
CREATE TABLE webhooks (
	seq                  INTEGER PRIMARY KEY,
	id                   TEXT NOT NULL UNIQUE,
	url                  TEXT NOT NULL,
	events               TEXT NOT NULL,
	description          TEXT,
	filters              TEXT,
	secret               TEXT NOT NULL,
	is_active            INTEGER NOT NULL DEFAULT 1,
	health_status        TEXT NOT NULL DEFAULT 'HEALTHY',
	consecutive_failures INTEGER NOT NULL DEFAULT 0,
	last_health_change   INTEGER,
	created_at           INTEGER NOT NULL,
	updated_at           INTEGER NOT NULL
);
CREATE TABLE webhook_deliveries (
	seq             INTEGER PRIMARY KEY,
	id              TEXT NOT NULL UNIQUE,
	webhook_id      TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
	event_id        TEXT NOT NULL,
	event_type      TEXT NOT NULL,
	body            TEXT NOT NULL,
	status          TEXT NOT NULL,
	attempts        INTEGER NOT NULL DEFAULT 0,
	response_code   INTEGER,
	last_error      TEXT,
	next_attempt_at INTEGER,
	created_at      INTEGER NOT NULL,
	delivered_at    INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries(webhook_id, status);
`

// CodeWebhookLimitExceeded answers a webhook endpoint beyond MaxWebhooks.
const CodeWebhookLimitExceeded = "WEBHOOK_LIMIT_EXCEEDED"

// MaxWebhooks is how many webhook endpoints dripd keeps; creating one more
// is 400 WEBHOOK_LIMIT_EXCEEDED.
const MaxWebhooks = 20

// Delivery defaults; WithWebhookRetry and WithWebhookTimeout change them.
const (
	// DefaultWebhookRetryInitial is the wait after a first failed attempt;
	// each further failure doubles it, up to DefaultWebhookMaxBackoff.
	DefaultWebhookRetryInitial = 10 * time.Second
	// DefaultWebhookMaxAttempts is how many attempts a delivery gets
	// before it is FAILED.
	DefaultWebhookMaxAttempts = 8
	// DefaultWebhookMaxBackoff caps the wait between attempts.
	DefaultWebhookMaxBackoff = time.Hour
	// DefaultWebhookTimeout bounds one attempt, response included.
	DefaultWebhookTimeout = 10 * time.Second
)

// Health thresholds: consecutive failed attempts after which an endpoint
// is DEGRADED, then UNHEALTHY (and webhook.endpoint.unhealthy is sent).
// One success makes it HEALTHY again.
const (
	webhookDegradedAfter  = 3
	webhookUnhealthyAfter = 10
)

const (
	healthHealthy   = "HEALTHY"
	healthDegraded  = "DEGRADED"
	healthUnhealthy = "UNHEALTHY"
)

const (
	prefixWebhook  = "wh_"
	prefixDelivery = "whdel_"
	prefixHookEvt  = "whevt_"
	prefixSecret   = "whsec_"

	eventWebhookTest      = "webhook.test"
	eventEndpointUnhealty = "webhook.endpoint.unhealthy"
)

// webhookEventTypes are the event types an endpoint may subscribe to.
var webhookEventTypes = []string{
	"customer.balance.low", "usage.recorded", "charge.succeeded", "charge.failed",
	"customer.deposit.confirmed", "customer.withdraw.confirmed", "customer.usage_cap.reached",
	"customer.spending.warning", "customer.spending.blocked", "customer.spending.exceeded",
	eventEndpointUnhealty, "customer.created", "api_key.created", "pricing_plan.updated",
	"transaction.created", "transaction.pending", "transaction.confirmed", "transaction.failed",
	"subscription.created", "subscription.renewed", "subscription.cancelled", "subscription.paused",
	"subscription.resumed", "subscription.trial_ended", "subscription.payment_failed",
	"withdrawal.created", "withdrawal.completed", "withdrawal.failed",
}

var webhookSeverities = []string{"low", "medium", "high", "critical"}

// webhookState is the service's webhook configuration and delivery loop.
type webhookState struct {
	initial     time.Duration
	maxAttempts int
	timeout     time.Duration

	wakeOnce sync.Once
	wake     chan struct{} // buffered 1: "something new is due"
	running  atomic.Bool   // a Run is delivering
	hcOnce   sync.Once
	hc       *http.Client
}

// WithWebhookRetry sets the delivery schedule: the wait after the first
// failed attempt (doubling after each further one, capped at
// DefaultWebhookMaxBackoff) and the number of attempts before a delivery
// is FAILED. Values ≤ 0 keep the defaults (DefaultWebhookRetryInitial,
// DefaultWebhookMaxAttempts). Tests use a few milliseconds.
func WithWebhookRetry(initial time.Duration, maxAttempts int) Option {
	return func(s *Server) {
		if initial > 0 {
			s.svc.hooks.initial = initial
		}
		if maxAttempts > 0 {
			s.svc.hooks.maxAttempts = maxAttempts
		}
	}
}

// WithWebhookTimeout bounds one delivery attempt (default
// DefaultWebhookTimeout); an endpoint slower than that has failed it.
func WithWebhookTimeout(d time.Duration) Option {
	return func(s *Server) {
		if d > 0 {
			s.svc.hooks.timeout = d
		}
	}
}

func (h *webhookState) wakeCh() chan struct{} {
	h.wakeOnce.Do(func() { h.wake = make(chan struct{}, 1) })
	return h.wake
}

// kick wakes the delivery loop, if one runs; it never blocks.
func (h *webhookState) kick() {
	select {
	case h.wakeCh() <- struct{}{}:
	default:
	}
}

func (h *webhookState) attempts() int {
	if h.maxAttempts > 0 {
		return h.maxAttempts
	}
	return DefaultWebhookMaxAttempts
}

// backoff is the wait after the n-th failed attempt (n ≥ 1).
func (h *webhookState) backoff(n int) time.Duration {
	d := h.initial
	if d <= 0 {
		d = DefaultWebhookRetryInitial
	}
	for i := 1; i < n && d < DefaultWebhookMaxBackoff; i++ {
		d *= 2
	}
	return min(d, DefaultWebhookMaxBackoff)
}

// webhookRoutes registers the webhook routes; all are secret-key only.
func (s *Server) webhookRoutes(api, secret routeFunc) {
	secret("POST /v1/webhooks", s.createWebhook)
	secret("GET /v1/webhooks", s.listWebhooks)
	secret("GET /v1/webhooks/{id}", s.getWebhook)
	secret("PATCH /v1/webhooks/{id}", s.updateWebhook)
	secret("DELETE /v1/webhooks/{id}", s.deleteWebhook)
	secret("POST /v1/webhooks/{id}/test", s.testWebhook)
	secret("POST /v1/webhooks/{id}/rotate-secret", s.rotateWebhookSecret)
	// Anything else under /webhooks is still secret-only: a public key
	// learns nothing about which routes exist.
	secret("/v1/webhooks/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.log, errNotFound("no route for %s %s", r.Method, r.URL.Path))
	})
}

// --- handlers

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	var req wire.CreateWebhookRequest
	err := decode(r, &req)
	if err == nil {
		err = firstErr(checkWebhookURL(req.URL), checkWebhookEvents(req.Events, true), checkWebhookFilters(req.Filters))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h, err := s.svc.createWebhook(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, wire.CreatedWebhook{
		Webhook: webhookWire(h, &wire.WebhookStats{}),
		Secret:  h.Secret,
		Message: "Save this secret now: it is not shown again. Use it to verify the X-Drip-Signature header of each delivery.",
	})
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	hs, stats, err := s.svc.listWebhooks(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := wire.WebhookList{Data: make([]wire.Webhook, len(hs)), Count: len(hs)}
	for i, h := range hs {
		out.Data[i] = webhookWire(h, &stats[i])
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) {
	h, st, err := s.svc.getWebhook(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, webhookWire(h, &st))
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request) {
	var req wire.UpdateWebhookRequest
	err := decode(r, &req)
	if err == nil && req.URL != nil {
		err = checkWebhookURL(*req.URL)
	}
	if err == nil && req.Events != nil {
		err = checkWebhookEvents(req.Events, true)
	}
	if err == nil {
		err = checkWebhookFilters(req.Filters.Value)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h, st, err := s.svc.updateWebhook(r.Context(), r.PathValue("id"), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, webhookWire(h, &st))
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.deleteWebhook(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.WebhookDeleteResult{Success: true})
}

func (s *Server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) {
	secret, err := s.svc.rotateWebhookSecret(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.WebhookSecret{Secret: secret,
		Message: "Secret rotated: deliveries from now on are signed with this secret only. Save it now: it is not shown again."})
}

func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request) {
	d, err := s.svc.testWebhook(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := wire.WebhookTestResult{DeliveryID: &d.ID, Status: d.Status, Message: "Test event delivered"}
	if d.ResponseCode != 0 {
		code := d.ResponseCode
		out.ResponseCode = &code
	}
	if d.Status != DeliveryDelivered {
		out.Message = "Test event failed: " + d.LastError
	}
	writeJSON(w, http.StatusOK, out)
}

func webhookWire(h webhook, st *wire.WebhookStats) wire.Webhook {
	out := wire.Webhook{ID: h.ID, URL: h.URL, Events: h.Events, Description: strPtr(h.Description),
		Filters: h.Filters, IsActive: h.IsActive, HealthStatus: h.HealthStatus,
		ConsecutiveFailures: h.ConsecutiveFailures, CreatedAt: formatTime(h.CreatedAt),
		UpdatedAt: formatTime(h.UpdatedAt), Stats: st}
	if !h.LastHealthChange.IsZero() {
		s := formatTime(h.LastHealthChange)
		out.LastHealthChange = &s
	}
	return out
}

// --- validation

// checkWebhookURL accepts https, and plain http to a loopback host only
// (a receiver on this machine, in development).
func checkWebhookURL(raw string) error {
	if raw == "" {
		return errValidation("url", "url is required")
	}
	u, err := url.Parse(raw)
	bad := func(msg string) error {
		return &apiError{status: http.StatusBadRequest, code: CodeInvalidParameter, field: "url", message: msg}
	}
	if err != nil || !u.IsAbs() || u.Hostname() == "" {
		return bad("url must be an absolute https URL")
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopbackHost(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return bad("url must use https; plain http is allowed only to a loopback host (localhost, 127.0.0.1, ::1)")
	}
	return bad("url must be an https URL")
}

func isLoopbackHost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkWebhookEvents requires known event types (and at least one when
// required).
func checkWebhookEvents(events []string, required bool) error {
	if required && len(events) == 0 {
		return errValidation("events", "events must name at least one event type")
	}
	for i, e := range events {
		if err := oneOf("events["+strconv.Itoa(i)+"]", e, webhookEventTypes...); err != nil {
			return err
		}
	}
	return nil
}

func checkWebhookFilters(f *wire.WebhookFilters) error {
	if f == nil {
		return nil
	}
	for i, sev := range f.Severities {
		if err := oneOf("filters.severities["+strconv.Itoa(i)+"]", sev, webhookSeverities...); err != nil {
			return err
		}
	}
	return nil
}

// normalizeFilters is nil for filters that filter nothing.
func normalizeFilters(f *wire.WebhookFilters) *wire.WebhookFilters {
	if f == nil || len(f.UsageTypes)+len(f.CustomerIDs)+len(f.Severities) == 0 {
		return nil
	}
	return f
}

// dedupe keeps the first of each value, in order.
func dedupe(vs []string) []string {
	out := make([]string, 0, len(vs))
	seen := map[string]bool{}
	for _, v := range vs {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func newSecret() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return prefixSecret + hex.EncodeToString(b[:])
}

// --- service

func (s *service) createWebhook(ctx context.Context, req wire.CreateWebhookRequest) (h webhook, err error) {
	now := s.now()
	h = webhook{ID: newID(prefixWebhook), URL: req.URL, Events: dedupe(req.Events), Description: req.Description,
		Filters: normalizeFilters(req.Filters), Secret: newSecret(), IsActive: true, HealthStatus: healthHealthy,
		CreatedAt: now, UpdatedAt: now}
	err = s.store.update(ctx, func(t *txn) error {
		n, err := t.countWebhooks()
		if err != nil {
			return err
		}
		if n >= MaxWebhooks {
			return &apiError{status: http.StatusBadRequest, code: CodeWebhookLimitExceeded,
				message: "at most " + itoa(MaxWebhooks) + " webhook endpoints; delete one first"}
		}
		return t.insertWebhook(h)
	})
	return h, err
}

func (s *service) listWebhooks(ctx context.Context) (hs []webhook, stats []wire.WebhookStats, err error) {
	err = s.store.view(ctx, func(t *txn) error {
		if hs, err = t.listWebhooks(false); err != nil {
			return err
		}
		stats = make([]wire.WebhookStats, len(hs))
		for i := range hs {
			if stats[i], err = t.webhookStats(hs[i].ID); err != nil {
				return err
			}
		}
		return nil
	})
	return hs, stats, err
}

func (s *service) getWebhook(ctx context.Context, id string) (h webhook, st wire.WebhookStats, err error) {
	err = s.store.view(ctx, func(t *txn) error {
		if h, err = t.mustWebhook(id); err != nil {
			return err
		}
		st, err = t.webhookStats(id)
		return err
	})
	return h, st, err
}

func (t *txn) mustWebhook(id string) (webhook, error) {
	h, ok, err := t.webhookByID(id)
	if err == nil && !ok {
		err = errNotFound("webhook %q not found", id)
	}
	return h, err
}

func (s *service) updateWebhook(ctx context.Context, id string, req wire.UpdateWebhookRequest) (h webhook, st wire.WebhookStats, err error) {
	err = s.store.update(ctx, func(t *txn) error {
		if h, err = t.mustWebhook(id); err != nil {
			return err
		}
		if req.URL != nil {
			h.URL = *req.URL
		}
		if req.Events != nil {
			h.Events = dedupe(req.Events)
		}
		if req.Description != nil {
			h.Description = *req.Description
		}
		if req.IsActive != nil {
			h.IsActive = *req.IsActive
		}
		if req.Filters.Set {
			h.Filters = normalizeFilters(req.Filters.Value)
		}
		h.UpdatedAt = s.now()
		if err := t.saveWebhook(h); err != nil {
			return err
		}
		st, err = t.webhookStats(id)
		return err
	})
	return h, st, err
}

func (s *service) deleteWebhook(ctx context.Context, id string) error {
	return s.store.update(ctx, func(t *txn) error {
		ok, err := t.deleteWebhook(id)
		if err == nil && !ok {
			err = errNotFound("webhook %q not found", id)
		}
		return err
	})
}

func (s *service) rotateWebhookSecret(ctx context.Context, id string) (secret string, err error) {
	err = s.store.update(ctx, func(t *txn) error {
		h, err := t.mustWebhook(id)
		if err != nil {
			return err
		}
		h.Secret, h.UpdatedAt = newSecret(), s.now()
		secret = h.Secret
		return t.saveWebhook(h)
	})
	return secret, err
}

// testWebhook sends one webhook.test event to the endpoint now, whether
// or not it is active, and records the outcome as a delivery (no retries;
// the endpoint's health is left alone).
func (s *service) testWebhook(ctx context.Context, id string) (d WebhookDelivery, err error) {
	var h webhook
	if err := s.store.view(ctx, func(t *txn) (err error) { h, err = t.mustWebhook(id); return err }); err != nil {
		return d, err
	}
	now := s.now()
	evtID := newID(prefixHookEvt)
	body, err := eventBody(evtID, eventWebhookTest, now, wire.WebhookTestData{WebhookID: h.ID})
	if err != nil {
		return d, err
	}
	d = WebhookDelivery{ID: newID(prefixDelivery), WebhookID: h.ID, EventID: evtID, EventType: eventWebhookTest,
		Body: body, CreatedAt: now, Attempts: 1}
	code, failure := s.hooks.post(ctx, h.URL, h.Secret, d)
	if ctx.Err() != nil {
		return d, ctx.Err()
	}
	d.ResponseCode, d.LastError, d.Status = code, failure, DeliveryFailed
	if failure == "" {
		d.Status, d.DeliveredAt = DeliveryDelivered, s.now()
	}
	err = s.store.update(context.WithoutCancel(ctx), func(t *txn) error {
		if _, ok, err := t.webhookByID(h.ID); err != nil || !ok {
			return err // deleted meanwhile: nothing to record against
		}
		return t.insertDelivery(d)
	})
	return d, err
}

// eventBody is a delivery's body: {"id","type","createdAt","data"}.
func eventBody(id, typ string, at time.Time, data any) ([]byte, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	return json.Marshal(wire.WebhookEventBody{ID: id, Type: typ, CreatedAt: at.UTC().Format(time.RFC3339Nano), Data: raw})
}

// notify queues a webhook event of type typ for every active endpoint
// subscribed to it, in transaction t, so the delivery is stored (and
// survives a restart) exactly when the change that caused it commits.
// customerID and usageType feed the endpoints' filters. The delivery loop
// is woken once t commits.
func (s *service) notify(t *txn, typ, customerID, usageType string, data any) error {
	hooks, err := t.listWebhooks(true)
	if err != nil {
		return err
	}
	var body []byte
	var evtID, severity string
	now := s.now()
	for _, h := range hooks {
		if !h.subscribes(typ) {
			continue
		}
		if body == nil {
			evtID = newID(prefixHookEvt)
			if body, err = eventBody(evtID, typ, now, data); err != nil {
				return err
			}
			severity = eventSeverity(typ, body)
		}
		if !filtersMatch(h.Filters, customerID, usageType, severity) {
			continue
		}
		d := WebhookDelivery{ID: newID(prefixDelivery), WebhookID: h.ID, EventID: evtID, EventType: typ,
			Body: body, Status: DeliveryPending, NextAttemptAt: time.Now(), CreatedAt: now}
		if err := t.insertDelivery(d); err != nil {
			return err
		}
	}
	if body != nil {
		t.afterCommit(s.hooks.kick)
	}
	return nil
}

// filtersMatch applies an endpoint's filters: every kind set must match
// (AND), any value within a kind (OR). A kind the event does not carry
// (customer.created has no usage type) does not hold it back.
func filtersMatch(f *wire.WebhookFilters, customerID, usageType, severity string) bool {
	if f == nil {
		return true
	}
	in := func(list []string, v string) bool {
		if len(list) == 0 || v == "" {
			return true
		}
		for _, x := range list {
			if x == v {
				return true
			}
		}
		return false
	}
	return in(f.CustomerIDs, customerID) && in(f.UsageTypes, usageType) && in(f.Severities, severity)
}

// eventSeverity is the severity the filters see: spending alerts by level
// (info low, warning medium, critical high, blocked critical); low balance,
// failed charges and unhealthy endpoints high; other events none.
func eventSeverity(typ string, body []byte) string {
	switch typ {
	case "customer.balance.low", "charge.failed", eventEndpointUnhealty:
		return "high"
	case "customer.spending.warning", "customer.spending.blocked":
		var e struct {
			Data struct {
				Level string `json:"level"`
			} `json:"data"`
		}
		_ = json.Unmarshal(body, &e)
		switch e.Data.Level {
		case "info":
			return "low"
		case "warning":
			return "medium"
		case "critical":
			return "high"
		case "blocked":
			return "critical"
		}
	}
	return ""
}
