package drip

// This file is the one place public types meet wire JSON shapes
// (internal/wire): each shape is mapped once, here. wiremap_test.go checks
// by reflection that every wire field is handled.

import (
	"time"

	"github.com/drip-sdk/drip-go/internal/textutil"
	"github.com/drip-sdk/drip-go/internal/wire"
)

type (
	wireUsageResult = wire.UsageResult
)

// eventToWire maps an Event onto the run-event body: typed fields to
// top-level fields or SDK metadata keys, then the caller's metadata that
// passes the guard and names no SDK key. Conventions (default quantity,
// descriptions) are applied before, by Event.withDefaults.
func (c *Client) eventToWire(e *Event) wire.RunEvent {
	w := wire.RunEvent{
		RunID:          e.RunID,
		EventType:      e.Type,
		Units:          e.Units,
		Description:    e.Description,
		CorrelationID:  e.CorrelationID,
		ParentEventID:  e.ParentEventID,
		SpanID:         e.SpanID,
		IdempotencyKey: e.IdempotencyKey,
	}
	// A zero quantity with no units is left out: the API's default (1)
	// applies, as it does for the official clients.
	if e.Quantity != 0 || e.Units != "" {
		q := e.Quantity
		w.Quantity = &q
	}
	if e.CostUnits > 0 {
		cost := e.CostUnits
		w.CostUnits = &cost
	}
	md := make(map[string]any, len(e.Metadata)+8)
	set := func(k string, v any, ok bool) {
		if ok {
			md[k] = v
		}
	}
	set(wire.MetaModel, e.Model, e.Model != "")
	if e.InputTokens != 0 || e.OutputTokens != 0 {
		md[wire.MetaInputTokens] = e.InputTokens
		md[wire.MetaOutputTokens] = e.OutputTokens
		md[wire.MetaTotalTokens] = e.InputTokens + e.OutputTokens
	}
	set(wire.MetaCachedInputTokens, e.CachedInputTokens, e.CachedInputTokens > 0)
	set(wire.MetaReasoningTokens, e.ReasoningTokens, e.ReasoningTokens > 0)
	set(wire.MetaCacheCreationInputTokens, e.CacheCreationInputTokens, e.CacheCreationInputTokens > 0)
	set(wire.MetaCacheCreation1hInputTokens, e.CacheCreation1hInputTokens, e.CacheCreation1hInputTokens > 0)
	set(wire.MetaWebSearches, e.WebSearches, e.WebSearches > 0)
	set(wire.MetaAudioInputTokens, e.AudioInputTokens, e.AudioInputTokens > 0)
	set(wire.MetaAudioSeconds, e.AudioSeconds, e.AudioSeconds > 0)
	set(wire.MetaServiceTier, e.ServiceTier, namedTier(e.ServiceTier))
	set(wire.MetaName, textutil.Truncate(e.Name, maxNameLen), e.Name != "")
	set(wire.MetaLatencyMs, e.Duration.Milliseconds(), e.Duration > 0)
	set(wire.MetaStatus, e.Status, e.Status != "")
	set(wire.MetaProvider, e.Provider, e.Provider != "")
	set(wire.MetaOperation, e.Operation, e.Operation != "")
	set(wire.MetaOccurredAt, e.Timestamp.UTC().Format(time.RFC3339Nano), !e.Timestamp.IsZero())
	for k, v := range e.Metadata {
		if _, sdk := md[k]; sdk {
			continue
		}
		if v, ok := c.guard.value(k, v); ok {
			md[k] = v
		}
	}
	w.Metadata = md
	return w
}

// maxNameLen bounds the tool, chain or step name sent in metadata.
const maxNameLen = 256

// recordRunEvent is a run event as POST /runs/record takes it: the run,
// ids and key are the recorded run's.
func recordRunEvent(w *wire.RunEvent) wire.RecordRunEvent {
	return wire.RecordRunEvent{EventType: w.EventType, Quantity: w.Quantity, Units: w.Units,
		Description: w.Description, CostUnits: w.CostUnits, Metadata: w.Metadata}
}

// endRunRequest maps EndRunParams onto the body of PATCH /runs/{id}.
func endRunRequest(c *Client, p *EndRunParams) *wire.EndRunRequest {
	return &wire.EndRunRequest{
		Status:       string(p.Status),
		ErrorMessage: errorMessage(p.ErrorMessage),
		ErrorCode:    p.ErrorCode,
		Metadata:     c.guard.filter(p.Metadata),
	}
}

func eventResultFromWire(w *wire.RunEventResult) *EventResult {
	return &EventResult{ID: w.ID, RunID: w.RunID, Type: w.EventType, Quantity: w.Quantity,
		CostUnits: w.CostUnits, IsDuplicate: w.IsDuplicate, Timestamp: parseTime(w.Timestamp)}
}

func batchResultFromWire(w *wire.RunEventBatchResult) *BatchResult {
	r := &BatchResult{Created: w.Created, Duplicates: w.Duplicates, Skipped: w.Skipped,
		Events: make([]BatchEventResult, len(w.Events))}
	for i, e := range w.Events {
		r.Events[i] = BatchEventResult{ID: e.ID, Type: e.EventType, IsDuplicate: e.IsDuplicate, Skipped: e.Skipped, Reason: e.Reason}
	}
	return r
}

