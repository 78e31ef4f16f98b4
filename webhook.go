package drip

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// WebhookSignatureHeader is the header a Drip webhook delivery carries its
// signature in: "t=<unix seconds>,v1=<hex HMAC-SHA256>".
const WebhookSignatureHeader = "X-Drip-Signature"

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
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + webhookDigest(payload, secret, ts)
}

func webhookDigest(payload []byte, secret, ts string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(payload)
	return hex.EncodeToString(mac.Sum(nil))
}

// VerifyWebhookSignature checks that header (the X-Drip-Signature value)
// signs payload, the raw request body exactly as received, with secret,
// within the tolerance either way of now. The digests are compared in
// constant time. A refusal is a *Error matching ErrWebhookSignature that
// says why, never echoing the secret.
func VerifyWebhookSignature(payload []byte, header, secret string, opts ...WebhookOption) error {
	cfg := newWebhookConfig(opts)
	fail := func(msg string) error {
		return &Error{Op: "VerifyWebhookSignature", Code: CodeWebhookSignature, Message: msg}
	}
	if secret == "" {
		return fail("no webhook secret configured")
	}
	var ts, sig string
	for part := range strings.SplitSeq(header, ",") {
		part = strings.TrimSpace(part)
		switch {
		case ts == "" && strings.HasPrefix(part, "t="):
			ts = part[2:]
		case sig == "" && strings.HasPrefix(part, "v1="):
			sig = part[3:]
		}
	}
	if ts == "" || sig == "" {
		return fail("signature header needs t= and v1=")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fail("signature timestamp is not an integer")
	}
	if d := cfg.now().Sub(time.Unix(sec, 0)); d > cfg.tolerance || d < -cfg.tolerance {
		return fail("signature timestamp is outside the tolerance of " + cfg.tolerance.String())
	}
	if !hmac.Equal([]byte(sig), []byte(webhookDigest(payload, secret, ts))) {
		return fail("signature does not match the payload")
	}
	return nil
}

// WebhookEvent is one delivery from Drip, {"type": …, "data": …}: its
// type (a Webhook* constant) and its data, to decode with DecodeData.
type WebhookEvent struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// DecodeData decodes the event's data into v.
func (e *WebhookEvent) DecodeData(v any) error { return json.Unmarshal(e.Data, v) }

// Webhook event types.
const (
	WebhookUsageRecorded           = "usage.recorded"
	WebhookChargeSucceeded         = "charge.succeeded"
	WebhookChargeFailed            = "charge.failed"
	WebhookCustomerCreated         = "customer.created"
	WebhookCustomerBalanceLow      = "customer.balance.low"
	WebhookCustomerSpendingWarning = "customer.spending.warning"
	WebhookCustomerSpendingBlocked = "customer.spending.blocked"
)

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
