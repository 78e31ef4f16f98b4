package drip

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// Entitlements are Drip's feature gates: a plan holds one rule per feature
// key (a limit per day or per month, or unlimited), customers are assigned
// a plan (or get the default plan), and usage recorded under a meter equal
// to a feature key counts against that feature's limit. CheckEntitlement
// asks whether a customer may use a feature now; it never consumes.
//
// Checks and reading a customer's entitlement work with a public (pk_)
// key; managing plans and rules and assigning plans to customers need a
// secret (sk_) key.

// EntitlementPeriod is how often a feature's counter resets.
type EntitlementPeriod string

// Entitlement periods. Counters reset at 00:00 UTC (daily) and on the first
// day of the month at 00:00 UTC (monthly).
const (
	PeriodDaily   EntitlementPeriod = "DAILY"
	PeriodMonthly EntitlementPeriod = "MONTHLY"
)

// EntitlementLimitType says what a feature's limit counts.
type EntitlementLimitType string

// Entitlement limit types.
const (
	// LimitCount counts the quantity of the usage recorded under the
	// feature's meter (calls, tokens, …).
	LimitCount EntitlementLimitType = "COUNT"
	// LimitAmount counts the amount charged, in USDC, for that usage.
	LimitAmount EntitlementLimitType = "AMOUNT"
)

// CodeEntitlementDenied is the code of the error a denied entitlement check
// becomes (EntitlementCheck.Err): gates return it so callers can branch
// with errors.Is(err, ErrEntitlementDenied).
const CodeEntitlementDenied = "ENTITLEMENT_DENIED"

// ErrEntitlementDenied matches the error of a denied entitlement check, for
// errors.Is. It matches by code only: other 403 replies are not denials.
// The error itself has status 403, so it also matches ErrForbidden.
var ErrEntitlementDenied = sentinel(0, "entitlement denied", CodeEntitlementDenied)

// EntitlementCheck is Drip's answer to CheckEntitlement. A denied check is
// a normal result (Allowed false, Reason set), not an error; Err turns it
// into one.
type EntitlementCheck struct {
	Allowed    bool
	FeatureKey string
	// Remaining and Limit are for the current period; both are -1 when
	// Unlimited.
	Remaining Decimal
	Limit     Decimal
	Unlimited bool
	Period    EntitlementPeriod
	// PeriodResetsAt is when the counter next resets.
	PeriodResetsAt time.Time
	// Reason says why the check was denied; empty when allowed.
	Reason string
}

// Err returns nil when the check allowed the use, else a *Error with status
// 403, code ENTITLEMENT_DENIED and Drip's reason as its message, which
// matches ErrEntitlementDenied.
func (c *EntitlementCheck) Err() error {
	if c == nil || c.Allowed {
		return nil
	}
	msg := c.Reason
	if msg == "" {
		msg = "entitlement denied for feature " + c.FeatureKey
	}
	return &Error{Op: "CheckEntitlement", StatusCode: http.StatusForbidden, Code: CodeEntitlementDenied, Message: msg}
}

// CheckEntitlement asks Drip whether customerID may use quantity of
// featureKey now (POST /entitlements/check); quantity 0 means 1. It is
// read-only: recording usage under the feature's meter is what consumes.
// A denial is a result with Allowed false and Drip's Reason, not an error;
// use check.Err() to turn it into one that matches ErrEntitlementDenied.
func (c *Client) CheckEntitlement(ctx context.Context, customerID, featureKey string, quantity float64) (*EntitlementCheck, error) {
	const op = "CheckEntitlement"
	if err := requireIDs(op, "customerId", customerID, "featureKey", featureKey); err != nil {
		return nil, err
	}
	if err := checkQuantity(op, "quantity", quantity); err != nil {
		return nil, err
	}
	if quantity == 0 {
		quantity = 1
	}
	body := wire.EntitlementCheckRequest{CustomerID: customerID, FeatureKey: featureKey, Quantity: &quantity}
	var out wire.EntitlementCheck
	if _, err := c.do(ctx, request{op: op, method: "POST", path: "/entitlements/check", body: &body, out: &out}); err != nil {
		return nil, err
	}
	return &EntitlementCheck{
		Allowed:        out.Allowed,
		FeatureKey:     out.FeatureKey,
		Remaining:      decimalFromNumber(out.Remaining),
		Limit:          decimalFromNumber(out.Limit),
		Unlimited:      out.Unlimited,
		Period:         EntitlementPeriod(out.Period),
		PeriodResetsAt: parseTime(out.PeriodResetsAt),
		Reason:         out.Reason,
	}, nil
}

