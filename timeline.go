package drip

import (
	"context"
	"iter"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// TimelineParams pages a run timeline.
type TimelineParams struct {
	// Limit is the page size (server default 100, at most 500).
	Limit  int
	Cursor string
}

// Timeline is one page of a run's timeline.
type Timeline struct {
	RunID         string
	WorkflowID    string
	WorkflowName  string
	CustomerID    string
	Status        RunStatus
	CorrelationID string
	ErrorMessage  string
	ErrorCode     string
	StartedAt     time.Time
	EndedAt       time.Time
	Duration      time.Duration
	Events        []TimelineEvent
	Summary       TimelineSummary
	HasMore       bool
	NextCursor    string
}

// TimelineEvent is one recorded event as the server returns it. Metadata
// holds the event's usageType, quantity and units merged with what it was
// sent with (model, token counts, …).
type TimelineEvent struct {
	ID            string
	Type          string
	Outcome       string
	Description   string
	Timestamp     time.Time
	Duration      time.Duration
	ParentEventID string
	SpanID        string
	CorrelationID string
	// CostUnits is the event's cost, exactly as the server stored it; nil
	// when the event carried none.
	CostUnits *Decimal
	Metadata  map[string]any
}

// TimelineSummary aggregates the whole run, not just the page.
type TimelineSummary struct {
	TotalEvents   int
	ByType        map[string]int
	ByOutcome     map[string]int
	FailedEvents  int
	TotalQuantity string
	// TotalCostUnits sums the whole run's event costs exactly.
	TotalCostUnits Decimal
}

// GetRunTimeline returns one page of a run's events (GET
// /runs/{id}/timeline). Use TimelineEvents to walk every page.
func (c *Client) GetRunTimeline(ctx context.Context, runID string, p *TimelineParams) (*Timeline, error) {
	const op = "GetRunTimeline"
	if strings.TrimSpace(runID) == "" {
		return nil, validationError(op, "runId", "run id is required")
	}
	q := url.Values{}
	if p != nil {
		if p.Limit < 0 || p.Limit > 500 {
			return nil, validationError(op, "limit", "limit must be between 1 and 500")
		}
		if p.Limit > 0 {
			q.Set("limit", strconv.Itoa(p.Limit))
		}
		if p.Cursor != "" {
			q.Set("cursor", p.Cursor)
		}
	}
	path := "/runs/" + url.PathEscape(runID) + "/timeline"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out wire.Timeline
	if _, err := c.do(ctx, request{op: op, method: "GET", path: path, out: &out}); err != nil {
		return nil, err
	}
	return timelineFromWire(&out), nil
}

// TimelineEvents iterates over every event of a run, fetching pages of
// pageSize (0 for the server default) as it goes. Iteration stops at the
// first error, which is yielded.
func (c *Client) TimelineEvents(ctx context.Context, runID string, pageSize int) iter.Seq2[TimelineEvent, error] {
	return func(yield func(TimelineEvent, error) bool) {
		p := &TimelineParams{Limit: pageSize}
		for {
			page, err := c.GetRunTimeline(ctx, runID, p)
			if err != nil {
				yield(TimelineEvent{}, err)
				return
			}
			for _, e := range page.Events {
				if !yield(e, nil) {
					return
				}
			}
			if !page.HasMore || page.NextCursor == "" {
				return
			}
			p.Cursor = page.NextCursor
		}
	}
}
