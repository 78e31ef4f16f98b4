package drip

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync/atomic"
	"time"
)

const (
	runOpen int32 = iota
	runEnded
	runInvalid
)

// Run is a run being recorded through a Tracker. Its methods return at
// once: they validate, stamp the time and enqueue; the tracker delivers in
// order (start, events, end). A Run is safe for concurrent use. The zero
// Run is not usable; get one from Tracker.StartRun.
type Run struct {
	t       *Tracker
	params  RunParams
	parent  *Run
	started time.Time
	err     error // why the run is invalid, if it is

	state       atomic.Int32
	endedAt     atomic.Int64 // Unix ns of End/Fail
	end         atomic.Pointer[EndRunParams]
	id          atomic.Pointer[string] // set by the exporter once started
	startFailed atomic.Bool
	externalID  string // exporter-owned
}

// StartRun starts a run and returns a ctx carrying it, so integrations
// further down (WrapOpenAI, the langchaingo handler, otelbridge) record into
// it. It returns at once; the run is created in the background.
//
// CustomerID defaults to CustomerFromContext(ctx). Under a ctx that already
// carries a run, the new run's ParentRunID is that run. Invalid params give
// a Run whose methods return the VALIDATION_ERROR.
func (t *Tracker) StartRun(ctx context.Context, p RunParams) (context.Context, *Run) {
	r := &Run{t: t, params: p, started: time.Now()}
	if r.params.CustomerID == "" {
		r.params.CustomerID = CustomerFromContext(ctx)
	}
	if parent := RunFromContext(ctx); parent != nil && parent != r {
		r.parent = parent
	}
	if r.params.ExternalRunID != "" {
		r.externalID = r.params.ExternalRunID
	}
	if err := r.params.validate("StartRun"); err != nil {
		r.err = err
		r.state.Store(runInvalid)
		return ContextWithRun(ctx, r), r
	}
	if err := t.enqueue(ctx, &item{kind: kindStart, run: r}); err != nil {
		r.err = err
		r.state.Store(runInvalid)
	}
	return ContextWithRun(ctx, r), r
}

// ID returns the run's Drip id once the tracker has created it (after a
// Flush, for instance), else "".
func (r *Run) ID() string {
	if p := r.id.Load(); p != nil {
		return *p
	}
	return ""
}

// CustomerID returns whose run it is.
func (r *Run) CustomerID() string { return r.params.CustomerID }

// Workflow returns the run's workflow id or slug.
func (r *Run) Workflow() string { return r.params.Workflow }

// Tracker returns the tracker recording the run.
func (r *Run) Tracker() *Tracker { return r.t }

// Err returns why the run could not be recorded (invalid params, dropped
// start), or nil.
func (r *Run) Err() error { return r.err }

// Emit records an event in the run. Only validation and the enqueue happen
// on the caller's goroutine.
func (r *Run) Emit(e Event) error {
	if r.err != nil {
		return r.err
	}
	if err := e.validate("Run.Emit", false); err != nil {
		return err
	}
	if e.Timestamp.IsZero() {
		e.Timestamp = time.Now()
	}
	// Claim a slot and write the event into it: one copy.
	s, pos, err := r.claim()
	if err != nil {
		return err
	}
	s.it.kind, s.it.run, s.it.ev = kindEvent, r, e
	r.t.queue.publish(s, pos)
	return nil
}

// claim reserves a queue slot for an event of r, which must then be
// published; it refuses, and counts, events of an ended run and those the
// queue has no room for (under WithBlockOnFull it waits for room).
func (r *Run) claim() (*slot, uint64, error) {
	if r.state.Load() != runOpen {
		r.t.dropped.Add(1)
		return nil, 0, errRunEnded
	}
	var (
		s   *slot
		pos uint64
		res pushResult
	)
	if !r.t.cfg.block {
		s, pos, res = r.t.queue.reserve()
	} else {
		s, pos, res, _ = r.t.queue.reserveWait(nil, r.t.stopCh) // no ctx: no error
	}
	if res != pushed {
		return nil, 0, r.t.refused(res)
	}
	return s, pos, nil
}

var errRunEnded = &Error{Op: "Run.Emit", Code: CodeRunAlreadyEnded, Message: "run already ended; event dropped"}

// LLMCall records an llm.completion event: model, token counts and
// duration. Quantity is the total token count; the tracker prices it from
// its price table (WithPricing).
func (r *Run) LLMCall(model string, inputTokens, outputTokens int64, d time.Duration) error {
	return r.Emit(Event{Type: EventLLMCompletion, Model: model, InputTokens: inputTokens,
		OutputTokens: outputTokens, Duration: d, Status: StatusSuccess, Units: "tokens"})
}

// ToolCall records a tool.call event, or tool.error when err is non-nil
// (only the error's type goes out, never its text).
func (r *Run) ToolCall(name string, d time.Duration, err error) error {
	e := Event{Type: EventToolCall, Name: name, Duration: d, Status: StatusSuccess, Quantity: 1, Units: "calls"}
	if err != nil {
		e.Type, e.Status, e.Units = EventToolError, StatusError, "errors"
		e.Metadata = map[string]any{"errorType": ErrorType(err)}
	}
	return r.Emit(e)
}

// End ends the run with status (RunCompleted, RunFailed, RunCancelled or
// RunTimeout). Only the first End or Fail counts.
func (r *Run) End(status RunStatus) error {
	return r.finish(EndRunParams{Status: status})
}

// Fail ends the run as FAILED. The message is err's first line, cut short;
// the code is err's *Error code or its Go type name. Never a stack trace.
func (r *Run) Fail(err error) error {
	p := EndRunParams{Status: RunFailed, ErrorCode: "ERROR"}
	if err != nil {
		msg, _, _ := strings.Cut(err.Error(), "\n")
		p.ErrorMessage = truncate(msg, 200)
		p.ErrorCode = ErrorType(err)
	}
	return r.finish(p)
}

// EndWith ends the run with full end parameters.
func (r *Run) EndWith(p EndRunParams) error { return r.finish(p) }

func (r *Run) finish(p EndRunParams) error {
	if r.err != nil {
		return r.err
	}
	if !p.Status.Terminal() {
		return validationError("Run.End", "status", "status must be COMPLETED, FAILED, CANCELLED or TIMEOUT")
	}
	if !r.state.CompareAndSwap(runOpen, runEnded) {
		return nil
	}
	r.endedAt.Store(time.Now().UnixNano())
	r.end.Store(&p)
	return r.t.enqueue(nil, &item{kind: kindEnd, run: r, end: p})
}

func (r *Run) loadEnd() EndRunParams {
	if p := r.end.Load(); p != nil {
		return *p
	}
	return EndRunParams{Status: RunFailed, ErrorCode: CodeAbandoned}
}

// ErrorType names an error for metadata and run error codes without its
// text: the *Error code, else the Go type of the innermost wrapped error.
func ErrorType(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := AsError(err); ok && e.Code != "" {
		return e.Code
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "DeadlineExceeded"
	}
	if errors.Is(err, context.Canceled) {
		return "Canceled"
	}
	for {
		next := errors.Unwrap(err)
		if next == nil {
			break
		}
		err = next
	}
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Name() == "" {
		return "error"
	}
	return t.String()
}