func (c *Client) usageToWire(p *UsageParams) wire.UsageRequest {
	q := p.Quantity
	return wire.UsageRequest{
		CustomerID:         p.CustomerID,
		ExternalCustomerID: p.ExternalCustomerID,
		UsageType:          p.Meter,
		Quantity:           &q,
		IdempotencyKey:     p.IdempotencyKey,
		Units:              p.Units,
		Description:        p.Description,
		Metadata:           c.guard.filter(p.Metadata),
	}
}

func usageResultFromWire(w *wire.UsageResult) *UsageResult {
	r := &UsageResult{Success: w.Success, UsageEventID: w.UsageEventID, IsDuplicate: w.IsDuplicate,
		Mode: w.Mode, Reason: w.Reason, CustomerID: w.CustomerID, Message: w.Message}
	if w.AutoPromoted != nil {
		r.AutoPromoted = *w.AutoPromoted
	}
	if w.Charge != nil {
		r.Charge = &Charge{ID: w.Charge.ID, UsageID: w.UsageEventID, AmountUSDC: parseDecimal(w.Charge.AmountUsdc),
			AmountToken: parseDecimal(w.Charge.AmountToken), TxHash: deref(w.Charge.TxHash),
			Status: ChargeStatus(w.Charge.Status), FailureReason: deref(w.Charge.FailureReason)}
	}
	return r
}

func runInfoFromWire(w *wire.StartRunResult) *RunInfo {
	return &RunInfo{ID: w.ID, CustomerID: w.CustomerID, WorkflowID: w.WorkflowID, WorkflowName: w.WorkflowName,
		Status: RunStatus(w.Status), CorrelationID: deref(w.CorrelationID), ExternalRunID: deref(w.ExternalRunID),
		CreatedAt: parseTime(w.CreatedAt)}
}

func runDetailsFromWire(w *wire.RunDetails) *RunDetails {
	return &RunDetails{
		ID: w.ID, CustomerID: w.CustomerID, CustomerName: deref(w.CustomerName),
		WorkflowID: w.WorkflowID, WorkflowName: w.WorkflowName, Status: RunStatus(w.Status),
		StartedAt: parseTimePtr(w.StartedAt), EndedAt: parseTimePtr(w.EndedAt), Duration: msPtr(w.DurationMs),
		ErrorMessage: deref(w.ErrorMessage), ErrorCode: deref(w.ErrorCode), CorrelationID: deref(w.CorrelationID),
		ParentRunID: deref(w.ParentRunID), ExternalRunID: deref(w.ExternalRunID), Metadata: w.Metadata, EventCount: w.Totals.EventCount, TotalQuantity: w.Totals.TotalQuantity,
		TotalCostUnits: parseDecimal(w.Totals.TotalCostUnits), TimelineURL: w.Links.Timeline,
	}
}

func timelineFromWire(w *wire.Timeline) *Timeline {
	t := &Timeline{
		RunID: w.RunID, WorkflowID: deref(w.WorkflowID), WorkflowName: deref(w.WorkflowName),
		CustomerID: w.CustomerID, Status: RunStatus(w.Status), CorrelationID: deref(w.CorrelationID),
		ErrorMessage: deref(w.ErrorMessage), ErrorCode: deref(w.ErrorCode), StartedAt: parseTimePtr(w.StartedAt),
		EndedAt: parseTimePtr(w.EndedAt), Duration: msPtr(w.DurationMs), HasMore: w.HasMore, NextCursor: deref(w.NextCursor),
		Summary: TimelineSummary{TotalEvents: w.Summary.TotalEvents, ByType: w.Summary.ByType, ByOutcome: w.Summary.ByOutcome,
			FailedEvents: w.Summary.FailedEvents, TotalQuantity: w.Summary.TotalQuantity, TotalCostUnits: parseDecimal(w.Summary.TotalCostUnits)},
		Events: make([]TimelineEvent, len(w.Events)),
	}
	for i := range w.Events {
		e := &w.Events[i]
		t.Events[i] = TimelineEvent{ID: e.ID, Type: e.EventType, Outcome: e.Outcome, Description: deref(e.Description),
			Timestamp: parseTime(e.Timestamp), Duration: msPtr(e.DurationMs), ParentEventID: deref(e.ParentEventID), SpanID: deref(e.SpanID), CorrelationID: deref(e.CorrelationID),
			CostUnits: floatDecimal(e.CostUnits), Metadata: e.Metadata}
	}
	return t
}

func customerFromWire(w *wire.Customer) Customer {
	return Customer{ID: w.ID, ExternalCustomerID: deref(w.ExternalCustomerID), OnchainAddress: deref(w.OnchainAddress),
		IsInternal: w.IsInternal, Status: w.Status, Metadata: w.Metadata, CreatedAt: parseTime(w.CreatedAt), UpdatedAt: parseTime(w.UpdatedAt)}
}

func workflowFromWire(w *wire.Workflow) Workflow {
	return Workflow{ID: w.ID, Name: w.Name, Slug: w.Slug, ProductSurface: w.ProductSurface,
		Description: deref(w.Description), IsActive: w.IsActive, CreatedAt: parseTime(w.CreatedAt)}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func msPtr(ms *int64) time.Duration {
	if ms == nil {
		return 0
	}
	return time.Duration(*ms) * time.Millisecond
}

// parseTime reads an API timestamp (RFC 3339); a missing or malformed one
// is the zero time.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// parseTimePtr is parseTime for an optional timestamp.
func parseTimePtr(s *string) time.Time {
	if s == nil {
		return time.Time{}
	}
	return parseTime(*s)
}
