package dripserver

import (
	"maps"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// This file is the one mapping from stored models to wire replies.

// businessID is the one business a dripd serves.
const businessID = "biz_dripd"

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func customerWire(c Customer) wire.Customer {
	return wire.Customer{
		ID:                 c.ID,
		BusinessID:         businessID,
		ExternalCustomerID: strPtr(c.ExternalCustomerID),
		OnchainAddress:     strPtr(c.OnchainAddress),
		IsInternal:         c.IsInternal,
		Status:             c.Status,
		Metadata:           c.Metadata,
		CreatedAt:          formatTime(c.CreatedAt),
		UpdatedAt:          formatTime(c.UpdatedAt),
	}
}

func workflowWire(w Workflow) wire.Workflow {
	return wire.Workflow{
		ID:             w.ID,
		Name:           w.Name,
		Slug:           w.Slug,
		ProductSurface: w.ProductSurface,
		Description:    strPtr(w.Description),
		IsActive:       true,
		Metadata:       w.Metadata,
		CreatedAt:      formatTime(w.CreatedAt),
	}
}

func durationMs(r Run) *int64 {
	if !r.Ended() {
		return nil
	}
	d := r.EndedAt.Sub(r.StartedAt).Milliseconds()
	return &d
}

func endedAt(r Run) *string {
	if !r.Ended() {
		return nil
	}
	s := formatTime(r.EndedAt)
	return &s
}

// costTotal is the run's cost sum, or nil when no event carried a cost.
func costTotal(r Run) *string {
	if !r.HasCost {
		return nil
	}
	s := decimal(r.TotalCostUnits)
	return &s
}

func startRunWire(r Run) wire.StartRunResult {
	return wire.StartRunResult{
		ID:            r.ID,
		CustomerID:    r.CustomerID,
		WorkflowID:    r.WorkflowID,
		WorkflowName:  r.WorkflowName,
		Status:        r.Status,
		CorrelationID: strPtr(r.CorrelationID),
		ExternalRunID: strPtr(r.ExternalRunID),
		CreatedAt:     formatTime(r.StartedAt),
	}
}

func endRunWire(r Run) wire.EndRunResult {
	out := wire.EndRunResult{
		ID:             r.ID,
		Status:         r.Status,
		DurationMs:     durationMs(r),
		EventCount:     r.EventCount,
		TotalCostUnits: costTotal(r),
	}
	if e := endedAt(r); e != nil {
		out.EndedAt = *e
	}
	return out
}

func runDetailsWire(r Run) wire.RunDetails {
	started := formatTime(r.StartedAt)
	return wire.RunDetails{
		ID:            r.ID,
		CustomerID:    r.CustomerID,
		WorkflowID:    r.WorkflowID,
		WorkflowName:  r.WorkflowName,
		Status:        r.Status,
		StartedAt:     &started,
		EndedAt:       endedAt(r),
		DurationMs:    durationMs(r),
		ErrorMessage:  strPtr(r.ErrorMessage),
		ErrorCode:     strPtr(r.ErrorCode),
		CorrelationID: strPtr(r.CorrelationID),
		ParentRunID:   strPtr(r.ParentRunID),
		ExternalRunID: strPtr(r.ExternalRunID),
		Metadata:      r.Metadata,
		Totals: wire.RunTotals{
			EventCount:     r.EventCount,
			TotalQuantity:  decimal(r.TotalQuantity),
			TotalCostUnits: decimal(r.TotalCostUnits),
		},
		Links: wire.RunLinks{Timeline: "/v1/runs/" + r.ID + "/timeline"},
	}
}

// timelineEventWire renders an event; its metadata is the sent metadata
// with usageType, quantity and units added, so SDK facts (model, tokens) can
// be read back next to the amounts.
func timelineEventWire(e Event) wire.TimelineEvent {
	meta := make(map[string]any, len(e.Metadata)+3)
	maps.Copy(meta, e.Metadata)
	meta[wire.MetaUsageType] = e.EventType
	meta[wire.MetaQuantity] = e.Quantity
	if e.Units != "" {
		meta[wire.MetaUnits] = e.Units
	} else {
		meta[wire.MetaUnits] = nil
	}
	var action *string
	if name, ok := e.Metadata[wire.MetaName].(string); ok {
		action = strPtr(name)
	}
	return wire.TimelineEvent{
		ID:            e.ID,
		EventType:     e.EventType,
		ActionName:    action,
		Outcome:       e.Outcome,
		Description:   strPtr(e.Description),
		Timestamp:     formatTime(e.Timestamp),
		DurationMs:    e.DurationMs,
		ParentEventID: strPtr(e.ParentEventID),
		AttemptNumber: 1,
		CostUnits:     e.CostUnits,
		SpanID:        strPtr(e.SpanID),
		CorrelationID: strPtr(e.CorrelationID),
		Metadata:      meta,
	}
}

func timelineWire(p timelinePage) wire.Timeline {
	r := p.run
	started := formatTime(r.StartedAt)
	out := wire.Timeline{
		RunID:         r.ID,
		WorkflowID:    &r.WorkflowID,
		WorkflowName:  &r.WorkflowName,
		CustomerID:    r.CustomerID,
		Status:        r.Status,
		CorrelationID: strPtr(r.CorrelationID),
		Metadata:      r.Metadata,
		ErrorMessage:  strPtr(r.ErrorMessage),
		ErrorCode:     strPtr(r.ErrorCode),
		StartedAt:     &started,
		EndedAt:       endedAt(r),
		DurationMs:    durationMs(r),
		Events:        make([]wire.TimelineEvent, len(p.events)),
		Anomalies:     []wire.Anomaly{},
		Summary: wire.TimelineSummary{
			TotalEvents:    p.summary.total,
			ByType:         p.summary.byType,
			ByOutcome:      p.summary.byOutcome,
			FailedEvents:   p.summary.failed,
			TotalQuantity:  decimal(r.TotalQuantity),
			TotalCostUnits: decimal(r.TotalCostUnits),
		},
		HasMore: p.hasMore,
	}
	for i, e := range p.events {
		out.Events[i] = timelineEventWire(e)
	}
	if p.hasMore {
		c := eventCursor(p.events[len(p.events)-1])
		out.NextCursor = &c
	}
	return out
}

func runEventWire(e Event, dup bool) wire.RunEventResult {
	return wire.RunEventResult{
		ID:          e.ID,
		RunID:       e.RunID,
		EventType:   e.EventType,
		Quantity:    e.Quantity,
		CostUnits:   e.CostUnits,
		IsDuplicate: dup,
		Timestamp:   formatTime(e.Timestamp),
	}
}

func batchResultWire(items []batchItem) wire.RunEventBatchResult {
	out := wire.RunEventBatchResult{Success: true, Events: make([]wire.RunEventBatchItem, len(items))}
	for i, it := range items {
		ev := wire.RunEventBatchItem{ID: it.event.ID, EventType: it.event.EventType, IsDuplicate: it.duplicate}
		switch {
		case it.skipped != "":
			ev.ID, ev.Skipped, ev.Reason = "", true, it.skipped
			out.Skipped++
		case it.duplicate:
			out.Duplicates++
		default:
			out.Created++
		}
		out.Events[i] = ev
	}
	return out
}
