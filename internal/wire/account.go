package wire

import "encoding/json"

// Account shapes: subscriptions, contracts and customer plan changes.
// Amounts in replies are decimal strings in USDC. Request amounts keep the
// JSON type Drip takes: priceUsdc and discountPct of a contract are JSON
// numbers (json.Number here, so no digit is lost), the other amounts are
// decimal strings.

// CreateSubscriptionRequest is the body of POST /subscriptions.
type CreateSubscriptionRequest struct {
	CustomerID      string         `json:"customerId"`
	Name            string         `json:"name"`
	Description     string         `json:"description,omitempty"`
	Interval        string         `json:"interval"`
	PriceUsdc       json.Number    `json:"priceUsdc"`
	Metadata        map[string]any `json:"metadata,omitempty"`
	TrialDays       *int           `json:"trialDays,omitempty"`
	IncludedUsage   *float64       `json:"includedUsage,omitempty"`
	OverageUnitType string         `json:"overageUnitType,omitempty"`
}

// UpdateSubscriptionRequest is the body of PATCH /subscriptions/{id}: only
// the fields sent change.
type UpdateSubscriptionRequest struct {
	Name            *string        `json:"name,omitempty"`
	Description     *string        `json:"description,omitempty"`
	PriceUsdc       json.Number    `json:"priceUsdc,omitempty"`
	Metadata        map[string]any `json:"metadata,omitempty"`
	IncludedUsage   *float64       `json:"includedUsage,omitempty"`
	OverageUnitType *string        `json:"overageUnitType,omitempty"`
}

// CancelSubscriptionRequest is the body of POST /subscriptions/{id}/cancel;
// without immediate the subscription ends at the end of its period.
type CancelSubscriptionRequest struct {
	Immediate *bool `json:"immediate,omitempty"`
}

// PauseSubscriptionRequest is the body of POST /subscriptions/{id}/pause.
type PauseSubscriptionRequest struct {
	ResumeDate string `json:"resumeDate,omitempty"`
}

// Subscription is the subscription resource.
type Subscription struct {
	ID                 string         `json:"id"`
	BusinessID         string         `json:"businessId"`
	CustomerID         string         `json:"customerId"`
	Name               string         `json:"name"`
	Description        *string        `json:"description"`
	Interval           string         `json:"interval"`
	PriceUsdc          string         `json:"priceUsdc"`
	Status             string         `json:"status"`
	CurrentPeriodStart string         `json:"currentPeriodStart"`
	CurrentPeriodEnd   string         `json:"currentPeriodEnd"`
	CancelledAt        *string        `json:"cancelledAt"`
	CancelAtPeriodEnd  bool           `json:"cancelAtPeriodEnd"`
	PausedAt           *string        `json:"pausedAt"`
	ResumesAt          *string        `json:"resumesAt"`
	TrialStart         *string        `json:"trialStart"`
	TrialEnd           *string        `json:"trialEnd"`
	IncludedUsage      *float64       `json:"includedUsage"`
	OverageUnitType    *string        `json:"overageUnitType"`
	Metadata           map[string]any `json:"metadata"`
	CreatedAt          string         `json:"createdAt"`
	UpdatedAt          string         `json:"updatedAt"`
}

// SubscriptionList is the reply of GET /subscriptions.
type SubscriptionList struct {
	Data  []Subscription `json:"data"`
	Count int            `json:"count"`
}

// CreateContractRequest is the body of POST /contracts.
type CreateContractRequest struct {
	CustomerID        string           `json:"customerId"`
	Name              string           `json:"name"`
	StartDate         string           `json:"startDate"`
	EndDate           string           `json:"endDate,omitempty"`
	MinimumUsdc       string           `json:"minimumUsdc,omitempty"`
	MaximumUsdc       string           `json:"maximumUsdc,omitempty"`
	DiscountPct       json.Number      `json:"discountPct,omitempty"`
	PrepaidAmountUsdc string           `json:"prepaidAmountUsdc,omitempty"`
	PrepaidRollover   *bool            `json:"prepaidRollover,omitempty"`
	IncludedUnits     map[string]int64 `json:"includedUnits,omitempty"`
	Metadata          map[string]any   `json:"metadata,omitempty"`
}

// UpdateContractRequest is the body of PATCH /contracts/{id}: only the
// fields sent change.
type UpdateContractRequest struct {
	Name            *string          `json:"name,omitempty"`
	EndDate         string           `json:"endDate,omitempty"`
	MinimumUsdc     string           `json:"minimumUsdc,omitempty"`
	MaximumUsdc     string           `json:"maximumUsdc,omitempty"`
	DiscountPct     json.Number      `json:"discountPct,omitempty"`
	PrepaidRollover *bool            `json:"prepaidRollover,omitempty"`
	IncludedUnits   map[string]int64 `json:"includedUnits,omitempty"`
	Metadata        map[string]any   `json:"metadata,omitempty"`
}

// ContractOverrideRequest is the body of POST /contracts/{id}/overrides.
// The request names the price unitPriceUsd, the reply unitPriceUsdc.
type ContractOverrideRequest struct {
	UnitType     string `json:"unitType"`
	UnitPriceUsd string `json:"unitPriceUsd"`
}

