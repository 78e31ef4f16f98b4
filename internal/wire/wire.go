// Package wire holds the JSON shapes of the Drip API exactly as they travel
// over HTTP. The client (package drip) and the local server (dripserver) both
// use these types, so a field spelled wrong here is wrong on both sides; the
// conformance test against the official Node client is the independent check.
//
// Public drip types map onto these in one place, drip's wiremap.go, and
// dripd's in dripserver/wiremap.go; tests over these struct tags check
// that each mapping handles every field.
package wire

// Error is the error envelope every non-2xx reply carries.
type Error struct {
	Error              string   `json:"error"`
	Message            string   `json:"message"`
	Code               string   `json:"code"`
	Field              string   `json:"field,omitempty"`
	ExistingCustomerID string   `json:"existingCustomerId,omitempty"`
	RetryAfter         *float64 `json:"retryAfter,omitempty"` // seconds
	RequestID          string   `json:"requestId,omitempty"`
}

// Health is the reply of GET {origin}/health.
type Health struct {
	Status    string `json:"status"`
	Timestamp int64  `json:"timestamp"` // Unix milliseconds
}

// Customer is the customer resource.
type Customer struct {
	ID                 string         `json:"id"`
	BusinessID         string         `json:"businessId,omitempty"`
	ExternalCustomerID *string        `json:"externalCustomerId"`
	OnchainAddress     *string        `json:"onchainAddress"`
	IsInternal         bool           `json:"isInternal"`
	Status             string         `json:"status"`
	Metadata           map[string]any `json:"metadata"`
	CreatedAt          string         `json:"createdAt"`
	UpdatedAt          string         `json:"updatedAt"`
}

// CreateCustomerRequest is the body of POST /customers.
type CreateCustomerRequest struct {
	ExternalCustomerID string         `json:"externalCustomerId,omitempty"`
	OnchainAddress     string         `json:"onchainAddress,omitempty"`
	IsInternal         *bool          `json:"isInternal,omitempty"`
	Metadata           map[string]any `json:"metadata,omitempty"`
}

// CustomerList is the reply of GET /customers.
type CustomerList struct {
	Data  []Customer `json:"data"`
	Count int        `json:"count"`
}

// UsageRequest is the body shared by POST /usage, /usage/async,
// /usage/internal and /usage/internal/batch.
type UsageRequest struct {
	CustomerID         string         `json:"customerId,omitempty"`
	ExternalCustomerID string         `json:"externalCustomerId,omitempty"`
	UsageType          string         `json:"usageType,omitempty"`
	Quantity           *float64       `json:"quantity,omitempty"`
	IdempotencyKey     string         `json:"idempotencyKey,omitempty"`
	Units              string         `json:"units,omitempty"`
	Description        string         `json:"description,omitempty"`
	Metadata           map[string]any `json:"metadata,omitempty"`
}

// UsageCharge is the charge object of a billing usage reply.
type UsageCharge struct {
	ID                        string  `json:"id"`
	AmountUsdc                string  `json:"amountUsdc"`
	AmountToken               string  `json:"amountToken"`
	TxHash                    *string `json:"txHash"`
	Status                    string  `json:"status"`
	FailureReason             *string `json:"failureReason,omitempty"`
	EstimatedConfirmationTime string  `json:"estimatedConfirmationTime,omitempty"`
}

// UsageResult is the union of the replies of the four usage endpoints
// (/usage, /usage/async, /usage/internal, /usage/internal/batch).
// Each endpoint fills the fields its reply documents; the rest are omitted.
type UsageResult struct {
	Success        bool         `json:"success"`
	UsageEventID   string       `json:"usageEventId,omitempty"`
	IsDuplicate    bool         `json:"isDuplicate"`
	Charge         *UsageCharge `json:"charge"`
	Mode           string       `json:"mode,omitempty"`
	AutoPromoted   *bool        `json:"autoPromoted,omitempty"`
	Reason         string       `json:"reason,omitempty"`
	CustomerID     string       `json:"customerId,omitempty"`
	UsageType      string       `json:"usageType,omitempty"`
	Quantity       *float64     `json:"quantity,omitempty"`
	IsInternal     *bool        `json:"isInternal,omitempty"`
	IdempotencyKey string       `json:"idempotencyKey,omitempty"`
	PendingEvents  *int         `json:"pendingEvents,omitempty"`
	Message        string       `json:"message,omitempty"`
}

