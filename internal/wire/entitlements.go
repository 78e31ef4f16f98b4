package wire

import "encoding/json"

// Entitlement limits travel as JSON numbers (limitValue, used, limit,
// remaining); they are json.Number here so neither side loses a digit of an
// AMOUNT limit, which is money.

// EntitlementCheckRequest is the body of POST /entitlements/check.
type EntitlementCheckRequest struct {
	CustomerID string   `json:"customerId"`
	FeatureKey string   `json:"featureKey"`
	Quantity   *float64 `json:"quantity,omitempty"`
}

// EntitlementCheck is the reply of POST /entitlements/check. Limit and
// Remaining are -1 when Unlimited; Reason is set only on a denial.
type EntitlementCheck struct {
	Allowed        bool        `json:"allowed"`
	FeatureKey     string      `json:"featureKey"`
	Remaining      json.Number `json:"remaining"`
	Limit          json.Number `json:"limit"`
	Unlimited      bool        `json:"unlimited"`
	Period         string      `json:"period"`
	PeriodResetsAt string      `json:"periodResetsAt"`
	Reason         string      `json:"reason,omitempty"`
}

// CreateEntitlementPlanRequest is the body of POST /entitlement-plans.
type CreateEntitlementPlanRequest struct {
	Name        string `json:"name"`
	Slug        string `json:"slug"`
	Description string `json:"description,omitempty"`
	IsDefault   *bool  `json:"isDefault,omitempty"`
}

// UpdateEntitlementPlanRequest is the body of PATCH /entitlement-plans/{id}:
// only the fields sent change.
type UpdateEntitlementPlanRequest struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
	IsDefault   *bool   `json:"isDefault,omitempty"`
	IsActive    *bool   `json:"isActive,omitempty"`
}

// EntitlementPlan is the entitlement plan resource.
type EntitlementPlan struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Slug        string  `json:"slug"`
	Description *string `json:"description"`
	IsDefault   bool    `json:"isDefault"`
	IsActive    bool    `json:"isActive"`
	CreatedAt   string  `json:"createdAt"`
	UpdatedAt   string  `json:"updatedAt"`
}

// EntitlementPlanList is the reply of GET /entitlement-plans.
type EntitlementPlanList struct {
	Plans []EntitlementPlan `json:"plans"`
}

// CreateEntitlementRuleRequest is the body of
// POST /entitlement-plans/{id}/rules.
type CreateEntitlementRuleRequest struct {
	FeatureKey string      `json:"featureKey"`
	LimitType  string      `json:"limitType"`
	Period     string      `json:"period"`
	LimitValue json.Number `json:"limitValue,omitempty"`
	Unlimited  *bool       `json:"unlimited,omitempty"`
}

// UpdateEntitlementRuleRequest is the body of PATCH /entitlement-rules/{id}.
type UpdateEntitlementRuleRequest struct {
	LimitValue json.Number `json:"limitValue,omitempty"`
	Unlimited  *bool       `json:"unlimited,omitempty"`
}

// EntitlementRule is a feature rule of an entitlement plan.
type EntitlementRule struct {
	ID         string      `json:"id"`
	PlanID     string      `json:"planId"`
	FeatureKey string      `json:"featureKey"`
	LimitType  string      `json:"limitType"`
	Period     string      `json:"period"`
	LimitValue json.Number `json:"limitValue"`
	Unlimited  bool        `json:"unlimited"`
}

// EntitlementRuleList is the reply of GET /entitlement-plans/{id}/rules.
type EntitlementRuleList struct {
	Rules []EntitlementRule `json:"rules"`
}

// EntitlementOverride changes one rule of a plan for one customer.
type EntitlementOverride struct {
	LimitValue json.Number `json:"limitValue,omitempty"`
	Unlimited  *bool       `json:"unlimited,omitempty"`
}

// AssignEntitlementRequest is the body of PUT /customers/{id}/entitlement.
type AssignEntitlementRequest struct {
	PlanID    string                         `json:"planId"`
	Overrides map[string]EntitlementOverride `json:"overrides,omitempty"`
}

// EntitlementUsage is one feature's use in its current period.
type EntitlementUsage struct {
	Used      json.Number `json:"used"`
	Limit     json.Number `json:"limit"`
	Remaining json.Number `json:"remaining"`
	Period    string      `json:"period"`
}

// CustomerEntitlement is the reply of GET and PUT
// /customers/{id}/entitlement.
type CustomerEntitlement struct {
	PlanID    string                         `json:"planId"`
	PlanName  string                         `json:"planName"`
	PlanSlug  string                         `json:"planSlug"`
	Rules     []EntitlementRule              `json:"rules"`
	Overrides map[string]EntitlementOverride `json:"overrides"`
	Usage     map[string]EntitlementUsage    `json:"usage"`
}

// EntitlementDeleteResult is the reply of DELETE /entitlement-plans/{id}
// and DELETE /entitlement-rules/{id}.
type EntitlementDeleteResult struct {
	Success bool `json:"success"`
}
