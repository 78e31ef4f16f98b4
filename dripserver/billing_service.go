package dripserver

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"time"

	"github.com/drip-sdk/drip-go/internal/money"
	"github.com/drip-sdk/drip-go/internal/wire"
)

// --- exact amounts

// rat reads a stored amount; stored amounts are always valid decimals.
func rat(s string) *big.Rat {
	r, err := money.Parse(s)
	if err != nil {
		return new(big.Rat)
	}
	return r
}

// usdc writes an amount with the 6 decimals of USDC.
func usdc(r *big.Rat) string { return money.Format(r, money.USDCPlaces) }

// roundUSDC rounds r to 6 decimals, halves away from zero.
func roundUSDC(r *big.Rat) *big.Rat { return rat(usdc(r)) }

// tokenUnits is an amount in USDC base units (6 decimals): the charge's
// amountToken.
func tokenUnits(amount string) string {
	r := new(big.Rat).Mul(rat(amount), big.NewRat(1_000_000, 1))
	return r.FloatString(0)
}

// quantityRat is a stored quantity as the exact decimal it was sent as.
func quantityRat(q float64) *big.Rat {
	r, err := money.FromFloat(q)
	if err != nil {
		return new(big.Rat)
	}
	return r
}

// --- events

// Webhook event types billing sends.
const (
	eventUsageRecorded   = "usage.recorded"
	eventChargeSucceeded = "charge.succeeded"
	eventChargeFailed    = "charge.failed"
	eventCustomerCreated = "customer.created"
	eventBalanceLow      = "customer.balance.low"
	eventSpendingWarning = "customer.spending.warning"
	eventSpendingBlocked = "customer.spending.blocked"
	customerStatusActive = "ACTIVE"
	customerStatusLow    = "LOW_BALANCE"
	capDaily             = "DAILY_CHARGE_LIMIT"
	capMonthly           = "MONTHLY_CHARGE_LIMIT"
	capSingle            = "SINGLE_CHARGE_LIMIT"
	pricingFlat          = "FLAT"
	usdcCurrency         = "USDC"
	maxUnitPriceDecimals = 6
	devAddressHexLen     = 40
	percentOf            = 100
)

var (
	capTypes      = []string{capDaily, capMonthly, capSingle}
	pricingModels = []string{pricingFlat, "TIERED", "VOLUME", "PACKAGE", "PER_SEAT"}
	alertLevels   = []int{50, 80, 95, 100}
)

// customerCreated runs in the transaction that created c: a customer that
// can be billed gets its starting balance, and customer.created is queued.
func (s *service) customerCreated(t *txn, c Customer) error {
	if canBeBilled(c) {
		if _, err := s.ensureBalance(t, c); err != nil {
			return err
		}
	}
	return s.notify(t, eventCustomerCreated, c.ID, "", customerWire(c))
}

// canBeBilled reports whether charges can be made to c: an on-chain
// address and not internal. Usage of any other customer is recorded for
// visibility only (auto-promoted to the internal path).
func canBeBilled(c Customer) bool { return c.OnchainAddress != "" && !c.IsInternal }

// ensureBalance returns c's balance, giving it the starting balance first
// if it has none (a customer from before billing, or just provisioned).
func (s *service) ensureBalance(t *txn, c Customer) (balance, error) {
	b, ok, err := t.balanceOf(c.ID)
	if err != nil || ok {
		return b, err
	}
	b = balance{Balance: usdc(s.bill.startingBalance()), Pending: usdc(new(big.Rat))}
	return b, t.putBalance(c.ID, b)
}

// --- usage → charges

// pendingCharge is the charge a usage write will make, decided before the
// write is stored.
type pendingCharge struct {
	id     string
	amount *big.Rat
}