// Workflow is the workflow resource.
type Workflow struct {
	ID             string         `json:"id"`
	Name           string         `json:"name"`
	Slug           string         `json:"slug"`
	ProductSurface string         `json:"productSurface"`
	Chain          *string        `json:"chain"`
	Description    *string        `json:"description"`
	IsActive       bool           `json:"isActive"`
	Metadata       map[string]any `json:"metadata,omitempty"`
	CreatedAt      string         `json:"createdAt"`
}

// CreateWorkflowRequest is the body of POST /workflows.
type CreateWorkflowRequest struct {
	Name           string         `json:"name"`
	Slug           string         `json:"slug"`
	ProductSurface string         `json:"productSurface,omitempty"`
	Description    string         `json:"description,omitempty"`
	Metadata       map[string]any `json:"metadata,omitempty"`
}

// WorkflowList is the reply of GET /workflows.
type WorkflowList struct {
	Data  []Workflow `json:"data"`
	Count int        `json:"count"`
}

// StartRunRequest is the body of POST /runs. WorkflowID takes a workflow id
// or a slug.
type StartRunRequest struct {
	CustomerID    string         `json:"customerId"`
	WorkflowID    string         `json:"workflowId"`
	ExternalRunID string         `json:"externalRunId,omitempty"`
	CorrelationID string         `json:"correlationId,omitempty"`
	ParentRunID   string         `json:"parentRunId,omitempty"`
	Metadata      map[string]any `json:"metadata,omitempty"`
}

// StartRunResult is the reply of POST /runs.
type StartRunResult struct {
	ID            string  `json:"id"`
	CustomerID    string  `json:"customerId"`
	WorkflowID    string  `json:"workflowId"`
	WorkflowName  string  `json:"workflowName"`
	Status        string  `json:"status"`
	CorrelationID *string `json:"correlationId"`
	ExternalRunID *string `json:"externalRunId,omitempty"`
	CreatedAt     string  `json:"createdAt"`
}

// EndRunRequest is the body of PATCH /runs/{id}.
type EndRunRequest struct {
	Status       string         `json:"status"`
	ErrorMessage string         `json:"errorMessage,omitempty"`
	ErrorCode    string         `json:"errorCode,omitempty"`
	Metadata     map[string]any `json:"metadata,omitempty"`
}

// EndRunResult is the reply of PATCH /runs/{id}.
type EndRunResult struct {
	ID             string  `json:"id"`
	Status         string  `json:"status"`
	EndedAt        string  `json:"endedAt"`
	DurationMs     *int64  `json:"durationMs"`
	EventCount     int     `json:"eventCount"`
	TotalCostUnits *string `json:"totalCostUnits"`
}

// RunTotals sums a run's events.
type RunTotals struct {
	EventCount     int    `json:"eventCount"`
	TotalQuantity  string `json:"totalQuantity"`
	TotalCostUnits string `json:"totalCostUnits"`
}

// RunLinks holds the related URLs of a run.
type RunLinks struct {
	Timeline string `json:"timeline"`
}

// RunDetails is the reply of GET /runs/{id}.
type RunDetails struct {
	ID            string         `json:"id"`
	CustomerID    string         `json:"customerId"`
	CustomerName  *string        `json:"customerName"`
	WorkflowID    string         `json:"workflowId"`
	WorkflowName  string         `json:"workflowName"`
	Status        string         `json:"status"`
	StartedAt     *string        `json:"startedAt"`
	EndedAt       *string        `json:"endedAt"`
	DurationMs    *int64         `json:"durationMs"`
	ErrorMessage  *string        `json:"errorMessage"`
	ErrorCode     *string        `json:"errorCode"`
	CorrelationID *string        `json:"correlationId"`
	ParentRunID   *string        `json:"parentRunId,omitempty"`
	ExternalRunID *string        `json:"externalRunId,omitempty"`
	Metadata      map[string]any `json:"metadata"`
	Totals        RunTotals      `json:"totals"`
	Links         RunLinks       `json:"_links"`
}

// RetryChain links the attempts of a retried event.
type RetryChain struct {
	TotalAttempts int      `json:"totalAttempts"`
	FinalOutcome  string   `json:"finalOutcome"`
	Events        []string `json:"events"`
}

