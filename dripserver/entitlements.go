package dripserver

// Entitlements: plans, rules, customer assignments and period counters.
//
// The rules dripd applies:
//   - A customer's plan is the one assigned to it (PUT
//     /customers/{id}/entitlement), else the default plan (isDefault; at
//     most one plan is the default). Overrides change rules of the plan for
//     one customer; an override may only name a feature the plan has.
//   - Usage counts against a feature when its usageType equals the
//     feature key, whichever usage endpoint recorded it (internal usage
//     too: it is usage, just not billed), from the moment any plan has a
//     rule for that key. Each feature has a daily and a monthly counter per
//     customer, so a rule may change period, and a customer plan, without
//     losing the period's use. COUNT rules count the usage quantity; AMOUNT
//     rules count the USDC amount charged for it (chargeAmount).
//   - Periods are UTC: DAILY resets at 00:00, MONTHLY at 00:00 on the
//     first of the month, computed with the server's clock (WithClock).
//   - A check is read-only. It allows when the rule is unlimited or
//     used + quantity ≤ limit. A feature the customer's plan has no rule
//     for, a customer with no plan, and an inactive plan are denied with a
//     reason, as Drip does: entitlements are allow-lists.

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/drip-sdk/drip-go/internal/money"
	"github.com/drip-sdk/drip-go/internal/wire"
)

// schemaEntitlements is migration 4. Limits and counters are exact decimal
// text (internal/money), since AMOUNT limits are money.
const schemaEntitlements = `
CREATE TABLE entitlement_plans (
	seq         INTEGER PRIMARY KEY,
	id          TEXT NOT NULL UNIQUE,
	name        TEXT NOT NULL,
	slug        TEXT NOT NULL UNIQUE,
	description TEXT,
	is_default  INTEGER NOT NULL DEFAULT 0,
	is_active   INTEGER NOT NULL DEFAULT 1,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX entitlement_plans_default ON entitlement_plans(is_default) WHERE is_default = 1;
CREATE TABLE entitlement_rules (
	seq         INTEGER PRIMARY KEY,
	id          TEXT NOT NULL UNIQUE,
	plan_id     TEXT NOT NULL REFERENCES entitlement_plans(id) ON DELETE CASCADE,
	feature_key TEXT NOT NULL,
	limit_type  TEXT NOT NULL,
	period      TEXT NOT NULL,
	limit_value TEXT NOT NULL,
	unlimited   INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL,
	UNIQUE (plan_id, feature_key)
);
CREATE INDEX entitlement_rules_feature ON entitlement_rules(feature_key);
CREATE TABLE customer_entitlements (
	customer_id TEXT PRIMARY KEY REFERENCES customers(id),
	plan_id     TEXT NOT NULL REFERENCES entitlement_plans(id) ON DELETE CASCADE,
	overrides   TEXT,
	assigned_at INTEGER NOT NULL
);
CREATE TABLE entitlement_counters (
	customer_id  TEXT NOT NULL,
	feature_key  TEXT NOT NULL,
	period       TEXT NOT NULL,
	period_start INTEGER NOT NULL,
	count_used   TEXT NOT NULL,
	amount_used  TEXT NOT NULL,
	PRIMARY KEY (customer_id, feature_key, period, period_start)
) WITHOUT ROWID;
`

// Entitlement values and codes.
const (
	periodDaily   = "DAILY"
	periodMonthly = "MONTHLY"
	limitCount    = "COUNT"
	limitAmount   = "AMOUNT"

	prefixEntPlan = "plan_"
	prefixEntRule = "rule_"

	// CodeDuplicateEntitlementPlan answers a plan slug already taken.
	CodeDuplicateEntitlementPlan = "DUPLICATE_ENTITLEMENT_PLAN"
	// CodeDuplicateEntitlementRule answers a second rule for a feature in
	// one plan.
	CodeDuplicateEntitlementRule = "DUPLICATE_ENTITLEMENT_RULE"
)

var entSlugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// entitlementRoutes registers the entitlement routes: checks and reading a
// customer's entitlement for any key, the rest (plans, rules, assigning a
// plan) for secret keys only.
func (s *Server) entitlementRoutes(api, secret routeFunc) {
	api("POST /v1/entitlements/check", s.checkEntitlement)
	api("GET /v1/customers/{id}/entitlement", s.getCustomerEntitlement)
	secret("PUT /v1/customers/{id}/entitlement", s.assignCustomerEntitlement)

	secret("POST /v1/entitlement-plans", s.createEntPlan)
	secret("GET /v1/entitlement-plans", s.listEntPlans)
	secret("GET /v1/entitlement-plans/{id}", s.getEntPlan)
	secret("PATCH /v1/entitlement-plans/{id}", s.updateEntPlan)
	secret("DELETE /v1/entitlement-plans/{id}", s.deleteEntPlan)
	secret("POST /v1/entitlement-plans/{id}/rules", s.createEntRule)
	secret("GET /v1/entitlement-plans/{id}/rules", s.listEntRules)
	secret("PATCH /v1/entitlement-rules/{id}", s.updateEntRule)
	secret("DELETE /v1/entitlement-rules/{id}", s.deleteEntRule)
}

// --- counters

// countEntitlementUsage counts a new usage record against the customer's
// entitlement of the same feature key as its meter, in the record's
// transaction: both the daily and the monthly counter of the record's
// period move.
func (s *service) countEntitlementUsage(t *txn, rec UsageRecord) error {
	ok, err := t.featureHasRules(rec.UsageType)
	if err != nil || !ok {
		return err
	}
	count, err := money.FromFloat(rec.Quantity)
	if err != nil {
		return fmt.Errorf("dripserver: usage quantity: %w", err)
	}
	amount, err := s.chargeAmount(t, rec)
	if err != nil {
		return err
	}
	for _, p := range []string{periodDaily, periodMonthly} {
		start := periodStart(p, rec.CreatedAt).UnixNano()
		if err := t.addEntUsage(rec.CustomerID, rec.UsageType, p, start, count, amount); err != nil {
			return err
		}
	}
	return nil
}

// chargeAmount is the USDC amount confirmed for rec, which AMOUNT rules
// count (internal usage and failed charges count zero).
func (s *service) chargeAmount(t *txn, rec UsageRecord) (*big.Rat, error) {
	ch, err := usageCharge(t, rec)
	if err != nil || ch == nil || ch.Status != ChargeConfirmed {
		return new(big.Rat), err
	}
	return rat(ch.Amount), nil
}

// periodStart is the start of the entitlement period p that contains now.
func periodStart(p string, now time.Time) time.Time { return utcPeriodStart(p == periodDaily, now) }

// periodEnd is when the period p that contains now resets.
func periodEnd(p string, now time.Time) time.Time {
	start := periodStart(p, now)
	if p == periodDaily {
		return start.AddDate(0, 0, 1)
	}
	return start.AddDate(0, 1, 0)
}

// --- resolving a customer's entitlement

// custEnt is a customer's plan with its rules and the customer's overrides.
type custEnt struct {
	plan      entPlan
	rules     []entRule
	overrides map[string]wire.EntitlementOverride
}

// customerEnt returns the customer's assigned plan, else the default plan;
// ok is false when there is neither.
func (t *txn) customerEnt(customerID string) (ce custEnt, ok bool, err error) {
	planID, overrides, assigned, err := t.entAssignment(customerID)
	if err != nil {
		return ce, false, err
	}
	if assigned {
		ce.plan, ok, err = t.entPlanByID(planID)
	} else {
		ce.plan, ok, err = t.defaultEntPlan()
	}
	if err != nil || !ok {
		return ce, false, err
	}
	ce.overrides = overrides
	ce.rules, err = t.entRules(ce.plan.ID)
	return ce, err == nil, err
}

// effective is the rule for one customer: the plan's with the customer's
// override applied.
func (ce *custEnt) effective(r entRule) (limit *big.Rat, unlimited bool) {
	limit, unlimited = r.LimitValue, r.Unlimited
	if o, ok := ce.overrides[r.FeatureKey]; ok {
		if o.LimitValue != "" {
			if v, err := money.Parse(string(o.LimitValue)); err == nil {
				limit = v
			}
		}
		if o.Unlimited != nil {
			unlimited = *o.Unlimited
		}
	}
	return limit, unlimited
}

