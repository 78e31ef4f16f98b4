package drip

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
	"github.com/drip-sdk/drip-go/providers/pricing"
)

// Event types drip-go emits. They match the official integrations so
// dashboards read the same across languages.
const (
	EventLLMCompletion  = "llm.completion"
	EventLLMError       = "llm.error"
	EventToolCall       = "tool.call"
	EventToolError      = "tool.error"
	EventChainExecution = "chain.execution"
	EventChainError     = "chain.error"
	EventAgentAction    = "agent.action"
	EventAgentFinish    = "agent.finish"
	EventRetrieverQuery = "retriever.query"
	EventRetrieverError = "retriever.error"
	EventHTTPRequest    = "http.request"
)

// Event status values.
const (
	StatusSuccess = "success"
	StatusError   = "error"
)

// Event is one thing that happened in a run: an LLM call, a tool call, a
// step. Typed fields become top-level wire fields or SDK metadata keys
// (model, inputTokens, outputTokens, totalTokens, cachedInputTokens,
// reasoningTokens, name, latencyMs, status, occurredAt, provider,
// operation); Metadata passes the MetadataGuard and never overrides an SDK
// key.
//
// Conventions the tracker and the client apply before sending (see
// withDefaults): an event with tokens and no Quantity counts its tokens
// (units "tokens"); an LLM event without a Description is described by its
// model; a zero Quantity with no Units is left to the API's default (1).
//
// Limits (see limits.go), checked by Run.Emit and every client call before
// anything is queued or sent: Type, RunID, IdempotencyKey, SpanID,
// ParentEventID, CorrelationID and Units at most MaxIDLength bytes,
// Description at most MaxDescriptionLength, all valid UTF-8; Quantity,
// CostUnits and token counts finite, >= 0 and at most MaxQuantity;
// Metadata at most MaxMetadataKeys keys and MaxMetadataBytes as JSON.
type Event struct {
	// RunID is the run the event belongs to. Run.Emit sets it.
	RunID string
	// Type is the event type, e.g. EventLLMCompletion. Required.
	Type string

	Model string
	// Provider and Operation say which API served an LLM event ("openai",
	// "chat"); they travel in metadata.
	Provider          string
	Operation         string
	InputTokens       int64
	OutputTokens      int64
	CachedInputTokens int64
	ReasoningTokens   int64
	// CacheCreationInputTokens is the part of InputTokens written to the
	// provider's prompt cache (Anthropic), priced at the cache-write rate.
	CacheCreationInputTokens int64
	// CacheCreation1hInputTokens is the part of CacheCreationInputTokens
	// written to a cache kept for an hour, priced at the 1-hour rate.
	CacheCreation1hInputTokens int64
	// WebSearches is how many web searches the model ran as a server tool,
	// priced per search.
	WebSearches int64
	// AudioInputTokens is the part of InputTokens that was audio (OpenAI's
	// transcription and audio models), priced at the model's audio rate.
	AudioInputTokens int64
	// AudioSeconds is the input audio of a call billed by duration
	// (whisper-1); LLMEvent makes it the Quantity, in "seconds", of a call
	// without tokens.
	AudioSeconds float64
	// ServiceTier is the provider's processing tier for the call, as its
	// reply names it; the tokens of the flex and batch tiers are priced at
	// half the standard price, those of OpenAI's priority tier at the
	// model's priority prices. A standard tier ("default", "standard") is
	// not sent.
	ServiceTier string

	// Name is the tool, chain or step name.
	Name     string
	Duration time.Duration
	// Status is StatusSuccess or StatusError.
	Status      string
	Description string

	Quantity float64
	Units    string
	// CostUnits is what the event cost, sent as a JSON number (the API
	// takes event costs as numbers), so it is a float64 on the way in;
	// costs read back (timelines, run totals) are exact Decimals.
	CostUnits float64

	// Metadata holds operational context only (ids, counts, names): never
	// prompts, completions, PII or secrets. The MetadataGuard enforces it.
	Metadata map[string]any

	IdempotencyKey string
	SpanID         string
	ParentEventID  string
	CorrelationID  string
	// Timestamp is when the event happened; zero means when it was emitted.
	Timestamp time.Time
}