// TimelineEvent is one event of a run timeline. Metadata holds usageType,
// quantity and units merged with the metadata the event was sent with.
type TimelineEvent struct {
	ID               string         `json:"id"`
	EventType        string         `json:"eventType"`
	ActionName       *string        `json:"actionName"`
	Outcome          string         `json:"outcome"`
	Explanation      *string        `json:"explanation"`
	Description      *string        `json:"description"`
	Timestamp        string         `json:"timestamp"`
	DurationMs       *int64         `json:"durationMs"`
	ParentEventID    *string        `json:"parentEventId"`
	RetryOfEventID   *string        `json:"retryOfEventId"`
	AttemptNumber    int            `json:"attemptNumber"`
	RetriedByEventID *string        `json:"retriedByEventId"`
	CostUsdc         *string        `json:"costUsdc"`
	CostUnits        *float64       `json:"costUnits"`
	IsRetry          bool           `json:"isRetry"`
	RetryChain       *RetryChain    `json:"retryChain"`
	SpanID           *string        `json:"spanId,omitempty"`
	CorrelationID    *string        `json:"correlationId,omitempty"`
	Metadata         map[string]any `json:"metadata"`
}

// Anomaly is a detected problem in a run.
type Anomaly struct {
	ID              string   `json:"id"`
	Type            string   `json:"type"`
	Severity        string   `json:"severity"`
	Title           string   `json:"title"`
	Explanation     string   `json:"explanation"`
	RelatedEventIDs []string `json:"relatedEventIds"`
	DetectedAt      string   `json:"detectedAt"`
	Status          string   `json:"status"`
}

// TimelineSummary aggregates a whole run (not just the returned page).
type TimelineSummary struct {
	TotalEvents    int            `json:"totalEvents"`
	ByType         map[string]int `json:"byType"`
	ByOutcome      map[string]int `json:"byOutcome"`
	RetriedEvents  int            `json:"retriedEvents"`
	FailedEvents   int            `json:"failedEvents"`
	TotalCostUsdc  *string        `json:"totalCostUsdc"`
	TotalQuantity  string         `json:"totalQuantity"`
	TotalCostUnits string         `json:"totalCostUnits"`
}

// Timeline is the reply of GET /runs/{id}/timeline (the flat shape).
type Timeline struct {
	RunID         string          `json:"runId"`
	WorkflowID    *string         `json:"workflowId"`
	WorkflowName  *string         `json:"workflowName"`
	CustomerID    string          `json:"customerId"`
	CustomerName  *string         `json:"customerName"`
	Status        string          `json:"status"`
	CorrelationID *string         `json:"correlationId"`
	Metadata      map[string]any  `json:"metadata"`
	ErrorMessage  *string         `json:"errorMessage"`
	ErrorCode     *string         `json:"errorCode"`
	StartedAt     *string         `json:"startedAt"`
	EndedAt       *string         `json:"endedAt"`
	DurationMs    *int64          `json:"durationMs"`
	Events        []TimelineEvent `json:"events"`
	Anomalies     []Anomaly       `json:"anomalies"`
	Summary       TimelineSummary `json:"summary"`
	HasMore       bool            `json:"hasMore"`
	NextCursor    *string         `json:"nextCursor"`
}

// RunEvent is one event as sent to POST /run-events and inside
// POST /run-events/batch. CustomerID/WorkflowID stand in for RunID in a
// batch event that has no run.
type RunEvent struct {
	RunID          string         `json:"runId,omitempty"`
	CustomerID     string         `json:"customerId,omitempty"`
	WorkflowID     string         `json:"workflowId,omitempty"`
	EventType      string         `json:"eventType"`
	Quantity       *float64       `json:"quantity,omitempty"`
	Units          string         `json:"units,omitempty"`
	Description    string         `json:"description,omitempty"`
	CostUnits      *float64       `json:"costUnits,omitempty"`
	CostCurrency   string         `json:"costCurrency,omitempty"`
	CorrelationID  string         `json:"correlationId,omitempty"`
	ParentEventID  string         `json:"parentEventId,omitempty"`
	SpanID         string         `json:"spanId,omitempty"`
	IdempotencyKey string         `json:"idempotencyKey,omitempty"`
	Metadata       map[string]any `json:"metadata,omitempty"`
}

// RunEventResult is the reply of POST /run-events.
type RunEventResult struct {
	ID          string   `json:"id"`
	RunID       string   `json:"runId"`
	EventType   string   `json:"eventType"`
	Quantity    float64  `json:"quantity"`
	CostUnits   *float64 `json:"costUnits"`
	IsDuplicate bool     `json:"isDuplicate"`
	Timestamp   string   `json:"timestamp"`
}

// RunEventBatchRequest is the body of POST /run-events/batch.
type RunEventBatchRequest struct {
	Events []RunEvent `json:"events"`
}

