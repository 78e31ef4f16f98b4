package wire

// Execution events: GET /events, /events/{id} and /events/{id}/trace read
// back what runs recorded, one event at a time and across runs.

// ExecutionEvent is one recorded event as the execution-event endpoints
// return it. The official clients read id, customerId, runId, eventType,
// outcome, explanation, createdAt and metadata; parentEventId, spanId,
// quantity and units are dripd's additions, which they ignore.
type ExecutionEvent struct {
	ID            string         `json:"id"`
	CustomerID    string         `json:"customerId"`
	RunID         string         `json:"runId,omitempty"`
	EventType     string         `json:"eventType"`
	Outcome       string         `json:"outcome"`
	Explanation   *string        `json:"explanation,omitempty"`
	CreatedAt     string         `json:"createdAt"`
	Metadata      map[string]any `json:"metadata,omitempty"`
	ParentEventID string         `json:"parentEventId,omitempty"`
	SpanID        string         `json:"spanId,omitempty"`
	Quantity      *float64       `json:"quantity,omitempty"`
	Units         string         `json:"units,omitempty"`
}

// ExecutionEventList is the reply of GET /events. Total counts every event
// matching the filters, not just this page.
type ExecutionEventList struct {
	Data   []ExecutionEvent `json:"data"`
	Total  int              `json:"total"`
	Limit  int              `json:"limit"`
	Offset int              `json:"offset"`
}

// EventTrace is the reply of GET /events/{id}/trace. Ancestors run from the
// root to the event's parent; every list is [] when empty, never null.
type EventTrace struct {
	EventID    string           `json:"eventId"`
	Ancestors  []ExecutionEvent `json:"ancestors"`
	Children   []ExecutionEvent `json:"children"`
	RetryChain []ExecutionEvent `json:"retryChain"`
}

// MetaRetryOfEventID, in an event's metadata, names the earlier attempt
// (its event id or span id, in the same run) that this event retries;
// dripd builds retry chains from it.
const MetaRetryOfEventID = "retryOfEventId"