func (ce *custEnt) rule(featureKey string) (entRule, bool) {
	for _, r := range ce.rules {
		if r.FeatureKey == featureKey {
			return r, true
		}
	}
	return entRule{}, false
}

// used is what the customer used of rule's feature in its current period,
// in the rule's unit.
func (t *txn) used(customerID string, r entRule, now time.Time) (*big.Rat, error) {
	count, amount, err := t.entUsage(customerID, r.FeatureKey, r.Period, periodStart(r.Period, now).UnixNano())
	if r.LimitType == limitAmount {
		return amount, err
	}
	return count, err
}

var minusOne = json.Number("-1")

func ratNumber(r *big.Rat) json.Number { return json.Number(money.Exact(r)) }

// checkEntitlement answers POST /entitlements/check without consuming.
func (s *service) checkEntitlement(ctx context.Context, req wire.EntitlementCheckRequest) (out wire.EntitlementCheck, err error) {
	now := s.now()
	q, err := money.FromFloat(*req.Quantity)
	if err != nil {
		return out, errValidation("quantity", "quantity must be a finite number")
	}
	err = s.store.view(ctx, func(t *txn) error {
		c, err := t.resolveCustomer(req.CustomerID)
		if err != nil {
			return err
		}
		out = wire.EntitlementCheck{FeatureKey: req.FeatureKey, Remaining: "0", Limit: "0", Period: periodMonthly,
			PeriodResetsAt: formatTime(periodEnd(periodMonthly, now))}
		ce, ok, err := t.customerEnt(c.ID)
		if err != nil {
			return err
		}
		if !ok {
			out.Reason = "customer has no entitlement plan"
			return nil
		}
		if !ce.plan.IsActive {
			out.Reason = fmt.Sprintf("entitlement plan %q is inactive", ce.plan.Slug)
			return nil
		}
		r, ok := ce.rule(req.FeatureKey)
		if !ok {
			out.Reason = fmt.Sprintf("feature %q is not in plan %q", req.FeatureKey, ce.plan.Slug)
			return nil
		}
		out.Period, out.PeriodResetsAt = r.Period, formatTime(periodEnd(r.Period, now))
		limit, unlimited := ce.effective(r)
		if unlimited {
			out.Allowed, out.Unlimited, out.Remaining, out.Limit = true, true, minusOne, minusOne
			return nil
		}
		used, err := t.used(c.ID, r, now)
		if err != nil {
			return err
		}
		remaining := new(big.Rat).Sub(limit, used)
		if remaining.Sign() < 0 {
			remaining.SetInt64(0)
		}
		out.Limit, out.Remaining = ratNumber(limit), ratNumber(remaining)
		out.Allowed = new(big.Rat).Add(used, q).Cmp(limit) <= 0
		if !out.Allowed {
			out.Reason = fmt.Sprintf("%s limit of %s for feature %q exceeded: %s used, %s requested",
				strings.ToLower(r.Period), money.Exact(limit), req.FeatureKey, money.Exact(used), money.Exact(q))
		}
		return nil
	})
	return out, err
}

// customerEntitlement answers GET /customers/{id}/entitlement.
func (s *service) customerEntitlement(ctx context.Context, ref string) (out wire.CustomerEntitlement, err error) {
	now := s.now()
	err = s.store.view(ctx, func(t *txn) error {
		c, err := t.resolveCustomer(ref)
		if err != nil {
			return err
		}
		out, err = customerEntWire(t, c.ID, now)
		return err
	})
	return out, err
}

