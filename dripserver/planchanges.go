package dripserver

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"net/http"
	"time"

	"github.com/drip-sdk/drip-go/internal/money"
	"github.com/drip-sdk/drip-go/internal/wire"
)

// Customer plan changes record every change of a customer's pricing or
// entitlement plan with the state it replaced, so it can be rolled back
// once.
//
// A pricing change edits the customer's contract in effect (creating one,
// named "Plan pricing", when there is none): price overrides (those given,
// and the unit prices of sourcePricingPlanIds), discountPct, minimumUsdc,
// maximumUsdc and includedUnits; replaceAll drops the overrides and
// included units not given. With prorate, the change of the period's
// commitment (minimumUsdc) is prorated over the days left in the billing
// period (the customer's subscription period, else the UTC month) from
// effectiveDate (default now); prorationAmountOverride sets the amount
// instead (positive charges, negative credits, "0" is ZERO). A CHARGE is a
// charge against the balance (prorationChargeId), a CREDIT is added to the
// balance. dripd applies the change at once; effectiveDate only sets where
// the proration starts.
//
// An entitlement change assigns an entitlement plan with overrides, as
// PUT /customers/{id}/entitlement does. Each override's dailyLimit or
// monthlyLimit must match the period of the plan's rule for the feature.
//
// A new change of a type supersedes the customer's APPLIED change of that
// type (SUPERSEDED). Rolling back an APPLIED change restores its previous
// state, reverses its proration (a CHARGE is credited back, a CREDIT
// charged) and records the inverse change, which is returned; the original
// becomes ROLLED_BACK. Rolling back a change that is not APPLIED is 400.

// Plan-change values.
const (
	changePricing     = "PRICING"
	changeEntitlement = "ENTITLEMENT"

	changeApplied    = "APPLIED"
	changeRolledBack = "ROLLED_BACK"
	changeSuperseded = "SUPERSEDED"

	prorationNone   = "NONE"
	prorationCredit = "CREDIT"
	prorationCharge = "CHARGE"
	prorationZero   = "ZERO"

	// planPricingContract names the contract a pricing change creates.
	planPricingContract = "Plan pricing"
	// maxPlanChangePage is the largest page of GET plan-changes.
	maxPlanChangePage = 200
)

// customerPlanChange is a stored plan change.
type customerPlanChange struct {
	ID                 string         `json:"id"`
	CustomerID         string         `json:"customerId"`
	ChangeType         string         `json:"changeType"`
	Status             string         `json:"status"`
	EffectiveFrom      time.Time      `json:"effectiveFrom"`
	Reason             string         `json:"reason,omitempty"`
	PreviousState      map[string]any `json:"previousState"`
	NewState           map[string]any `json:"newState"`
	ProrationAmount    string         `json:"prorationAmount,omitempty"`
	ProrationDirection string         `json:"prorationDirection"`
	ProratedDays       *int           `json:"proratedDays,omitempty"`
	TotalPeriodDays    *int           `json:"totalPeriodDays,omitempty"`
	ProrationStart     time.Time      `json:"prorationStart"`
	ProrationEnd       time.Time      `json:"prorationEnd"`
	ProrationChargeID  string         `json:"prorationChargeId,omitempty"`
	ContractID         string         `json:"contractId,omitempty"`
	PerformedBy        string         `json:"performedBy,omitempty"`
	RollbackOf         string         `json:"rollbackOf,omitempty"`
	CreatedAt          time.Time      `json:"createdAt"`
	UpdatedAt          time.Time      `json:"updatedAt"`
}

// pricingState is the part of a contract a pricing change sets: what
// previousState and newState of a PRICING change hold.
type pricingState struct {
	ContractID     string               `json:"contractId"`
	PriceOverrides []wire.PriceOverride `json:"priceOverrides"`
	DiscountPct    *string              `json:"discountPct"`
	MinimumUsdc    *string              `json:"minimumUsdc"`
	MaximumUsdc    *string              `json:"maximumUsdc"`
	IncludedUnits  map[string]int64     `json:"includedUnits"`
}

// entState is what previousState and newState of an ENTITLEMENT change
// hold; PlanID nil means no plan was assigned.
type entState struct {
	PlanID    *string                             `json:"planId"`
	Overrides map[string]wire.EntitlementOverride `json:"overrides"`
}

