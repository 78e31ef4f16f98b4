package drip

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// Webhook management. Every call here needs a secret (sk_) key: with a
// public one it is refused before anything is sent (403
// PUBLIC_KEY_NOT_ALLOWED).

// Webhook health states: an endpoint becomes DEGRADED after a few
// consecutive failed deliveries, UNHEALTHY after many (Drip then sends
// webhook.endpoint.unhealthy), and HEALTHY again on its next success.
const (
	WebhookHealthy   = "HEALTHY"
	WebhookDegraded  = "DEGRADED"
	WebhookUnhealthy = "UNHEALTHY"
)

// Webhook filter severities.
const (
	SeverityLow      = "low"
	SeverityMedium   = "medium"
	SeverityHigh     = "high"
	SeverityCritical = "critical"
)

// WebhookFilters narrows which events an endpoint receives. The kinds that
// are set must all match (AND); within one kind any value matches (OR).
type WebhookFilters struct {
	UsageTypes  []string
	CustomerIDs []string
	// Severities holds Severity* values.
	Severities []string
}

// WebhookParams creates a webhook.
type WebhookParams struct {
	// URL receives the deliveries: an absolute http(s) URL. Drip requires
	// https; a local dripd also takes http to a loopback host.
	URL string
	// Events are the Webhook* event types to deliver; at least one.
	Events      []string
	Description string
	Filters     *WebhookFilters
}

// WebhookStats counts an endpoint's deliveries by outcome.
type WebhookStats struct {
	Total, Delivered, Failed, Pending int
}

// Webhook is a registered webhook endpoint. Its signing secret is not
// here: Drip shows it only on CreateWebhook and RotateWebhookSecret.
type Webhook struct {
	ID          string
	URL         string
	Events      []string
	Description string
	// Filters is nil when the endpoint receives every event it subscribes
	// to.
	Filters  *WebhookFilters
	IsActive bool
	// HealthStatus is WebhookHealthy, WebhookDegraded or WebhookUnhealthy.
	HealthStatus        string
	ConsecutiveFailures int
	// LastHealthChange is zero when the health never changed.
	LastHealthChange time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
	// Stats is nil when the reply carried none.
	Stats *WebhookStats
}

// CreatedWebhook is a new webhook with its signing secret, which Drip
// returns only this once: store it to verify deliveries
// (VerifyWebhookSignature, WebhookHandler).
type CreatedWebhook struct {
	Webhook
	Secret  string
	Message string
}

// WebhookList is the account's webhooks.
type WebhookList struct {
	Webhooks []Webhook
	Count    int
}

// UpdateWebhookParams changes a webhook; zero fields are left as they
// are.
type UpdateWebhookParams struct {
	URL    string
	Events []string
	// Description, when not nil, replaces the description ("" clears it).
	Description *string
	IsActive    *bool
	// Filters, when not nil, replaces the filters.
	Filters *WebhookFilters
	// RemoveFilters sends "filters": null, so the endpoint receives every
	// event it subscribes to again. It cannot be combined with Filters.
	RemoveFilters bool
}

// WebhookTestResult is the outcome of TestWebhook.
type WebhookTestResult struct {
	Message string
	// DeliveryID is "" when no delivery was recorded.
	DeliveryID string
	// Status is the delivery's status, e.g. DELIVERED or FAILED.
	Status string
	// ResponseCode is the endpoint's HTTP status, 0 when none arrived.
	ResponseCode int
}

// WebhookSecret is a webhook's new signing secret.
type WebhookSecret struct {
	Secret  string
	Message string
}

// CreateWebhook registers an endpoint for events (POST /webhooks). The
// result holds the signing secret, which no later call returns.
func (c *Client) CreateWebhook(ctx context.Context, p WebhookParams) (*CreatedWebhook, error) {
	const op = "CreateWebhook"
	if err := checkWebhookURL(op, p.URL); err != nil {
		return nil, err
	}
	if len(p.Events) == 0 {
		return nil, validationError(op, "events", "events is required: at least one webhook event type")
	}
	if err := checkWebhookEvents(op, p.Events); err != nil {
		return nil, err
	}
	if err := checkString(op, "description", p.Description, MaxDescriptionLength); err != nil {
		return nil, err
	}
	if err := checkWebhookFilters(op, p.Filters); err != nil {
		return nil, err
	}
	body := wire.CreateWebhookRequest{URL: p.URL, Events: p.Events, Description: p.Description,
		Filters: webhookFiltersToWire(p.Filters)}
	var out wire.CreatedWebhook
	if _, err := c.do(ctx, request{op: op, method: "POST", path: "/webhooks", body: &body, out: &out, secret: true}); err != nil {
		return nil, err
	}
	return &CreatedWebhook{Webhook: webhookFromWire(&out.Webhook), Secret: out.Secret, Message: out.Message}, nil
}

