package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/runreport"
)

var (
	cmdRunsShow = command{name: "runs show", args: "<run-id>", nargs: 1, define: defineRunsShow,
		summary: "draw a run's timeline: each event's offset, a duration bar, type, model, tokens and cost (--json: the run and its totals)"}
	cmdRunsTimeline = command{name: "runs timeline", args: "<run-id>", nargs: 1, define: defineRunsTimeline,
		summary: "every event of a run, as a table or (--json) the whole timeline"}
)

// runJSON is the --json output of drip runs show: the run and its totals.
type runJSON struct {
	ID             string         `json:"id"`
	CustomerID     string         `json:"customerId"`
	CustomerName   string         `json:"customerName,omitempty"`
	WorkflowID     string         `json:"workflowId"`
	WorkflowName   string         `json:"workflowName"`
	Status         drip.RunStatus `json:"status"`
	StartedAt      string         `json:"startedAt,omitempty"`
	EndedAt        string         `json:"endedAt,omitempty"`
	DurationMs     *int64         `json:"durationMs,omitempty"`
	ErrorMessage   string         `json:"errorMessage,omitempty"`
	ErrorCode      string         `json:"errorCode,omitempty"`
	CorrelationID  string         `json:"correlationId,omitempty"`
	ParentRunID    string         `json:"parentRunId,omitempty"`
	ExternalRunID  string         `json:"externalRunId,omitempty"`
	Metadata       map[string]any `json:"metadata,omitempty"`
	EventCount     int            `json:"eventCount"`
	TotalQuantity  string         `json:"totalQuantity"`
	TotalCostUnits drip.Decimal   `json:"totalCostUnits"`
}

// timelineJSON is the --json output of drip runs timeline: the run and
// every event, all pages read.
type timelineJSON struct {
	RunID         string         `json:"runId"`
	WorkflowID    string         `json:"workflowId,omitempty"`
	WorkflowName  string         `json:"workflowName,omitempty"`
	CustomerID    string         `json:"customerId"`
	Status        drip.RunStatus `json:"status"`
	CorrelationID string         `json:"correlationId,omitempty"`
	ErrorMessage  string         `json:"errorMessage,omitempty"`
	ErrorCode     string         `json:"errorCode,omitempty"`
	StartedAt     string         `json:"startedAt,omitempty"`
	EndedAt       string         `json:"endedAt,omitempty"`
	DurationMs    *int64         `json:"durationMs,omitempty"`
	Events        []eventJSON    `json:"events"`
	Summary       summaryJSON    `json:"summary"`
}

// eventJSON is one timeline event. CostUnits is null when the event
// carried no cost.
type eventJSON struct {
	ID            string         `json:"id"`
	EventType     string         `json:"eventType"`
	Outcome       string         `json:"outcome"`
	Description   string         `json:"description,omitempty"`
	Timestamp     string         `json:"timestamp"`
	DurationMs    *int64         `json:"durationMs,omitempty"`
	ParentEventID string         `json:"parentEventId,omitempty"`
	SpanID        string         `json:"spanId,omitempty"`
	CorrelationID string         `json:"correlationId,omitempty"`
	CostUnits     *drip.Decimal  `json:"costUnits"`
	Metadata      map[string]any `json:"metadata"`
}

type summaryJSON struct {
	TotalEvents    int            `json:"totalEvents"`
	ByType         map[string]int `json:"byType"`
	ByOutcome      map[string]int `json:"byOutcome"`
	FailedEvents   int            `json:"failedEvents"`
	TotalQuantity  string         `json:"totalQuantity"`
	TotalCostUnits drip.Decimal   `json:"totalCostUnits"`
}

func timelineOut(tl *drip.Timeline) timelineJSON {
	out := timelineJSON{RunID: tl.RunID, WorkflowID: tl.WorkflowID, WorkflowName: tl.WorkflowName, CustomerID: tl.CustomerID,
		Status: tl.Status, CorrelationID: tl.CorrelationID, ErrorMessage: tl.ErrorMessage, ErrorCode: tl.ErrorCode,
		StartedAt: timestamp(tl.StartedAt), EndedAt: timestamp(tl.EndedAt), DurationMs: millis(tl.Duration),
		Events: make([]eventJSON, 0, len(tl.Events)),
		Summary: summaryJSON{TotalEvents: tl.Summary.TotalEvents, ByType: tl.Summary.ByType, ByOutcome: tl.Summary.ByOutcome,
			FailedEvents: tl.Summary.FailedEvents, TotalQuantity: tl.Summary.TotalQuantity, TotalCostUnits: tl.Summary.TotalCostUnits}}
	for _, e := range tl.Events {
		out.Events = append(out.Events, eventJSON{ID: e.ID, EventType: e.Type, Outcome: e.Outcome, Description: e.Description,
			Timestamp: timestamp(e.Timestamp), DurationMs: millis(e.Duration), ParentEventID: e.ParentEventID,
			SpanID: e.SpanID, CorrelationID: e.CorrelationID, CostUnits: e.CostUnits, Metadata: e.Metadata})
	}
	return out
}

func defineRunsShow(*flag.FlagSet) runner {
	return func(ctx context.Context, a *app, args []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		ctx, cancel := a.withTimeout(ctx)
		defer cancel()
		if !a.json {
			tl, err := runreport.Fetch(ctx, c, args[0])
			if err != nil {
				return err
			}
			return runreport.WriteTimeline(a.stdout, tl, runreport.TimelineOptions{})
		}
		r, err := c.GetRun(ctx, args[0])
		if err != nil {
			return err
		}
		return a.emit(runJSON{ID: r.ID, CustomerID: r.CustomerID, CustomerName: r.CustomerName, WorkflowID: r.WorkflowID,
			WorkflowName: r.WorkflowName, Status: r.Status, StartedAt: timestamp(r.StartedAt), EndedAt: timestamp(r.EndedAt),
			DurationMs: millis(r.Duration), ErrorMessage: r.ErrorMessage, ErrorCode: r.ErrorCode, CorrelationID: r.CorrelationID,
			ParentRunID: r.ParentRunID, ExternalRunID: r.ExternalRunID, Metadata: r.Metadata, EventCount: r.EventCount,
			TotalQuantity: r.TotalQuantity, TotalCostUnits: r.TotalCostUnits}, nil)
	}
}

func defineRunsTimeline(*flag.FlagSet) runner {
	return func(ctx context.Context, a *app, args []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		ctx, cancel := a.withTimeout(ctx)
		defer cancel()
		tl, err := runreport.Fetch(ctx, c, args[0])
		if err != nil {
			return err
		}
		out := timelineOut(tl)
		return a.emit(out, func(w io.Writer) {
			fmt.Fprintf(w, "run %s  %q  %s  %s  cost %s\n\n", tl.RunID, tl.WorkflowName, tl.Status,
				runreport.Quantity(float64(tl.Summary.TotalEvents), "events"), runreport.Money(tl.Summary.TotalCostUnits))
			row(w, "ID", "TIMESTAMP", "DURATION", "TYPE", "OUTCOME", "MODEL/NAME", "QUANTITY", "COST")
			for _, e := range tl.Events {
				cost := "-"
				if e.CostUnits != nil {
					cost = runreport.Money(*e.CostUnits)
				}
				row(w, e.ID, timestampMillis(e.Timestamp), dash(runreport.Duration(e.Duration)), e.Type, e.Outcome,
					dash(runreport.Name(e.Metadata)), runreport.Amount(e.Metadata), cost)
			}
		})
	}
}
