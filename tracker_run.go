package drip

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync/atomic"
	"time"

	"github.com/drip-sdk/drip-go/internal/textutil"
)

const (
	runOpen int32 = iota
	runEnded
	runInvalid
)

// Run is a run being recorded through a Tracker. Its methods return at
// once: they validate, stamp the time and enqueue; the tracker delivers in
// order (start, events, end). A Run is safe for concurrent use. Get one from
// Tracker.Start.
//
// A nil *Run (RunFromContext of a ctx without one) is safe to use: its
// methods record nothing and return ErrNoRun.
type Run struct {
	t       *Tracker
	params  RunParams
	parent  *Run
	started time.Time
	err     error // why the run is invalid, if it is

	state    atomic.Int32
	endedAt  atomic.Int64 // Unix ns of End/Fail
	end      atomic.Pointer[EndRunParams]
	id       atomic.Pointer[string] // set by the exporter once started
	startErr atomic.Pointer[error]  // set by the exporter when the API refused the start
	// externalID is the run's stable external id, fixed by the exporter
	// before the first attempt to start it.
	externalID string
}

// ID returns the run's Drip id once the tracker has created it (after a
// Flush, for instance), else "".
func (r *Run) ID() string {
	if r == nil {
		return ""
	}
	if p := r.id.Load(); p != nil {
		return *p
	}
	return ""
}

// CustomerID returns whose run it is.
func (r *Run) CustomerID() string {
	if r == nil {
		return ""
	}
	return r.params.CustomerID
}

// Workflow returns the run's workflow id or slug.
func (r *Run) Workflow() string {
	if r == nil {
		return ""
	}
	return r.params.Workflow
}

// Tracker returns the tracker recording the run (nil for a nil Run).
func (r *Run) Tracker() *Tracker {
	if r == nil {
		return nil
	}
	return r.t
}

// Err returns why the run could not be recorded: invalid params, a dropped
// start, or, once the exporter has tried, the API's refusal of the start.
// It is nil for a run being recorded.
func (r *Run) Err() error {
	if r == nil {
		return ErrNoRun
	}
	if r.err != nil {
		return r.err
	}
	if p := r.startErr.Load(); p != nil {
		return *p
	}
	return nil
}

// Emit records an event in the run. Only validation and the enqueue happen
// on the caller's goroutine.
func (r *Run) Emit(e Event) error {
	if r == nil {
		return ErrNoRun
	}
	if r.err != nil {
		r.t.refuse(kindEvent) // the run itself was refused
		return r.err
	}
	if err := e.validate("Run.Emit", false); err != nil {
		return err
	}
	if r.state.Load() != runOpen {
		r.t.refuse(kindEvent)
		return errRunEnded
	}
	if e.Timestamp.IsZero() {
		e.Timestamp = time.Now()
	}
	return r.t.enqueue(context.Background(), &item{kind: kindEvent, run: r, ev: e})
}

// emitCall queues an event the exporter builds from a deferred call
// (UsageRecorder.ReportDeferred): Emit's checks but the validation, which
// the exporter does once the event exists, and the time stamp, which is
// the call's (or, if it has none, the time it is built).
func (r *Run) emitCall(c deferredCall) error {
	if r == nil {
		return ErrNoRun
	}
	if r.err != nil {
		r.t.refuse(kindEvent)
		return r.err
	}
	if r.state.Load() != runOpen {
		r.t.refuse(kindEvent)
		return errRunEnded
	}
	return r.t.enqueue(context.Background(), &item{kind: kindEvent, run: r, call: c})
}

var errRunEnded = &Error{Op: "Run.Emit", Code: CodeRunAlreadyEnded, Message: "run already ended; event dropped"}

// LLMCall records an llm.completion event: model, token counts and
// duration. The tracker prices it from its price table (WithPricing).
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
		p.ErrorMessage = textutil.Truncate(msg, 200)
		p.ErrorCode = ErrorType(err)
	}
	return r.finish(p)
}

// EndWith ends the run with full end parameters.
func (r *Run) EndWith(p EndRunParams) error { return r.finish(p) }

func (r *Run) finish(p EndRunParams) error {
	if r == nil {
		return ErrNoRun
	}
	if r.err != nil {
		return r.err
	}
	if err := p.validate("Run.End"); err != nil {
		return err
	}
	if !r.state.CompareAndSwap(runOpen, runEnded) {
		return nil
	}
	r.endedAt.Store(time.Now().UnixNano())
	r.end.Store(&p)
	return r.t.enqueue(context.Background(), &item{kind: kindEnd, run: r, end: &p})
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
