package mcpserver

// Tool inputs and outputs. JSON names follow the Drip skill reference
// (camelCase); a field without omitempty is required in the inferred
// schema. Descriptions come from the jsonschema tags.

const metadataHelp = "operational context only (model name, tool name, status code, latency): never PII, secrets, credentials, prompts or model outputs; such keys and values are dropped before anything is sent"

// Metadata is free-form operational context.
type Metadata = map[string]any

type pingIn struct{}

type pingOut struct {
	OK        bool   `json:"ok" jsonschema:"true when the API answered and reported itself healthy"`
	Status    string `json:"status" jsonschema:"the API's health status"`
	LatencyMs int64  `json:"latencyMs" jsonschema:"round trip in milliseconds"`
}

type trackUsageIn struct {
	CustomerID     string   `json:"customerId" jsonschema:"Drip customer id, or your own external customer id"`
	Meter          string   `json:"meter" jsonschema:"usage meter, e.g. api_calls or llm_tokens"`
	Quantity       float64  `json:"quantity" jsonschema:"how much was used (≥ 0)"`
	Units          string   `json:"units,omitempty" jsonschema:"unit label, e.g. tokens"`
	Description    string   `json:"description,omitempty" jsonschema:"short human-readable description"`
	Metadata       Metadata `json:"metadata,omitempty" jsonschema:"metadata: operational context only"`
	IdempotencyKey string   `json:"idempotencyKey,omitempty" jsonschema:"reuse the same key when retrying so the usage counts once; generated when empty"`
	Mode           string   `json:"mode,omitempty" jsonschema:"sync (default: bill now), async (queued billing) or internal (visibility only, never billed)"`
}

type chargeOut struct {
	ID            string `json:"id"`
	CustomerID    string `json:"customerId,omitempty"`
	AmountUSDC    string `json:"amountUsdc,omitempty" jsonschema:"amount in USDC, an exact decimal string"`
	Status        string `json:"status,omitempty"`
	Meter         string `json:"meter,omitempty" jsonschema:"the usage type the charge bills"`
	Quantity      string `json:"quantity,omitempty"`
	FailureReason string `json:"failureReason,omitempty"`
	CreatedAt     string `json:"createdAt,omitempty"`
}

type balanceOut struct {
	CustomerID         string `json:"customerId"`
	BalanceUSDC        string `json:"balanceUsdc"`
	PendingChargesUSDC string `json:"pendingChargesUsdc"`
	AvailableUSDC      string `json:"availableUsdc" jsonschema:"balance minus pending charges: what the customer can still spend"`
}

type listChargesIn struct {
	CustomerID string `json:"customerId,omitempty" jsonschema:"only this customer's charges (Drip id)"`
	Status     string `json:"status,omitempty" jsonschema:"only charges with this status"`
	Limit      int    `json:"limit,omitempty" jsonschema:"page size, 1 to 100 (default 100)"`
	Offset     int    `json:"offset,omitempty" jsonschema:"how many charges to skip"`
}

type listChargesOut struct {
	Charges []chargeOut `json:"charges"`
	Count   int         `json:"count"`
}

type checkEntitlementIn struct {
	CustomerID string  `json:"customerId" jsonschema:"Drip customer id"`
	FeatureKey string  `json:"featureKey" jsonschema:"the feature to check, e.g. llm_calls"`
	Quantity   float64 `json:"quantity,omitempty" jsonschema:"how much the customer is about to use (default 1)"`
}

type checkEntitlementOut struct {
	Allowed        bool   `json:"allowed"`
	FeatureKey     string `json:"featureKey"`
	Remaining      string `json:"remaining" jsonschema:"what is left this period; -1 when unlimited"`
	Limit          string `json:"limit" jsonschema:"the period's limit; -1 when unlimited"`
	Unlimited      bool   `json:"unlimited"`
	Period         string `json:"period,omitempty" jsonschema:"DAILY or MONTHLY"`
	PeriodResetsAt string `json:"periodResetsAt,omitempty"`
	Reason         string `json:"reason,omitempty" jsonschema:"why the check was denied"`
}

