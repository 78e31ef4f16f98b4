package dripserver

import "time"

// Views: read-only queries for dripd's dashboard (package
// dripserver/dashboard). Each is one read transaction of a few aggregate
// queries with a LIMIT; none writes. The store_views*.go files hold them.

// schemaViews is migration 7: indexes for the dashboard's listings, which
// filter runs and usage by customer and time. Run events get none: their
// inserts are dripd's hot path, and the overview scans them once per page.
const schemaViews = `
CREATE INDEX runs_started ON runs(started_at);
CREATE INDEX runs_customer ON runs(customer_id, started_at);
CREATE INDEX usage_events_created ON usage_events(created_at);
CREATE INDEX usage_events_customer ON usage_events(customer_id, created_at);
`

// RunQuery selects runs for a listing; empty fields match everything.
type RunQuery struct {
	Customer string    // a Drip customer id or an externalCustomerId
	Workflow string    // a workflow id or slug
	Status   string    // a run status, e.g. StatusFailed
	From, To time.Time // started in [From, To); zero: unbounded
	Limit    int       // at most this many rows (default 50, at most 500)
	Offset   int
}

// RunRow is a run as a listing shows it: the run with its customer's
// external id and the tokens its events carried.
type RunRow struct {
	Run
	ExternalCustomerID string
	InputTokens        int64
	OutputTokens       int64
}

// UsageQuery selects usage records; empty fields match everything.
type UsageQuery struct {
	Customer  string // a Drip customer id or an externalCustomerId
	UsageType string
	From, To  time.Time // created in [From, To); zero: unbounded
	Limit     int       // default 50, at most 500
	Offset    int
}

// UsageRow is a usage record with its customer's external id.
type UsageRow struct {
	UsageRecord
	ExternalCustomerID string
}

// CustomerRow is a customer with its activity, as a listing shows it.
type CustomerRow struct {
	Customer
	Runs         int
	Cost         float64 // sum of its runs' event costs
	UsageRecords int
	Balance      string // USDC; "" when it has no balance
	LastActive   time.Time
}

// CustomerAccount is what dripd knows of one customer's billing.
type CustomerAccount struct {
	Customer
	Balance, Pending string // USDC; "" when the customer has no balance
	Caps             []SpendingCap
	// Plan is the entitlement plan that applies ("" when none does);
	// Entitlements its rules with this period's usage.
	Plan         string
	Entitlements []EntitlementUse
}

// EntitlementUse is one entitlement rule of a customer and what was used of
// it in the current period.
type EntitlementUse struct {
	Feature   string
	LimitType string // COUNT or AMOUNT
	Period    string // DAILY or MONTHLY
	Used      string
	Limit     string // "" when unlimited
	Remaining string // "" when unlimited
}

// DeliveryRow is a webhook delivery with its endpoint's URL.
type DeliveryRow struct {
	WebhookDelivery
	URL string
}

// OverviewQuery selects the window of an Overview.
type OverviewQuery struct {
	From, To time.Time     // [From, To)
	Bucket   time.Duration // series resolution, e.g. time.Hour
}

// Overview sums what was recorded in a window. Event figures (tokens,
// cost, failures) count run events by their time; run figures count runs
// that started in the window; usage figures count usage records.
type Overview struct {
	OverviewQuery
	Runs, EndedRuns, FailedRuns int
	Events, FailedEvents        int
	InputTokens, OutputTokens   int64
	Cost                        float64 // sum of event costUnits
	UsageRecords                int
	Charged                     float64 // confirmed charges, USDC

	ByModel      []ModelTotals    // by cost, then tokens
	ByMeter      []MeterTotals    // by quantity
	TopCustomers []CustomerTotals // at most 10, by cost, then tokens, then usage

	// Series, one point per bucket start and key that had anything.
	CostByModel     []Point           // key: model ("" for events without one)
	TokensByModel   []Point           // key: model; value: input + output tokens
	UsageByMeter    []Point           // key: usage type; value: quantity
	CostByCustomer  []Point           // key: customer id
	InputTokensAt   []Point           // key ""
	OutputTokensAt  []Point           // key ""
	CustomerDisplay map[string]string // customer id → external id, when it has one
}

// Point is one value of a time series.
type Point struct {
	At    time.Time
	Key   string
	Value float64
}

// ModelTotals sums the events of one model.
type ModelTotals struct {
	Model                     string
	Events                    int
	InputTokens, OutputTokens int64
	Cost                      float64
}

// MeterTotals sums the usage records of one usage type.
type MeterTotals struct {
	Meter    string
	Records  int
	Quantity float64
}

// CustomerTotals sums one customer's activity in a window.
type CustomerTotals struct {
	CustomerID, ExternalCustomerID string
	Runs, Events                   int
	Tokens                         int64
	Cost                           float64
	UsageQuantity                  float64
}

func clampLimit(n int) int {
	if n <= 0 {
		return 50
	}
	return min(n, 500)
}

// timeRange appends the SQL for col in [from, to) to where.
func timeRange(where []string, args []any, col string, from, to time.Time) ([]string, []any) {
	if !from.IsZero() {
		where, args = append(where, col+` >= ?`), append(args, from.UnixNano())
	}
	if !to.IsZero() {
		where, args = append(where, col+` < ?`), append(args, to.UnixNano())
	}
	return where, args
}
