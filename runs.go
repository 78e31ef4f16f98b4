package drip

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/drip-sdk/drip-go/internal/textutil"
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
//
// Limits (see limits.go), checked before anything is queued or sent:
// CustomerID, Workflow, ExternalRunID, CorrelationID and ParentRunID at
// most MaxIDLength bytes and valid UTF-8; Metadata at most MaxMetadataKeys
// keys and MaxMetadataBytes as JSON.
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
	if err := checkIDs(op, "customerId", p.CustomerID, "workflowId", p.Workflow, "externalRunId", p.ExternalRunID,
		"correlationId", p.CorrelationID, "parentRunId", p.ParentRunID); err != nil {
		return err
	}
	return checkMetadata(op, "metadata", p.Metadata)
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
	// or environment. It is cut to 500 characters.
	ErrorMessage string
	// ErrorCode is at most MaxIDLength bytes.
	ErrorCode string
	Metadata  map[string]any
}

// validate checks what the API refuses; the message is cut, not refused.
func (p *EndRunParams) validate(op string) error {
	if !p.Status.Terminal() {
		return validationError(op, "status", "status must be COMPLETED, FAILED, CANCELLED or TIMEOUT")
	}
	if err := checkIDs(op, "errorCode", p.ErrorCode); err != nil {
		return err
	}
	return checkMetadata(op, "metadata", p.Metadata)
}

// EndRunResult is the reply to EndRun.
type EndRunResult struct {
	ID         string
	Status     RunStatus
	EndedAt    time.Time
	Duration   time.Duration
	EventCount int
	// TotalCostUnits sums the run's event costs exactly; zero when no
	// event carried a cost.
	TotalCostUnits Decimal
}

// RunDetails is a run with its totals (GetRun).
type RunDetails struct {
	ID            string
	CustomerID    string
	CustomerName  string
	WorkflowID    string
	WorkflowName  string
	Status        RunStatus
	StartedAt     time.Time
	EndedAt       time.Time
	Duration      time.Duration
	ErrorMessage  string
	ErrorCode     string
	CorrelationID string
	ParentRunID   string
	ExternalRunID string
	Metadata      map[string]any
	EventCount    int
	TotalQuantity string
	// TotalCostUnits sums the run's event costs exactly.
	TotalCostUnits Decimal
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
	if err := checkMetadataEncoded(op, "metadata", body.Metadata); err != nil {
		return nil, err
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
	if err := checkIDs(op, "runId", runID); err != nil {
		return nil, err
	}
	if err := p.validate(op); err != nil {
		return nil, err
	}
	body := endRunRequest(c, &p)
	if err := checkMetadataEncoded(op, "metadata", body.Metadata); err != nil {
		return nil, err
	}
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
		TotalCostUnits: parseDecimalPtr(out.TotalCostUnits),
	}, nil
}

// maxErrorMessage bounds run error messages: enough to say what failed,
// too short for a stack trace.
const maxErrorMessage = 500

// errorMessage is a run error message as sent: cut, not refused, since it
// is often built from an error the caller does not control; bytes that are
// not UTF-8 become U+FFFD.
func errorMessage(s string) string {
	return textutil.Truncate(strings.ToValidUTF8(s, "\uFFFD"), maxErrorMessage)
}

// GetRun returns a run with its totals (GET /runs/{id}).
func (c *Client) GetRun(ctx context.Context, runID string) (*RunDetails, error) {
	const op = "GetRun"
	if strings.TrimSpace(runID) == "" {
		return nil, validationError(op, "runId", "run id is required")
	}
	if err := checkIDs(op, "runId", runID); err != nil {
		return nil, err
	}
	var out wire.RunDetails
	if _, err := c.do(ctx, request{op: op, method: "GET", path: "/runs/" + url.PathEscape(runID), out: &out}); err != nil {
		return nil, err
	}
	return runDetailsFromWire(&out), nil
}