// priceUsage decides whether rec, not yet stored, is charged: only on the
// billing endpoints, for a customer that can be billed, when an active
// plan prices its usage type. It checks the spending caps first: a blocked
// customer is refused with 403 CUSTOMER_BLOCKED and nothing is stored.
func (s *service) priceUsage(t *txn, endpoint string, c Customer, rec *UsageRecord) (*pendingCharge, error) {
	if !billable(endpoint, c) {
		return nil, nil
	}
	plan, hasPlan, err := t.activePlanByType(rec.UsageType)
	if err != nil {
		return nil, err
	}
	// Subscriptions' included usage and contracts change the amount
	// (account.go).
	amount, ok, err := s.usageAmount(t, c, *rec, plan, hasPlan)
	if err != nil || !ok {
		return nil, err
	}
	if err := s.checkCaps(t, c, amount); err != nil {
		return nil, err
	}
	pc := &pendingCharge{id: newID(prefixCharge), amount: amount}
	rec.ChargeID = pc.id
	return pc, nil
}

// settleUsage runs after rec is stored: it queues usage.recorded and, when
// rec is charged, makes the charge. A charge confirms at once when the
// available balance covers it (balance down, caps counted, alerts);
// otherwise it is FAILED with a reason and the balance is untouched.
func (s *service) settleUsage(t *txn, c Customer, rec UsageRecord, pc *pendingCharge) (*Charge, error) {
	var chargeID any
	if pc != nil {
		chargeID = pc.id
	}
	err := s.notify(t, eventUsageRecorded, c.ID, rec.UsageType, map[string]any{
		"usageEventId": rec.ID, "customerId": c.ID, "usageType": rec.UsageType, "quantity": rec.Quantity,
		"chargeId": chargeID, "endpoint": rec.Endpoint,
	})
	if err != nil || pc == nil {
		return nil, err
	}
	now := s.now()
	bal, err := s.ensureBalance(t, c)
	if err != nil {
		return nil, err
	}
	ch := Charge{ID: pc.id, UsageID: rec.ID, CustomerID: c.ID, Amount: usdc(pc.amount), CreatedAt: now}
	available := new(big.Rat).Sub(rat(bal.Balance), rat(bal.Pending))
	if available.Cmp(pc.amount) < 0 {
		ch.Status = ChargeFailed
		ch.FailureReason = fmt.Sprintf("insufficient balance: %s USDC available, charge is %s USDC", usdc(available), ch.Amount)
	} else {
		ch.Status, ch.ConfirmedAt = ChargeConfirmed, now
	}
	if err := t.insertCharge(ch); err != nil {
		return nil, err
	}
	stored, _, err := t.chargeByID(ch.ID)
	if err != nil {
		return nil, err
	}
	if ch.Status == ChargeFailed {
		return &stored, s.notify(t, eventChargeFailed, c.ID, rec.UsageType, chargeWire(stored))
	}
	if err := s.notify(t, eventChargeSucceeded, c.ID, rec.UsageType, chargeWire(stored)); err != nil {
		return nil, err
	}
	if err := s.debit(t, c, bal, pc.amount); err != nil {
		return nil, err
	}
	return &stored, s.countCaps(t, c, pc.amount, now)
}

// debit takes a confirmed amount off c's balance. Falling below the low
// threshold queues customer.balance.low once per crossing and marks the
// customer LOW_BALANCE.
func (s *service) debit(t *txn, c Customer, bal balance, amount *big.Rat) error {
	bal.Balance = usdc(new(big.Rat).Sub(rat(bal.Balance), amount))
	available := new(big.Rat).Sub(rat(bal.Balance), rat(bal.Pending))
	threshold := s.bill.lowBalanceThreshold()
	low := available.Cmp(threshold) < 0
	if low != bal.LowNotified {
		bal.LowNotified = low
		status := customerStatusActive
		if low {
			status = customerStatusLow
		}
		if err := t.setCustomerBilling(c.ID, c.OnchainAddress, status, s.now()); err != nil {
			return err
		}
		if low {
			err := s.notify(t, eventBalanceLow, c.ID, "", map[string]any{
				"customerId": c.ID, "balanceUsdc": bal.Balance, "availableUsdc": usdc(available),
				"thresholdUsdc": usdc(threshold),
			})
			if err != nil {
				return err
			}
		}
	}
	return t.putBalance(c.ID, bal)
}

// --- spending caps