// ListWebhooks returns every webhook of the account (GET /webhooks), with
// delivery stats.
func (c *Client) ListWebhooks(ctx context.Context) (*WebhookList, error) {
	var out wire.WebhookList
	if _, err := c.do(ctx, request{op: "ListWebhooks", method: "GET", path: "/webhooks", out: &out, secret: true}); err != nil {
		return nil, err
	}
	l := &WebhookList{Webhooks: make([]Webhook, len(out.Data)), Count: out.Count}
	for i := range out.Data {
		l.Webhooks[i] = webhookFromWire(&out.Data[i])
	}
	return l, nil
}

// GetWebhook returns a webhook with its delivery stats (GET
// /webhooks/{id}).
func (c *Client) GetWebhook(ctx context.Context, id string) (*Webhook, error) {
	const op = "GetWebhook"
	if err := checkWebhookID(op, id); err != nil {
		return nil, err
	}
	var out wire.Webhook
	if _, err := c.do(ctx, request{op: op, method: "GET", path: webhookPath(id), out: &out, secret: true}); err != nil {
		return nil, err
	}
	w := webhookFromWire(&out)
	return &w, nil
}

// UpdateWebhook changes a webhook (PATCH /webhooks/{id}).
func (c *Client) UpdateWebhook(ctx context.Context, id string, p UpdateWebhookParams) (*Webhook, error) {
	const op = "UpdateWebhook"
	if err := checkWebhookID(op, id); err != nil {
		return nil, err
	}
	body := wire.UpdateWebhookRequest{Description: p.Description, IsActive: p.IsActive}
	if p.URL != "" {
		if err := checkWebhookURL(op, p.URL); err != nil {
			return nil, err
		}
		body.URL = &p.URL
	}
	if p.Events != nil {
		if len(p.Events) == 0 {
			return nil, validationError(op, "events", "events must name at least one webhook event type")
		}
		if err := checkWebhookEvents(op, p.Events); err != nil {
			return nil, err
		}
		body.Events = p.Events
	}
	if p.Description != nil {
		if err := checkString(op, "description", *p.Description, MaxDescriptionLength); err != nil {
			return nil, err
		}
	}
	switch {
	case p.RemoveFilters && p.Filters != nil:
		return nil, validationError(op, "filters", "set either Filters or RemoveFilters, not both")
	case p.RemoveFilters:
		body.Filters = wire.OptionalFilters{Set: true}
	case p.Filters != nil:
		if err := checkWebhookFilters(op, p.Filters); err != nil {
			return nil, err
		}
		body.Filters = wire.OptionalFilters{Set: true, Value: webhookFiltersToWire(p.Filters)}
		if body.Filters.Value == nil {
			body.Filters.Value = &wire.WebhookFilters{} // all kinds empty: no filtering
		}
	}
	var out wire.Webhook
	if _, err := c.do(ctx, request{op: op, method: "PATCH", path: webhookPath(id), body: &body, out: &out, secret: true}); err != nil {
		return nil, err
	}
	w := webhookFromWire(&out)
	return &w, nil
}

// DeleteWebhook removes a webhook and its pending deliveries (DELETE
// /webhooks/{id}).
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	const op = "DeleteWebhook"
	if err := checkWebhookID(op, id); err != nil {
		return err
	}
	var out wire.WebhookDeleteResult
	_, err := c.do(ctx, request{op: op, method: "DELETE", path: webhookPath(id), out: &out, secret: true})
	return err
}

// TestWebhook sends the endpoint one WebhookTest event now, signed like
// any delivery, and reports how it went (POST /webhooks/{id}/test). A
// failed test is a result, not an error: check Status.
func (c *Client) TestWebhook(ctx context.Context, id string) (*WebhookTestResult, error) {
	const op = "TestWebhook"
	if err := checkWebhookID(op, id); err != nil {
		return nil, err
	}
	var out wire.WebhookTestResult
	if _, err := c.do(ctx, request{op: op, method: "POST", path: webhookPath(id) + "/test", out: &out, secret: true}); err != nil {
		return nil, err
	}
	r := &WebhookTestResult{Message: out.Message, DeliveryID: deref(out.DeliveryID), Status: out.Status}
	if out.ResponseCode != nil {
		r.ResponseCode = *out.ResponseCode
	}
	return r, nil
}

