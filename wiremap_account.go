package drip

// The account shapes' mappings (subscriptions, contracts, plan changes),
// next to wiremap.go's and checked by the same test
// (wiremap_account_test.go).

import (
	"encoding/json"

	"github.com/drip-sdk/drip-go/internal/wire"
)

func subscriptionFromWire(w *wire.Subscription) *Subscription {
	return &Subscription{ID: w.ID, CustomerID: w.CustomerID, Name: w.Name, Description: deref(w.Description),
		Interval: BillingInterval(w.Interval), Price: parseDecimal(w.PriceUsdc), Status: SubscriptionStatus(w.Status),
		CurrentPeriodStart: parseTime(w.CurrentPeriodStart), CurrentPeriodEnd: parseTime(w.CurrentPeriodEnd),
		CancelAtPeriodEnd: w.CancelAtPeriodEnd, CancelledAt: parseTimePtr(w.CancelledAt), PausedAt: parseTimePtr(w.PausedAt),
		ResumesAt: parseTimePtr(w.ResumesAt), TrialStart: parseTimePtr(w.TrialStart), TrialEnd: parseTimePtr(w.TrialEnd),
		IncludedUsage: w.IncludedUsage, OverageUnitType: deref(w.OverageUnitType), Metadata: w.Metadata,
		CreatedAt: parseTime(w.CreatedAt), UpdatedAt: parseTime(w.UpdatedAt)}
}

// optDecimal is an optional amount the API sends as a decimal string.
func optDecimal(s *string) *Decimal {
	if s == nil {
		return nil
	}
	d := parseDecimal(*s)
	return &d
}

func numberDecimalPtr(n *json.Number) *Decimal {
	if n == nil {
		return nil
	}
	d := decimalFromNumber(*n)
	return &d
}

func contractFromWire(w *wire.Contract) *Contract {
	ct := &Contract{ID: w.ID, CustomerID: w.CustomerID, Name: w.Name, Status: ContractStatus(w.Status),
		StartDate: parseTime(w.StartDate), EndDate: parseTimePtr(w.EndDate), Minimum: optDecimal(w.MinimumUsdc),
		Maximum: optDecimal(w.MaximumUsdc), DiscountPct: numberDecimalPtr(w.DiscountPct),
		PrepaidAmount: optDecimal(w.PrepaidAmountUsdc), PrepaidBalance: optDecimal(w.PrepaidBalanceUsdc),
		PrepaidRollover: w.PrepaidRollover, IncludedUnits: w.IncludedUnits, Metadata: w.Metadata,
		Overrides: make([]ContractPriceOverride, len(w.Overrides)), CreatedAt: parseTime(w.CreatedAt),
		UpdatedAt: parseTime(w.UpdatedAt)}
	for i, o := range w.Overrides {
		ct.Overrides[i] = ContractPriceOverride{UnitType: o.UnitType, UnitPrice: parseDecimal(o.UnitPriceUsdc)}
	}
	return ct
}

func planChangeFromWire(w *wire.PlanChange) *PlanChange {
	pc := &PlanChange{ID: w.ID, CustomerID: w.CustomerID, ChangeType: PlanChangeType(w.ChangeType),
		Status: PlanChangeStatus(w.Status), EffectiveFrom: parseTime(w.EffectiveFrom), Reason: deref(w.Reason),
		PreviousState: w.PreviousState, NewState: w.NewState, ProrationAmount: optDecimal(w.ProrationAmountUsd),
		ProrationDirection: ProrationDirection(w.ProrationDirection), ProrationPeriodStart: parseTimePtr(w.ProrationPeriodStart),
		ProrationPeriodEnd: parseTimePtr(w.ProrationPeriodEnd), ProrationChargeID: deref(w.ProrationChargeID),
		ContractID: deref(w.ContractID), PerformedBy: deref(w.PerformedBy), CreatedAt: parseTime(w.CreatedAt),
		UpdatedAt: parseTime(w.UpdatedAt)}
	if w.ProratedDays != nil {
		pc.ProratedDays = *w.ProratedDays
	}
	if w.TotalPeriodDays != nil {
		pc.TotalPeriodDays = *w.TotalPeriodDays
	}
	return pc
}
