package drip

import (
	"context"
	"iter"
	"net/url"
	"strings"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// ExecutionEvent is an event a run recorded, as Drip returns it when you
// read events back (ListEvents, GetEvent, GetEventTrace). Event, by
// contrast, is what you send.
type ExecutionEvent struct {
	ID         string
	CustomerID string
	// RunID is the run that recorded the event.
	RunID string
	// Type is the event type, e.g. EventLLMCompletion (eventType on the
	// wire).
	Type string
	// Outcome is SUCCESS or FAILED.
	Outcome string
	// Explanation is the event's human-readable description.
	Explanation string
	CreatedAt   time.Time
	// Metadata is what the event was sent with (model, token counts, …).
	Metadata map[string]any
	// ParentEventID and SpanID link the event to others, as sent.
	ParentEventID string
	SpanID        string
	Quantity      float64
	Units         string
}

// ListEventsParams filters and pages ListEvents. Empty fields match every
// event.
type ListEventsParams struct {
	// CustomerID is a Drip customer id.
	CustomerID string
	RunID      string
	// Type is an event type, e.g. EventToolCall.
	Type string
	// Outcome is SUCCESS or FAILED.
	Outcome string
	// Limit is 1–100 (server default 100).
	Limit  int
	Offset int
}

// EventList is one page of execution events.
type EventList struct {
	Events []ExecutionEvent
	// Total counts every event matching the filters, not just this page.
	Total  int
	Limit  int
	Offset int
}

// EventTrace is an event's place among the events of its run.
type EventTrace struct {
	EventID string
	// Ancestors are the event's parent, its parent's parent and so on,
	// listed from the root down to the parent.
	Ancestors []ExecutionEvent
	// Children are the events whose parent is this event.
	Children []ExecutionEvent
	// RetryChain holds every attempt of the operation, this event included,
	// oldest first, when it was retried; it is empty otherwise.
	RetryChain []ExecutionEvent
}

// ListEvents returns one page of execution events across runs, in the
// order they happened (GET /events). Use Events to walk every page.
func (c *Client) ListEvents(ctx context.Context, p *ListEventsParams) (*EventList, error) {
	const op = "ListEvents"
	path, err := listEventsPath(op, p)
	if err != nil {
		return nil, err
	}
	var out wire.ExecutionEventList
	if _, err := c.do(ctx, request{op: op, method: "GET", path: path, out: &out}); err != nil {
		return nil, err
	}
	l := &EventList{Events: executionEventsFromWire(out.Data), Total: out.Total, Limit: out.Limit, Offset: out.Offset}
	return l, nil
}

func listEventsPath(op string, p *ListEventsParams) (string, error) {
	if p == nil {
		p = &ListEventsParams{}
	}
	if err := checkIDs(op, "customerId", p.CustomerID, "runId", p.RunID, "eventType", p.Type,
		"outcome", p.Outcome); err != nil {
		return "", err
	}
	return listPath(op, "/events", p.Limit, p.Offset, "customerId", p.CustomerID, "runId", p.RunID,
		"eventType", p.Type, "outcome", p.Outcome)
}

// Events iterates over every execution event matching p, page by page.
// Iteration stops at the first error, which is yielded.
func (c *Client) Events(ctx context.Context, p *ListEventsParams) iter.Seq2[ExecutionEvent, error] {
	q := ListEventsParams{}
	if p != nil {
		q = *p
	}
	return offsetPages(q.Limit, q.Offset, func(limit, offset int) ([]ExecutionEvent, int, error) {
		q.Limit, q.Offset = limit, offset
		page, err := c.ListEvents(ctx, &q)
		if err != nil {
			return nil, 0, err
		}
		return page.Events, page.Total, nil
	})
}

// GetEvent returns one execution event by id (GET /events/{id}).
func (c *Client) GetEvent(ctx context.Context, id string) (*ExecutionEvent, error) {
	const op = "GetEvent"
	if err := checkEventID(op, id); err != nil {
		return nil, err
	}
	var out wire.ExecutionEvent
	if _, err := c.do(ctx, request{op: op, method: "GET", path: "/events/" + url.PathEscape(id), out: &out}); err != nil {
		return nil, err
	}
	e := executionEventFromWire(&out)
	return &e, nil
}

// GetEventTrace returns an event's causality trace: its ancestors, its
// children and its retry chain (GET /events/{id}/trace).
func (c *Client) GetEventTrace(ctx context.Context, id string) (*EventTrace, error) {
	const op = "GetEventTrace"
	if err := checkEventID(op, id); err != nil {
		return nil, err
	}
	var out wire.EventTrace
	if _, err := c.do(ctx, request{op: op, method: "GET", path: "/events/" + url.PathEscape(id) + "/trace", out: &out}); err != nil {
		return nil, err
	}
	return &EventTrace{EventID: out.EventID, Ancestors: executionEventsFromWire(out.Ancestors),
		Children: executionEventsFromWire(out.Children), RetryChain: executionEventsFromWire(out.RetryChain)}, nil
}

func checkEventID(op, id string) error {
	if strings.TrimSpace(id) == "" {
		return validationError(op, "eventId", "event id is required")
	}
	return checkIDs(op, "eventId", id)
}

// The execution-event mappings live here rather than in wiremap.go; the
// wire shapes are internal/wire/events.go.

func executionEventFromWire(w *wire.ExecutionEvent) ExecutionEvent {
	e := ExecutionEvent{ID: w.ID, CustomerID: w.CustomerID, RunID: w.RunID, Type: w.EventType, Outcome: w.Outcome,
		Explanation: deref(w.Explanation), CreatedAt: parseTime(w.CreatedAt), Metadata: w.Metadata,
		ParentEventID: w.ParentEventID, SpanID: w.SpanID, Units: w.Units}
	if w.Quantity != nil {
		e.Quantity = *w.Quantity
	}
	return e
}

// executionEventsFromWire maps a list; an absent one is empty, not nil.
func executionEventsFromWire(ws []wire.ExecutionEvent) []ExecutionEvent {
	out := make([]ExecutionEvent, len(ws))
	for i := range ws {
		out[i] = executionEventFromWire(&ws[i])
	}
	return out
}
