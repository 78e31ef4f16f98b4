package drip

// CodeDuplicatePricingPlan is the API's code for a second active pricing
// plan on one unit type (409).
const CodeDuplicatePricingPlan = "DUPLICATE_PRICING_PLAN"

// Billing sentinels for errors.Is.
var (
	// ErrCustomerBlocked matches a call refused because the customer
	// reached a spending cap with autoBlock set (403 CUSTOMER_BLOCKED):
	// the usage was not recorded. ErrForbidden matches it too.
	ErrCustomerBlocked = sentinel(0, "customer blocked by a spending cap", CodeCustomerBlocked)
	// ErrDuplicatePricingPlan matches 409 DUPLICATE_PRICING_PLAN: the unit
	// type already has an active plan (one per unit type); update it, or
	// delete (deactivate) it first.
	ErrDuplicatePricingPlan = sentinel(0, "an active pricing plan exists for this unit type", CodeDuplicatePricingPlan)
)