// RotateWebhookSecret replaces a webhook's signing secret (POST
// /webhooks/{id}/rotate-secret): deliveries from now on are signed with
// the new one only, so update your receiver with it.
func (c *Client) RotateWebhookSecret(ctx context.Context, id string) (*WebhookSecret, error) {
	const op = "RotateWebhookSecret"
	if err := checkWebhookID(op, id); err != nil {
		return nil, err
	}
	var out wire.WebhookSecret
	if _, err := c.do(ctx, request{op: op, method: "POST", path: webhookPath(id) + "/rotate-secret", out: &out, secret: true}); err != nil {
		return nil, err
	}
	return &WebhookSecret{Secret: out.Secret, Message: out.Message}, nil
}

func webhookPath(id string) string { return "/webhooks/" + url.PathEscape(id) }

func checkWebhookID(op, id string) error {
	if strings.TrimSpace(id) == "" {
		return validationError(op, "webhookId", "webhook id is required")
	}
	return checkIDs(op, "webhookId", id)
}

// checkWebhookURL accepts an absolute http(s) URL with a host. Whether
// plain http is allowed is the server's call (Drip: never; dripd: to a
// loopback host).
func checkWebhookURL(op, raw string) error {
	if err := checkString(op, "url", raw, MaxIDLength); err != nil {
		return err
	}
	u, err := url.Parse(raw)
	if raw == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return validationError(op, "url", "url must be an absolute http(s) URL")
	}
	return nil
}

func checkWebhookEvents(op string, events []string) error {
	for i, e := range events {
		if !webhookEventTypes[e] {
			field := "events[" + strconv.Itoa(i) + "]"
			return validationError(op, field, field+" "+strconv.Quote(e)+" is not a webhook event type")
		}
	}
	return nil
}

func checkWebhookFilters(op string, f *WebhookFilters) error {
	if f == nil {
		return nil
	}
	for kind, vals := range map[string][]string{"filters.usageTypes": f.UsageTypes, "filters.customerIds": f.CustomerIDs, "filters.severities": f.Severities} {
		for i, v := range vals {
			if err := checkIDs(op, kind+"["+strconv.Itoa(i)+"]", v); err != nil {
				return err
			}
		}
	}
	for i, s := range f.Severities {
		switch s {
		case SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical:
		default:
			field := "filters.severities[" + strconv.Itoa(i) + "]"
			return validationError(op, field, field+" must be low, medium, high or critical")
		}
	}
	return nil
}

func webhookFiltersToWire(f *WebhookFilters) *wire.WebhookFilters {
	if f == nil || len(f.UsageTypes)+len(f.CustomerIDs)+len(f.Severities) == 0 {
		return nil
	}
	return &wire.WebhookFilters{UsageTypes: f.UsageTypes, CustomerIDs: f.CustomerIDs, Severities: f.Severities}
}

func webhookFromWire(w *wire.Webhook) Webhook {
	h := Webhook{ID: w.ID, URL: w.URL, Events: w.Events, Description: deref(w.Description), IsActive: w.IsActive,
		HealthStatus: w.HealthStatus, ConsecutiveFailures: w.ConsecutiveFailures,
		CreatedAt: parseTime(w.CreatedAt), UpdatedAt: parseTime(w.UpdatedAt)}
	if w.LastHealthChange != nil {
		h.LastHealthChange = parseTime(*w.LastHealthChange)
	}
	if w.Filters != nil {
		h.Filters = &WebhookFilters{UsageTypes: w.Filters.UsageTypes, CustomerIDs: w.Filters.CustomerIDs, Severities: w.Filters.Severities}
	}
	if w.Stats != nil {
		h.Stats = &WebhookStats{Total: w.Stats.Total, Delivered: w.Stats.Delivered, Failed: w.Stats.Failed, Pending: w.Stats.Pending}
	}
	return h
}

// Typed data of webhook events.

// SpendingAlert is the data of customer.spending.warning (at 50, 80 and
// 95% of a spending cap: levels info, warning, critical) and
// customer.spending.blocked (at 100%: level blocked). Each level is sent
// once per cap period.
type SpendingAlert struct {
	CustomerID string
	CapID      string
	// CapType is the cap's kind, e.g. DAILY_CHARGE_LIMIT.
	CapType string
	// Level is info, warning, critical or blocked.
	Level string
	// Percentage is 50, 80, 95 or 100.
	Percentage   int
	LimitValue   Decimal
	CurrentUsage Decimal
	PeriodStart  time.Time
}

// BalanceLow is the data of customer.balance.low; amounts are USDC.
type BalanceLow struct {
	CustomerID string
	Balance    Decimal
	Available  Decimal
	Threshold  Decimal
}

// UsageRecorded is the data of usage.recorded.
type UsageRecorded struct {
	UsageEventID string
	CustomerID   string
	UsageType    string
	Quantity     float64
	// ChargeID is "" when the usage was not billed.
	ChargeID string
	// Endpoint is the usage endpoint that recorded it.
	Endpoint string
}