func customerEntWire(t *txn, customerID string, now time.Time) (wire.CustomerEntitlement, error) {
	ce, ok, err := t.customerEnt(customerID)
	if err != nil {
		return wire.CustomerEntitlement{}, err
	}
	if !ok {
		return wire.CustomerEntitlement{}, errNotFound("customer %s has no entitlement plan and there is no default plan", customerID)
	}
	out := wire.CustomerEntitlement{PlanID: ce.plan.ID, PlanName: ce.plan.Name, PlanSlug: ce.plan.Slug,
		Rules: make([]wire.EntitlementRule, len(ce.rules)), Overrides: ce.overrides,
		Usage: make(map[string]wire.EntitlementUsage, len(ce.rules))}
	if out.Overrides == nil {
		out.Overrides = map[string]wire.EntitlementOverride{}
	}
	for i, r := range ce.rules {
		out.Rules[i] = entRuleWire(r)
		u := wire.EntitlementUsage{Period: r.Period, Limit: minusOne, Remaining: minusOne}
		used, err := t.used(customerID, r, now)
		if err != nil {
			return out, err
		}
		u.Used = ratNumber(used)
		if limit, unlimited := ce.effective(r); !unlimited {
			remaining := new(big.Rat).Sub(limit, used)
			if remaining.Sign() < 0 {
				remaining.SetInt64(0)
			}
			u.Limit, u.Remaining = ratNumber(limit), ratNumber(remaining)
		}
		out.Usage[r.FeatureKey] = u
	}
	return out, nil
}

// assignEntitlement answers PUT /customers/{id}/entitlement.
func (s *service) assignEntitlement(ctx context.Context, ref string, req wire.AssignEntitlementRequest) (out wire.CustomerEntitlement, err error) {
	now := s.now()
	err = s.store.update(ctx, func(t *txn) error {
		c, err := t.resolveCustomer(ref)
		if err != nil {
			return err
		}
		plan, ok, err := t.entPlanByID(req.PlanID)
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound("entitlement plan %q not found", req.PlanID)
		}
		rules, err := t.entRules(plan.ID)
		if err != nil {
			return err
		}
		for k := range req.Overrides {
			found := false
			for _, r := range rules {
				found = found || r.FeatureKey == k
			}
			if !found {
				return errValidation("overrides."+k, "plan %q has no rule for feature %q to override", plan.Slug, k)
			}
		}
		if err := t.assignEnt(c.ID, plan.ID, req.Overrides, now.UnixNano()); err != nil {
			return err
		}
		out, err = customerEntWire(t, c.ID, now)
		return err
	})
	return out, err
}

// --- plans and rules

func (s *service) createEntPlan(ctx context.Context, req wire.CreateEntitlementPlanRequest) (p entPlan, err error) {
	now := s.now().UnixNano()
	p = entPlan{ID: newID(prefixEntPlan), Name: req.Name, Slug: req.Slug, Description: req.Description,
		IsDefault: req.IsDefault != nil && *req.IsDefault, IsActive: true, CreatedAt: now, UpdatedAt: now}
	err = s.store.update(ctx, func(t *txn) error {
		if _, dup, err := t.entPlanWhere(`slug = ?`, req.Slug); err != nil || dup {
			if dup {
				err = &apiError{status: http.StatusConflict, code: CodeDuplicateEntitlementPlan,
					message: fmt.Sprintf("an entitlement plan with slug %q already exists", req.Slug)}
			}
			return err
		}
		return t.saveEntPlan(p, true)
	})
	return p, err
}

func (s *service) listEntPlans(ctx context.Context) (ps []entPlan, err error) {
	err = s.store.view(ctx, func(t *txn) error {
		ps, err = t.listEntPlans()
		return err
	})
	return ps, err
}

func (t *txn) mustEntPlan(id string) (entPlan, error) {
	p, ok, err := t.entPlanByID(id)
	if err == nil && !ok {
		err = errNotFound("entitlement plan %q not found", id)
	}
	return p, err
}

func (s *service) getEntPlan(ctx context.Context, id string) (p entPlan, err error) {
	err = s.store.view(ctx, func(t *txn) error {
		p, err = t.mustEntPlan(id)
		return err
	})
	return p, err
}

func (s *service) updateEntPlan(ctx context.Context, id string, req wire.UpdateEntitlementPlanRequest) (p entPlan, err error) {
	err = s.store.update(ctx, func(t *txn) error {
		if p, err = t.mustEntPlan(id); err != nil {
			return err
		}
		if req.Name != nil {
			p.Name = *req.Name
		}
		if req.Description != nil {
			p.Description = *req.Description
		}
		if req.IsDefault != nil {
			p.IsDefault = *req.IsDefault
		}
		if req.IsActive != nil {
			p.IsActive = *req.IsActive
		}
		p.UpdatedAt = s.now().UnixNano()
		return t.saveEntPlan(p, false)
	})
	return p, err
}