// capPeriodStart is the start of the cap period holding now: the UTC day
// or month; a single-charge cap's "period" is the charge itself.
func capPeriodStart(capType string, now time.Time) time.Time {
	if capType == capDaily || capType == capMonthly {
		return utcPeriodStart(capType == capDaily, now)
	}
	return now.UTC()
}

// utcPeriodStart is the start of the UTC day, or else month, holding now:
// the periods of spending caps and entitlements.
func utcPeriodStart(daily bool, now time.Time) time.Time {
	now = now.UTC()
	if daily {
		return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	}
	return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// current returns cap as of now: a daily or monthly cap whose period has
// ended starts a new one with no usage and no alerts sent.
func current(cp SpendingCap, now time.Time) SpendingCap {
	if cp.CapType == capSingle {
		return cp
	}
	if start := capPeriodStart(cp.CapType, now); !cp.PeriodStart.Equal(start) {
		cp.PeriodStart, cp.CurrentUsage, cp.LastAlertLevel = start, usdc(new(big.Rat)), 0
	}
	return cp
}

// checkCaps refuses a charge of amount when an autoBlock cap forbids it:
// a daily or monthly cap whose period usage has reached its limit (the
// charge that crossed it went through: that usage had happened), or a
// single-charge cap below amount.
func (s *service) checkCaps(t *txn, c Customer, amount *big.Rat) error {
	caps, err := t.capsOf(c.ID)
	if err != nil {
		return err
	}
	now := s.now()
	for _, cp := range caps {
		if !cp.AutoBlock {
			continue
		}
		cp = current(cp, now)
		limit := rat(cp.Limit)
		if cp.CapType == capSingle {
			if amount.Cmp(limit) > 0 {
				return errBlocked(c.ID, fmt.Sprintf("this charge of %s USDC exceeds its %s of %s USDC",
					usdc(amount), cp.CapType, cp.Limit))
			}
			continue
		}
		if rat(cp.CurrentUsage).Cmp(limit) >= 0 {
			return errBlocked(c.ID, fmt.Sprintf("it has reached its %s of %s USDC (%s USDC since %s); billed usage is refused until the period ends",
				cp.CapType, cp.Limit, cp.CurrentUsage, formatTime(cp.PeriodStart)))
		}
	}
	return nil
}

func errBlocked(customerID, why string) *apiError {
	return &apiError{status: http.StatusForbidden, code: CodeCustomerBlocked,
		message: "customer " + customerID + " is blocked by a spending cap: " + why + "; nothing was recorded"}
}

// countCaps adds a confirmed charge to c's caps and queues each alert level
// (50, 80, 95, 100 percent of the limit) the period's usage newly reaches,
// in order, once per period.
func (s *service) countCaps(t *txn, c Customer, amount *big.Rat, now time.Time) error {
	caps, err := t.capsOf(c.ID)
	if err != nil {
		return err
	}
	for _, cp := range caps {
		cp.UpdatedAt = now
		if cp.CapType == capSingle {
			// Its usage is the last charge; refusing is its only action.
			cp.PeriodStart, cp.CurrentUsage = now, usdc(amount)
			if err := t.putCap(cp); err != nil {
				return err
			}
			continue
		}
		cp = current(cp, now)
		usage := new(big.Rat).Add(rat(cp.CurrentUsage), amount)
		cp.CurrentUsage = usdc(usage)
		limit := rat(cp.Limit)
		for _, lvl := range alertLevels {
			if lvl <= cp.LastAlertLevel || !reached(usage, limit, lvl) {
				continue
			}
			cp.LastAlertLevel = lvl
			typ, level := eventSpendingWarning, map[int]string{50: "info", 80: "warning", 95: "critical"}[lvl]
			if lvl == percentOf {
				typ, level = eventSpendingBlocked, "blocked"
			}
			err := s.notify(t, typ, c.ID, "", map[string]any{
				"customerId": c.ID, "capId": cp.ID, "capType": cp.CapType, "level": level, "percentage": lvl,
				"limitValue": cp.Limit, "currentUsage": cp.CurrentUsage, "periodStart": cp.PeriodStart.Format(time.RFC3339),
			})
			if err != nil {
				return err
			}
		}
		if err := t.putCap(cp); err != nil {
			return err
		}
	}
	return nil
}

// reached reports whether usage is at least pct percent of limit.
func reached(usage, limit *big.Rat, pct int) bool {
	need := new(big.Rat).Mul(limit, big.NewRat(int64(pct), percentOf))
	return usage.Cmp(need) >= 0
}

// highestReached is the highest alert level usage already reaches, or 0.
func highestReached(usage, limit *big.Rat) int {
	top := 0
	for _, lvl := range alertLevels {
		if reached(usage, limit, lvl) {
			top = lvl
		}
	}
	return top
}

// setSpendingCap upserts c's cap of req.CapType. A new daily or monthly cap
// counts the confirmed charges already made in the current period; alert
// levels that usage already reaches under the (new) limit count as sent,
// so setting a cap never replays alerts for past charges.
func (s *service) setSpendingCap(ctx context.Context, customerRef string, capType string, limit *big.Rat, autoBlock bool) (cp SpendingCap, err error) {
	err = s.store.update(ctx, func(t *txn) error {
		c, err := t.resolveCustomer(customerRef)
		if err != nil {
			return err
		}
		now := s.now()
		caps, err := t.capsOf(c.ID)
		if err != nil {
			return err
		}
		found := false
		for _, old := range caps {
			if old.CapType == capType {
				cp, found = current(old, now), true
			}
		}
		if !found {
			cp = SpendingCap{ID: newID(prefixCap), CustomerID: c.ID, CapType: capType, CreatedAt: now,
				PeriodStart: capPeriodStart(capType, now), CurrentUsage: usdc(new(big.Rat))}
			if capType != capSingle {
				amounts, err := t.confirmedAmountsSince(c.ID, cp.PeriodStart)
				if err != nil {
					return err
				}
				sum := new(big.Rat)
				for _, a := range amounts {
					sum.Add(sum, rat(a))
				}
				cp.CurrentUsage = usdc(sum)
			}
		}
		cp.Limit, cp.AutoBlock, cp.UpdatedAt = money.Exact(limit), autoBlock, now
		if capType != capSingle {
			cp.LastAlertLevel = highestReached(rat(cp.CurrentUsage), limit)
		}
		return t.putCap(cp)
	})
	return cp, err
}

func (s *service) listSpendingCaps(ctx context.Context, customerRef string) (caps []SpendingCap, err error) {
	err = s.store.view(ctx, func(t *txn) error {
		c, err := t.resolveCustomer(customerRef)
		if err != nil {
			return err
		}
		caps, err = t.capsOf(c.ID)
		now := s.now()
		for i := range caps {
			caps[i] = current(caps[i], now)
		}
		return err
	})
	return caps, err
}

func (s *service) removeSpendingCap(ctx context.Context, customerRef, capID string) error {
	return s.store.update(ctx, func(t *txn) error {
		c, err := t.resolveCustomer(customerRef)
		if err != nil {
			return err
		}
		ok, err := t.deleteCap(c.ID, capID)
		if err == nil && !ok {
			err = errNotFound("spending cap %q not found for customer %s", capID, c.ID)
		}
		return err
	})
}

// --- balances

// customerBalance is a customer with its balance, as the balance routes
// answer.
type customerBalance struct {
	customer Customer
	balance  balance
}

// getBalance reads c's balance; a customer that cannot be billed and was
// never provisioned has a zero balance.
func (s *service) getBalance(ctx context.Context, customerRef string) (out customerBalance, err error) {
	err = s.store.view(ctx, func(t *txn) error {
		c, err := t.resolveCustomer(customerRef)
		if err != nil {
			return err
		}
		b, ok, err := t.balanceOf(c.ID)
		if err != nil {
			return err
		}
		if !ok {
			b = balance{Balance: usdc(new(big.Rat)), Pending: usdc(new(big.Rat))}
			if canBeBilled(c) {
				b.Balance = usdc(s.bill.startingBalance())
			}
		}
		out = customerBalance{customer: c, balance: b}
		return nil
	})
	return out, err
}

// syncBalance marks c's balance synced now. dripd's ledger is the balance,
// so there is nothing to fetch.
func (s *service) syncBalance(ctx context.Context, customerRef string) (out customerBalance, err error) {
	err = s.store.update(ctx, func(t *txn) error {
		c, err := t.resolveCustomer(customerRef)
		if err != nil {
			return err
		}
		b, ok, err := t.balanceOf(c.ID)
		if err != nil {
			return err
		}
		if !ok {
			if !canBeBilled(c) {
				b = balance{Balance: usdc(new(big.Rat)), Pending: usdc(new(big.Rat))}
			} else if b, err = s.ensureBalance(t, c); err != nil {
				return err
			}
		}
		b.LastSyncedAt = s.now()
		out = customerBalance{customer: c, balance: b}
		return t.putBalance(c.ID, b)
	})
	return out, err
}

// provisionCustomer gives c a dev smart-account address, when it has none,
// and its starting balance, when it has none. Internal customers are never
// billed: 400 INTERNAL_CUSTOMER. Provisioning again changes nothing.
func (s *service) provisionCustomer(ctx context.Context, customerRef string) (c Customer, err error) {
	err = s.store.update(ctx, func(t *txn) error {
		if c, err = t.resolveCustomer(customerRef); err != nil {
			return err
		}
		if c.IsInternal {
			return &apiError{status: http.StatusBadRequest, code: CodeInternalCustomer,
				message: "customer " + c.ID + " is internal (not billed) and cannot be provisioned"}
		}
		if c.OnchainAddress == "" {
			c.OnchainAddress, c.UpdatedAt = devAddress(), s.now()
			if err := t.setCustomerBilling(c.ID, c.OnchainAddress, c.Status, c.UpdatedAt); err != nil {
				return err
			}
		}
		_, err := s.ensureBalance(t, c)
		return err
	})
	return c, err
}

// devAddress is a random address in the form of an EVM smart account.
func devAddress() string {
	var b [devAddressHexLen / 2]byte
	_, _ = rand.Read(b[:])
	return "0x" + hex.EncodeToString(b[:])
}

// devTxHash is a confirmed charge's dev transaction hash, derived from its
// id so it is stable.
func devTxHash(chargeID string) string {
	h := sha256.Sum256([]byte(chargeID))
	return "0x" + hex.EncodeToString(h[:])
}

// --- charges

func (s *service) listCharges(ctx context.Context, customerRef, status string, limit, offset int) (cs []Charge, total int, err error) {
	err = s.store.view(ctx, func(t *txn) error {
		id := customerRef
		if customerRef != "" {
			if c, err := t.resolveCustomer(customerRef); err == nil {
				id = c.ID
			}
		}
		cs, total, err = t.listCharges(id, status, limit, offset)
		return err
	})
	return cs, total, err
}

func (s *service) getCharge(ctx context.Context, id string) (c Charge, err error) {
	err = s.store.view(ctx, func(t *txn) error {
		var ok bool
		c, ok, err = t.chargeByID(id)
		if err == nil && !ok {
			err = errNotFound("charge %q not found", id)
		}
		return err
	})
	return c, err
}

// usageCharge is the charge of a stored usage record for a reply; usage
// billed by a dripd from before pricing plans has a charge id but no
// charge, and reads as a zero confirmed one.
func usageCharge(t *txn, rec UsageRecord) (*Charge, error) {
	if rec.ChargeID == "" {
		return nil, nil
	}
	c, ok, err := t.chargeByID(rec.ChargeID)
	if err != nil {
		return nil, err
	}
	if !ok {
		c = Charge{ID: rec.ChargeID, UsageID: rec.ID, CustomerID: rec.CustomerID, Amount: usdc(new(big.Rat)),
			Status: ChargeConfirmed, CreatedAt: rec.CreatedAt, ConfirmedAt: rec.CreatedAt}
	}
	return &c, nil
}

// --- pricing plans

// checkUnitPrice reads a unit price: a decimal ≥ 0 with at most 6 decimals.
func checkUnitPrice(field, v string) (*big.Rat, error) {
	r, err := money.Parse(v)
	if err != nil || r.Sign() < 0 {
		return nil, errValidation(field, "%s must be a number ≥ 0, not %q", field, v)
	}
	if p := money.Places(r); p < 0 || p > maxUnitPriceDecimals {
		return nil, errValidation(field, "%s may have at most %d decimals, not %q", field, maxUnitPriceDecimals, v)
	}
	return r, nil
}

// checkPricingModel accepts FLAT; dripd does not compute the other models
// and says so rather than mispricing.
func checkPricingModel(model string, tiers []map[string]any) error {
	if err := oneOf("pricingModel", model, pricingModels...); err != nil {
		return err
	}
	if model != pricingFlat {
		return errInvalidParameter("pricingModel", "dripd supports only the FLAT pricing model (one unitPriceUsd per unit), not %s", model)
	}
	if len(tiers) > 0 {
		return errInvalidParameter("tiers", "tiers apply to TIERED, VOLUME and PACKAGE plans, which dripd does not support")
	}
	return nil
}

func errDuplicatePlan(unitType, existing string) *apiError {
	return &apiError{status: http.StatusConflict, code: CodeDuplicatePricingPlan,
		message: fmt.Sprintf("an active pricing plan (%s) already exists for unitType %q; update or delete it first", existing, unitType)}
}

func (s *service) createPricingPlan(ctx context.Context, p PricingPlan) (PricingPlan, error) {
	now := s.now()
	p.ID, p.CreatedAt, p.UpdatedAt = newID(prefixPlan), now, now
	err := s.store.update(ctx, func(t *txn) error {
		if p.IsActive {
			if old, ok, err := t.activePlanByType(p.UnitType); err != nil || ok {
				if ok {
					err = errDuplicatePlan(p.UnitType, old.ID)
				}
				return err
			}
		}
		return t.insertPlan(p)
	})
	return p, err
}

// planChange is a PATCH: nil fields are left as they are.
type planChange struct {
	name, unitPrice, pricingModel *string
	isActive                      *bool
}

// updatePricingPlan changes a plan in place (its id stays; charges already
// made keep their amounts). Activating a plan whose unit type has another
// active plan is 409 DUPLICATE_PRICING_PLAN.
func (s *service) updatePricingPlan(ctx context.Context, id string, ch planChange) (p PricingPlan, err error) {
	err = s.store.update(ctx, func(t *txn) error {
		var ok bool
		if p, ok, err = t.planByID(id); err != nil || !ok {
			if err == nil {
				err = errNotFound("pricing plan %q not found", id)
			}
			return err
		}
		if ch.name != nil {
			p.Name = *ch.name
		}
		if ch.unitPrice != nil {
			p.UnitPrice = *ch.unitPrice
		}
		if ch.pricingModel != nil {
			p.PricingModel = *ch.pricingModel
		}
		if ch.isActive != nil {
			if *ch.isActive && !p.IsActive {
				if old, ok, err := t.activePlanByType(p.UnitType); err != nil || ok {
					if ok {
						err = errDuplicatePlan(p.UnitType, old.ID)
					}
					return err
				}
			}
			p.IsActive = *ch.isActive
		}
		p.UpdatedAt = s.now()
		return t.updatePlan(p)
	})
	return p, err
}

// deletePricingPlan deactivates a plan, as Drip does: it stays readable.
func (s *service) deletePricingPlan(ctx context.Context, id string) error {
	off := false
	_, err := s.updatePricingPlan(ctx, id, planChange{isActive: &off})
	return err
}

func (s *service) getPricingPlan(ctx context.Context, id, unitType string) (p PricingPlan, err error) {
	err = s.store.view(ctx, func(t *txn) error {
		var ok bool
		if unitType != "" {
			p, ok, err = t.activePlanByType(unitType)
			if err == nil && !ok {
				err = errNotFound("no active pricing plan for unitType %q", unitType)
			}
			return err
		}
		p, ok, err = t.planByID(id)
		if err == nil && !ok {
			err = errNotFound("pricing plan %q not found", id)
		}
		return err
	})
	return p, err
}

func (s *service) listPricingPlans(ctx context.Context) (ps []PricingPlan, err error) {
	err = s.store.view(ctx, func(t *txn) error {
		ps, err = t.listPlans()
		return err
	})
	return ps, err
}

// --- cost estimates

// estimateLine is one usage type of an estimate being built.
type estimateLine struct {
	usageType string
	quantity  *big.Rat
	events    int
}

// pricer picks a usage type's unit price: an item's override, then the
// request's customPricing, then the active plan, then defaultUnitPrice,
// else 0 (with a note).
type pricer struct {
	t        *txn
	custom   map[string]string
	fallback string
	notes    []string
}

func (p *pricer) price(usageType, override string) (*big.Rat, bool, error) {
	plan, hasPlan, err := p.t.activePlanByType(usageType)
	if err != nil {
		return nil, false, err
	}
	switch {
	case override != "":
		return rat(override), hasPlan, nil
	case p.custom[usageType] != "":
		return rat(p.custom[usageType]), hasPlan, nil
	case hasPlan:
		return rat(plan.UnitPrice), true, nil
	case p.fallback != "":
		p.notes = append(p.notes, fmt.Sprintf("%s has no pricing plan; priced at defaultUnitPrice %s", usageType, p.fallback))
		return rat(p.fallback), false, nil
	}
	p.notes = append(p.notes, fmt.Sprintf("%s has no pricing plan and no defaultUnitPrice was given; priced at 0", usageType))
	return new(big.Rat), false, nil
}

// estimate prices lines into a reply.
func (p *pricer) estimate(lines []estimateLine, overrides map[string]string, withEvents bool) (wire.CostEstimate, error) {
	out := wire.CostEstimate{BusinessID: businessID, LineItems: []wire.CostEstimateLineItem{}, Currency: usdcCurrency,
		IsEstimate: true}
	total := new(big.Rat)
	for _, l := range lines {
		price, hasPlan, err := p.price(l.usageType, overrides[l.usageType])
		if err != nil {
			return out, err
		}
		cost := roundUSDC(new(big.Rat).Mul(l.quantity, price))
		total.Add(total, cost)
		item := wire.CostEstimateLineItem{UsageType: l.usageType, Quantity: money.Exact(l.quantity),
			UnitPrice: money.Exact(price), EstimatedCostUsdc: usdc(cost), HasPricingPlan: hasPlan}
		if withEvents {
			n := l.events
			item.EventCount = &n
		}
		out.LineItems = append(out.LineItems, item)
	}
	out.SubtotalUsdc, out.EstimatedTotalUsdc = usdc(total), usdc(total)
	out.Notes = append([]string{}, p.notes...)
	return out, nil
}

// estimateFromUsage prices the usage stored in [from, to), by usage type.
func (s *service) estimateFromUsage(ctx context.Context, req wire.EstimateFromUsageRequest, from, to time.Time) (out wire.CostEstimate, err error) {
	err = s.store.view(ctx, func(t *txn) error {
		customerID := ""
		if req.CustomerID != "" {
			c, err := t.resolveCustomer(req.CustomerID)
			if err != nil {
				return err
			}
			customerID = c.ID
		}
		rows, err := t.usageBetween(customerID, from, to)
		if err != nil {
			return err
		}
		want := map[string]bool{}
		for _, u := range req.UsageTypes {
			want[u] = true
		}
		includeCharged := req.IncludeChargedEvents == nil || *req.IncludeChargedEvents
		var lines []estimateLine
		idx := map[string]int{}
		for _, u := range rows {
			if (len(want) > 0 && !want[u.usageType]) || (u.charged && !includeCharged) {
				continue
			}
			i, ok := idx[u.usageType]
			if !ok {
				i = len(lines)
				idx[u.usageType] = i
				lines = append(lines, estimateLine{usageType: u.usageType, quantity: new(big.Rat)})
			}
			lines[i].quantity.Add(lines[i].quantity, quantityRat(u.quantity))
			lines[i].events++
		}
		p := &pricer{t: t, custom: req.CustomPricing, fallback: req.DefaultUnitPrice}
		if out, err = p.estimate(lines, nil, true); err != nil {
			return err
		}
		out.CustomerID, out.PeriodStart, out.PeriodEnd = customerID, formatTime(from), formatTime(to)
		return nil
	})
	out.GeneratedAt = formatTime(s.now())
	return out, err
}

// estimateHypothetical prices the given items, one line per item.
func (s *service) estimateHypothetical(ctx context.Context, req wire.EstimateHypotheticalRequest) (out wire.CostEstimate, err error) {
	err = s.store.view(ctx, func(t *txn) error {
		p := &pricer{t: t, custom: req.CustomPricing, fallback: req.DefaultUnitPrice}
		out = wire.CostEstimate{BusinessID: businessID, LineItems: []wire.CostEstimateLineItem{}, Currency: usdcCurrency,
			IsEstimate: true}
		total := new(big.Rat)
		for _, it := range req.Items {
			one, err := p.estimate([]estimateLine{{usageType: it.UsageType, quantity: quantityRat(it.Quantity)}},
				map[string]string{it.UsageType: it.UnitPriceOverride}, false)
			if err != nil {
				return err
			}
			out.LineItems = append(out.LineItems, one.LineItems...)
			total.Add(total, rat(one.SubtotalUsdc))
		}
		out.SubtotalUsdc, out.EstimatedTotalUsdc = usdc(total), usdc(total)
		out.Notes = append([]string{}, p.notes...)
		return nil
	})
	out.GeneratedAt = formatTime(s.now())
	return out, err
}

// --- replies

func planWire(p PricingPlan) wire.PricingPlan {
	return wire.PricingPlan{ID: p.ID, Name: p.Name, UnitType: p.UnitType, UnitPriceUsd: p.UnitPrice,
		Currency: usdcCurrency, IsActive: p.IsActive, PricingModel: p.PricingModel,
		CreatedAt: formatTime(p.CreatedAt), UpdatedAt: formatTime(p.UpdatedAt)}
}

func chargeWire(c Charge) wire.Charge {
	out := wire.Charge{ID: c.ID, UsageID: c.UsageID, CustomerID: c.CustomerID,
		Customer: wire.ChargeCustomer{ID: c.CustomerID, OnchainAddress: c.OnchainAddress,
			ExternalCustomerID: strPtr(c.ExternalCustomerID)},
		UsageEvent: wire.ChargeUsageEvent{ID: c.UsageID, Type: c.UsageType, Quantity: decimal(c.Quantity),
			Metadata: c.Metadata},
		AmountUsdc: c.Amount, AmountToken: tokenUnits(c.Amount), Status: c.Status,
		FailureReason: strPtr(c.FailureReason), CreatedAt: formatTime(c.CreatedAt)}
	if c.Status == ChargeConfirmed {
		tx, block, at := devTxHash(c.ID), strconv.FormatInt(c.Seq, 10), formatTime(c.ConfirmedAt)
		out.TxHash, out.BlockNumber, out.ConfirmedAt = &tx, &block, &at
	}
	return out
}

func capWire(c SpendingCap) wire.SpendingCap {
	out := wire.SpendingCap{ID: c.ID, CapType: c.CapType, LimitValue: c.Limit, CurrentUsage: c.CurrentUsage,
		PeriodStart: formatTime(c.PeriodStart), IsActive: true, AutoBlock: c.AutoBlock}
	if c.LastAlertLevel > 0 {
		l := strconv.Itoa(c.LastAlertLevel)
		out.LastAlertLevel = &l
	}
	return out
}

func balanceWire(b customerBalance) wire.Balance {
	available := new(big.Rat).Sub(rat(b.balance.Balance), rat(b.balance.Pending))
	out := wire.Balance{CustomerID: b.customer.ID, OnchainAddress: b.customer.OnchainAddress,
		BalanceUsdc: b.balance.Balance, PendingChargesUsdc: b.balance.Pending, AvailableUsdc: usdc(available)}
	if !b.balance.LastSyncedAt.IsZero() {
		s := formatTime(b.balance.LastSyncedAt)
		out.LastSyncedAt = &s
	}
	return out
}