// SpendingAlert decodes the data of a customer.spending.warning or
// customer.spending.blocked event; another type is a VALIDATION_ERROR.
func (e WebhookEvent) SpendingAlert() (*SpendingAlert, error) {
	var w wire.WebhookSpendingAlert
	if err := e.decodeAs("SpendingAlert", &w, WebhookCustomerSpendingWarning, WebhookCustomerSpendingBlocked); err != nil {
		return nil, err
	}
	a := &SpendingAlert{CustomerID: w.CustomerID, CapID: w.CapID, CapType: w.CapType, Level: w.Level,
		Percentage: w.Percentage, PeriodStart: parseTime(w.PeriodStart)}
	var err error
	if a.LimitValue, err = webhookDecimal("SpendingAlert", "limitValue", w.LimitValue); err != nil {
		return nil, err
	}
	if a.CurrentUsage, err = webhookDecimal("SpendingAlert", "currentUsage", w.CurrentUsage); err != nil {
		return nil, err
	}
	return a, nil
}

// BalanceLow decodes the data of a customer.balance.low event; another
// type is a VALIDATION_ERROR.
func (e WebhookEvent) BalanceLow() (*BalanceLow, error) {
	var w wire.WebhookBalanceLow
	if err := e.decodeAs("BalanceLow", &w, WebhookCustomerBalanceLow); err != nil {
		return nil, err
	}
	b := &BalanceLow{CustomerID: w.CustomerID}
	for _, f := range []struct {
		name string
		src  string
		dst  *Decimal
	}{{"balanceUsdc", w.BalanceUsdc, &b.Balance}, {"availableUsdc", w.AvailableUsdc, &b.Available}, {"thresholdUsdc", w.ThresholdUsdc, &b.Threshold}} {
		d, err := webhookDecimal("BalanceLow", f.name, f.src)
		if err != nil {
			return nil, err
		}
		*f.dst = d
	}
	return b, nil
}

// UsageRecorded decodes the data of a usage.recorded event; another type
// is a VALIDATION_ERROR.
func (e WebhookEvent) UsageRecorded() (*UsageRecorded, error) {
	var w wire.WebhookUsageRecorded
	if err := e.decodeAs("UsageRecorded", &w, WebhookUsageRecorded); err != nil {
		return nil, err
	}
	return &UsageRecorded{UsageEventID: w.UsageEventID, CustomerID: w.CustomerID, UsageType: w.UsageType,
		Quantity: w.Quantity, ChargeID: deref(w.ChargeID), Endpoint: w.Endpoint}, nil
}

// Charge decodes the data of a charge.succeeded or charge.failed event, the
// charge as GetCharge returns it; another type is a VALIDATION_ERROR.
func (e WebhookEvent) Charge() (*Charge, error) {
	var w wire.Charge
	if err := e.decodeAs("Charge", &w, WebhookChargeSucceeded, WebhookChargeFailed); err != nil {
		return nil, err
	}
	ch := chargeFromWire(&w)
	return &ch, nil
}

// Customer decodes the data of a customer.created event, the customer as
// GetCustomer returns it; another type is a VALIDATION_ERROR.
func (e WebhookEvent) Customer() (*Customer, error) {
	var w wire.Customer
	if err := e.decodeAs("Customer", &w, WebhookCustomerCreated); err != nil {
		return nil, err
	}
	c := customerFromWire(&w)
	return &c, nil
}

// decodeAs decodes the data into v when the event is of one of types.
func (e WebhookEvent) decodeAs(op string, v any, types ...string) error {
	op = "WebhookEvent." + op
	ok := false
	for _, t := range types {
		ok = ok || e.Type == t
	}
	if !ok {
		return &Error{Op: op, Code: CodeValidation, Field: "type",
			Message: "event type " + strconv.Quote(e.Type) + " is not " + strings.Join(types, " or ")}
	}
	if err := json.Unmarshal(e.Data, v); err != nil {
		return &Error{Op: op, Code: CodeParse, Message: "event data is not the expected JSON: " + err.Error(), Err: err}
	}
	return nil
}

// webhookDecimal reads an amount; an absent one is zero.
func webhookDecimal(op, field, s string) (Decimal, error) {
	if s == "" {
		return Decimal{}, nil
	}
	d, err := ParseDecimal(s)
	if err != nil {
		return Decimal{}, &Error{Op: "WebhookEvent." + op, Code: CodeParse, Field: field,
			Message: field + " is not a decimal: " + strconv.Quote(s)}
	}
	return d, nil
}
