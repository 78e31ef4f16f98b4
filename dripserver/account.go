package dripserver

import (
	"fmt"
	"math/big"
	"net/http"
	"time"
)

// Account management: subscriptions (subscriptions.go), contracts
// (contracts.go) and customer plan changes (planchanges.go), and how they
// price usage (usageAmount below).
//
// Each resource is stored as one JSON document, read and written whole,
// beside the columns dripd looks it up by: none of them is queried by any
// other field.

// schemaAccount is the account-management migration.
const schemaAccount = `
CREATE TABLE subscriptions (
	seq         INTEGER PRIMARY KEY,
	id          TEXT NOT NULL UNIQUE,
	customer_id TEXT NOT NULL REFERENCES customers(id),
	status      TEXT NOT NULL,
	doc         TEXT NOT NULL
);
CREATE INDEX subscriptions_customer ON subscriptions(customer_id, seq);
CREATE TABLE contracts (
	seq         INTEGER PRIMARY KEY,
	id          TEXT NOT NULL UNIQUE,
	customer_id TEXT NOT NULL REFERENCES customers(id),
	status      TEXT NOT NULL,
	doc         TEXT NOT NULL
);
CREATE INDEX contracts_customer ON contracts(customer_id, seq);
CREATE TABLE plan_changes (
	seq         INTEGER PRIMARY KEY,
	id          TEXT NOT NULL UNIQUE,
	customer_id TEXT NOT NULL REFERENCES customers(id),
	status      TEXT NOT NULL,
	doc         TEXT NOT NULL
);
CREATE INDEX plan_changes_customer ON plan_changes(customer_id, seq);
`

// accountRoutes registers the subscription, contract and plan-change
// routes. Reading subscriptions works with a public key, as reading other
// billing state does; every write, contracts and plan changes need a
// secret key.
func (s *Server) accountRoutes(api, secret routeFunc) {
	secret("POST /v1/subscriptions", s.createSubscription)
	api("GET /v1/subscriptions", s.listSubscriptions)
	api("GET /v1/subscriptions/{id}", s.getSubscription)
	secret("PATCH /v1/subscriptions/{id}", s.updateSubscription)
	secret("POST /v1/subscriptions/{id}/cancel", s.cancelSubscription)
	secret("POST /v1/subscriptions/{id}/pause", s.pauseSubscription)
	secret("POST /v1/subscriptions/{id}/resume", s.resumeSubscription)

	secret("POST /v1/contracts", s.createContract)
	secret("GET /v1/contracts", s.listContracts)
	secret("GET /v1/contracts/{id}", s.getContract)
	secret("PATCH /v1/contracts/{id}", s.updateContract)
	secret("DELETE /v1/contracts/{id}", s.deleteContract)
	secret("POST /v1/contracts/{id}/overrides", s.addContractOverride)
	secret("DELETE /v1/contracts/{id}/overrides/{unitType}", s.removeContractOverride)

	secret("POST /v1/customers/{id}/plan-changes/pricing", s.changePricing)
	secret("POST /v1/customers/{id}/plan-changes/entitlement", s.changeEntitlement)
	secret("GET /v1/customers/{id}/plan-changes", s.listPlanChanges)
	secret("GET /v1/customers/{id}/plan-changes/{changeId}", s.getPlanChange)
	secret("POST /v1/customers/{id}/plan-changes/{changeId}/rollback", s.rollbackPlanChange)
}

// ID prefixes of account resources.
const (
	prefixSubscription = "sub_"
	prefixContract     = "ctr_"
	prefixPlanChange   = "pc_"
)

// CodeInvalidState is the 409 of a transition a resource's status does not
// allow: resuming a subscription that is not paused, changing a cancelled
// one.
const CodeInvalidState = "INVALID_STATE"

func errInvalidState(format string, args ...any) *apiError {
	return &apiError{status: http.StatusConflict, code: CodeInvalidState, message: fmt.Sprintf(format, args...)}
}

// The account tables, for the document helpers.
const (
	tableSubscriptions = "subscriptions"
	tableContracts     = "contracts"
	tablePlanChanges   = "plan_changes"
)

