package drip

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/drip-sdk/drip-go/internal/textutil"
	"github.com/drip-sdk/drip-go/internal/wire"
)

// RecordRunParams records a whole run in one call.
type RecordRunParams struct {
	CustomerID string
	// Workflow is a workflow id or slug; an unknown slug is created.
	Workflow string
	Events   []Event
	// Status is the final status (RunCompleted or RunFailed, usually).
	Status        RunStatus
	ErrorMessage  string
	ErrorCode     string
	ExternalRunID string
	CorrelationID string
	Metadata      map[string]any
}

// RecordRunResult is the reply to RecordRun.
type RecordRunResult struct {
	RunID             string
	WorkflowID        string
	WorkflowName      string
	Status            RunStatus
	Duration          time.Duration
	EventsCreated     int
	EventsDuplicates  int
	TotalCostUnits    string
	Summary           string
	UsedFallbackCalls bool
}

// RecordRun records a finished run with its events in one request (POST
// /runs/record). Against a server without that endpoint (404) it falls back
// to the four-call path the official clients use: find or create the
// workflow, start the run, send the events in one batch, end the run.
func (c *Client) RecordRun(ctx context.Context, p RecordRunParams) (*RecordRunResult, error) {
	const op = "RecordRun"
	if strings.TrimSpace(p.CustomerID) == "" {
		return nil, validationError(op, "customerId", "customerId is required")
	}
	if strings.TrimSpace(p.Workflow) == "" {
		return nil, validationError(op, "workflow", "workflow is required")
	}
	if !p.Status.Terminal() {
		return nil, validationError(op, "status", "status must be COMPLETED, FAILED, CANCELLED or TIMEOUT")
	}
	body := wire.RecordRunRequest{
		CustomerID:    p.CustomerID,
		Workflow:      p.Workflow,
		Events:        make([]wire.RecordRunEvent, len(p.Events)),
		Status:        string(p.Status),
		ErrorMessage:  textutil.Truncate(p.ErrorMessage, maxErrorMessage),
		ErrorCode:     p.ErrorCode,
		ExternalRunID: p.ExternalRunID,
		CorrelationID: p.CorrelationID,
		Metadata:      c.guard.filter(p.Metadata),
	}
	now := time.Now()
	for i := range p.Events {
		e := &p.Events[i]
		if err := e.validate(op, false); err != nil {
			err.(*Error).Field = "events[" + strconv.Itoa(i) + "]." + err.(*Error).Field
			return nil, err
		}
		if e.Timestamp.IsZero() {
			e.Timestamp = now
		}
		ev := *e
		ev.withDefaults()
		we := c.eventToWire(&ev)
		body.Events[i] = wire.RecordRunEvent{
			EventType: we.EventType, Quantity: we.Quantity, Units: we.Units,
			Description: we.Description, CostUnits: we.CostUnits, Metadata: we.Metadata,
		}
	}
	var out wire.RecordRunResult
	_, err := c.do(ctx, request{op: op, method: "POST", path: "/runs/record", body: &body, out: &out})
	if e, ok := AsError(err); ok && e.StatusCode == 404 {
		return c.recordRunFallback(ctx, p)
	}
	if err != nil {
		return nil, err
	}
	return &RecordRunResult{
		RunID:            out.Run.ID,
		WorkflowID:       out.Run.WorkflowID,
		WorkflowName:     out.Run.WorkflowName,
		Status:           RunStatus(out.Run.Status),
		Duration:         msPtr(out.Run.DurationMs),
		EventsCreated:    out.Events.Created,
		EventsDuplicates: out.Events.Duplicates,
		TotalCostUnits:   deref(out.TotalCostUnits),
		Summary:          out.Summary,
	}, nil
}

func (c *Client) recordRunFallback(ctx context.Context, p RecordRunParams) (*RecordRunResult, error) {
	start := time.Now()
	wf, err := c.resolveWorkflow(ctx, p.Workflow)
	if err != nil {
		return nil, err
	}
	run, err := c.StartRun(ctx, RunParams{
		CustomerID: p.CustomerID, Workflow: wf.ID, ExternalRunID: p.ExternalRunID,
		CorrelationID: p.CorrelationID, Metadata: p.Metadata,
	})
	if err != nil {
		return nil, err
	}
	res := &RecordRunResult{RunID: run.ID, WorkflowID: wf.ID, WorkflowName: wf.Name, UsedFallbackCalls: true}
	if len(p.Events) > 0 {
		evs := make([]Event, len(p.Events))
		for i, e := range p.Events {
			e.RunID = run.ID
			if e.IdempotencyKey == "" && run.ExternalRunID != "" {
				e.IdempotencyKey = run.ExternalRunID + ":" + e.Type + ":" + strconv.Itoa(i)
			}
			evs[i] = e
		}
		br, err := c.EmitEventsBatch(ctx, evs)
		if err != nil {
			return nil, err
		}
		res.EventsCreated, res.EventsDuplicates = br.Created, br.Duplicates
	}
	end, err := c.EndRun(ctx, run.ID, EndRunParams{Status: p.Status, ErrorMessage: p.ErrorMessage, ErrorCode: p.ErrorCode})
	if err != nil {
		return nil, err
	}
	res.Status = end.Status
	res.Duration = end.Duration
	if res.Duration == 0 {
		res.Duration = time.Since(start)
	}
	res.TotalCostUnits = end.TotalCostUnits
	glyph := "○"
	switch p.Status {
	case RunCompleted:
		glyph = "✓"
	case RunFailed:
		glyph = "✗"
	}
	res.Summary = glyph + " " + wf.Name + ": " + strconv.Itoa(res.EventsCreated) + " events recorded in " +
		res.Duration.Round(time.Millisecond).String()
	return res, nil
}