// Cost is what the event's counts cost at t's price for its model (nil t:
// pricing.Default()): its tokens, cache reads and writes, audio, web
// searches and service tier, as pricing.Price.CostTokens applies them. ok
// is false when t has no price for the model. The tracker prices LLM
// events that carry no cost this way (WithPricing).
func (e *Event) Cost(t *pricing.Table) (usd float64, ok bool) {
	return t.CostTokens(e.Model, pricing.Tokens{Input: e.InputTokens, CachedInput: e.CachedInputTokens,
		CacheWriteInput: e.CacheCreationInputTokens, CacheWrite1hInput: e.CacheCreation1hInputTokens,
		AudioInput: e.AudioInputTokens, Output: e.OutputTokens, AudioSeconds: e.AudioSeconds,
		WebSearches: e.WebSearches, ServiceTier: e.ServiceTier})
}

// withDefaults applies the conventions documented on Event. It runs off
// the caller's path (on the exporter, or in the synchronous client call).
func (e *Event) withDefaults() {
	tokens := e.InputTokens + e.OutputTokens
	if e.Quantity == 0 && tokens > 0 {
		e.Quantity = float64(tokens)
		if e.Units == "" {
			e.Units = "tokens"
		}
	}
	if e.Description == "" && e.Model != "" {
		switch e.Type {
		case EventLLMCompletion:
			e.Description = truncateBytes("LLM call to "+e.Model, MaxDescriptionLength)
		case EventLLMError:
			e.Description = truncateBytes("LLM error: "+e.Model, MaxDescriptionLength)
		}
	}
}

// validate runs on every Emit, on the caller's goroutine: a few compares
// and short UTF-8 scans for a valid event, no allocation. The limits are in
// limits.go.
func (e *Event) validate(op string, needRun bool) error {
	if needRun && blank(e.RunID) {
		return validationError(op, "runId", "run id is required")
	}
	if blank(e.Type) {
		return validationError(op, "eventType", "event type is required")
	}
	if !quantityOK(e.Quantity) {
		return checkQuantity(op, "quantity", e.Quantity)
	}
	if !quantityOK(e.CostUnits) {
		return checkQuantity(op, "costUnits", e.CostUnits)
	}
	if !quantityOK(e.AudioSeconds) {
		return checkQuantity(op, "audioSeconds", e.AudioSeconds)
	}
	// A negative count wraps to a huge unsigned one: one compare each.
	if uint64(e.InputTokens) > uint64(maxTokens) || uint64(e.OutputTokens) > uint64(maxTokens) ||
		uint64(e.CachedInputTokens) > uint64(maxTokens) || uint64(e.ReasoningTokens) > uint64(maxTokens) ||
		uint64(e.CacheCreationInputTokens) > uint64(maxTokens) || uint64(e.AudioInputTokens) > uint64(maxTokens) ||
		uint64(e.CacheCreation1hInputTokens) > uint64(maxTokens) || uint64(e.WebSearches) > uint64(maxTokens) ||
		e.InputTokens+e.OutputTokens > maxTokens {
		return e.tokenError(op)
	}
	switch e.Status {
	case "", StatusSuccess, StatusError:
	default:
		return validationError(op, "status", `status must be "success" or "error"`)
	}
	if badString(e.Type, MaxIDLength) || badString(e.RunID, MaxIDLength) ||
		badString(e.IdempotencyKey, MaxIDLength) || badString(e.CorrelationID, MaxIDLength) ||
		badString(e.SpanID, MaxIDLength) || badString(e.ParentEventID, MaxIDLength) ||
		badString(e.Units, MaxIDLength) || badString(e.ServiceTier, MaxIDLength) ||
		badString(e.Description, MaxDescriptionLength) {
		return e.stringError(op)
	}
	if len(e.Metadata) > 0 {
		return checkMetadata(op, "metadata", e.Metadata)
	}
	return nil
}

// stringError names the first bad string field; only called on failure.
func (e *Event) stringError(op string) error {
	if err := checkIDs(op, "eventType", e.Type, "runId", e.RunID, "idempotencyKey", e.IdempotencyKey,
		"correlationId", e.CorrelationID, "spanId", e.SpanID, "parentEventId", e.ParentEventID,
		"units", e.Units, "serviceTier", e.ServiceTier); err != nil {
		return err
	}
	return checkString(op, "description", e.Description, MaxDescriptionLength)
}

