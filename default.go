package drip

import (
	"context"
	"sync"
)

// The default client is the one piece of package state: built lazily from
// the environment (DRIP_API_KEY, DRIP_API_URL, DRIP_BASE_URL) on first use,
// like the `drip` singleton of the other Drip SDKs.
var (
	defaultMu     sync.Mutex
	defaultClient *Client
)

// Default returns the default client, building it from the environment on
// first use. It never returns nil: when the environment is incomplete (no
// DRIP_API_KEY) the client returns that configuration error from every call.
func Default() *Client {
	defaultMu.Lock()
	defer defaultMu.Unlock()
	if defaultClient == nil {
		c, err := New()
		if err != nil {
			c = &Client{initErr: err, guard: newMetadataFilter(MetadataGuard{})}
		}
		defaultClient = c
	}
	return defaultClient
}

// SetDefault replaces the default client used by the package-level
// functions and DefaultTracker; nil resets it to be rebuilt from the
// environment.
func SetDefault(c *Client) {
	defaultMu.Lock()
	defaultClient = c
	defaultMu.Unlock()
}

// Ping calls Default().Ping.
func Ping(ctx context.Context) (*PingResult, error) { return Default().Ping(ctx) }

// Verify calls Default().Verify.
func Verify(ctx context.Context) error { return Default().Verify(ctx) }

// TrackUsage calls Default().TrackUsage.
func TrackUsage(ctx context.Context, p UsageParams) (*UsageResult, error) {
	return Default().TrackUsage(ctx, p)
}

// RecordRun calls Default().RecordRun.
func RecordRun(ctx context.Context, p RecordRunParams) (*RecordRunResult, error) {
	return Default().RecordRun(ctx, p)
}

// EmitEvent calls Default().EmitEvent.
func EmitEvent(ctx context.Context, e Event) (*EventResult, error) {
	return Default().EmitEvent(ctx, e)
}

// EndRun calls Default().EndRun.
func EndRun(ctx context.Context, runID string, p EndRunParams) (*EndRunResult, error) {
	return Default().EndRun(ctx, runID, p)
}

// GetRun calls Default().GetRun.
func GetRun(ctx context.Context, runID string) (*RunDetails, error) {
	return Default().GetRun(ctx, runID)
}

// CreateCustomer calls Default().CreateCustomer.
func CreateCustomer(ctx context.Context, p CustomerParams) (*Customer, error) {
	return Default().CreateCustomer(ctx, p)
}

// GetCustomer calls Default().GetCustomer.
func GetCustomer(ctx context.Context, id string) (*Customer, error) {
	return Default().GetCustomer(ctx, id)
}

// StartRun calls Default().StartRun.
func StartRun(ctx context.Context, p RunParams) (*RunInfo, error) { return Default().StartRun(ctx, p) }

// EmitEventsBatch calls Default().EmitEventsBatch.
func EmitEventsBatch(ctx context.Context, events []Event) (*BatchResult, error) {
	return Default().EmitEventsBatch(ctx, events)
}

// GetRunTimeline calls Default().GetRunTimeline.
func GetRunTimeline(ctx context.Context, runID string, p *TimelineParams) (*Timeline, error) {
	return Default().GetRunTimeline(ctx, runID, p)
}

// ListCustomers calls Default().ListCustomers.
func ListCustomers(ctx context.Context, p *ListCustomersParams) (*CustomerList, error) {
	return Default().ListCustomers(ctx, p)
}

// GetOrCreateCustomer calls Default().GetOrCreateCustomer.
func GetOrCreateCustomer(ctx context.Context, externalID string, metadata map[string]any) (*Customer, error) {
	return Default().GetOrCreateCustomer(ctx, externalID, metadata)
}