type trackUsageOut struct {
	Success        bool       `json:"success"`
	UsageEventID   string     `json:"usageEventId,omitempty"`
	IsDuplicate    bool       `json:"isDuplicate" jsonschema:"true when this idempotency key was already recorded: nothing was counted twice"`
	IdempotencyKey string     `json:"idempotencyKey" jsonschema:"the key the usage was sent with; reuse it to retry safely"`
	Charge         *chargeOut `json:"charge,omitempty" jsonschema:"the charge, when the usage was billed"`
	Mode           string     `json:"mode,omitempty"`
	Message        string     `json:"message,omitempty"`
}

// eventIn is one event, with the skill reference's fields.
type eventIn struct {
	EventType      string   `json:"eventType" jsonschema:"event type, e.g. llm.completion, tool.call, agent.step"`
	Model          string   `json:"model,omitempty" jsonschema:"LLM model, for LLM events"`
	InputTokens    int64    `json:"inputTokens,omitempty" jsonschema:"input tokens, for LLM events"`
	OutputTokens   int64    `json:"outputTokens,omitempty" jsonschema:"output tokens, for LLM events"`
	Name           string   `json:"name,omitempty" jsonschema:"tool or step name, for tool events"`
	Duration       float64  `json:"duration,omitempty" jsonschema:"duration in milliseconds"`
	Status         string   `json:"status,omitempty" jsonschema:"success or error"`
	Description    string   `json:"description,omitempty" jsonschema:"short human-readable description"`
	Quantity       float64  `json:"quantity,omitempty" jsonschema:"quantity (default: total tokens for LLM events, else 1)"`
	Units          string   `json:"units,omitempty" jsonschema:"unit label"`
	CostUnits      float64  `json:"costUnits,omitempty" jsonschema:"cost of the event, if known"`
	Metadata       Metadata `json:"metadata,omitempty" jsonschema:"metadata: operational context only"`
	IdempotencyKey string   `json:"idempotencyKey,omitempty" jsonschema:"reuse the same key when retrying so the event counts once; generated when empty"`
}

type recordRunIn struct {
	CustomerID    string    `json:"customerId" jsonschema:"Drip customer id, or your own external customer id"`
	Workflow      string    `json:"workflow" jsonschema:"workflow id or slug (an unknown slug is created), e.g. support-agent"`
	Events        []eventIn `json:"events" jsonschema:"what happened in the run, in order"`
	Status        string    `json:"status" jsonschema:"final status: COMPLETED, FAILED, CANCELLED or TIMEOUT"`
	ErrorMessage  string    `json:"errorMessage,omitempty" jsonschema:"short error message for a failed run: never a stack trace or environment"`
	ErrorCode     string    `json:"errorCode,omitempty"`
	ExternalRunID string    `json:"externalRunId,omitempty" jsonschema:"your id for the run; recording it again counts its events once"`
	CorrelationID string    `json:"correlationId,omitempty" jsonschema:"trace id for distributed tracing"`
	Metadata      Metadata  `json:"metadata,omitempty" jsonschema:"metadata: operational context only"`
}

type recordRunOut struct {
	RunID            string `json:"runId"`
	WorkflowID       string `json:"workflowId,omitempty"`
	WorkflowName     string `json:"workflowName,omitempty"`
	Status           string `json:"status"`
	DurationMs       int64  `json:"durationMs"`
	EventsCreated    int    `json:"eventsCreated"`
	EventsDuplicates int    `json:"eventsDuplicates"`
	TotalCostUnits   string `json:"totalCostUnits,omitempty"`
	Summary          string `json:"summary,omitempty"`
}

type startRunIn struct {
	CustomerID    string   `json:"customerId" jsonschema:"Drip customer id, or your own external customer id"`
	WorkflowID    string   `json:"workflowId" jsonschema:"workflow id or slug (an unknown slug is created)"`
	CorrelationID string   `json:"correlationId,omitempty" jsonschema:"trace id for distributed tracing"`
	ExternalRunID string   `json:"externalRunId,omitempty" jsonschema:"your id for the run; starting it again returns the same run"`
	ParentRunID   string   `json:"parentRunId,omitempty" jsonschema:"the run this one is a step of"`
	Metadata      Metadata `json:"metadata,omitempty" jsonschema:"metadata: operational context only"`
}