func (s *service) deleteEntPlan(ctx context.Context, id string) error {
	return s.store.update(ctx, func(t *txn) error {
		ok, err := t.deleteEntPlan(id)
		if err == nil && !ok {
			err = errNotFound("entitlement plan %q not found", id)
		}
		return err
	})
}

func (s *service) createEntRule(ctx context.Context, planID string, req wire.CreateEntitlementRuleRequest, limit *big.Rat) (r entRule, err error) {
	r = entRule{ID: newID(prefixEntRule), PlanID: planID, FeatureKey: req.FeatureKey, LimitType: req.LimitType,
		Period: req.Period, LimitValue: limit, Unlimited: req.Unlimited != nil && *req.Unlimited}
	err = s.store.update(ctx, func(t *txn) error {
		if _, err := t.mustEntPlan(planID); err != nil {
			return err
		}
		rules, err := t.entRules(planID)
		if err != nil {
			return err
		}
		for _, x := range rules {
			if x.FeatureKey == req.FeatureKey {
				return &apiError{status: http.StatusConflict, code: CodeDuplicateEntitlementRule,
					message: fmt.Sprintf("plan %s already has a rule for feature %q (%s)", planID, req.FeatureKey, x.ID)}
			}
		}
		return t.saveEntRule(r, true, s.now().UnixNano())
	})
	return r, err
}

func (s *service) listEntRules(ctx context.Context, planID string) (rs []entRule, err error) {
	err = s.store.view(ctx, func(t *txn) error {
		if _, err := t.mustEntPlan(planID); err != nil {
			return err
		}
		rs, err = t.entRules(planID)
		return err
	})
	return rs, err
}

func (s *service) updateEntRule(ctx context.Context, id string, limit *big.Rat, unlimited *bool) (r entRule, err error) {
	err = s.store.update(ctx, func(t *txn) error {
		var ok bool
		if r, ok, err = t.entRuleByID(id); err != nil || !ok {
			if err == nil {
				err = errNotFound("entitlement rule %q not found", id)
			}
			return err
		}
		if limit != nil {
			r.LimitValue = limit
		}
		if unlimited != nil {
			r.Unlimited = *unlimited
		}
		return t.saveEntRule(r, false, 0)
	})
	return r, err
}

func (s *service) deleteEntRule(ctx context.Context, id string) error {
	return s.store.update(ctx, func(t *txn) error {
		ok, err := t.deleteEntRule(id)
		if err == nil && !ok {
			err = errNotFound("entitlement rule %q not found", id)
		}
		return err
	})
}

// --- handlers

// limitValue reads an optional limit: a number from 0 to MaxQuantity. nil
// when absent.
func limitValue(field string, n json.Number) (*big.Rat, error) {
	if n == "" {
		return nil, nil
	}
	v, err := money.Parse(string(n))
	if err != nil || v.Sign() < 0 || v.Cmp(new(big.Rat).SetFloat64(MaxQuantity)) > 0 {
		return nil, errValidation(field, "%s must be a number from 0 to %g", field, float64(MaxQuantity))
	}
	return v, nil
}

