package dripserver

import (
	"fmt"
	"math/big"
	"net/http"

	"github.com/drip-sdk/drip-go/internal/money"
)

// Billing: pricing plans, charges, balances and spending caps.
//
// Amounts are exact decimals: stored as TEXT, computed with internal/money
// (big.Rat), written in replies with the 6 decimals of USDC. A charge is
// quantity × the unit price of the active plan for the usage type, rounded
// to 6 decimals (halves away from zero).

// schemaBilling is migration 3.
const schemaBilling = `
CREATE TABLE pricing_plans (
	seq           INTEGER PRIMARY KEY,
	id            TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL,
	unit_type     TEXT NOT NULL,
	unit_price    TEXT NOT NULL,
	pricing_model TEXT NOT NULL,
	is_active     INTEGER NOT NULL,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
);
-- Drip allows one active plan per unit type.
CREATE UNIQUE INDEX pricing_plans_active ON pricing_plans(unit_type) WHERE is_active = 1;
CREATE TABLE balances (
	customer_id    TEXT PRIMARY KEY REFERENCES customers(id),
	balance        TEXT NOT NULL,
	pending        TEXT NOT NULL,
	low_notified   INTEGER NOT NULL DEFAULT 0,
	last_synced_at INTEGER
);
CREATE TABLE charges (
	seq            INTEGER PRIMARY KEY,
	id             TEXT NOT NULL UNIQUE,
	usage_id       TEXT NOT NULL,
	customer_id    TEXT NOT NULL REFERENCES customers(id),
	amount         TEXT NOT NULL,
	status         TEXT NOT NULL,
	failure_reason TEXT,
	created_at     INTEGER NOT NULL,
	confirmed_at   INTEGER
);
CREATE INDEX charges_customer ON charges(customer_id, seq);
CREATE TABLE spending_caps (
	seq              INTEGER PRIMARY KEY,
	id               TEXT NOT NULL UNIQUE,
	customer_id      TEXT NOT NULL REFERENCES customers(id),
	cap_type         TEXT NOT NULL,
	limit_value      TEXT NOT NULL,
	auto_block       INTEGER NOT NULL,
	period_start     INTEGER NOT NULL,
	current_usage    TEXT NOT NULL,
	last_alert_level INTEGER,
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL,
	UNIQUE (customer_id, cap_type)
);
`

// DefaultStartingBalance is the USDC balance a customer that can be billed
// starts with (created with an onchainAddress, or provisioned): 100.
const DefaultStartingBalance = "100"

// billingState is the service's billing configuration.
type billingState struct {
	// starting is the balance a billable customer starts with; nil means
	// DefaultStartingBalance.
	starting *big.Rat
}

func (b *billingState) startingBalance() *big.Rat {
	if b.starting == nil {
		r, _ := money.Parse(DefaultStartingBalance)
		return r
	}
	return new(big.Rat).Set(b.starting)
}

// lowBalanceThreshold is 10% of the starting balance: a customer's
// available balance falling below it sends customer.balance.low (once per
// crossing) and marks the customer LOW_BALANCE.
func (b *billingState) lowBalanceThreshold() *big.Rat {
	return new(big.Rat).Quo(b.startingBalance(), big.NewRat(10, 1))
}

// WithStartingBalance sets the USDC balance a customer that can be billed
// starts with (default DefaultStartingBalance): a plain decimal ≥ 0 such as
// "100" or "2.5". It panics on anything else, like regexp.MustCompile:
// check user input with ParseStartingBalance first.
func WithStartingBalance(usdc string) Option {
	r, err := ParseStartingBalance(usdc)
	if err != nil {
		panic(err)
	}
	return func(s *Server) { s.svc.bill.starting = r }
}

// ParseStartingBalance checks a starting balance as WithStartingBalance
// takes it.
func ParseStartingBalance(usdc string) (*big.Rat, error) {
	r, err := money.Parse(usdc)
	if err != nil || r.Sign() < 0 {
		return nil, fmt.Errorf("dripserver: starting balance must be a decimal ≥ 0 such as 100 or 2.5, not %q", usdc)
	}
	return r, nil
}

// billingRoutes registers the pricing-plan, charge, balance, spending-cap
// and cost-estimate routes. Only pricing-plan writes need a secret key.
func (s *Server) billingRoutes(api, secret routeFunc) {
	api("GET /v1/pricing-plans", s.listPricingPlans)
	api("GET /v1/pricing-plans/by-type/{unitType}", s.getPricingPlanByType)
	api("GET /v1/pricing-plans/{id}", s.getPricingPlan)
	secret("POST /v1/pricing-plans", s.createPricingPlan)
	secret("PATCH /v1/pricing-plans/{id}", s.updatePricingPlan)
	secret("DELETE /v1/pricing-plans/{id}", s.deletePricingPlan)

	api("GET /v1/charges", s.listCharges)
	api("GET /v1/charges/{id}", s.getCharge)

	api("GET /v1/customers/{id}/balance", s.getBalance)
	api("POST /v1/customers/{id}/sync-balance", s.syncBalance)
	api("POST /v1/customers/{id}/provision", s.provisionCustomer)
	api("PUT /v1/customers/{id}/spending-cap", s.setSpendingCap)
	api("GET /v1/customers/{id}/spending-caps", s.listSpendingCaps)
	api("DELETE /v1/customers/{id}/spending-caps/{capId}", s.removeSpendingCap)

	api("POST /v1/cost-estimate/from-usage", s.estimateFromUsage)
	api("POST /v1/cost-estimate/hypothetical", s.estimateHypothetical)
}

// ID prefixes of billing resources.
const (
	prefixPlan = "plan_"
	prefixCap  = "cap_"
)

// Billing error codes, as Drip names them.
const (
	CodeDuplicatePricingPlan = "DUPLICATE_PRICING_PLAN"
	CodeCustomerBlocked      = "CUSTOMER_BLOCKED"
	CodeInvalidParameter     = "INVALID_PARAMETER"
	CodeInternalCustomer     = "INTERNAL_CUSTOMER"
)

func errInvalidParameter(field, format string, args ...any) *apiError {
	e := errValidation(field, format, args...)
	e.status, e.code = http.StatusBadRequest, CodeInvalidParameter
	return e
}