type runOut struct {
	ID            string `json:"id"`
	CustomerID    string `json:"customerId"`
	WorkflowID    string `json:"workflowId"`
	WorkflowName  string `json:"workflowName,omitempty"`
	Status        string `json:"status"`
	CorrelationID string `json:"correlationId,omitempty"`
	ExternalRunID string `json:"externalRunId,omitempty"`
	CreatedAt     string `json:"createdAt,omitempty"`
}

type emitEventIn struct {
	RunID string `json:"runId" jsonschema:"run id from drip_start_run"`
	eventIn
}

type eventOut struct {
	ID             string   `json:"id"`
	RunID          string   `json:"runId"`
	EventType      string   `json:"eventType"`
	Quantity       float64  `json:"quantity"`
	CostUnits      *float64 `json:"costUnits,omitempty"`
	IsDuplicate    bool     `json:"isDuplicate" jsonschema:"true when this idempotency key was already recorded"`
	IdempotencyKey string   `json:"idempotencyKey"`
	Timestamp      string   `json:"timestamp,omitempty"`
}

type endRunIn struct {
	RunID        string   `json:"runId" jsonschema:"run id from drip_start_run"`
	Status       string   `json:"status" jsonschema:"final status: COMPLETED, FAILED, CANCELLED or TIMEOUT"`
	ErrorMessage string   `json:"errorMessage,omitempty" jsonschema:"short error message for a failed run: never a stack trace or environment"`
	ErrorCode    string   `json:"errorCode,omitempty"`
	Metadata     Metadata `json:"metadata,omitempty" jsonschema:"metadata: operational context only"`
}

type endRunOut struct {
	ID             string `json:"id"`
	Status         string `json:"status"`
	EndedAt        string `json:"endedAt,omitempty"`
	DurationMs     int64  `json:"durationMs"`
	EventCount     int    `json:"eventCount"`
	TotalCostUnits string `json:"totalCostUnits,omitempty"`
}

type runIDIn struct {
	RunID string `json:"runId" jsonschema:"run id"`
}

type runDetailsOut struct {
	ID             string   `json:"id"`
	CustomerID     string   `json:"customerId"`
	WorkflowID     string   `json:"workflowId"`
	WorkflowName   string   `json:"workflowName,omitempty"`
	Status         string   `json:"status"`
	StartedAt      string   `json:"startedAt,omitempty"`
	EndedAt        string   `json:"endedAt,omitempty"`
	DurationMs     int64    `json:"durationMs"`
	ErrorMessage   string   `json:"errorMessage,omitempty"`
	ErrorCode      string   `json:"errorCode,omitempty"`
	CorrelationID  string   `json:"correlationId,omitempty"`
	Metadata       Metadata `json:"metadata,omitempty"`
	EventCount     int      `json:"eventCount"`
	TotalQuantity  string   `json:"totalQuantity,omitempty"`
	TotalCostUnits string   `json:"totalCostUnits,omitempty"`
}

type timelineIn struct {
	RunID  string `json:"runId" jsonschema:"run id"`
	Limit  int    `json:"limit,omitempty" jsonschema:"page size, 1 to 500 (default 100)"`
	Cursor string `json:"cursor,omitempty" jsonschema:"nextCursor of the previous page"`
}

type timelineEventOut struct {
	ID          string   `json:"id"`
	EventType   string   `json:"eventType"`
	Outcome     string   `json:"outcome,omitempty"`
	Description string   `json:"description,omitempty"`
	Timestamp   string   `json:"timestamp,omitempty"`
	DurationMs  int64    `json:"durationMs,omitempty"`
	CostUnits   *float64 `json:"costUnits,omitempty"`
	Metadata    Metadata `json:"metadata,omitempty"`
}

type timelineSummaryOut struct {
	TotalEvents    int            `json:"totalEvents"`
	ByType         map[string]int `json:"byType,omitempty"`
	ByOutcome      map[string]int `json:"byOutcome,omitempty"`
	FailedEvents   int            `json:"failedEvents"`
	TotalQuantity  string         `json:"totalQuantity,omitempty"`
	TotalCostUnits string         `json:"totalCostUnits,omitempty"`
}

type timelineOut struct {
	RunID        string             `json:"runId"`
	WorkflowName string             `json:"workflowName,omitempty"`
	CustomerID   string             `json:"customerId,omitempty"`
	Status       string             `json:"status"`
	DurationMs   int64              `json:"durationMs"`
	Events       []timelineEventOut `json:"events"`
	Summary      timelineSummaryOut `json:"summary"`
	HasMore      bool               `json:"hasMore"`
	NextCursor   string             `json:"nextCursor,omitempty"`
}

