package dripserver

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// Read-only views of a customer's subscriptions and contracts, for the
// dashboard's customer page.
//
// They show what is stored. dripd renews subscriptions lazily (see
// subscriptions.go): the API's reads close the periods that ended and
// charge them, which writes charges, balances and webhooks. A page view
// must not bill anyone, so these views do not renew: a subscription whose
// period ended since it was last read through the API says so with
// RenewalDue, and the next API read (or usage of its customer) renews it.
// Contracts have no such state: one past its end date reads EXPIRED here
// as it does through the API.

// SubscriptionView is a subscription as a page shows it.
type SubscriptionView struct {
	ID, Name, Description string
	Status                string // ACTIVE, TRIALING, PAST_DUE, PAUSED, CANCELLED or EXPIRED
	Interval              string // DAILY, WEEKLY, MONTHLY or ANNUAL
	Price                 string // USDC per interval, 6 decimals
	// PeriodStart and PeriodEnd bound the current period (the trial while
	// TRIALING).
	PeriodStart, PeriodEnd time.Time
	TrialEnd               time.Time // zero without a trial
	CancelAtPeriodEnd      bool
	CancelledAt            time.Time // zero unless cancelled
	PausedAt, ResumesAt    time.Time // zero unless paused (ResumesAt: resumes by itself then)
	// IncludedUsage units of OverageUnitType are free each period; usage
	// beyond is charged at that meter's price. OverageUnitType is "" when
	// the subscription includes no usage.
	IncludedUsage   float64
	OverageUnitType string
	// RenewalDue reports that the current period (or the pause) ended
	// before now and the stored state has not been renewed yet.
	RenewalDue bool
	CreatedAt  time.Time
}

// ContractView is a contract as a page shows it.
type ContractView struct {
	ID, Name             string
	Status               string    // ACTIVE, EXPIRED or CANCELLED, as of now
	StartDate, EndDate   time.Time // EndDate is zero for an open-ended contract
	InEffect             bool      // it is the contract pricing the customer's usage now
	DiscountPct          string    // 0–100 off every usage charge; "" when none
	Minimum, Maximum     string    // USDC; "" when unset (stored, not enforced)
	Prepaid, PrepaidLeft string    // USDC; "" when unset
	IncludedUnits        []IncludedUnits
	Overrides            []PriceOverride
	CreatedAt            time.Time
}

// IncludedUnits is how many units of a meter are free each billing period.
type IncludedUnits struct {
	UnitType string
	Units    int64
}

// PriceOverride is a contract's unit price for one meter, replacing the
// pricing plan's.
type PriceOverride struct {
	UnitType  string
	UnitPrice string // USDC per unit, exact
}

// CustomerSubscriptions returns up to limit (default 50, at most 500) of
// the subscriptions of a customer (its Drip id), newest first, and how
// many it has, as stored (see RenewalDue).
func (s *Store) CustomerSubscriptions(ctx context.Context, customerID string, limit int, now time.Time) (out []SubscriptionView, total int, err error) {
	if customerID == "" {
		return nil, 0, nil // customerDocs would list everyone's
	}
	err = s.view(ctx, func(t *txn) error {
		subs, n, err := customerDocs[subscription](t, tableSubscriptions, customerID, "", true, clampLimit(limit), 0)
		if err != nil {
			return fmt.Errorf("dripserver: subscriptions of %s: %w", customerID, err)
		}
		total, out = n, make([]SubscriptionView, len(subs))
		for i, sub := range subs {
			out[i] = subscriptionView(sub, now)
		}
		return nil
	})
	return out, total, err
}

func subscriptionView(sub subscription, now time.Time) SubscriptionView {
	v := SubscriptionView{ID: sub.ID, Name: sub.Name, Description: sub.Description, Status: sub.Status,
		Interval: sub.Interval, Price: sub.Price, PeriodStart: sub.PeriodStart, PeriodEnd: sub.PeriodEnd,
		TrialEnd: sub.TrialEnd, CancelAtPeriodEnd: sub.CancelAtPeriodEnd, CancelledAt: sub.CancelledAt,
		PausedAt: sub.PausedAt, ResumesAt: sub.ResumesAt, OverageUnitType: sub.OverageUnitType,
		CreatedAt: sub.CreatedAt}
	if sub.IncludedUsage != nil {
		v.IncludedUsage = *sub.IncludedUsage
	}
	// The same conditions advance acts on.
	switch {
	case sub.ended():
	case sub.Status == subPaused:
		v.RenewalDue = !sub.ResumesAt.IsZero() && !now.Before(sub.ResumesAt)
	default:
		v.RenewalDue = !now.Before(sub.PeriodEnd)
	}
	return v
}

// CustomerContracts returns up to limit (default 50, at most 500) of the
// contracts of a customer (its Drip id), newest first, as of now, and how
// many it has.
func (s *Store) CustomerContracts(ctx context.Context, customerID string, limit int, now time.Time) (out []ContractView, total int, err error) {
	if customerID == "" {
		return nil, 0, nil
	}
	err = s.view(ctx, func(t *txn) error {
		cts, n, err := customerDocs[contract](t, tableContracts, customerID, "", true, clampLimit(limit), 0)
		if err != nil {
			return fmt.Errorf("dripserver: contracts of %s: %w", customerID, err)
		}
		// Of several contracts in effect, the latest started prices usage.
		inEffect, has, err := t.contractInEffect(customerID, now)
		if err != nil {
			return fmt.Errorf("dripserver: contracts of %s: %w", customerID, err)
		}
		total, out = n, make([]ContractView, len(cts))
		for i, ct := range cts {
			out[i] = contractView(ct.current(now))
			out[i].InEffect = has && ct.ID == inEffect.ID
		}
		return nil
	})
	return out, total, err
}

func contractView(ct contract) ContractView {
	v := ContractView{ID: ct.ID, Name: ct.Name, Status: ct.Status, StartDate: ct.StartDate, EndDate: ct.EndDate,
		DiscountPct: ct.DiscountPct, Minimum: ct.Minimum, Maximum: ct.Maximum,
		Prepaid: ct.PrepaidAmount, PrepaidLeft: ct.PrepaidBalance, CreatedAt: ct.CreatedAt}
	for unit, n := range ct.IncludedUnits {
		v.IncludedUnits = append(v.IncludedUnits, IncludedUnits{UnitType: unit, Units: n})
	}
	slices.SortFunc(v.IncludedUnits, func(a, b IncludedUnits) int { return cmp.Compare(a.UnitType, b.UnitType) })
	for _, o := range ct.Overrides {
		v.Overrides = append(v.Overrides, PriceOverride(o))
	}
	return v
}
