package drip

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// RunStatus is a run's lifecycle state.
type RunStatus string

// Run status values.
const (
	RunPending   RunStatus = "PENDING"
	RunRunning   RunStatus = "RUNNING"
	RunCompleted RunStatus = "COMPLETED"
	RunFailed    RunStatus = "FAILED"
	RunCancelled RunStatus = "CANCELLED"
	RunTimeout   RunStatus = "TIMEOUT"
)

// Terminal reports whether s ends a run.
func (s RunStatus) Terminal() bool {
	switch s {
	case RunCompleted, RunFailed, RunCancelled, RunTimeout:
		return true
	}
	return false
}

// RunParams starts a run.
type RunParams struct {
	// CustomerID is whose run it is. Required.
	CustomerID string
	// Workflow is a workflow id or slug; an unknown slug is created.
	// Required.
	Workflow string
	// ExternalRunID is your id for the run. Starting a run twice with the
	// same ExternalRunID returns the same run, which is what makes retries
	// safe; one is generated when empty.
	ExternalRunID string
	CorrelationID string
	ParentRunID   string
	Metadata      map[string]any
}

func (p *RunParams) validate(op string) error {
	if strings.TrimSpace(p.CustomerID) == "" {
		return validationError(op, "customerId", "customerId is required")
	}
	if strings.TrimSpace(p.Workflow) == "" {
		return validationError(op, "workflowId", "workflow is required")
	}
	return nil
}

// RunInfo is the reply to StartRun.
type RunInfo struct {
	ID            string
	CustomerID    string
	WorkflowID    string
	WorkflowName  string
	Status        RunStatus
	CorrelationID string
	ExternalRunID string
	CreatedAt     time.Time
}

// EndRunParams ends a run.
type EndRunParams struct {
	// Status is the final status: RunCompleted, RunFailed, RunCancelled or
	// RunTimeout. Required.
	Status RunStatus
	// ErrorMessage is a short message for a failed run: never a stack trace
	// or environment.
	ErrorMessage string
	ErrorCode    string
	Metadata     map[string]any
}

// EndRunResult is the reply to EndRun.
type EndRunResult struct {
	ID             string
	Status         RunStatus
	EndedAt        time.Time
	Duration       time.Duration
	EventCount     int
	TotalCostUnits string
}

// RunDetails is a run with its totals (GetRun).
type RunDetails struct {
	ID             string
	CustomerID     string
	CustomerName   string
	WorkflowID     string
	WorkflowName   string
	Status         RunStatus
	StartedAt      time.Time
	EndedAt        time.Time
	Duration       time.Duration
	ErrorMessage   string
	ErrorCode      string
	CorrelationID  string
	ParentRunID    string
	ExternalRunID  string
	Metadata       map[string]any
	EventCount     int
	TotalQuantity  string
	TotalCostUnits string
	TimelineURL    string
}

// StartRun starts a run synchronously (POST /runs) and returns it as the
// API created it. In instrumented code prefer Tracker.Start: it returns at
// once, carries the run in a ctx and ships events in the background.
func (c *Client) StartRun(ctx context.Context, p RunParams) (*RunInfo, error) {
	const op = "StartRun"
	if err := p.validate(op); err != nil {
		return nil, err
	}
	if p.ExternalRunID == "" {
		p.ExternalRunID = newKey(keyPrefixRun)
	}
	body := wire.StartRunRequest{
		CustomerID:    p.CustomerID,
		WorkflowID:    p.Workflow,
		ExternalRunID: p.ExternalRunID,
		CorrelationID: p.CorrelationID,
		ParentRunID:   p.ParentRunID,
		Metadata:      c.guard.filter(p.Metadata),
	}
	var out wire.StartRunResult
	if _, err := c.do(ctx, request{op: op, method: "POST", path: "/runs", body: &body, out: &out}); err != nil {
		return nil, err
	}
	info := runInfoFromWire(&out)
	if info.ExternalRunID == "" {
		info.ExternalRunID = p.ExternalRunID
	}
	return info, nil
}

// EndRun ends a run (PATCH /runs/{id}). Ending it again with the same status
// is a harmless replay; a different status is ErrRunAlreadyEnded.
func (c *Client) EndRun(ctx context.Context, runID string, p EndRunParams) (*EndRunResult, error) {
	const op = "EndRun"
	if strings.TrimSpace(runID) == "" {
		return nil, validationError(op, "runId", "run id is required")
	}
	if !p.Status.Terminal() {
		return nil, validationError(op, "status", "status must be COMPLETED, FAILED, CANCELLED or TIMEOUT")
	}
	body := endRunRequest(c, &p)
	var out wire.EndRunResult
	if _, err := c.do(ctx, request{op: op, method: "PATCH", path: "/runs/" + url.PathEscape(runID), body: body, out: &out}); err != nil {
		return nil, err
	}
	return &EndRunResult{
		ID:             out.ID,
		Status:         RunStatus(out.Status),
		EndedAt:        parseTime(out.EndedAt),
		Duration:       msPtr(out.DurationMs),
		EventCount:     out.EventCount,
		TotalCostUnits: deref(out.TotalCostUnits),
	}, nil
}

// maxErrorMessage bounds run error messages: enough to say what failed,
// too short for a stack trace.
const maxErrorMessage = 500

// GetRun returns a run with its totals (GET /runs/{id}).
func (c *Client) GetRun(ctx context.Context, runID string) (*RunDetails, error) {
	const op = "GetRun"
	if strings.TrimSpace(runID) == "" {
		return nil, validationError(op, "runId", "run id is required")
	}
	var out wire.RunDetails
	if _, err := c.do(ctx, request{op: op, method: "GET", path: "/runs/" + url.PathEscape(runID), out: &out}); err != nil {
		return nil, err
	}
	return runDetailsFromWire(&out), nil
}
