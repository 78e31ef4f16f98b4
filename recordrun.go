package drip

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// RecordRunParams records a whole run in one call.
//
// Limits (see limits.go), checked before anything is sent: CustomerID,
// Workflow, ExternalRunID, CorrelationID and ErrorCode at most MaxIDLength
// bytes and valid UTF-8; each event as documented on Event; Metadata at
// most MaxMetadataKeys keys and MaxMetadataBytes as JSON. ErrorMessage is
// cut to 500 characters.
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
	RunID            string
	WorkflowID       string
	WorkflowName     string
	Status           RunStatus
	Duration         time.Duration
	EventsCreated    int
	EventsDuplicates int
	// TotalCostUnits sums the run's event costs exactly; zero when no
	// event carried a cost.
	TotalCostUnits    Decimal
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
	if err := checkIDs(op, "customerId", p.CustomerID, "workflow", p.Workflow, "externalRunId", p.ExternalRunID,
		"correlationId", p.CorrelationID, "errorCode", p.ErrorCode); err != nil {
		return nil, err
	}
	if err := checkMetadata(op, "metadata", p.Metadata); err != nil {
		return nil, err
	}
	body := wire.RecordRunRequest{
		CustomerID:    p.CustomerID,
		Workflow:      p.Workflow,
		Events:        make([]wire.RecordRunEvent, len(p.Events)),
		Status:        string(p.Status),
		ErrorMessage:  errorMessage(p.ErrorMessage),
		ErrorCode:     p.ErrorCode,
		ExternalRunID: p.ExternalRunID,
		CorrelationID: p.CorrelationID,
		Metadata:      c.guard.filter(p.Metadata),
	}
	if err := checkMetadataEncoded(op, "metadata", body.Metadata); err != nil {
		return nil, err
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
		if err := checkMetadataEncoded(op, "events["+strconv.Itoa(i)+"].metadata", we.Metadata); err != nil {
			return nil, err
		}
		body.Events[i] = recordRunEvent(&we)
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
		TotalCostUnits:   parseDecimalPtr(out.TotalCostUnits),
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
				e.IdempotencyKey = derivedKey(run.ExternalRunID + ":" + e.Type + ":" + strconv.Itoa(i))
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

// derivedKey keeps a key built from caller ids within MaxIDLength: a longer
// one is replaced by its SHA-256, as stable across retries as the original.
func derivedKey(k string) string {
	if len(k) <= MaxIDLength {
		return k
	}
	sum := sha256.Sum256([]byte(k))
	return "rr_" + hex.EncodeToString(sum[:])
}