// stateMap turns a state into the JSON object a reply carries.
func stateMap(v any) map[string]any {
	b, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

func fromStateMap(m map[string]any, v any) error {
	b, err := json.Marshal(m)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		return fmt.Errorf("dripserver: stored plan-change state: %w", err)
	}
	return nil
}

func pricingOf(ct contract) pricingState {
	ps := pricingState{ContractID: ct.ID, PriceOverrides: []wire.PriceOverride{}, DiscountPct: strPtr(ct.DiscountPct),
		MinimumUsdc: strPtr(ct.Minimum), MaximumUsdc: strPtr(ct.Maximum), IncludedUnits: ct.IncludedUnits}
	for _, o := range ct.Overrides {
		ps.PriceOverrides = append(ps.PriceOverrides, wire.PriceOverride{UnitType: o.UnitType, UnitPriceUsd: o.UnitPrice})
	}
	return ps
}

// restorePricing sets ct's pricing terms to ps.
func restorePricing(ct *contract, ps pricingState) {
	ct.Overrides = []contractOverride{}
	for _, o := range ps.PriceOverrides {
		ct.setOverride(o.UnitType, o.UnitPriceUsd)
	}
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	ct.DiscountPct, ct.Minimum, ct.Maximum = deref(ps.DiscountPct), deref(ps.MinimumUsdc), deref(ps.MaximumUsdc)
	ct.IncludedUnits = ps.IncludedUnits
}

func (t *txn) savePlanChange(pc customerPlanChange) error {
	return t.putAccountDoc(tablePlanChanges, pc.ID, pc.CustomerID, pc.Status, pc)
}

