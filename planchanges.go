package drip

import (
	"context"
	"iter"
	"net/url"
	"strconv"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// Plan changes are audited changes of a customer's pricing or entitlement
// plan: each records the state it replaced and can be rolled back once.
// They are not in @drip-sdk/node 0.1.2; the newer official clients have
// them and Node's current client refuses them with a public key, as
// drip-go does (every plan-change call needs a secret key). Unlike
// AssignCustomerEntitlement or UpdatePricingPlan, which change the plan
// silently, these leave a trail and can prorate.

// PlanChangeType is what a plan change changed.
type PlanChangeType string

// Plan-change types.
const (
	PlanChangePricing     PlanChangeType = "PRICING"
	PlanChangeEntitlement PlanChangeType = "ENTITLEMENT"
	PlanChangeBoth        PlanChangeType = "BOTH"
)

// PlanChangeStatus is where a plan change is.
type PlanChangeStatus string

// Plan-change statuses.
const (
	PlanChangeApplied PlanChangeStatus = "APPLIED"
	// PlanChangeRolledBack changes were undone by RollbackPlanChange.
	PlanChangeRolledBack PlanChangeStatus = "ROLLED_BACK"
	// PlanChangeSuperseded changes were replaced by a later change of the
	// same type and can no longer be rolled back.
	PlanChangeSuperseded PlanChangeStatus = "SUPERSEDED"
)

// ProrationDirection says which way a plan change's proration moved money.
type ProrationDirection string

// Proration directions.
const (
	ProrationNone   ProrationDirection = "NONE"
	ProrationCredit ProrationDirection = "CREDIT"
	ProrationCharge ProrationDirection = "CHARGE"
	ProrationZero   ProrationDirection = "ZERO"
)

// PlanChange is one change of a customer's plan.
type PlanChange struct {
	ID            string
	CustomerID    string
	ChangeType    PlanChangeType
	Status        PlanChangeStatus
	EffectiveFrom time.Time
	Reason        string
	// PreviousState and NewState are the plan before and after, as Drip
	// reports them.
	PreviousState map[string]any
	NewState      map[string]any
	// ProrationAmount is in USD(C), unsigned: Direction says whether it was
	// charged or credited. Nil when there was no proration.
	ProrationAmount      *Decimal
	ProrationDirection   ProrationDirection
	ProratedDays         int
	TotalPeriodDays      int
	ProrationPeriodStart time.Time
	ProrationPeriodEnd   time.Time
	// ProrationChargeID is the charge a CHARGE proration made.
	ProrationChargeID string
	ContractID        string
	PerformedBy       string
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// PriceOverride is a customer's unit price (USD, at most 6 decimals) for
// one meter.
type PriceOverride struct {
	UnitType  string
	UnitPrice Decimal
}

// PricingChangeParams changes a customer's pricing. At least one change
// is needed.
type PricingChangeParams struct {
	// SourcePricingPlanIDs copies those pricing plans' unit prices as the
	// customer's.
	SourcePricingPlanIDs []string
	PriceOverrides       []PriceOverride
	// ReplaceAll drops the customer's other price overrides.
	ReplaceAll  bool
	DiscountPct *Decimal
	Minimum     *Decimal
	Maximum     *Decimal
	// IncludedUnits, by meter, are free each billing period.
	IncludedUnits map[string]int64
	// Prorate settles the change for the rest of the billing period.
	Prorate bool
	// ProrationAmount, when set, is the proration instead of the computed
	// one: positive charges, negative credits, zero records ZERO.
	ProrationAmount *Decimal
	// EffectiveDate is when the change counts from (zero: now).
	EffectiveDate time.Time
	Reason        string
	PerformedBy   string
}

// EntitlementLimits overrides one feature of the entitlement plan a change
// assigns: the limit of the period of the plan's rule (daily or monthly),
// or unlimited.
type EntitlementLimits struct {
	DailyLimit   *Decimal
	MonthlyLimit *Decimal
	Unlimited    *bool
}

// EntitlementChangeParams assigns a customer an entitlement plan as a
// recorded plan change.
type EntitlementChangeParams struct {
	// PlanID is required: an entitlement plan.
	PlanID      string
	Overrides   map[string]EntitlementLimits
	Reason      string
	PerformedBy string
}

// ListPlanChangesParams pages ListPlanChanges.
type ListPlanChangesParams struct {
	// Limit is 1–200 (server default 50).
	Limit  int
	Offset int
}

// PlanChangeList is one page of a customer's plan changes, newest first.
type PlanChangeList struct {
	PlanChanges []PlanChange
	// Total is the customer's number of plan changes.
	Total int
}

// maxPlanChangePage is the largest page of plan changes.
const maxPlanChangePage = 200

func planChangesPath(customerID, rest string) string {
	return "/customers/" + url.PathEscape(customerID) + "/plan-changes" + rest
}

// ChangeCustomerPricing changes a customer's pricing and records it
// (POST /customers/{id}/plan-changes/pricing; secret key). A CHARGE
// proration is charged against the balance. It is not retried once an
// attempt may have reached Drip: ListPlanChanges tells whether it applied.
func (c *Client) ChangeCustomerPricing(ctx context.Context, customerID string, p PricingChangeParams) (*PlanChange, error) {
	const op = "ChangeCustomerPricing"
	if err := requireIDs(op, "customerId", customerID); err != nil {
		return nil, err
	}
	body := wire.PricingChangeRequest{SourcePricingPlanIDs: p.SourcePricingPlanIDs, IncludedUnits: p.IncludedUnits,
		Reason: p.Reason, PerformedBy: p.PerformedBy}
	for i, id := range p.SourcePricingPlanIDs {
		if err := requireIDs(op, "sourcePricingPlanIds["+strconv.Itoa(i)+"]", id); err != nil {
			return nil, err
		}
	}
	for i, o := range p.PriceOverrides {
		field := "priceOverrides[" + strconv.Itoa(i) + "]"
		if err := requireIDs(op, field+".unitType", o.UnitType); err != nil {
			return nil, err
		}
		if err := checkUnitPrice(op, o.UnitPrice); err != nil {
			return nil, err
		}
		body.PriceOverrides = append(body.PriceOverrides, wire.PriceOverride{UnitType: o.UnitType, UnitPriceUsd: o.UnitPrice.String()})
	}
	mn, mx, pct, err := contractTerms(op, p.Minimum, p.Maximum, p.DiscountPct, p.IncludedUnits, nil)
	if err != nil {
		return nil, err
	}
	// discountPct is a string here, unlike a contract's.
	body.MinimumUsdc, body.MaximumUsdc, body.DiscountPct = mn, mx, pct.String()
	if p.ReplaceAll {
		body.ReplaceAll = &p.ReplaceAll
	}
	if p.Prorate {
		body.Prorate = &p.Prorate
	}
	if p.ProrationAmount != nil {
		abs := *p.ProrationAmount
		if abs.Sign() < 0 {
			abs = MustDecimal("0").Sub(abs)
		}
		if err := checkUSDC(op, "prorationAmountOverride", abs); err != nil {
			return nil, err
		}
		body.ProrationAmountOverride = p.ProrationAmount.String()
	}
	if !p.EffectiveDate.IsZero() {
		body.EffectiveDate = isoTime(p.EffectiveDate)
	}
	if err := firstError(checkString(op, "reason", p.Reason, MaxDescriptionLength), checkIDs(op, "performedBy", p.PerformedBy)); err != nil {
		return nil, err
	}
	if len(body.SourcePricingPlanIDs) == 0 && len(body.PriceOverrides) == 0 && !p.ReplaceAll && mn == "" && mx == "" &&
		pct == "" && len(p.IncludedUnits) == 0 && !p.Prorate && p.ProrationAmount == nil {
		return nil, validationError(op, "body", "a pricing change needs at least one change")
	}
	return c.planChangeCall(ctx, request{op: op, method: "POST", path: planChangesPath(customerID, "/pricing"), body: &body, noReplay: true})
}

// ChangeCustomerEntitlementPlan assigns a customer an entitlement plan,
// with overrides, and records it
// (POST /customers/{id}/plan-changes/entitlement; secret key).
func (c *Client) ChangeCustomerEntitlementPlan(ctx context.Context, customerID string, p EntitlementChangeParams) (*PlanChange, error) {
	const op = "ChangeCustomerEntitlementPlan"
	if err := requireIDs(op, "customerId", customerID, "planId", p.PlanID); err != nil {
		return nil, err
	}
	body := wire.EntitlementChangeRequest{PlanID: p.PlanID, Reason: p.Reason, PerformedBy: p.PerformedBy}
	if len(p.Overrides) > 0 {
		body.Overrides = make(map[string]wire.EntitlementChangeOverride, len(p.Overrides))
	}
	for k, o := range p.Overrides {
		if err := requireIDs(op, "overrides", k); err != nil {
			return nil, err
		}
		for _, l := range []struct {
			name string
			d    *Decimal
		}{{"dailyLimit", o.DailyLimit}, {"monthlyLimit", o.MonthlyLimit}} {
			if l.d != nil && l.d.Sign() < 0 {
				field := "overrides." + k + "." + l.name
				return nil, validationError(op, field, field+" must be >= 0")
			}
		}
		body.Overrides[k] = wire.EntitlementChangeOverride{DailyLimit: numberPtr(o.DailyLimit),
			MonthlyLimit: numberPtr(o.MonthlyLimit), Unlimited: o.Unlimited}
	}
	if err := firstError(checkString(op, "reason", p.Reason, MaxDescriptionLength), checkIDs(op, "performedBy", p.PerformedBy)); err != nil {
		return nil, err
	}
	return c.planChangeCall(ctx, request{op: op, method: "POST", path: planChangesPath(customerID, "/entitlement"), body: &body, noReplay: true})
}

// ListPlanChanges returns one page of a customer's plan changes, newest
// first (GET /customers/{id}/plan-changes; secret key). Use PlanChanges to
// walk every page.
func (c *Client) ListPlanChanges(ctx context.Context, customerID string, p *ListPlanChangesParams) (*PlanChangeList, error) {
	const op = "ListPlanChanges"
	if err := requireIDs(op, "customerId", customerID); err != nil {
		return nil, err
	}
	if p == nil {
		p = &ListPlanChangesParams{}
	}
	if p.Limit < 0 || p.Limit > maxPlanChangePage {
		return nil, validationError(op, "limit", "limit must be between 1 and 200")
	}
	if p.Offset < 0 {
		return nil, validationError(op, "offset", "offset must be >= 0")
	}
	q := url.Values{}
	if p.Limit > 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.Offset > 0 {
		q.Set("offset", strconv.Itoa(p.Offset))
	}
	path := planChangesPath(customerID, "")
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out wire.PlanChangeList
	if _, err := c.do(ctx, request{op: op, method: "GET", path: path, out: &out, secret: true}); err != nil {
		return nil, err
	}
	l := &PlanChangeList{PlanChanges: make([]PlanChange, len(out.Data)), Total: out.Total}
	for i := range out.Data {
		l.PlanChanges[i] = *planChangeFromWire(&out.Data[i])
	}
	return l, nil
}

// PlanChanges iterates over every plan change of a customer, newest first,
// page by page. Iteration stops at the first error, which is yielded.
func (c *Client) PlanChanges(ctx context.Context, customerID string, p *ListPlanChangesParams) iter.Seq2[PlanChange, error] {
	q := ListPlanChangesParams{}
	if p != nil {
		q = *p
	}
	return offsetPages(q.Limit, q.Offset, func(limit, offset int) ([]PlanChange, int, error) {
		q.Limit, q.Offset = limit, offset
		page, err := c.ListPlanChanges(ctx, customerID, &q)
		if err != nil {
			return nil, 0, err
		}
		return page.PlanChanges, page.Total, nil
	})
}

// GetPlanChange returns one of a customer's plan changes
// (GET /customers/{id}/plan-changes/{changeId}; secret key).
func (c *Client) GetPlanChange(ctx context.Context, customerID, changeID string) (*PlanChange, error) {
	const op = "GetPlanChange"
	if err := requireIDs(op, "customerId", customerID, "changeId", changeID); err != nil {
		return nil, err
	}
	return c.planChangeCall(ctx, request{op: op, method: "GET", path: planChangesPath(customerID, "/"+url.PathEscape(changeID))})
}

// RollbackPlanChange undoes an APPLIED plan change: the previous state is
// restored, a proration is reversed, and the inverse change Drip records is
// returned (POST /customers/{id}/plan-changes/{changeId}/rollback; secret
// key). A change rolled back or superseded already is a 400. It is not
// retried once an attempt may have reached Drip, since a replay would meet
// that 400.
func (c *Client) RollbackPlanChange(ctx context.Context, customerID, changeID, performedBy string) (*PlanChange, error) {
	const op = "RollbackPlanChange"
	if err := requireIDs(op, "customerId", customerID, "changeId", changeID); err != nil {
		return nil, err
	}
	if err := checkIDs(op, "performedBy", performedBy); err != nil {
		return nil, err
	}
	body := wire.RollbackPlanChangeRequest{PerformedBy: performedBy}
	return c.planChangeCall(ctx, request{op: op, method: "POST",
		path: planChangesPath(customerID, "/"+url.PathEscape(changeID)+"/rollback"), body: &body, noReplay: true})
}

func (c *Client) planChangeCall(ctx context.Context, r request) (*PlanChange, error) {
	var out wire.PlanChange
	r.out, r.secret = &out, true
	if _, err := c.do(ctx, r); err != nil {
		return nil, err
	}
	return planChangeFromWire(&out), nil
}