// tokenError names the first bad token count; only called on failure.
func (e *Event) tokenError(op string) error {
	for _, f := range []struct {
		name string
		n    int64
	}{{"inputTokens", e.InputTokens}, {"outputTokens", e.OutputTokens},
		{"cachedInputTokens", e.CachedInputTokens}, {"reasoningTokens", e.ReasoningTokens},
		{"cacheCreationInputTokens", e.CacheCreationInputTokens}, {"audioInputTokens", e.AudioInputTokens},
		{"cacheCreation1hInputTokens", e.CacheCreation1hInputTokens}, {"webSearches", e.WebSearches}} {
		if f.n < 0 {
			return validationError(op, f.name, f.name+" must be >= 0")
		}
		if f.n > maxTokens {
			return validationError(op, f.name, f.name+" must be at most 1e15")
		}
	}
	return validationError(op, "outputTokens", "inputTokens + outputTokens must be at most 1e15")
}

// blank reports whether s is empty or white space.
func blank(s string) bool { return strings.TrimSpace(s) == "" }

// EventResult is the reply to EmitEvent.
type EventResult struct {
	ID          string
	RunID       string
	Type        string
	Quantity    float64
	CostUnits   *float64
	IsDuplicate bool
	Timestamp   time.Time
	// IdempotencyKey is the key the event was sent with.
	IdempotencyKey string
}

// BatchResult is the reply to EmitEventsBatch.
type BatchResult struct {
	Created    int
	Duplicates int
	Skipped    int
	Events     []BatchEventResult
}

// BatchEventResult is one event's fate in a batch.
type BatchEventResult struct {
	ID          string
	Type        string
	IsDuplicate bool
	Skipped     bool
	Reason      string
}

// EmitEvent records one event in a run (POST /run-events). The event's
// IdempotencyKey, or one generated for this call, makes retries safe.
func (c *Client) EmitEvent(ctx context.Context, e Event) (*EventResult, error) {
	const op = "EmitEvent"
	if err := e.validate(op, true); err != nil {
		return nil, err
	}
	if e.IdempotencyKey == "" {
		e.IdempotencyKey = newKey(keyPrefixEvent)
	}
	if e.Timestamp.IsZero() {
		e.Timestamp = time.Now()
	}
	e.withDefaults()
	body := c.eventToWire(&e)
	if err := checkMetadataEncoded(op, "metadata", body.Metadata); err != nil {
		return nil, err
	}
	var out wire.RunEventResult
	if _, err := c.do(ctx, request{op: op, method: "POST", path: "/run-events", body: &body, out: &out}); err != nil {
		return nil, err
	}
	res := eventResultFromWire(&out)
	res.IdempotencyKey = e.IdempotencyKey
	return res, nil
}

// EmitEventsBatch records events, possibly of several runs, in one request
// (POST /run-events/batch). Events without an IdempotencyKey get one, set
// in the given slice, so a caller that retries the whole batch reuses them.
func (c *Client) EmitEventsBatch(ctx context.Context, events []Event) (*BatchResult, error) {
	ptrs := make([]*Event, len(events))
	for i := range events {
		ptrs[i] = &events[i]
	}
	var out wire.RunEventBatchResult
	if err := c.emitBatch(ctx, ptrs, &out); err != nil {
		return nil, err
	}
	return batchResultFromWire(&out), nil
}

// emitBatch validates, keys and sends events, decoding the reply into out.
// Generated keys are written to the events, so a retry reuses them.
func (c *Client) emitBatch(ctx context.Context, events []*Event, out any) error {
	const op = "EmitEventsBatch"
	if len(events) == 0 {
		return nil
	}
	now := time.Now()
	body := wire.RunEventBatchRequest{Events: make([]wire.RunEvent, len(events))}
	for i, e := range events {
		if err := e.validate(op, true); err != nil {
			err.(*Error).Field = "events[" + strconv.Itoa(i) + "]." + err.(*Error).Field
			return err
		}
		if e.IdempotencyKey == "" {
			e.IdempotencyKey = newKey(keyPrefixEvent)
		}
		if e.Timestamp.IsZero() {
			e.Timestamp = now
		}
		ev := *e
		ev.withDefaults()
		body.Events[i] = c.eventToWire(&ev)
		if err := checkMetadataEncoded(op, "events["+strconv.Itoa(i)+"].metadata", body.Events[i].Metadata); err != nil {
			return err
		}
	}
	_, err := c.do(ctx, request{op: op, method: "POST", path: "/run-events/batch", body: &body, out: out})
	return err
}
