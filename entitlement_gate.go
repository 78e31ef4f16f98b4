package drip

import (
	"context"
	"sync"
	"time"
)

// entitlementGate refuses calls a customer is not entitled to, asking Drip
// before each one (CheckEntitlement, quantity 1) or, with a TTL, reusing a
// recent answer. It is the gate WithOpenAIEntitlement installs.
type entitlementGate struct {
	feature  string
	ttl      time.Duration
	client   func() *Client
	customer func(ctx context.Context) string
	now      func() time.Time

	mu    sync.Mutex
	cache map[string]gateDecision // by customer
}

// gateDecision is a cached answer: err is nil for an allow.
type gateDecision struct {
	err   error
	until time.Time
}

// maxGateCache bounds the cached decisions; past it the cache starts over.
const maxGateCache = 10000

// check returns nil when the ctx's customer may use the feature, the
// ErrEntitlementDenied error when Drip denies it, and Drip's error when the
// check itself fails: the gate fails closed, as a billing gate must.
func (g *entitlementGate) check(ctx context.Context) error {
	customer := g.customer(ctx)
	if customer == "" {
		return validationError("CheckEntitlement", "customerId",
			"entitlement gate: no customer (set one on WrapOpenAI or with ContextWithCustomer)")
	}
	if g.ttl > 0 {
		g.mu.Lock()
		d, ok := g.cache[customer]
		g.mu.Unlock()
		if ok && g.now().Before(d.until) {
			return d.err
		}
	}
	res, err := g.client().CheckEntitlement(ctx, customer, g.feature, 1)
	if err != nil {
		return err
	}
	err = res.Err()
	if g.ttl > 0 {
		until := g.now().Add(g.ttl)
		if !res.PeriodResetsAt.IsZero() && res.PeriodResetsAt.Before(until) {
			until = res.PeriodResetsAt // a reset changes the answer: never cache across it
		}
		g.mu.Lock()
		if g.cache == nil || len(g.cache) >= maxGateCache {
			g.cache = make(map[string]gateDecision)
		}
		g.cache[customer] = gateDecision{err: err, until: until}
		g.mu.Unlock()
	}
	return err
}

// recorderGate is the entitlement gate for the calls rec records: the
// customer is the run's, else the ctx's, else rec's.
func recorderGate(rec *UsageRecorder, feature string, ttl time.Duration) *entitlementGate {
	return &entitlementGate{
		feature: feature,
		ttl:     ttl,
		now:     time.Now,
		client: func() *Client {
			if rec.Tracker != nil {
				return rec.Tracker.Client()
			}
			return DefaultTracker().Client()
		},
		customer: func(ctx context.Context) string {
			if run := RunFromContext(ctx); run != nil {
				return run.CustomerID()
			}
			if c := CustomerFromContext(ctx); c != "" {
				return c
			}
			return rec.CustomerID
		},
	}
}
