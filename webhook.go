package drip

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/drip-sdk/drip-go/internal/webhooksig"
	"github.com/drip-sdk/drip-go/internal/wire"
)

// WebhookSignatureHeader is the header a Drip webhook delivery carries its
// signature in: "t=<unix seconds>,v1=<hex HMAC-SHA256>".
const WebhookSignatureHeader = webhooksig.Header

// DefaultWebhookTolerance is how far a delivery's signed time may be from
// now, either way, before it is refused as a replay.
const DefaultWebhookTolerance = 300 * time.Second

// DefaultWebhookMaxBody is the largest delivery body WebhookHandler reads
// (1 MiB); larger ones get 413.
const DefaultWebhookMaxBody = 1 << 20

// CodeWebhookSignature is the code of a webhook signature that does not
// verify.
const CodeWebhookSignature = "WEBHOOK_SIGNATURE_INVALID"

// ErrWebhookSignature matches every signature VerifyWebhookSignature
// refuses.
var ErrWebhookSignature = sentinel(0, "webhook signature invalid", CodeWebhookSignature)

// WebhookOption configures VerifyWebhookSignature and WebhookHandler.
type WebhookOption func(*webhookConfig)

type webhookConfig struct {
	tolerance time.Duration
	now       func() time.Time
	maxBody   int64
}

// WithWebhookTolerance sets how old (or early) a signed time may be
// (default DefaultWebhookTolerance).
func WithWebhookTolerance(d time.Duration) WebhookOption {
	return func(c *webhookConfig) { c.tolerance = d }
}

// WithWebhookClock sets the clock signatures are checked against (default
// time.Now); for tests.
func WithWebhookClock(now func() time.Time) WebhookOption {
	return func(c *webhookConfig) { c.now = now }
}

// WithWebhookMaxBody sets the largest body WebhookHandler reads (default
// DefaultWebhookMaxBody).
func WithWebhookMaxBody(n int64) WebhookOption {
	return func(c *webhookConfig) { c.maxBody = n }
}