// RunEventBatchItem is the per-event result in a batch reply.
type RunEventBatchItem struct {
	ID          string `json:"id"`
	EventType   string `json:"eventType"`
	IsDuplicate bool   `json:"isDuplicate"`
	Skipped     bool   `json:"skipped,omitempty"`
	Reason      string `json:"reason,omitempty"`
}

// RunEventBatchResult is the reply of POST /run-events/batch.
type RunEventBatchResult struct {
	Success    bool                `json:"success"`
	Created    int                 `json:"created"`
	Duplicates int                 `json:"duplicates"`
	Skipped    int                 `json:"skipped"`
	Events     []RunEventBatchItem `json:"events"`
}

// RecordRunEvent is one event of POST /runs/record.
type RecordRunEvent struct {
	EventType   string         `json:"eventType"`
	Quantity    *float64       `json:"quantity,omitempty"`
	Units       string         `json:"units,omitempty"`
	Description string         `json:"description,omitempty"`
	CostUnits   *float64       `json:"costUnits,omitempty"`
	Metadata    map[string]any `json:"metadata,omitempty"`
}

// RecordRunRequest is the body of POST /runs/record. Workflow takes an id or
// a slug; an unknown slug is created.
type RecordRunRequest struct {
	CustomerID    string           `json:"customerId"`
	Workflow      string           `json:"workflow"`
	Events        []RecordRunEvent `json:"events"`
	Status        string           `json:"status"`
	ErrorMessage  string           `json:"errorMessage,omitempty"`
	ErrorCode     string           `json:"errorCode,omitempty"`
	ExternalRunID string           `json:"externalRunId,omitempty"`
	CorrelationID string           `json:"correlationId,omitempty"`
	Metadata      map[string]any   `json:"metadata,omitempty"`
}

// RecordRunRun is the run part of a record-run reply.
type RecordRunRun struct {
	ID           string `json:"id"`
	WorkflowID   string `json:"workflowId"`
	WorkflowName string `json:"workflowName"`
	Status       string `json:"status"`
	DurationMs   *int64 `json:"durationMs"`
}

// RecordRunEvents counts the events of a record-run reply.
type RecordRunEvents struct {
	Created    int `json:"created"`
	Duplicates int `json:"duplicates"`
}

// RecordRunResult is the reply of POST /runs/record.
type RecordRunResult struct {
	Run            RecordRunRun    `json:"run"`
	Events         RecordRunEvents `json:"events"`
	TotalCostUnits *string         `json:"totalCostUnits"`
	Summary        string          `json:"summary"`
}

// Metadata keys the SDK itself writes into event metadata. The server reads
// some of them back (timestamps, durations) so the timeline is exact.
const (
	MetaModel             = "model"
	MetaInputTokens       = "inputTokens"
	MetaOutputTokens      = "outputTokens"
	MetaTotalTokens       = "totalTokens"
	MetaCachedInputTokens = "cachedInputTokens"
	MetaReasoningTokens   = "reasoningTokens"
	MetaName              = "name"
	MetaLatencyMs         = "latencyMs"
	MetaStatus            = "status"
	MetaOccurredAt        = "occurredAt" // RFC 3339 time the event happened on the caller's side
	MetaProvider          = "provider"
	MetaOperation         = "operation"
	MetaUsageType         = "usageType"
	MetaQuantity          = "quantity"
	MetaUnits             = "units"
	// MetaEndedAt, in the metadata of POST /runs/record, is the RFC 3339
	// time the run ended on the caller's side (occurredAt is its start).
	MetaEndedAt = "endedAt"

	// MetaCacheCreationInputTokens is the part of inputTokens written to
	// the provider's prompt cache.
	MetaCacheCreationInputTokens = "cacheCreationInputTokens"
	// MetaAudioInputTokens is the part of inputTokens that was audio;
	// MetaAudioSeconds the input audio of a call billed by duration.
	MetaAudioInputTokens = "audioInputTokens"
	MetaAudioSeconds     = "audioSeconds"
	// MetaCacheCreation1hInputTokens is the part of
	// cacheCreationInputTokens written to a 1-hour cache; MetaWebSearches
	// the web searches the model ran.
	MetaCacheCreation1hInputTokens = "cacheCreation1hInputTokens"
	MetaWebSearches                = "webSearches"
	// MetaServiceTier is the provider's processing tier, when not the
	// standard one.
	MetaServiceTier = "serviceTier"
)