// putAccountDoc inserts or replaces a resource's document with the
// customer and status columns it is looked up by.
func (t *txn) putAccountDoc(table, id, customerID, status string, doc any) error {
	return t.putDoc(table, id, doc, "customer_id", customerID, "status", status)
}

// docByID reads the document of id.
func docByID[T any](t *txn, table, id string) (T, bool, error) {
	var v T
	ok, err := t.getDoc(table, "id = ?", &v, id)
	return v, ok, err
}

// customerDocs reads the documents matching the optional customer and
// status, in creation order (newest first when newest), with limit (-1:
// all) and offset, and how many match.
func customerDocs[T any](t *txn, table, customerID, status string, newest bool, limit, offset int) ([]T, int, error) {
	where, args := " WHERE 1=1", []any{}
	if customerID != "" {
		where, args = where+" AND customer_id = ?", append(args, customerID)
	}
	if status != "" {
		where, args = where+" AND status = ?", append(args, status)
	}
	var total int
	if err := t.queryRow(`SELECT count(*) FROM `+table+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("dripserver: count %s: %w", table, err)
	}
	order := " ORDER BY seq"
	if newest {
		order += " DESC"
	}
	docs, err := listDocs[T](t, table, where+order+` LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	return docs, total, err
}

// --- the billing period

// billingPeriod is the period a customer's included units and prorations
// count in: the current period of its oldest live subscription, else the
// UTC calendar month holding now.
func (s *service) billingPeriod(t *txn, customerID string, now time.Time) (start, end time.Time, err error) {
	subs, _, err := customerDocs[subscription](t, tableSubscriptions, customerID, "", false, -1, 0)
	if err != nil {
		return start, end, err
	}
	for _, sub := range subs {
		if sub.live() {
			return sub.PeriodStart, sub.PeriodEnd, nil
		}
	}
	start = utcPeriodStart(false, now)
	return start, start.AddDate(0, 1, 0), nil
}

// billedUnits is how much of unitType the customer's usage on the billing
// endpoints came to since from.
func (t *txn) billedUnits(customerID, unitType string, from time.Time) (*big.Rat, error) {
	rows, err := t.query(`SELECT quantity FROM usage_events WHERE customer_id = ? AND usage_type = ? AND created_at >= ?
		AND endpoint IN (?, ?)`, customerID, unitType, from.UnixNano(), endpointUsage, endpointUsageAsync)
	if err != nil {
		return nil, fmt.Errorf("dripserver: sum usage: %w", err)
	}
	defer rows.Close()
	sum := new(big.Rat)
	for rows.Next() {
		var q float64
		if err := rows.Scan(&q); err != nil {
			return nil, fmt.Errorf("dripserver: sum usage: %w", err)
		}
		sum.Add(sum, quantityRat(q))
	}
	return sum, rows.Err()
}

// usageAmount prices a billable usage record, not yet stored, of customer
// c. Without subscriptions or contracts it is quantity × the active plan's
// unit price. Otherwise:
//
//   - the customer's subscriptions are renewed first, so the period is
//     current;
//   - an override of the contract in effect replaces the plan's price (and
//     prices the unit type even without a plan);
//   - the included usage of live subscriptions metering this unit type
//     (overageUnitType) and the contract's includedUnits are free within
//     the billing period: only usage beyond them is charged (overage);
//   - the contract's discountPct comes off the amount.
//
// ok is false when nothing is to be charged: no price, or usage wholly
// within the included amount.
func (s *service) usageAmount(t *txn, c Customer, rec UsageRecord, plan PricingPlan, hasPlan bool) (*big.Rat, bool, error) {
	now := s.now()
	if err := s.advanceCustomer(t, c.ID, now); err != nil {
		return nil, false, err
	}
	ct, hasContract, err := t.contractInEffect(c.ID, now)
	if err != nil {
		return nil, false, err
	}
	price := rat(plan.UnitPrice)
	if hasContract {
		if o, ok := ct.override(rec.UsageType); ok {
			price, hasPlan = rat(o.UnitPrice), true
		}
	}
	if !hasPlan {
		return nil, false, nil
	}
	qty := quantityRat(rec.Quantity)
	included, err := s.includedUnits(t, c.ID, rec.UsageType, ct, hasContract)
	if err != nil {
		return nil, false, err
	}
	if included.Sign() > 0 {
		start, _, err := s.billingPeriod(t, c.ID, now)
		if err != nil {
			return nil, false, err
		}
		used, err := t.billedUnits(c.ID, rec.UsageType, start)
		if err != nil {
			return nil, false, err
		}
		// Overage is what this record takes beyond the allowance: the part
		// of [used, used+qty) above included.
		over := new(big.Rat).Sub(new(big.Rat).Add(used, qty), included)
		if over.Sign() <= 0 {
			return nil, false, nil
		}
		if over.Cmp(qty) < 0 {
			qty = over
		}
	}
	amount := new(big.Rat).Mul(qty, price)
	if hasContract && ct.DiscountPct != "" {
		off := new(big.Rat).Quo(rat(ct.DiscountPct), big.NewRat(percentOf, 1))
		amount.Mul(amount, new(big.Rat).Sub(big.NewRat(1, 1), off))
	}
	return roundUSDC(amount), true, nil
}

// includedUnits is the customer's free allowance of unitType per billing
// period: the included usage of its live subscriptions metering it plus
// the contract's included units.
func (s *service) includedUnits(t *txn, customerID, unitType string, ct contract, hasContract bool) (*big.Rat, error) {
	total := new(big.Rat)
	if hasContract {
		total.Add(total, big.NewRat(ct.IncludedUnits[unitType], 1))
	}
	subs, _, err := customerDocs[subscription](t, tableSubscriptions, customerID, "", false, -1, 0)
	if err != nil {
		return nil, err
	}
	for _, sub := range subs {
		if sub.live() && sub.OverageUnitType == unitType && sub.IncludedUsage != nil {
			total.Add(total, quantityRat(*sub.IncludedUsage))
		}
	}
	return total, nil
}

// chargeCustomer charges amount to c outside usage (a subscription period,
// a proration): a charge whose usageId names what it is for (ref) and
// whose usageEvent is empty. It confirms when the available balance covers
// it (the balance goes down, spending caps count it) and fails otherwise,
// like a usage charge; charge.succeeded or charge.failed is queued.
func (s *service) chargeCustomer(t *txn, c Customer, ref string, amount *big.Rat) (Charge, error) {
	now := s.now()
	bal, err := s.ensureBalance(t, c)
	if err != nil {
		return Charge{}, err
	}
	ch := Charge{ID: newID(prefixCharge), UsageID: ref, CustomerID: c.ID, Amount: usdc(amount), CreatedAt: now}
	available := new(big.Rat).Sub(rat(bal.Balance), rat(bal.Pending))
	if available.Cmp(amount) < 0 {
		ch.Status = ChargeFailed
		ch.FailureReason = fmt.Sprintf("insufficient balance: %s USDC available, charge is %s USDC", usdc(available), ch.Amount)
	} else {
		ch.Status, ch.ConfirmedAt = ChargeConfirmed, now
	}
	if err := t.insertCharge(ch); err != nil {
		return Charge{}, err
	}
	stored, _, err := t.chargeByID(ch.ID)
	if err != nil {
		return Charge{}, err
	}
	if ch.Status == ChargeFailed {
		return stored, s.notify(t, eventChargeFailed, c.ID, "", chargeWire(stored))
	}
	if err := s.notify(t, eventChargeSucceeded, c.ID, "", chargeWire(stored)); err != nil {
		return Charge{}, err
	}
	if err := s.debit(t, c, bal, amount); err != nil {
		return Charge{}, err
	}
	return stored, s.countCaps(t, c, amount, now)
}

// creditCustomer adds amount to c's balance (a proration credit).
func (s *service) creditCustomer(t *txn, c Customer, amount *big.Rat) error {
	bal, err := s.ensureBalance(t, c)
	if err != nil {
		return err
	}
	// debit of a negative amount is a credit, with the low-balance state
	// kept right.
	return s.debit(t, c, bal, new(big.Rat).Neg(amount))
}

// timePtr is an optional time in a reply.
func timePtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := formatTime(t)
	return &s
}