func newWebhookConfig(opts []WebhookOption) webhookConfig {
	c := webhookConfig{tolerance: DefaultWebhookTolerance, now: time.Now, maxBody: DefaultWebhookMaxBody}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// SignWebhookPayload signs payload as Drip signs a delivery sent at t:
// "t=<unix seconds>,v1=" and the lowercase hex HMAC-SHA256, keyed with the
// secret exactly as issued (whsec_ prefix included), of "<t>." and the raw
// body. For tests of your own webhook receiver.
func SignWebhookPayload(payload []byte, secret string, t time.Time) string {
	return webhooksig.Sign(payload, secret, t)
}

// VerifyWebhookSignature checks that header (the X-Drip-Signature value)
// signs payload, the raw request body exactly as received, with secret,
// within the tolerance either way of now. The digests are compared in
// constant time. A refusal is a *Error matching ErrWebhookSignature that
// says why, never echoing the secret.
func VerifyWebhookSignature(payload []byte, header, secret string, opts ...WebhookOption) error {
	cfg := newWebhookConfig(opts)
	err := webhooksig.Verify(payload, header, secret, cfg.now(), cfg.tolerance)
	if err == nil {
		return nil
	}
	msg := err.Error()
	if errors.Is(err, webhooksig.ErrTooOld) {
		msg += " of " + cfg.tolerance.String()
	}
	return &Error{Op: "VerifyWebhookSignature", Code: CodeWebhookSignature, Message: msg}
}

// WebhookEvent is one delivery from Drip,
// {"id": …, "type": …, "createdAt": …, "data": …}: the event's id (the same
// for every endpoint it is delivered to, and on every retry: use it to
// drop repeats), its type (a Webhook* constant), when it happened, and its
// data, to decode with DecodeData or a typed accessor (SpendingAlert,
// BalanceLow, UsageRecorded, Customer).
type WebhookEvent struct {
	ID        string
	Type      string
	CreatedAt time.Time
	Data      json.RawMessage
}

// UnmarshalJSON reads a delivery body; a missing or malformed createdAt
// is the zero time rather than an error, so an event is never refused for
// its timestamp alone.
func (e *WebhookEvent) UnmarshalJSON(b []byte) error {
	var w wire.WebhookEventBody
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*e = WebhookEvent{ID: w.ID, Type: w.Type, CreatedAt: parseTime(w.CreatedAt), Data: w.Data}
	return nil
}

// MarshalJSON writes the event as Drip delivers it.
func (e WebhookEvent) MarshalJSON() ([]byte, error) {
	w := wire.WebhookEventBody{ID: e.ID, Type: e.Type, Data: e.Data}
	if !e.CreatedAt.IsZero() {
		w.CreatedAt = e.CreatedAt.UTC().Format(time.RFC3339Nano)
	}
	return json.Marshal(w)
}

// DecodeData decodes the event's data into v.
func (e *WebhookEvent) DecodeData(v any) error { return json.Unmarshal(e.Data, v) }

// Webhook event types: the ones a webhook may subscribe to.
const (
	WebhookUsageRecorded             = "usage.recorded"
	WebhookChargeSucceeded           = "charge.succeeded"
	WebhookChargeFailed              = "charge.failed"
	WebhookCustomerCreated           = "customer.created"
	WebhookCustomerBalanceLow        = "customer.balance.low"
	WebhookCustomerDepositConfirmed  = "customer.deposit.confirmed"
	WebhookCustomerWithdrawConfirmed = "customer.withdraw.confirmed"
	WebhookCustomerUsageCapReached   = "customer.usage_cap.reached"
	WebhookCustomerSpendingWarning   = "customer.spending.warning"
	WebhookCustomerSpendingBlocked   = "customer.spending.blocked"
	WebhookCustomerSpendingExceeded  = "customer.spending.exceeded"
	WebhookEndpointUnhealthy         = "webhook.endpoint.unhealthy"
	WebhookAPIKeyCreated             = "api_key.created"
	WebhookPricingPlanUpdated        = "pricing_plan.updated"
	WebhookTransactionCreated        = "transaction.created"
	WebhookTransactionPending        = "transaction.pending"
	WebhookTransactionConfirmed      = "transaction.confirmed"
	WebhookTransactionFailed         = "transaction.failed"
	WebhookSubscriptionCreated       = "subscription.created"
	WebhookSubscriptionRenewed       = "subscription.renewed"
	WebhookSubscriptionCancelled     = "subscription.cancelled"
	WebhookSubscriptionPaused        = "subscription.paused"
	WebhookSubscriptionResumed       = "subscription.resumed"
	WebhookSubscriptionTrialEnded    = "subscription.trial_ended"
	WebhookSubscriptionPaymentFailed = "subscription.payment_failed"
	WebhookWithdrawalCreated         = "withdrawal.created"
	WebhookWithdrawalCompleted       = "withdrawal.completed"
	WebhookWithdrawalFailed          = "withdrawal.failed"
)

// WebhookTest is the type of the event TestWebhook sends; its data is
// {"webhookId": …}. No webhook subscribes to it: every endpoint gets it
// when tested.
const WebhookTest = "webhook.test"

// webhookEventTypes are the types CreateWebhook and UpdateWebhook accept.
var webhookEventTypes = map[string]bool{
	WebhookUsageRecorded: true, WebhookChargeSucceeded: true, WebhookChargeFailed: true,
	WebhookCustomerCreated: true, WebhookCustomerBalanceLow: true, WebhookCustomerDepositConfirmed: true,
	WebhookCustomerWithdrawConfirmed: true, WebhookCustomerUsageCapReached: true,
	WebhookCustomerSpendingWarning: true, WebhookCustomerSpendingBlocked: true,
	WebhookCustomerSpendingExceeded: true, WebhookEndpointUnhealthy: true, WebhookAPIKeyCreated: true,
	WebhookPricingPlanUpdated: true, WebhookTransactionCreated: true, WebhookTransactionPending: true,
	WebhookTransactionConfirmed: true, WebhookTransactionFailed: true, WebhookSubscriptionCreated: true,
	WebhookSubscriptionRenewed: true, WebhookSubscriptionCancelled: true, WebhookSubscriptionPaused: true,
	WebhookSubscriptionResumed: true, WebhookSubscriptionTrialEnded: true,
	WebhookSubscriptionPaymentFailed: true, WebhookWithdrawalCreated: true, WebhookWithdrawalCompleted: true,
	WebhookWithdrawalFailed: true,
}

// WebhookHandler returns the http.Handler of a webhook endpoint: it reads
// the body (at most WithWebhookMaxBody; larger is 413), verifies the
// X-Drip-Signature against secret (a bad one is 400 and fn never runs),
// decodes the delivery and calls fn. It answers 204 when fn returns nil
// and 500 when it fails, so Drip delivers again later: fn must be safe to
// run twice for one delivery.
func WebhookHandler(secret string, fn func(ctx context.Context, e WebhookEvent) error, opts ...WebhookOption) http.Handler {
	cfg := newWebhookConfig(opts)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, cfg.maxBody))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				http.Error(w, "payload too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		if err := VerifyWebhookSignature(body, r.Header.Get(WebhookSignatureHeader), secret, opts...); err != nil {
			http.Error(w, "invalid signature", http.StatusBadRequest)
			return
		}
		var e WebhookEvent
		if err := json.Unmarshal(body, &e); err != nil || e.Type == "" {
			http.Error(w, "not a Drip webhook event", http.StatusBadRequest)
			return
		}
		if err := fn(r.Context(), e); err != nil {
			http.Error(w, "handler failed", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