// supersede marks the customer's APPLIED changes of changeType SUPERSEDED.
func (t *txn) supersede(customerID, changeType string, now time.Time) error {
	pcs, _, err := customerDocs[customerPlanChange](t, tablePlanChanges, customerID, changeApplied, false, -1, 0)
	if err != nil {
		return err
	}
	for _, pc := range pcs {
		if pc.ChangeType == changeType {
			pc.Status, pc.UpdatedAt = changeSuperseded, now
			if err := t.savePlanChange(pc); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *txn) unassignEnt(customerID string) error {
	if _, err := t.exec(`DELETE FROM customer_entitlements WHERE customer_id = ?`, customerID); err != nil {
		return fmt.Errorf("dripserver: unassign entitlement plan: %w", err)
	}
	return nil
}

// pricingChange is a validated pricing change.
type pricingChange struct {
	req         wire.PricingChangeRequest
	overrides   []wire.PriceOverride // prices stored exactly
	discount    *string
	min, max    *string
	override    *big.Rat // prorationAmountOverride
	effective   time.Time
	prorate     bool
	replaceAll  bool
	sourcePlans []string
}

func (s *service) changePricing(ctx context.Context, customerRef string, ch pricingChange) (pc customerPlanChange, err error) {
	now := s.now()
	err = s.store.update(ctx, func(t *txn) error {
		c, err := t.resolveCustomer(customerRef)
		if err != nil {
			return err
		}
		if err := s.advanceCustomer(t, c.ID, now); err != nil {
			return err
		}
		ct, ok, err := t.contractInEffect(c.ID, now)
		if err != nil {
			return err
		}
		if !ok {
			ct = contract{ID: newID(prefixContract), CustomerID: c.ID, Name: planPricingContract, Status: contractActive,
				StartDate: now, Overrides: []contractOverride{}, CreatedAt: now, UpdatedAt: now}
		}
		prev := pricingOf(ct)
		if ch.replaceAll {
			ct.Overrides, ct.IncludedUnits = []contractOverride{}, nil
		}
		for _, id := range ch.sourcePlans {
			p, ok, err := t.planByID(id)
			if err != nil {
				return err
			}
			if !ok {
				return errNotFound("pricing plan %q not found", id)
			}
			ct.setOverride(p.UnitType, p.UnitPrice)
		}
		for _, o := range ch.overrides {
			ct.setOverride(o.UnitType, o.UnitPriceUsd)
		}
		if ch.discount != nil {
			ct.DiscountPct = *ch.discount
		}
		if ch.min != nil {
			ct.Minimum = *ch.min
		}
		if ch.max != nil {
			ct.Maximum = *ch.max
		}
		if len(ch.req.IncludedUnits) > 0 {
			units := map[string]int64{}
			for k, v := range ct.IncludedUnits {
				units[k] = v
			}
			for k, v := range ch.req.IncludedUnits {
				units[k] = v
			}
			ct.IncludedUnits = units
		}
		ct.UpdatedAt = now
		if err := t.saveContract(ct); err != nil {
			return err
		}
		next := pricingOf(ct)
		pc = customerPlanChange{ID: newID(prefixPlanChange), CustomerID: c.ID, ChangeType: changePricing, Status: changeApplied,
			EffectiveFrom: now, Reason: ch.req.Reason, PreviousState: stateMap(prev), NewState: stateMap(next),
			ProrationDirection: prorationNone, ContractID: ct.ID, PerformedBy: ch.req.PerformedBy, CreatedAt: now, UpdatedAt: now}
		if !ch.effective.IsZero() {
			pc.EffectiveFrom = ch.effective
		}
		if ch.prorate || ch.override != nil {
			if err := s.prorate(t, c, &pc, prev, next, ch.override); err != nil {
				return err
			}
		}
		if err := t.supersede(c.ID, changePricing, now); err != nil {
			return err
		}
		return t.savePlanChange(pc)
	})
	return pc, err
}

// prorate computes and settles pc's proration over the billing period.
func (s *service) prorate(t *txn, c Customer, pc *customerPlanChange, prev, next pricingState, override *big.Rat) error {
	start, end, err := s.billingPeriod(t, c.ID, s.now())
	if err != nil {
		return err
	}
	if pc.EffectiveFrom.Before(start) || !pc.EffectiveFrom.Before(end) {
		return errValidation("effectiveDate", "effectiveDate must fall in the current billing period, %s to %s",
			formatTime(start), formatTime(end))
	}
	days := func(d time.Duration) int { return int(math.Ceil(d.Hours() / 24)) }
	total, left := days(end.Sub(start)), days(end.Sub(pc.EffectiveFrom))
	pc.TotalPeriodDays, pc.ProratedDays, pc.ProrationStart, pc.ProrationEnd = &total, &left, pc.EffectiveFrom, end
	amount := override
	if amount == nil {
		commit := func(p *string) *big.Rat {
			if p == nil {
				return new(big.Rat)
			}
			return rat(*p)
		}
		delta := new(big.Rat).Sub(commit(next.MinimumUsdc), commit(prev.MinimumUsdc))
		amount = roundUSDC(new(big.Rat).Mul(delta, big.NewRat(int64(left), int64(total))))
	}
	return s.settleProration(t, c, pc, amount)
}

// settleProration records a signed proration amount on pc and moves the
// money: a positive amount is charged, a negative one credited.
func (s *service) settleProration(t *txn, c Customer, pc *customerPlanChange, amount *big.Rat) error {
	pc.ProrationAmount = usdc(new(big.Rat).Abs(amount))
	switch amount.Sign() {
	case 0:
		pc.ProrationDirection = prorationZero
		return nil
	case 1:
		pc.ProrationDirection = prorationCharge
		if !canBeBilled(c) {
			return nil
		}
		ch, err := s.chargeCustomer(t, c, pc.ID, amount)
		pc.ProrationChargeID = ch.ID
		return err
	}
	pc.ProrationDirection = prorationCredit
	if !canBeBilled(c) {
		return nil
	}
	return s.creditCustomer(t, c, new(big.Rat).Neg(amount))
}

func (s *service) changeEntitlement(ctx context.Context, customerRef string, req wire.EntitlementChangeRequest) (pc customerPlanChange, err error) {
	now := s.now()
	err = s.store.update(ctx, func(t *txn) error {
		c, err := t.resolveCustomer(customerRef)
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
		overrides, err := entChangeOverrides(plan, rules, req.Overrides)
		if err != nil {
			return err
		}
		prev, err := t.entStateOf(c.ID)
		if err != nil {
			return err
		}
		if err := t.assignEnt(c.ID, plan.ID, overrides, now.UnixNano()); err != nil {
			return err
		}
		next := entState{PlanID: &plan.ID, Overrides: overrides}
		pc = customerPlanChange{ID: newID(prefixPlanChange), CustomerID: c.ID, ChangeType: changeEntitlement, Status: changeApplied,
			EffectiveFrom: now, Reason: req.Reason, PreviousState: stateMap(prev), NewState: stateMap(next),
			ProrationDirection: prorationNone, PerformedBy: req.PerformedBy, CreatedAt: now, UpdatedAt: now}
		if err := t.supersede(c.ID, changeEntitlement, now); err != nil {
			return err
		}
		return t.savePlanChange(pc)
	})
	return pc, err
}

func (t *txn) entStateOf(customerID string) (entState, error) {
	planID, overrides, ok, err := t.entAssignment(customerID)
	if err != nil || !ok {
		return entState{}, err
	}
	return entState{PlanID: &planID, Overrides: overrides}, nil
}

// entChangeOverrides turns dailyLimit/monthlyLimit overrides into the
// limit of each feature's rule, whose period must match.
func entChangeOverrides(plan entPlan, rules []entRule, in map[string]wire.EntitlementChangeOverride) (map[string]wire.EntitlementOverride, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := map[string]wire.EntitlementOverride{}
	for k, o := range in {
		var rule *entRule
		for i := range rules {
			if rules[i].FeatureKey == k {
				rule = &rules[i]
			}
		}
		if rule == nil {
			return nil, errValidation("overrides."+k, "plan %q has no rule for feature %q to override", plan.Slug, k)
		}
		limit, other, otherField := o.DailyLimit, o.MonthlyLimit, "monthlyLimit"
		if rule.Period == periodMonthly {
			limit, other, otherField = o.MonthlyLimit, o.DailyLimit, "dailyLimit"
		}
		if other != "" {
			field := "overrides." + k + "." + otherField
			return nil, errValidation(field, "the plan's rule for %q is %s; %s does not apply", k, rule.Period, otherField)
		}
		if limit != "" {
			if _, err := limitValue("overrides."+k, limit); err != nil {
				return nil, err
			}
		}
		out[k] = wire.EntitlementOverride{LimitValue: limit, Unlimited: o.Unlimited}
	}
	return out, nil
}

// rollbackPlanChange rolls back the customer's APPLIED change id.
func (s *service) rollbackPlanChange(ctx context.Context, customerRef, id, performedBy string) (inv customerPlanChange, err error) {
	now := s.now()
	err = s.store.update(ctx, func(t *txn) error {
		c, err := t.resolveCustomer(customerRef)
		if err != nil {
			return err
		}
		orig, ok, err := docByID[customerPlanChange](t, tablePlanChanges, id)
		if err != nil {
			return err
		}
		if !ok || orig.CustomerID != c.ID {
			return errNotFound("plan change %q not found for customer %s", id, c.ID)
		}
		if orig.Status != changeApplied {
			return &apiError{status: http.StatusBadRequest, code: CodeInvalidState,
				message: fmt.Sprintf("plan change %s is %s; only an APPLIED change can be rolled back", id, orig.Status)}
		}
		inv = customerPlanChange{ID: newID(prefixPlanChange), CustomerID: c.ID, ChangeType: orig.ChangeType, Status: changeApplied,
			EffectiveFrom: now, Reason: "rollback of " + orig.ID, PreviousState: orig.NewState, NewState: orig.PreviousState,
			ProrationDirection: prorationNone, ContractID: orig.ContractID, PerformedBy: performedBy, RollbackOf: orig.ID,
			CreatedAt: now, UpdatedAt: now}
		switch orig.ChangeType {
		case changePricing:
			if err := s.restoreContract(t, orig); err != nil {
				return err
			}
			if err := s.reverseProration(t, c, orig, &inv); err != nil {
				return err
			}
		case changeEntitlement:
			var st entState
			if err := fromStateMap(orig.PreviousState, &st); err != nil {
				return err
			}
			if st.PlanID == nil {
				err = t.unassignEnt(c.ID)
			} else {
				err = t.assignEnt(c.ID, *st.PlanID, st.Overrides, now.UnixNano())
			}
			if err != nil {
				return err
			}
		}
		orig.Status, orig.UpdatedAt = changeRolledBack, now
		if err := t.savePlanChange(orig); err != nil {
			return err
		}
		return t.savePlanChange(inv)
	})
	return inv, err
}

func (s *service) restoreContract(t *txn, orig customerPlanChange) error {
	var st pricingState
	if err := fromStateMap(orig.PreviousState, &st); err != nil {
		return err
	}
	ct, ok, err := docByID[contract](t, tableContracts, orig.ContractID)
	if err != nil || !ok {
		return err
	}
	restorePricing(&ct, st)
	ct.UpdatedAt = s.now()
	return t.saveContract(ct)
}

// reverseProration undoes orig's proration on inv: a confirmed charge is
// credited back, a credit charged again. A charge that failed moved no
// money and is not reversed.
func (s *service) reverseProration(t *txn, c Customer, orig customerPlanChange, inv *customerPlanChange) error {
	switch orig.ProrationDirection {
	case prorationNone:
		return nil
	case prorationZero:
		inv.ProrationDirection, inv.ProrationAmount = prorationZero, usdc(new(big.Rat))
		return nil
	}
	inv.ProratedDays, inv.TotalPeriodDays = orig.ProratedDays, orig.TotalPeriodDays
	inv.ProrationStart, inv.ProrationEnd = orig.ProrationStart, orig.ProrationEnd
	amount := rat(orig.ProrationAmount)
	if orig.ProrationDirection == prorationCharge {
		if orig.ProrationChargeID != "" {
			ch, ok, err := t.chargeByID(orig.ProrationChargeID)
			if err != nil {
				return err
			}
			if ok && ch.Status != ChargeConfirmed {
				inv.ProrationDirection = prorationNone
				return nil
			}
		}
		amount.Neg(amount)
	}
	return s.settleProration(t, c, inv, amount)
}

func (s *service) listPlanChanges(ctx context.Context, customerRef string, limit, offset int) (pcs []customerPlanChange, total int, err error) {
	err = s.store.view(ctx, func(t *txn) error {
		c, err := t.resolveCustomer(customerRef)
		if err != nil {
			return err
		}
		pcs, total, err = customerDocs[customerPlanChange](t, tablePlanChanges, c.ID, "", true, limit, offset)
		return err
	})
	return pcs, total, err
}

func (s *service) getPlanChange(ctx context.Context, customerRef, id string) (pc customerPlanChange, err error) {
	err = s.store.view(ctx, func(t *txn) error {
		c, err := t.resolveCustomer(customerRef)
		if err != nil {
			return err
		}
		var ok bool
		pc, ok, err = docByID[customerPlanChange](t, tablePlanChanges, id)
		if err == nil && (!ok || pc.CustomerID != c.ID) {
			err = errNotFound("plan change %q not found for customer %s", id, c.ID)
		}
		return err
	})
	return pc, err
}

// --- handlers

func (s *Server) changePricing(w http.ResponseWriter, r *http.Request) {
	var ch pricingChange
	err := decode(r, &ch.req)
	req := &ch.req
	if err == nil && len(req.SourcePricingPlanIDs) == 0 && len(req.PriceOverrides) == 0 && req.ReplaceAll == nil &&
		req.DiscountPct == "" && req.MinimumUsdc == "" && req.MaximumUsdc == "" && len(req.IncludedUnits) == 0 &&
		req.Prorate == nil && req.ProrationAmountOverride == "" {
		err = errInvalidParameter("body", "a pricing change needs at least one of sourcePricingPlanIds, priceOverrides, "+
			"replaceAll, discountPct, minimumUsdc, maximumUsdc, includedUnits, prorate or prorationAmountOverride")
	}
	for i, o := range req.PriceOverrides {
		if err != nil {
			break
		}
		err = required(fieldAt("priceOverrides", i, "unitType"), o.UnitType)
		price := mustPrice(fieldAt("priceOverrides", i, "unitPriceUsd"), o.UnitPriceUsd, &err)
		ch.overrides = append(ch.overrides, wire.PriceOverride{UnitType: o.UnitType, UnitPriceUsd: price})
	}
	if err == nil {
		ch.discount, err = percent("discountPct", req.DiscountPct)
	}
	if err == nil {
		ch.min, err = usdcAmount("minimumUsdc", req.MinimumUsdc)
	}
	if err == nil {
		ch.max, err = usdcAmount("maximumUsdc", req.MaximumUsdc)
	}
	if err == nil {
		err = checkUnits("includedUnits", req.IncludedUnits)
	}
	if err == nil && req.ProrationAmountOverride != "" {
		ch.override, err = money.Parse(req.ProrationAmountOverride)
		if err != nil || money.Places(ch.override) < 0 || money.Places(ch.override) > money.USDCPlaces {
			err = errValidation("prorationAmountOverride", "prorationAmountOverride must be a signed decimal with at most 6 decimals, not %q",
				req.ProrationAmountOverride)
		}
	}
	if err == nil && req.EffectiveDate != "" {
		ch.effective, err = parsePeriod("effectiveDate", req.EffectiveDate)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ch.prorate = req.Prorate != nil && *req.Prorate
	ch.replaceAll = req.ReplaceAll != nil && *req.ReplaceAll
	ch.sourcePlans = req.SourcePricingPlanIDs
	pc, err := s.svc.changePricing(r.Context(), r.PathValue("id"), ch)
	s.replyPlanChange(w, r, http.StatusCreated, pc, err)
}

func (s *Server) changeEntitlement(w http.ResponseWriter, r *http.Request) {
	var req wire.EntitlementChangeRequest
	err := decode(r, &req)
	if err == nil {
		err = required("planId", req.PlanID)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pc, err := s.svc.changeEntitlement(r.Context(), r.PathValue("id"), req)
	s.replyPlanChange(w, r, http.StatusCreated, pc, err)
}

func (s *Server) listPlanChanges(w http.ResponseWriter, r *http.Request) {
	limit, err := queryInt(r, "limit", 50, 1, maxPlanChangePage)
	var offset int
	if err == nil {
		offset, err = queryInt(r, "offset", 0, 0, math.MaxInt)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pcs, total, err := s.svc.listPlanChanges(r.Context(), r.PathValue("id"), limit, offset)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := wire.PlanChangeList{Data: make([]wire.PlanChange, len(pcs)), Total: total}
	for i, pc := range pcs {
		out.Data[i] = planChangeWire(pc)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getPlanChange(w http.ResponseWriter, r *http.Request) {
	pc, err := s.svc.getPlanChange(r.Context(), r.PathValue("id"), r.PathValue("changeId"))
	s.replyPlanChange(w, r, http.StatusOK, pc, err)
}

func (s *Server) rollbackPlanChange(w http.ResponseWriter, r *http.Request) {
	var req wire.RollbackPlanChangeRequest
	if err := decode(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	pc, err := s.svc.rollbackPlanChange(r.Context(), r.PathValue("id"), r.PathValue("changeId"), req.PerformedBy)
	s.replyPlanChange(w, r, http.StatusOK, pc, err)
}

func (s *Server) replyPlanChange(w http.ResponseWriter, r *http.Request, status int, pc customerPlanChange, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, status, planChangeWire(pc))
}

func planChangeWire(pc customerPlanChange) wire.PlanChange {
	out := wire.PlanChange{ID: pc.ID, BusinessID: businessID, CustomerID: pc.CustomerID, ChangeType: pc.ChangeType,
		Status: pc.Status, EffectiveFrom: formatTime(pc.EffectiveFrom), Reason: strPtr(pc.Reason),
		PreviousState: pc.PreviousState, NewState: pc.NewState, ProrationAmountUsd: strPtr(pc.ProrationAmount),
		ProrationDirection: pc.ProrationDirection, ProratedDays: pc.ProratedDays, TotalPeriodDays: pc.TotalPeriodDays,
		ProrationPeriodStart: timePtr(pc.ProrationStart), ProrationPeriodEnd: timePtr(pc.ProrationEnd),
		ProrationChargeID: strPtr(pc.ProrationChargeID), ContractID: strPtr(pc.ContractID),
		PerformedBy: strPtr(pc.PerformedBy), CreatedAt: formatTime(pc.CreatedAt), UpdatedAt: formatTime(pc.UpdatedAt)}
	if out.PreviousState == nil {
		out.PreviousState = map[string]any{}
	}
	if out.NewState == nil {
		out.NewState = map[string]any{}
	}
	return out
}