func (s *Server) checkEntitlement(w http.ResponseWriter, r *http.Request) {
	var req wire.EntitlementCheckRequest
	err := firstErr(decode(r, &req))
	if err == nil {
		err = firstErr(required("customerId", req.CustomerID), required("featureKey", req.FeatureKey))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Quantity == nil {
		one := 1.0
		req.Quantity = &one
	}
	out, err := s.svc.checkEntitlement(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getCustomerEntitlement(w http.ResponseWriter, r *http.Request) {
	out, err := s.svc.customerEntitlement(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) assignCustomerEntitlement(w http.ResponseWriter, r *http.Request) {
	var req wire.AssignEntitlementRequest
	err := decode(r, &req)
	if err == nil {
		err = required("planId", req.PlanID)
	}
	for k, o := range req.Overrides {
		if err != nil {
			break
		}
		_, err = limitValue("overrides."+k+".limitValue", o.LimitValue)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.svc.assignEntitlement(r.Context(), r.PathValue("id"), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createEntPlan(w http.ResponseWriter, r *http.Request) {
	var req wire.CreateEntitlementPlanRequest
	err := decode(r, &req)
	if err == nil {
		err = firstErr(required("name", req.Name), required("slug", req.Slug))
	}
	if err == nil && !entSlugPattern.MatchString(req.Slug) {
		err = errValidation("slug", "slug must be lowercase letters, digits, '-' and '_'")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.svc.createEntPlan(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, entPlanWire(p))
}

func (s *Server) listEntPlans(w http.ResponseWriter, r *http.Request) {
	ps, err := s.svc.listEntPlans(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := wire.EntitlementPlanList{Plans: make([]wire.EntitlementPlan, len(ps))}
	for i, p := range ps {
		out.Plans[i] = entPlanWire(p)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getEntPlan(w http.ResponseWriter, r *http.Request) {
	p, err := s.svc.getEntPlan(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, entPlanWire(p))
}

func (s *Server) updateEntPlan(w http.ResponseWriter, r *http.Request) {
	var req wire.UpdateEntitlementPlanRequest
	err := decode(r, &req)
	if err == nil && req.Name != nil {
		err = required("name", *req.Name)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.svc.updateEntPlan(r.Context(), r.PathValue("id"), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, entPlanWire(p))
}

func (s *Server) deleteEntPlan(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.deleteEntPlan(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.EntitlementDeleteResult{Success: true})
}

func (s *Server) createEntRule(w http.ResponseWriter, r *http.Request) {
	var req wire.CreateEntitlementRuleRequest
	err := decode(r, &req)
	if err == nil {
		err = firstErr(required("featureKey", req.FeatureKey),
			oneOf("limitType", req.LimitType, limitCount, limitAmount),
			oneOf("period", req.Period, periodDaily, periodMonthly))
	}
	var limit *big.Rat
	if err == nil {
		limit, err = limitValue("limitValue", req.LimitValue)
	}
	if err == nil && limit == nil {
		if req.Unlimited == nil || !*req.Unlimited {
			err = errValidation("limitValue", "limitValue is required unless unlimited is true")
		}
		limit = new(big.Rat)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rule, err := s.svc.createEntRule(r.Context(), r.PathValue("id"), req, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, entRuleWire(rule))
}

func (s *Server) listEntRules(w http.ResponseWriter, r *http.Request) {
	rs, err := s.svc.listEntRules(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := wire.EntitlementRuleList{Rules: make([]wire.EntitlementRule, len(rs))}
	for i, rule := range rs {
		out.Rules[i] = entRuleWire(rule)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) updateEntRule(w http.ResponseWriter, r *http.Request) {
	var req wire.UpdateEntitlementRuleRequest
	err := decode(r, &req)
	var limit *big.Rat
	if err == nil {
		limit, err = limitValue("limitValue", req.LimitValue)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rule, err := s.svc.updateEntRule(r.Context(), r.PathValue("id"), limit, req.Unlimited)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, entRuleWire(rule))
}

func (s *Server) deleteEntRule(w http.ResponseWriter, r *http.Request) {
	if err := s.svc.deleteEntRule(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.EntitlementDeleteResult{Success: true})
}

// --- wire mapping

func entPlanWire(p entPlan) wire.EntitlementPlan {
	w := wire.EntitlementPlan{ID: p.ID, Name: p.Name, Slug: p.Slug, IsDefault: p.IsDefault, IsActive: p.IsActive,
		CreatedAt: formatTime(nsTime(p.CreatedAt)), UpdatedAt: formatTime(nsTime(p.UpdatedAt))}
	if p.Description != "" {
		d := p.Description
		w.Description = &d
	}
	return w
}

func entRuleWire(r entRule) wire.EntitlementRule {
	return wire.EntitlementRule{ID: r.ID, PlanID: r.PlanID, FeatureKey: r.FeatureKey, LimitType: r.LimitType,
		Period: r.Period, LimitValue: ratNumber(r.LimitValue), Unlimited: r.Unlimited}
}