// EntitlementPlan is a named set of feature rules.
type EntitlementPlan struct {
	ID          string
	Name        string
	Slug        string
	Description string
	// IsDefault marks the plan of customers that were assigned none; at
	// most one plan is the default.
	IsDefault bool
	IsActive  bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// EntitlementPlanParams creates an entitlement plan.
type EntitlementPlanParams struct {
	// Name is required.
	Name string
	// Slug is required and unique: lowercase letters, digits, "-" and "_".
	Slug        string
	Description string
	// IsDefault makes this the plan of customers that were assigned none
	// (the previous default stops being one).
	IsDefault bool
}

// UpdateEntitlementPlanParams changes an entitlement plan; nil fields stay
// as they are.
type UpdateEntitlementPlanParams struct {
	Name        *string
	Description *string
	IsDefault   *bool
	IsActive    *bool
}

// EntitlementRule limits one feature within a plan.
type EntitlementRule struct {
	ID         string
	PlanID     string
	FeatureKey string
	LimitType  EntitlementLimitType
	Period     EntitlementPeriod
	// LimitValue is a count (LimitCount) or an amount in USDC
	// (LimitAmount) per Period. It is ignored when Unlimited.
	LimitValue Decimal
	Unlimited  bool
}

// EntitlementRuleParams adds a feature rule to a plan.
type EntitlementRuleParams struct {
	// FeatureKey is required; usage recorded under a meter of this name
	// counts against the rule.
	FeatureKey string
	// LimitType is required: LimitCount or LimitAmount.
	LimitType EntitlementLimitType
	// Period is required: PeriodDaily or PeriodMonthly.
	Period EntitlementPeriod
	// LimitValue must be >= 0.
	LimitValue Decimal
	Unlimited  bool
}

// UpdateEntitlementRuleParams changes a rule's limit; nil fields stay as
// they are.
type UpdateEntitlementRuleParams struct {
	LimitValue *Decimal
	Unlimited  *bool
}

// EntitlementOverride changes one rule of a customer's plan for that
// customer alone; nil fields keep the plan's value.
type EntitlementOverride struct {
	LimitValue *Decimal
	Unlimited  *bool
}

// AssignEntitlementParams assigns an entitlement plan to a customer.
type AssignEntitlementParams struct {
	// PlanID is required.
	PlanID string
	// Overrides, by feature key, change rules of the plan for this
	// customer.
	Overrides map[string]EntitlementOverride
}

// EntitlementUsage is a feature's use in its current period. Limit and
// Remaining are -1 when the feature is unlimited.
type EntitlementUsage struct {
	Used      Decimal
	Limit     Decimal
	Remaining Decimal
	Period    EntitlementPeriod
}

// CustomerEntitlement is a customer's plan, its rules (as the plan has
// them), the customer's overrides and the use of every feature of the plan
// in its current period (overrides applied).
type CustomerEntitlement struct {
	PlanID    string
	PlanName  string
	PlanSlug  string
	Rules     []EntitlementRule
	Overrides map[string]EntitlementOverride
	Usage     map[string]EntitlementUsage
}

// GetCustomerEntitlement returns the customer's entitlement plan, with
// overrides and current use (GET /customers/{id}/entitlement). A customer
// with no assigned plan gets the default plan's; with no default either,
// Drip answers 404.
func (c *Client) GetCustomerEntitlement(ctx context.Context, customerID string) (*CustomerEntitlement, error) {
	const op = "GetCustomerEntitlement"
	if err := requireIDs(op, "customerId", customerID); err != nil {
		return nil, err
	}
	var out wire.CustomerEntitlement
	path := "/customers/" + url.PathEscape(customerID) + "/entitlement"
	if _, err := c.do(ctx, request{op: op, method: "GET", path: path, out: &out}); err != nil {
		return nil, err
	}
	return customerEntitlementFromWire(&out), nil
}

// AssignCustomerEntitlement assigns a plan to a customer, replacing any
// earlier assignment and its overrides (PUT /customers/{id}/entitlement;
// secret key). Counters are per customer and feature, so use already
// recorded in the period still counts under the new plan.
func (c *Client) AssignCustomerEntitlement(ctx context.Context, customerID string, p AssignEntitlementParams) (*CustomerEntitlement, error) {
	const op = "AssignCustomerEntitlement"
	if err := requireIDs(op, "customerId", customerID, "planId", p.PlanID); err != nil {
		return nil, err
	}
	body := wire.AssignEntitlementRequest{PlanID: p.PlanID}
	if len(p.Overrides) > 0 {
		body.Overrides = make(map[string]wire.EntitlementOverride, len(p.Overrides))
		for k, o := range p.Overrides {
			if err := requireIDs(op, "overrides", k); err != nil {
				return nil, err
			}
			field := "overrides." + k + ".limitValue"
			if o.LimitValue != nil && o.LimitValue.Sign() < 0 {
				return nil, validationError(op, field, field+" must be >= 0")
			}
			body.Overrides[k] = wire.EntitlementOverride{LimitValue: numberPtr(o.LimitValue), Unlimited: o.Unlimited}
		}
	}
	var out wire.CustomerEntitlement
	path := "/customers/" + url.PathEscape(customerID) + "/entitlement"
	if _, err := c.do(ctx, request{op: op, method: "PUT", path: path, body: &body, out: &out, secret: true}); err != nil {
		return nil, err
	}
	return customerEntitlementFromWire(&out), nil
}

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// CreateEntitlementPlan creates a plan (POST /entitlement-plans; secret
// key). A slug already taken is a 409. When an attempt's reply was lost and
// its retry meets the plan the attempt created, that plan is returned.
func (c *Client) CreateEntitlementPlan(ctx context.Context, p EntitlementPlanParams) (*EntitlementPlan, error) {
	const op = "CreateEntitlementPlan"
	if err := requireIDs(op, "name", p.Name, "slug", p.Slug); err != nil {
		return nil, err
	}
	if !slugPattern.MatchString(p.Slug) {
		return nil, validationError(op, "slug", "slug must be lowercase letters, digits, '-' and '_'")
	}
	if err := checkString(op, "description", p.Description, MaxDescriptionLength); err != nil {
		return nil, err
	}
	body := wire.CreateEntitlementPlanRequest{Name: p.Name, Slug: p.Slug, Description: p.Description}
	if p.IsDefault {
		body.IsDefault = &p.IsDefault
	}
	var out wire.EntitlementPlan
	info, err := c.do(ctx, request{op: op, method: "POST", path: "/entitlement-plans", body: &body, out: &out, secret: true})
	if e, ok := AsError(err); ok && e.StatusCode == http.StatusConflict && info.uncertain {
		// An earlier attempt may have created it: the plan with this slug
		// and name is ours, not a conflict.
		if plans, lerr := c.ListEntitlementPlans(ctx); lerr == nil {
			for i := range plans {
				if plans[i].Slug == p.Slug && plans[i].Name == p.Name {
					return &plans[i], nil
				}
			}
		}
	}
	if err != nil {
		return nil, err
	}
	pl := entitlementPlanFromWire(&out)
	return &pl, nil
}

// ListEntitlementPlans returns every entitlement plan (GET
// /entitlement-plans; secret key).
func (c *Client) ListEntitlementPlans(ctx context.Context) ([]EntitlementPlan, error) {
	var out wire.EntitlementPlanList
	if _, err := c.do(ctx, request{op: "ListEntitlementPlans", method: "GET", path: "/entitlement-plans", out: &out, secret: true}); err != nil {
		return nil, err
	}
	plans := make([]EntitlementPlan, len(out.Plans))
	for i := range out.Plans {
		plans[i] = entitlementPlanFromWire(&out.Plans[i])
	}
	return plans, nil
}

// GetEntitlementPlan returns a plan (GET /entitlement-plans/{id}; secret
// key).
func (c *Client) GetEntitlementPlan(ctx context.Context, planID string) (*EntitlementPlan, error) {
	const op = "GetEntitlementPlan"
	if err := requireIDs(op, "planId", planID); err != nil {
		return nil, err
	}
	var out wire.EntitlementPlan
	if _, err := c.do(ctx, request{op: op, method: "GET", path: "/entitlement-plans/" + url.PathEscape(planID), out: &out, secret: true}); err != nil {
		return nil, err
	}
	pl := entitlementPlanFromWire(&out)
	return &pl, nil
}

// UpdateEntitlementPlan changes a plan (PATCH /entitlement-plans/{id};
// secret key). Making it the default unsets the previous default.
func (c *Client) UpdateEntitlementPlan(ctx context.Context, planID string, p UpdateEntitlementPlanParams) (*EntitlementPlan, error) {
	const op = "UpdateEntitlementPlan"
	if err := requireIDs(op, "planId", planID); err != nil {
		return nil, err
	}
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
	body := wire.UpdateEntitlementPlanRequest{Name: p.Name, Description: p.Description, IsDefault: p.IsDefault, IsActive: p.IsActive}
	var out wire.EntitlementPlan
	if _, err := c.do(ctx, request{op: op, method: "PATCH", path: "/entitlement-plans/" + url.PathEscape(planID), body: &body, out: &out, secret: true}); err != nil {
		return nil, err
	}
	pl := entitlementPlanFromWire(&out)
	return &pl, nil
}

// DeleteEntitlementPlan deletes a plan and its rules (DELETE
// /entitlement-plans/{id}; secret key). Customers assigned to it fall back
// to the default plan.
func (c *Client) DeleteEntitlementPlan(ctx context.Context, planID string) error {
	const op = "DeleteEntitlementPlan"
	if err := requireIDs(op, "planId", planID); err != nil {
		return err
	}
	var out wire.EntitlementDeleteResult
	_, err := c.do(ctx, request{op: op, method: "DELETE", path: "/entitlement-plans/" + url.PathEscape(planID), out: &out, secret: true})
	return err
}

// CreateEntitlementRule adds a feature rule to a plan (POST
// /entitlement-plans/{id}/rules; secret key). A plan has at most one rule
// per feature key.
func (c *Client) CreateEntitlementRule(ctx context.Context, planID string, p EntitlementRuleParams) (*EntitlementRule, error) {
	const op = "CreateEntitlementRule"
	if err := requireIDs(op, "planId", planID, "featureKey", p.FeatureKey); err != nil {
		return nil, err
	}
	if p.LimitType != LimitCount && p.LimitType != LimitAmount {
		return nil, validationError(op, "limitType", "limitType must be COUNT or AMOUNT")
	}
	if p.Period != PeriodDaily && p.Period != PeriodMonthly {
		return nil, validationError(op, "period", "period must be DAILY or MONTHLY")
	}
	if p.LimitValue.Sign() < 0 {
		return nil, validationError(op, "limitValue", "limitValue must be >= 0")
	}
	body := wire.CreateEntitlementRuleRequest{FeatureKey: p.FeatureKey, LimitType: string(p.LimitType),
		Period: string(p.Period), LimitValue: json.Number(p.LimitValue.String())}
	if p.Unlimited {
		body.Unlimited = &p.Unlimited
	}
	var out wire.EntitlementRule
	path := "/entitlement-plans/" + url.PathEscape(planID) + "/rules"
	if _, err := c.do(ctx, request{op: op, method: "POST", path: path, body: &body, out: &out, secret: true}); err != nil {
		return nil, err
	}
	r := entitlementRuleFromWire(&out)
	return &r, nil
}

// ListEntitlementRules returns a plan's rules (GET
// /entitlement-plans/{id}/rules; secret key).
func (c *Client) ListEntitlementRules(ctx context.Context, planID string) ([]EntitlementRule, error) {
	const op = "ListEntitlementRules"
	if err := requireIDs(op, "planId", planID); err != nil {
		return nil, err
	}
	var out wire.EntitlementRuleList
	path := "/entitlement-plans/" + url.PathEscape(planID) + "/rules"
	if _, err := c.do(ctx, request{op: op, method: "GET", path: path, out: &out, secret: true}); err != nil {
		return nil, err
	}
	return entitlementRulesFromWire(out.Rules), nil
}

// UpdateEntitlementRule changes a rule's limit (PATCH
// /entitlement-rules/{id}; secret key).
func (c *Client) UpdateEntitlementRule(ctx context.Context, ruleID string, p UpdateEntitlementRuleParams) (*EntitlementRule, error) {
	const op = "UpdateEntitlementRule"
	if err := requireIDs(op, "ruleId", ruleID); err != nil {
		return nil, err
	}
	if p.LimitValue != nil && p.LimitValue.Sign() < 0 {
		return nil, validationError(op, "limitValue", "limitValue must be >= 0")
	}
	body := wire.UpdateEntitlementRuleRequest{LimitValue: numberPtr(p.LimitValue), Unlimited: p.Unlimited}
	var out wire.EntitlementRule
	if _, err := c.do(ctx, request{op: op, method: "PATCH", path: "/entitlement-rules/" + url.PathEscape(ruleID), body: &body, out: &out, secret: true}); err != nil {
		return nil, err
	}
	r := entitlementRuleFromWire(&out)
	return &r, nil
}

// DeleteEntitlementRule deletes a rule (DELETE /entitlement-rules/{id};
// secret key).
func (c *Client) DeleteEntitlementRule(ctx context.Context, ruleID string) error {
	const op = "DeleteEntitlementRule"
	if err := requireIDs(op, "ruleId", ruleID); err != nil {
		return err
	}
	var out wire.EntitlementDeleteResult
	_, err := c.do(ctx, request{op: op, method: "DELETE", path: "/entitlement-rules/" + url.PathEscape(ruleID), out: &out, secret: true})
	return err
}

// requireIDs checks name/value pairs as required ids: non-blank, within
// MaxIDLength, valid UTF-8.
func requireIDs(op string, kv ...string) error {
	for i := 0; i+1 < len(kv); i += 2 {
		if strings.TrimSpace(kv[i+1]) == "" {
			return validationError(op, kv[i], kv[i]+" is required")
		}
	}
	return checkIDs(op, kv...)
}

// --- wire mapping

func decimalFromNumber(n json.Number) Decimal {
	d, err := ParseDecimal(string(n))
	if err != nil {
		return Decimal{}
	}
	return d
}

func numberPtr(d *Decimal) json.Number {
	if d == nil {
		return ""
	}
	return json.Number(d.String())
}

func decimalPtr(n json.Number) *Decimal {
	if n == "" {
		return nil
	}
	d := decimalFromNumber(n)
	return &d
}

func entitlementPlanFromWire(w *wire.EntitlementPlan) EntitlementPlan {
	return EntitlementPlan{ID: w.ID, Name: w.Name, Slug: w.Slug, Description: deref(w.Description),
		IsDefault: w.IsDefault, IsActive: w.IsActive, CreatedAt: parseTime(w.CreatedAt), UpdatedAt: parseTime(w.UpdatedAt)}
}

func entitlementRuleFromWire(w *wire.EntitlementRule) EntitlementRule {
	return EntitlementRule{ID: w.ID, PlanID: w.PlanID, FeatureKey: w.FeatureKey,
		LimitType: EntitlementLimitType(w.LimitType), Period: EntitlementPeriod(w.Period),
		LimitValue: decimalFromNumber(w.LimitValue), Unlimited: w.Unlimited}
}

func entitlementRulesFromWire(ws []wire.EntitlementRule) []EntitlementRule {
	rules := make([]EntitlementRule, len(ws))
	for i := range ws {
		rules[i] = entitlementRuleFromWire(&ws[i])
	}
	return rules
}

func customerEntitlementFromWire(w *wire.CustomerEntitlement) *CustomerEntitlement {
	ce := &CustomerEntitlement{PlanID: w.PlanID, PlanName: w.PlanName, PlanSlug: w.PlanSlug,
		Rules:     entitlementRulesFromWire(w.Rules),
		Overrides: make(map[string]EntitlementOverride, len(w.Overrides)),
		Usage:     make(map[string]EntitlementUsage, len(w.Usage))}
	for k, o := range w.Overrides {
		ce.Overrides[k] = EntitlementOverride{LimitValue: decimalPtr(o.LimitValue), Unlimited: o.Unlimited}
	}
	for k, u := range w.Usage {
		ce.Usage[k] = EntitlementUsage{Used: decimalFromNumber(u.Used), Limit: decimalFromNumber(u.Limit),
			Remaining: decimalFromNumber(u.Remaining), Period: EntitlementPeriod(u.Period)}
	}
	return ce
}
