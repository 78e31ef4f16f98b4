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
	CreatedAt     string
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
	EndedAt        string
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
	StartedAt      string
	EndedAt        string
	Duration       time.Duration
	ErrorMessage   string
	ErrorCode      string
	CorrelationID  string
	Metadata       map[string]any
	EventCount     int
	TotalQuantity  string
	TotalCostUnits string
	TimelineURL    string
}

// StartRun starts a run (POST /runs). Prefer Tracker.StartRun in
// instrumented code: it returns at once and ships events in the background.
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
	body := wire.EndRunRequest{
		Status:       string(p.Status),
		ErrorMessage: truncate(p.ErrorMessage, maxErrorMessage),
		ErrorCode:    p.ErrorCode,
		Metadata:     c.guard.filter(p.Metadata),
	}
	var out wire.EndRunResult
	if _, err := c.do(ctx, request{op: op, method: "PATCH", path: "/runs/" + url.PathEscape(runID), body: &body, out: &out}); err != nil {
		return nil, err
	}
	return &EndRunResult{
		ID:             out.ID,
		Status:         RunStatus(out.Status),
		EndedAt:        out.EndedAt,
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
	StartedAt     string
	EndedAt       string
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
	Timestamp     string
	Duration      time.Duration
	ParentEventID string
	CostUnits     *float64
	Metadata      map[string]any
}

// TimelineSummary aggregates the whole run, not just the page.
type TimelineSummary struct {
	TotalEvents    int
	ByType         map[string]int
	ByOutcome      map[string]int
	FailedEvents   int
	TotalQuantity  string
	TotalCostUnits string
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
		ErrorMessage:  truncate(p.ErrorMessage, maxErrorMessage),
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
		we := c.eventToWire(e)
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
	res.Summary = glyph + " " + wf.Name + ": " + strconv.Itoa(res.EventsCreated) + " events recorded (" +
		strconv.FormatInt(res.Duration.Milliseconds(), 10) + "ms)"
	return res, nil
}

// Workflow is a named kind of run.
type Workflow struct {
	ID             string
	Name           string
	Slug           string
	ProductSurface string
	Description    string
	IsActive       bool
	CreatedAt      string
}

// ListWorkflows lists the workflows (GET /workflows).
func (c *Client) ListWorkflows(ctx context.Context) ([]Workflow, error) {
	var out wire.WorkflowList
	if _, err := c.do(ctx, request{op: "ListWorkflows", method: "GET", path: "/workflows", out: &out}); err != nil {
		return nil, err
	}
	ws := make([]Workflow, len(out.Data))
	for i := range out.Data {
		ws[i] = workflowFromWire(&out.Data[i])
	}
	return ws, nil
}

// WorkflowParams creates a workflow.
type WorkflowParams struct {
	Name           string
	Slug           string
	ProductSurface string // API, RPC, WEBHOOK, AGENT, PIPELINE or CUSTOM (default)
	Description    string
	Metadata       map[string]any
}

// CreateWorkflow creates a workflow (POST /workflows).
func (c *Client) CreateWorkflow(ctx context.Context, p WorkflowParams) (*Workflow, error) {
	const op = "CreateWorkflow"
	if strings.TrimSpace(p.Name) == "" {
		return nil, validationError(op, "name", "name is required")
	}
	if strings.TrimSpace(p.Slug) == "" {
		return nil, validationError(op, "slug", "slug is required")
	}
	if p.ProductSurface == "" {
		p.ProductSurface = "CUSTOM"
	}
	body := wire.CreateWorkflowRequest{Name: p.Name, Slug: p.Slug, ProductSurface: p.ProductSurface,
		Description: p.Description, Metadata: c.guard.filter(p.Metadata)}
	var out wire.Workflow
	if _, err := c.do(ctx, request{op: op, method: "POST", path: "/workflows", body: &body, out: &out}); err != nil {
		return nil, err
	}
	w := workflowFromWire(&out)
	return &w, nil
}

// resolveWorkflow finds a workflow by id or slug, creating the slug.
func (c *Client) resolveWorkflow(ctx context.Context, idOrSlug string) (*Workflow, error) {
	ws, err := c.ListWorkflows(ctx)
	if err != nil {
		return nil, err
	}
	for i := range ws {
		if ws[i].Slug == idOrSlug || ws[i].ID == idOrSlug {
			return &ws[i], nil
		}
	}
	return c.CreateWorkflow(ctx, WorkflowParams{Name: slugTitle(idOrSlug), Slug: idOrSlug, ProductSurface: "CUSTOM"})
}

// slugTitle turns "my_agent-v2" into "My Agent V2", as the official clients
// name auto-created workflows.
func slugTitle(slug string) string {
	words := strings.FieldsFunc(slug, func(r rune) bool { return r == '_' || r == '-' || r == ' ' })
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}
