package dripserver

import "time"

// Customer is a stored customer, as the read helpers return it.
type Customer struct {
	ID                 string
	ExternalCustomerID string // "" when unset
	OnchainAddress     string // "" when unset
	IsInternal         bool
	Status             string
	Metadata           map[string]any
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Workflow is a stored workflow.
type Workflow struct {
	ID             string
	Name           string
	Slug           string
	ProductSurface string
	Description    string
	Metadata       map[string]any
	CreatedAt      time.Time
}

// UsageRecord is one stored usage event, written by any of the four usage
// endpoints.
type UsageRecord struct {
	ID             string
	CustomerID     string
	UsageType      string
	Quantity       float64
	Units          string
	Description    string
	IdempotencyKey string
	Metadata       map[string]any
	Endpoint       string // "usage", "usage/async", "usage/internal" or "usage/internal/batch"
	ChargeID       string // "" when the write was internal (no charge)
	CreatedAt      time.Time
}

// Run is a stored run with its totals.
type Run struct {
	ID             string
	CustomerID     string
	WorkflowID     string
	WorkflowName   string
	Status         string
	ExternalRunID  string
	CorrelationID  string
	ParentRunID    string
	ErrorMessage   string
	ErrorCode      string
	Metadata       map[string]any
	StartedAt      time.Time
	EndedAt        time.Time // zero while the run is not ended
	EventCount     int
	TotalQuantity  float64
	TotalCostUnits float64
	HasCost        bool // at least one event carried costUnits
}

// Ended reports whether the run has a terminal status.
func (r Run) Ended() bool { return !r.EndedAt.IsZero() }

// Event is one stored run event.
type Event struct {
	ID             string
	RunID          string
	EventType      string
	Quantity       float64
	Units          string
	Description    string
	CostUnits      *float64
	CostCurrency   string
	CorrelationID  string
	ParentEventID  string
	SpanID         string
	IdempotencyKey string
	// Metadata is the metadata the event was sent with, unmodified.
	Metadata   map[string]any
	Timestamp  time.Time // the caller's occurredAt when it sent one, else arrival time
	Outcome    string    // SUCCESS or FAILED
	DurationMs *int64    // from metadata latencyMs
	Seq        int64     // insertion order within its run; ties on Timestamp are broken by it
}

// Run statuses.
const (
	StatusPending   = "PENDING"
	StatusRunning   = "RUNNING"
	StatusCompleted = "COMPLETED"
	StatusFailed    = "FAILED"
	StatusCancelled = "CANCELLED"
	StatusTimeout   = "TIMEOUT"
)

// Event outcomes.
const (
	OutcomeSuccess = "SUCCESS"
	OutcomeFailed  = "FAILED"
)
