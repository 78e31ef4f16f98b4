package drip

import "context"

type runKey struct{}
type customerKey struct{}

// ContextWithRun returns a ctx carrying run; integrations record into it.
func ContextWithRun(ctx context.Context, run *Run) context.Context {
	return context.WithValue(ctx, runKey{}, run)
}

// RunFromContext returns the run ctx carries, or nil. A nil *Run is safe
// to call: it records nothing and its methods return ErrNoRun.
func RunFromContext(ctx context.Context) *Run {
	r, _ := ctx.Value(runKey{}).(*Run)
	return r
}

// ContextWithCustomer returns a ctx saying whose usage happens under it:
// the per-request customer of a multi-tenant server. Integrations use it
// when no run is active, and Tracker.Start uses it when
// RunParams.CustomerID is empty.
func ContextWithCustomer(ctx context.Context, customerID string) context.Context {
	return context.WithValue(ctx, customerKey{}, customerID)
}

// CustomerFromContext returns the customer set by ContextWithCustomer, or the
// customer of the run in ctx, or "".
func CustomerFromContext(ctx context.Context) string {
	if c, ok := ctx.Value(customerKey{}).(string); ok && c != "" {
		return c
	}
	if r := RunFromContext(ctx); r != nil {
		return r.params.CustomerID
	}
	return ""
}