type createCustomerIn struct {
	ExternalCustomerID string   `json:"externalCustomerId,omitempty" jsonschema:"your own user or account id (this or onchainAddress is required)"`
	OnchainAddress     string   `json:"onchainAddress,omitempty" jsonschema:"the customer's Ethereum address, for on-chain billing"`
	IsInternal         bool     `json:"isInternal,omitempty" jsonschema:"a non-billing internal customer"`
	Metadata           Metadata `json:"metadata,omitempty" jsonschema:"metadata: operational context only"`
}

type customerOut struct {
	ID                 string   `json:"id"`
	ExternalCustomerID string   `json:"externalCustomerId,omitempty"`
	OnchainAddress     string   `json:"onchainAddress,omitempty"`
	IsInternal         bool     `json:"isInternal"`
	Status             string   `json:"status,omitempty"`
	Metadata           Metadata `json:"metadata,omitempty"`
	CreatedAt          string   `json:"createdAt,omitempty"`
}

type getCustomerIn struct {
	CustomerID string `json:"customerId" jsonschema:"Drip customer id"`
}

type listCustomersIn struct {
	Limit  int    `json:"limit,omitempty" jsonschema:"page size, 1 to 100 (default 100)"`
	Offset int    `json:"offset,omitempty" jsonschema:"how many customers to skip"`
	Status string `json:"status,omitempty" jsonschema:"only customers with this status: ACTIVE, LOW_BALANCE or PAUSED"`
}

type listCustomersOut struct {
	Customers []customerOut `json:"customers"`
	Count     int           `json:"count"`
}

type listSubscriptionsIn struct {
	CustomerID string `json:"customerId,omitempty" jsonschema:"only this customer's subscriptions (Drip id)"`
	Status     string `json:"status,omitempty" jsonschema:"only subscriptions with this status"`
	Limit      int    `json:"limit,omitempty" jsonschema:"at most this many, 1 to 100 (default 100)"`
}

type subscriptionOut struct {
	ID                 string  `json:"id"`
	CustomerID         string  `json:"customerId"`
	Name               string  `json:"name"`
	Status             string  `json:"status"`
	Interval           string  `json:"interval" jsonschema:"DAILY, WEEKLY, MONTHLY or ANNUAL"`
	PriceUSDC          string  `json:"priceUsdc" jsonschema:"charged at the start of every paid period, an exact decimal string"`
	CurrentPeriodStart string  `json:"currentPeriodStart,omitempty"`
	CurrentPeriodEnd   string  `json:"currentPeriodEnd,omitempty"`
	CancelAtPeriodEnd  bool    `json:"cancelAtPeriodEnd"`
	TrialEnd           string  `json:"trialEnd,omitempty"`
	IncludedUsage      float64 `json:"includedUsage,omitempty" jsonschema:"units of overageUnitType free each period"`
	OverageUnitType    string  `json:"overageUnitType,omitempty"`
}

type listSubscriptionsOut struct {
	Subscriptions []subscriptionOut `json:"subscriptions"`
	Count         int               `json:"count"`
}

type listContractsIn struct {
	CustomerID string `json:"customerId,omitempty" jsonschema:"only this customer's contracts (Drip id)"`
	Status     string `json:"status,omitempty" jsonschema:"only contracts with this status"`
}

type contractOut struct {
	ID             string            `json:"id"`
	CustomerID     string            `json:"customerId"`
	Name           string            `json:"name"`
	Status         string            `json:"status"`
	StartDate      string            `json:"startDate,omitempty"`
	EndDate        string            `json:"endDate,omitempty"`
	MinimumUSDC    string            `json:"minimumUsdc,omitempty"`
	MaximumUSDC    string            `json:"maximumUsdc,omitempty"`
	DiscountPct    string            `json:"discountPct,omitempty"`
	IncludedUnits  map[string]int64  `json:"includedUnits,omitempty" jsonschema:"units per meter free each billing period"`
	PriceOverrides map[string]string `json:"priceOverrides,omitempty" jsonschema:"unit price in USDC per meter, replacing the pricing plan's"`
}

type listContractsOut struct {
	Contracts []contractOut `json:"contracts"`
}
