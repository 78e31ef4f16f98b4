package drip

// This file is the one place public types meet wire JSON shapes
// (internal/wire). Change a mapping here and nowhere else.

import (
	"encoding/json"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

type (
	wireUsageResult = wire.UsageResult
)

// eventToWire maps an Event onto the run-event body. The mapping itself is
// appendEvent (wireenc.go), which the exporter uses directly; this decodes
// its output for the callers that need the struct (RecordRun).
func (c *Client) eventToWire(e *Event) wire.RunEvent {
	var w wire.RunEvent
	if err := json.Unmarshal(c.appendEvent(nil, e, true), &w); err != nil {
		panic("drip: appendEvent wrote invalid JSON: " + err.Error()) // a bug, caught by tests
	}
	return w
}

func eventResultFromWire(w *wire.RunEventResult) *EventResult {
	return &EventResult{ID: w.ID, RunID: w.RunID, Type: w.EventType, Quantity: w.Quantity,
		CostUnits: w.CostUnits, IsDuplicate: w.IsDuplicate, Timestamp: w.Timestamp}
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
		r.Charge = &Charge{ID: w.Charge.ID, AmountUSDC: w.Charge.AmountUsdc, AmountToken: w.Charge.AmountToken,
			TxHash: deref(w.Charge.TxHash), Status: w.Charge.Status}
	}
	return r
}

func runInfoFromWire(w *wire.StartRunResult) *RunInfo {
	return &RunInfo{ID: w.ID, CustomerID: w.CustomerID, WorkflowID: w.WorkflowID, WorkflowName: w.WorkflowName,
		Status: RunStatus(w.Status), CorrelationID: deref(w.CorrelationID), ExternalRunID: deref(w.ExternalRunID),
		CreatedAt: w.CreatedAt}
}

func runDetailsFromWire(w *wire.RunDetails) *RunDetails {
	return &RunDetails{
		ID: w.ID, CustomerID: w.CustomerID, CustomerName: deref(w.CustomerName),
		WorkflowID: w.WorkflowID, WorkflowName: w.WorkflowName, Status: RunStatus(w.Status),
		StartedAt: deref(w.StartedAt), EndedAt: deref(w.EndedAt), Duration: msPtr(w.DurationMs),
		ErrorMessage: deref(w.ErrorMessage), ErrorCode: deref(w.ErrorCode), CorrelationID: deref(w.CorrelationID),
		Metadata: w.Metadata, EventCount: w.Totals.EventCount, TotalQuantity: w.Totals.TotalQuantity,
		TotalCostUnits: w.Totals.TotalCostUnits, TimelineURL: w.Links.Timeline,
	}
}

func timelineFromWire(w *wire.Timeline) *Timeline {
	t := &Timeline{
		RunID: w.RunID, WorkflowID: deref(w.WorkflowID), WorkflowName: deref(w.WorkflowName),
		CustomerID: w.CustomerID, Status: RunStatus(w.Status), CorrelationID: deref(w.CorrelationID),
		ErrorMessage: deref(w.ErrorMessage), ErrorCode: deref(w.ErrorCode), StartedAt: deref(w.StartedAt),
		EndedAt: deref(w.EndedAt), Duration: msPtr(w.DurationMs), HasMore: w.HasMore, NextCursor: deref(w.NextCursor),
		Summary: TimelineSummary{TotalEvents: w.Summary.TotalEvents, ByType: w.Summary.ByType, ByOutcome: w.Summary.ByOutcome,
			FailedEvents: w.Summary.FailedEvents, TotalQuantity: w.Summary.TotalQuantity, TotalCostUnits: w.Summary.TotalCostUnits},
		Events: make([]TimelineEvent, len(w.Events)),
	}
	for i := range w.Events {
		e := &w.Events[i]
		t.Events[i] = TimelineEvent{ID: e.ID, Type: e.EventType, Outcome: e.Outcome, Description: deref(e.Description),
			Timestamp: e.Timestamp, Duration: msPtr(e.DurationMs), ParentEventID: deref(e.ParentEventID),
			CostUnits: e.CostUnits, Metadata: e.Metadata}
	}
	return t
}

func customerFromWire(w *wire.Customer) Customer {
	return Customer{ID: w.ID, ExternalCustomerID: deref(w.ExternalCustomerID), OnchainAddress: deref(w.OnchainAddress),
		IsInternal: w.IsInternal, Status: w.Status, Metadata: w.Metadata, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
}

func workflowFromWire(w *wire.Workflow) Workflow {
	return Workflow{ID: w.ID, Name: w.Name, Slug: w.Slug, ProductSurface: w.ProductSurface,
		Description: deref(w.Description), IsActive: w.IsActive, CreatedAt: w.CreatedAt}
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

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