// ContractOverride is a contract's price for one unit type: the reply of
// POST /contracts/{id}/overrides and an element of Contract.Overrides.
type ContractOverride struct {
	UnitType      string `json:"unitType"`
	UnitPriceUsdc string `json:"unitPriceUsdc"`
}

// Contract is the contract resource.
type Contract struct {
	ID                 string             `json:"id"`
	CustomerID         string             `json:"customerId"`
	Name               string             `json:"name"`
	Status             string             `json:"status"`
	StartDate          string             `json:"startDate"`
	EndDate            *string            `json:"endDate"`
	MinimumUsdc        *string            `json:"minimumUsdc"`
	MaximumUsdc        *string            `json:"maximumUsdc"`
	DiscountPct        *json.Number       `json:"discountPct"`
	PrepaidAmountUsdc  *string            `json:"prepaidAmountUsdc"`
	PrepaidBalanceUsdc *string            `json:"prepaidBalanceUsdc"`
	PrepaidRollover    bool               `json:"prepaidRollover"`
	IncludedUnits      map[string]int64   `json:"includedUnits"`
	Metadata           map[string]any     `json:"metadata"`
	Overrides          []ContractOverride `json:"overrides"`
	CreatedAt          string             `json:"createdAt"`
	UpdatedAt          string             `json:"updatedAt"`
}

// ContractList is the reply of GET /contracts.
type ContractList struct {
	Contracts []Contract `json:"contracts"`
}

// ContractDeleteResult is the reply of DELETE /contracts/{id} and
// DELETE /contracts/{id}/overrides/{unitType}.
type ContractDeleteResult struct {
	Success bool `json:"success"`
}

// PriceOverride is one unit price of a pricing plan change.
type PriceOverride struct {
	UnitType     string `json:"unitType"`
	UnitPriceUsd string `json:"unitPriceUsd"`
}

// PricingChangeRequest is the body of
// POST /customers/{id}/plan-changes/pricing. prorationAmountOverride is
// signed: positive charges, negative credits.
type PricingChangeRequest struct {
	SourcePricingPlanIDs    []string         `json:"sourcePricingPlanIds,omitempty"`
	PriceOverrides          []PriceOverride  `json:"priceOverrides,omitempty"`
	ReplaceAll              *bool            `json:"replaceAll,omitempty"`
	DiscountPct             string           `json:"discountPct,omitempty"`
	MinimumUsdc             string           `json:"minimumUsdc,omitempty"`
	MaximumUsdc             string           `json:"maximumUsdc,omitempty"`
	IncludedUnits           map[string]int64 `json:"includedUnits,omitempty"`
	Prorate                 *bool            `json:"prorate,omitempty"`
	ProrationAmountOverride string           `json:"prorationAmountOverride,omitempty"`
	EffectiveDate           string           `json:"effectiveDate,omitempty"`
	Reason                  string           `json:"reason,omitempty"`
	PerformedBy             string           `json:"performedBy,omitempty"`
}

// EntitlementChangeOverride changes one feature of the plan an
// entitlement change assigns.
type EntitlementChangeOverride struct {
	DailyLimit   json.Number `json:"dailyLimit,omitempty"`
	MonthlyLimit json.Number `json:"monthlyLimit,omitempty"`
	Unlimited    *bool       `json:"unlimited,omitempty"`
}

// EntitlementChangeRequest is the body of
// POST /customers/{id}/plan-changes/entitlement.
type EntitlementChangeRequest struct {
	PlanID      string                               `json:"planId"`
	Overrides   map[string]EntitlementChangeOverride `json:"overrides,omitempty"`
	Reason      string                               `json:"reason,omitempty"`
	PerformedBy string                               `json:"performedBy,omitempty"`
}

// RollbackPlanChangeRequest is the body of
// POST /customers/{id}/plan-changes/{changeId}/rollback.
type RollbackPlanChangeRequest struct {
	PerformedBy string `json:"performedBy,omitempty"`
}

// PlanChange is the plan-change resource: one change of a customer's
// pricing or entitlement plan, with what it replaced.
type PlanChange struct {
	ID                   string         `json:"id"`
	BusinessID           string         `json:"businessId"`
	CustomerID           string         `json:"customerId"`
	ChangeType           string         `json:"changeType"`
	Status               string         `json:"status"`
	EffectiveFrom        string         `json:"effectiveFrom"`
	Reason               *string        `json:"reason"`
	PreviousState        map[string]any `json:"previousState"`
	NewState             map[string]any `json:"newState"`
	ProrationAmountUsd   *string        `json:"prorationAmountUsd"`
	ProrationDirection   string         `json:"prorationDirection"`
	ProratedDays         *int           `json:"proratedDays"`
	TotalPeriodDays      *int           `json:"totalPeriodDays"`
	ProrationPeriodStart *string        `json:"prorationPeriodStart"`
	ProrationPeriodEnd   *string        `json:"prorationPeriodEnd"`
	ProrationChargeID    *string        `json:"prorationChargeId"`
	ContractID           *string        `json:"contractId"`
	PerformedBy          *string        `json:"performedBy"`
	CreatedAt            string         `json:"createdAt"`
	UpdatedAt            string         `json:"updatedAt"`
}

// PlanChangeList is the reply of GET /customers/{id}/plan-changes.
type PlanChangeList struct {
	Data  []PlanChange `json:"data"`
	Total int          `json:"total"`
}
