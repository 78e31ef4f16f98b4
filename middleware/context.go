package middleware

import (
	"context"

	drip "github.com/drip-sdk/drip-go"
)

// Info is what the middleware knows about the request it metered, for the
// handler (FromContext).
type Info struct {
	// CustomerID is the customer the resolver returned.
	CustomerID string
	// Run is the request's run when Config.StartRun is set, else nil. It is
	// also in the context as drip.RunFromContext.
	Run *drip.Run
	// Usage is Drip's reply to the charge in ChargeBefore mode (check
	// Usage.IsDuplicate for a replayed Idempotency-Key); nil in RecordAfter
	// mode, where usage is recorded after the handler returns.
	Usage *drip.UsageResult
	// Entitlement is Drip's answer to the entitlement check of
	// Config.Entitlement (always allowed here: a denied request never
	// reaches the handler); nil without a gate or when FailOpen let the
	// request through unchecked.
	Entitlement *drip.EntitlementCheck
	// IdempotencyKey is the key the usage is recorded with when the client
	// sent an Idempotency-Key header (or, in ChargeBefore mode, always);
	// "" when the tracker generates a fresh one.
	IdempotencyKey string
}

type infoKey struct{}

// FromContext returns the Info of the request ctx belongs to, or nil when
// the request did not go through the middleware or was skipped.
func FromContext(ctx context.Context) *Info {
	i, _ := ctx.Value(infoKey{}).(*Info)
	return i
}
