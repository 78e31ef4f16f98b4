package wire

import "encoding/json"

// Billing shapes: charges, balances, spending caps, pricing plans and cost
// estimates. Money in replies is a decimal string in USDC; the few request
// fields Drip takes as JSON numbers (unitPriceUsd, limitValue) are
// json.Number here, so no digit is lost to a float64 on either side.

// ChargeCustomer is the customer part of a Charge.
type ChargeCustomer struct {
	ID                 string  `json:"id"`
	OnchainAddress     string  `json:"onchainAddress"`
	ExternalCustomerID *string `json:"externalCustomerId"`
}

// ChargeUsageEvent is the usage part of a Charge.
type ChargeUsageEvent struct {
	ID       string         `json:"id"`
	Type     string         `json:"type"`
	Quantity string         `json:"quantity"`
	Metadata map[string]any `json:"metadata"`
}

// Charge is the reply of GET /charges/{id} and the data of the
// charge.succeeded and charge.failed webhook events.
type Charge struct {
	ID            string           `json:"id"`
	UsageID       string           `json:"usageId"`
	CustomerID    string           `json:"customerId"`
	Customer      ChargeCustomer   `json:"customer"`
	UsageEvent    ChargeUsageEvent `json:"usageEvent"`
	AmountUsdc    string           `json:"amountUsdc"`
	AmountToken   string           `json:"amountToken"`
	TxHash        *string          `json:"txHash"`
	BlockNumber   *string          `json:"blockNumber"`
	Status        string           `json:"status"`
	FailureReason *string          `json:"failureReason"`
	CreatedAt     string           `json:"createdAt"`
	ConfirmedAt   *string          `json:"confirmedAt"`
}

// ChargeList is the reply of GET /charges; Count is the number of charges
// matching the filter.
type ChargeList struct {
	Data  []Charge `json:"data"`
	Count int      `json:"count"`
}

// Balance is the reply of GET /customers/{id}/balance.
type Balance struct {
	CustomerID         string  `json:"customerId"`
	OnchainAddress     string  `json:"onchainAddress"`
	BalanceUsdc        string  `json:"balanceUsdc"`
	PendingChargesUsdc string  `json:"pendingChargesUsdc"`
	AvailableUsdc      string  `json:"availableUsdc"`
	LastSyncedAt       *string `json:"lastSyncedAt"`
}

// SyncBalanceResult is the reply of POST /customers/{id}/sync-balance.
type SyncBalanceResult struct {
	Balance string `json:"balance"`
}

// SpendingCapRequest is the body of PUT /customers/{id}/spending-cap.
type SpendingCapRequest struct {
	CapType    string      `json:"capType"`
	LimitValue json.Number `json:"limitValue"`
	AutoBlock  *bool       `json:"autoBlock,omitempty"`
}

// SpendingCap is a customer's spending cap with its usage in the current
// period. LastAlertLevel is "50", "80", "95" or "100".
type SpendingCap struct {
	ID             string  `json:"id"`
	CapType        string  `json:"capType"`
	LimitValue     string  `json:"limitValue"`
	CurrentUsage   string  `json:"currentUsage"`
	PeriodStart    string  `json:"periodStart"`
	IsActive       bool    `json:"isActive"`
	AutoBlock      bool    `json:"autoBlock"`
	LastAlertLevel *string `json:"lastAlertLevel"`
}

// SpendingCapList is the reply of GET /customers/{id}/spending-caps.
type SpendingCapList struct {
	Caps []SpendingCap `json:"caps"`
}

// RemoveSpendingCapResult is the reply of
// DELETE /customers/{id}/spending-caps/{capId}.
type RemoveSpendingCapResult struct {
	Success bool `json:"success"`
}

// PricingPlan is the pricing-plan resource.
type PricingPlan struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	UnitType     string `json:"unitType"`
	UnitPriceUsd string `json:"unitPriceUsd"`
	Currency     string `json:"currency"`
	IsActive     bool   `json:"isActive"`
	PricingModel string `json:"pricingModel"`
	CreatedAt    string `json:"createdAt"`
	UpdatedAt    string `json:"updatedAt"`
}

