package drip

import (
	"context"
	"encoding/json"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// SubscriptionStatus is where a subscription is in its life.
type SubscriptionStatus string

// Subscription statuses.
const (
	SubscriptionActive    SubscriptionStatus = "ACTIVE"
	SubscriptionPaused    SubscriptionStatus = "PAUSED"
	SubscriptionCancelled SubscriptionStatus = "CANCELLED"
	SubscriptionExpired   SubscriptionStatus = "EXPIRED"
	// SubscriptionPastDue is a subscription whose last period's charge
	// failed (insufficient balance); the next renewal charges again.
	SubscriptionPastDue SubscriptionStatus = "PAST_DUE"
	// SubscriptionTrialing is a subscription in its free trial.
	SubscriptionTrialing SubscriptionStatus = "TRIALING"
)

// BillingInterval is how often a subscription renews and charges.
type BillingInterval string

// Billing intervals. Monthly and annual periods keep the day of the month
// they started on, clamped to the month's last day.
const (
	IntervalDaily   BillingInterval = "DAILY"
	IntervalWeekly  BillingInterval = "WEEKLY"
	IntervalMonthly BillingInterval = "MONTHLY"
	IntervalAnnual  BillingInterval = "ANNUAL"
)

// Subscription is a recurring charge of Price per Interval to a customer,
// optionally with a free trial and usage included in the price.
type Subscription struct {
	ID          string
	CustomerID  string
	Name        string
	Description string
	Interval    BillingInterval
	// Price is charged in USDC at the start of every paid period.
	Price  Decimal
	Status SubscriptionStatus
	// CurrentPeriodStart and CurrentPeriodEnd bound the period now
	// running (the trial, while TRIALING).
	CurrentPeriodStart time.Time
	CurrentPeriodEnd   time.Time
	// CancelAtPeriodEnd is set by CancelSubscription without Immediate:
	// the subscription ends at CurrentPeriodEnd.
	CancelAtPeriodEnd bool
	CancelledAt       time.Time
	PausedAt          time.Time
	// ResumesAt is when a paused subscription resumes by itself; zero when
	// it does not.
	ResumesAt  time.Time
	TrialStart time.Time
	TrialEnd   time.Time
	// IncludedUsage units of OverageUnitType are free each period; usage
	// beyond them is charged at that meter's price. Nil when the
	// subscription includes no usage.
	IncludedUsage   *float64
	OverageUnitType string
	Metadata        map[string]any
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// SubscriptionParams creates a subscription.
type SubscriptionParams struct {
	// CustomerID is required: the customer's Drip id or external id.
	CustomerID string
	// Name is required.
	Name        string
	Description string
	// Interval is required.
	Interval BillingInterval
	// Price per interval in USDC, >= 0 with at most 6 decimals.
	Price    Decimal
	Metadata map[string]any
	// TrialDays, when > 0, starts the subscription TRIALING: the first
	// charge comes when the trial ends.
	TrialDays int
	// IncludedUsage units of OverageUnitType (a meter) are free each
	// period; nil includes none.
	IncludedUsage   *float64
	OverageUnitType string
}

// UpdateSubscriptionParams changes a subscription; nil fields stay as they
// are. A new Price applies from the next period.
type UpdateSubscriptionParams struct {
	Name            *string
	Description     *string
	Price           *Decimal
	Metadata        map[string]any
	IncludedUsage   *float64
	OverageUnitType *string
}

// ListSubscriptionsParams filters ListSubscriptions.
type ListSubscriptionsParams struct {
	CustomerID string
	Status     SubscriptionStatus
	// Limit is 1–100 (server default 100). The API does not page further.
	Limit int
}

// SubscriptionList is the subscriptions ListSubscriptions returned.
type SubscriptionList struct {
	Subscriptions []Subscription
	// Count is the number of subscriptions matching the filter.
	Count int
}

// CancelSubscriptionParams says how to cancel.
type CancelSubscriptionParams struct {
	// Immediate ends the subscription now, without a refund; otherwise it
	// ends at the end of the current period.
	Immediate bool
}

// PauseSubscriptionParams says how to pause.
type PauseSubscriptionParams struct {
	// ResumeAt, when set, resumes the subscription by itself then; it must
	// be in the future.
	ResumeAt time.Time
}

var subscriptionIntervals = []BillingInterval{IntervalDaily, IntervalWeekly, IntervalMonthly, IntervalAnnual}

// checkUSDC is the VALIDATION_ERROR for an amount that is negative or has
// more than the 6 decimals of USDC.
func checkUSDC(op, field string, d Decimal) error {
	if d.Sign() < 0 {
		return validationError(op, field, field+" must be >= 0")
	}
	if _, frac, ok := strings.Cut(d.String(), "."); ok && len(frac) > maxUnitPricePlaces {
		return validationError(op, field, field+" may have at most 6 decimals, not "+d.String())
	}
	return nil
}

func checkIncludedUsage(op string, v *float64) error {
	if v == nil {
		return nil
	}
	if err := checkQuantity(op, "includedUsage", *v); err != nil {
		return err
	}
	if *v != math.Trunc(*v) {
		return validationError(op, "includedUsage", "includedUsage must be a whole number of units")
	}
	return nil
}

// CreateSubscription puts a customer on a subscription
// (POST /subscriptions; secret key). Without a trial the first period is
// charged at once; a charge the balance cannot cover leaves the
// subscription PAST_DUE. The request carries no idempotency key, so it is
// not retried once an attempt may have reached Drip: after such a failure,
// ListSubscriptions tells whether it was created.
func (c *Client) CreateSubscription(ctx context.Context, p SubscriptionParams) (*Subscription, error) {
	const op = "CreateSubscription"
	if err := requireIDs(op, "customerId", p.CustomerID, "name", p.Name); err != nil {
		return nil, err
	}
	if !containsValue(subscriptionIntervals, p.Interval) {
		return nil, validationError(op, "interval", "interval must be DAILY, WEEKLY, MONTHLY or ANNUAL")
	}
	if err := checkUSDC(op, "priceUsdc", p.Price); err != nil {
		return nil, err
	}
	if p.TrialDays < 0 {
		return nil, validationError(op, "trialDays", "trialDays must be >= 0")
	}
	if err := firstError(checkString(op, "description", p.Description, MaxDescriptionLength),
		checkIDs(op, "overageUnitType", p.OverageUnitType), checkIncludedUsage(op, p.IncludedUsage),
		checkMetadata(op, "metadata", p.Metadata), checkMetadataEncoded(op, "metadata", p.Metadata)); err != nil {
		return nil, err
	}
	body := wire.CreateSubscriptionRequest{CustomerID: p.CustomerID, Name: p.Name, Description: p.Description,
		Interval: string(p.Interval), PriceUsdc: json.Number(p.Price.String()), Metadata: p.Metadata,
		IncludedUsage: p.IncludedUsage, OverageUnitType: p.OverageUnitType}
	if p.TrialDays > 0 {
		body.TrialDays = &p.TrialDays
	}
	var out wire.Subscription
	if _, err := c.do(ctx, request{op: op, method: "POST", path: "/subscriptions", body: &body, out: &out,
		secret: true, noReplay: true}); err != nil {
		return nil, err
	}
	return subscriptionFromWire(&out), nil
}

// ListSubscriptions returns the subscriptions matching p, newest first
// (GET /subscriptions). The API takes a limit only (1–100), no offset.
func (c *Client) ListSubscriptions(ctx context.Context, p *ListSubscriptionsParams) (*SubscriptionList, error) {
	const op = "ListSubscriptions"
	if p == nil {
		p = &ListSubscriptionsParams{}
	}
	if err := checkIDs(op, "customerId", p.CustomerID, "status", string(p.Status)); err != nil {
		return nil, err
	}
	path, err := listPath(op, "/subscriptions", p.Limit, 0, "customerId", p.CustomerID, "status", string(p.Status))
	if err != nil {
		return nil, err
	}
	var out wire.SubscriptionList
	if _, err := c.do(ctx, request{op: op, method: "GET", path: path, out: &out}); err != nil {
		return nil, err
	}
	l := &SubscriptionList{Subscriptions: make([]Subscription, len(out.Data)), Count: out.Count}
	for i := range out.Data {
		l.Subscriptions[i] = *subscriptionFromWire(&out.Data[i])
	}
	return l, nil
}

// GetSubscription returns a subscription (GET /subscriptions/{id}).
func (c *Client) GetSubscription(ctx context.Context, id string) (*Subscription, error) {
	const op = "GetSubscription"
	if err := requireID(op, "subscriptionId", id); err != nil {
		return nil, err
	}
	return c.subscriptionCall(ctx, request{op: op, method: "GET", path: subscriptionPath(id, "")})
}

// UpdateSubscription changes a subscription (PATCH /subscriptions/{id};
// secret key). A cancelled subscription cannot be changed (409).
func (c *Client) UpdateSubscription(ctx context.Context, id string, p UpdateSubscriptionParams) (*Subscription, error) {
	const op = "UpdateSubscription"
	if err := requireID(op, "subscriptionId", id); err != nil {
		return nil, err
	}
	body := wire.UpdateSubscriptionRequest{Name: p.Name, Description: p.Description, Metadata: p.Metadata,
		IncludedUsage: p.IncludedUsage, OverageUnitType: p.OverageUnitType}
	if p.Name != nil {
		if err := requireIDs(op, "name", *p.Name); err != nil {
			return nil, err
		}
	}
	if p.Description != nil {
		if err := checkString(op, "description", *p.Description, MaxDescriptionLength); err != nil {
			return nil, err
		}
	}
	if p.OverageUnitType != nil {
		if err := checkIDs(op, "overageUnitType", *p.OverageUnitType); err != nil {
			return nil, err
		}
	}
	if p.Price != nil {
		if err := checkUSDC(op, "priceUsdc", *p.Price); err != nil {
			return nil, err
		}
		body.PriceUsdc = json.Number(p.Price.String())
	}
	if err := firstError(checkIncludedUsage(op, p.IncludedUsage), checkMetadata(op, "metadata", p.Metadata),
		checkMetadataEncoded(op, "metadata", p.Metadata)); err != nil {
		return nil, err
	}
	return c.subscriptionCall(ctx, request{op: op, method: "PATCH", path: subscriptionPath(id, ""), body: &body, secret: true})
}

// CancelSubscription cancels a subscription at the end of its period, or
// now with Immediate (POST /subscriptions/{id}/cancel; secret key).
// Cancelling a cancelled subscription changes nothing.
func (c *Client) CancelSubscription(ctx context.Context, id string, p CancelSubscriptionParams) (*Subscription, error) {
	const op = "CancelSubscription"
	if err := requireID(op, "subscriptionId", id); err != nil {
		return nil, err
	}
	var body wire.CancelSubscriptionRequest
	if p.Immediate {
		body.Immediate = &p.Immediate
	}
	return c.subscriptionCall(ctx, request{op: op, method: "POST", path: subscriptionPath(id, "/cancel"), body: &body, secret: true})
}

// PauseSubscription pauses a subscription: no renewals and no charges
// until it resumes, by ResumeSubscription or at p.ResumeAt
// (POST /subscriptions/{id}/pause; secret key).
func (c *Client) PauseSubscription(ctx context.Context, id string, p PauseSubscriptionParams) (*Subscription, error) {
	const op = "PauseSubscription"
	if err := requireID(op, "subscriptionId", id); err != nil {
		return nil, err
	}
	var body wire.PauseSubscriptionRequest
	if !p.ResumeAt.IsZero() {
		body.ResumeDate = isoTime(p.ResumeAt)
	}
	return c.subscriptionCall(ctx, request{op: op, method: "POST", path: subscriptionPath(id, "/pause"), body: &body, secret: true})
}

// ResumeSubscription resumes a paused subscription: a new period starts
// now and is charged (POST /subscriptions/{id}/resume; secret key). A
// subscription that is not paused is a 409. Like CreateSubscription it is
// not retried once an attempt may have reached Drip.
func (c *Client) ResumeSubscription(ctx context.Context, id string) (*Subscription, error) {
	const op = "ResumeSubscription"
	if err := requireID(op, "subscriptionId", id); err != nil {
		return nil, err
	}
	return c.subscriptionCall(ctx, request{op: op, method: "POST", path: subscriptionPath(id, "/resume"), secret: true, noReplay: true})
}

func (c *Client) subscriptionCall(ctx context.Context, r request) (*Subscription, error) {
	var out wire.Subscription
	r.out = &out
	if _, err := c.do(ctx, r); err != nil {
		return nil, err
	}
	return subscriptionFromWire(&out), nil
}

func subscriptionPath(id, rest string) string { return "/subscriptions/" + url.PathEscape(id) + rest }

func containsValue[T comparable](vs []T, v T) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

// firstError returns the first non-nil error.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
