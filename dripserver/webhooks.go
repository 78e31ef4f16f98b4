package dripserver

// Webhooks: endpoints, signed deliveries with retries, health.

// schemaWebhooks is migration 5.
const schemaWebhooks = `SELECT 1;`

// webhookState is the service's webhook configuration and delivery loop.
type webhookState struct{}

// webhookRoutes registers the webhook routes.
func (s *Server) webhookRoutes(api, secret routeFunc) {}

// notify queues a webhook event of type typ for every active endpoint
// subscribed to it, in transaction t, so the delivery is stored (and
// survives a restart) exactly when the change that caused it commits.
// customerID and usageType feed the endpoints' filters.
func (s *service) notify(t *txn, typ, customerID, usageType string, data any) error { return nil }