// PricingPlanList is the reply of GET /pricing-plans.
type PricingPlanList struct {
	Data  []PricingPlan `json:"data"`
	Count int           `json:"count"`
}

// CreatePricingPlanRequest is the body of POST /pricing-plans. Tiers (for
// the TIERED, VOLUME and PACKAGE models) are passed through as objects.
type CreatePricingPlanRequest struct {
	Name         string           `json:"name"`
	UnitType     string           `json:"unitType"`
	UnitPriceUsd json.Number      `json:"unitPriceUsd"`
	IsActive     *bool            `json:"isActive,omitempty"`
	PricingModel string           `json:"pricingModel,omitempty"`
	Tiers        []map[string]any `json:"tiers,omitempty"`
}

// UpdatePricingPlanRequest is the body of PATCH /pricing-plans/{id}.
type UpdatePricingPlanRequest struct {
	Name         string           `json:"name,omitempty"`
	UnitPriceUsd json.Number      `json:"unitPriceUsd,omitempty"`
	IsActive     *bool            `json:"isActive,omitempty"`
	PricingModel string           `json:"pricingModel,omitempty"`
	Tiers        []map[string]any `json:"tiers,omitempty"`
}

// DeletePricingPlanResult is the reply of DELETE /pricing-plans/{id}.
type DeletePricingPlanResult struct {
	Success bool `json:"success"`
}

// EstimateFromUsageRequest is the body of POST /cost-estimate/from-usage.
type EstimateFromUsageRequest struct {
	CustomerID           string            `json:"customerId,omitempty"`
	PeriodStart          string            `json:"periodStart"`
	PeriodEnd            string            `json:"periodEnd"`
	DefaultUnitPrice     string            `json:"defaultUnitPrice,omitempty"`
	IncludeChargedEvents *bool             `json:"includeChargedEvents,omitempty"`
	UsageTypes           []string          `json:"usageTypes,omitempty"`
	CustomPricing        map[string]string `json:"customPricing,omitempty"`
}

// HypotheticalItem is one item of POST /cost-estimate/hypothetical.
type HypotheticalItem struct {
	UsageType         string  `json:"usageType"`
	Quantity          float64 `json:"quantity"`
	UnitPriceOverride string  `json:"unitPriceOverride,omitempty"`
}

// EstimateHypotheticalRequest is the body of
// POST /cost-estimate/hypothetical.
type EstimateHypotheticalRequest struct {
	Items            []HypotheticalItem `json:"items"`
	DefaultUnitPrice string             `json:"defaultUnitPrice,omitempty"`
	CustomPricing    map[string]string  `json:"customPricing,omitempty"`
}

// CostEstimateLineItem is one usage type of a CostEstimate.
type CostEstimateLineItem struct {
	UsageType         string `json:"usageType"`
	Quantity          string `json:"quantity"`
	UnitPrice         string `json:"unitPrice"`
	EstimatedCostUsdc string `json:"estimatedCostUsdc"`
	EventCount        *int   `json:"eventCount,omitempty"`
	HasPricingPlan    bool   `json:"hasPricingPlan"`
}

// CostEstimate is the reply of both cost-estimate endpoints.
type CostEstimate struct {
	BusinessID         string                 `json:"businessId,omitempty"`
	CustomerID         string                 `json:"customerId,omitempty"`
	PeriodStart        string                 `json:"periodStart,omitempty"`
	PeriodEnd          string                 `json:"periodEnd,omitempty"`
	LineItems          []CostEstimateLineItem `json:"lineItems"`
	SubtotalUsdc       string                 `json:"subtotalUsdc"`
	EstimatedTotalUsdc string                 `json:"estimatedTotalUsdc"`
	Currency           string                 `json:"currency"`
	IsEstimate         bool                   `json:"isEstimate"`
	GeneratedAt        string                 `json:"generatedAt"`
	Notes              []string               `json:"notes"`
}
