package langchaingo

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tmc/langchaingo/callbacks"
	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/schema"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/providers"
)

// UnknownTool is the tool name recorded for a tool whose name langchaingo
// does not pass (a built-in tool called outside an agent executor).
const UnknownTool = "unknown_tool"

// CallbackHandler is a langchaingo callbacks.Handler that records LLM calls,
// tools, chains, agents and retrievers into Drip. Create it with
// NewCallbackHandler; one handler serves any number of concurrent
// executions. Its methods only update in-memory state and enqueue through
// the tracker: they never block on the network.
type CallbackHandler struct {
	cfg      config
	customer string
	rec      drip.UsageRecorder
	now      func() time.Time

	mu         sync.Mutex
	entries    map[context.Context]*entry
	free       []*entry
	lastSweep  time.Time
	sweepEvery time.Duration
	sweepLen   int
	abandoned  []abandonedRun
	hasAbandon atomic.Bool
	recent     [recentEnds]*llms.ContentResponse
	recentAt   int
}

var _ callbacks.Handler = (*CallbackHandler)(nil)

// NewCallbackHandler returns a handler recording for customerID (the ctx's
// customer, drip.ContextWithCustomer, wins when set):
//
//	h := langchaingo.NewCallbackHandler("cust_123")
//	llm, _ := openai.New(openai.WithCallback(h))
func NewCallbackHandler(customerID string, opts ...Option) *CallbackHandler {
	h := &CallbackHandler{
		cfg:      newConfig(opts),
		customer: customerID,
		now:      time.Now,
		entries:  make(map[context.Context]*entry),
		sweepLen: minSweepLen,
	}
	h.sweepEvery = min(max(h.cfg.ttl/10, time.Second), time.Minute)
	h.lastSweep = h.now()
	h.rec = drip.UsageRecorder{Tracker: h.cfg.tracker, CustomerID: customerID,
		Metadata: h.cfg.metadata}
	return h
}

func (h *CallbackHandler) tracker() *drip.Tracker {
	if h.cfg.tracker != nil {
		return h.cfg.tracker
	}
	return drip.DefaultTracker()
}

// out collects what a callback records, to be sent after h.mu is released.
type out struct {
	evs  [3]drip.Event
	runs [3]*drip.Run
	n    int
	end  *drip.Run
	endP drip.EndRunParams
}

func (o *out) add(run *drip.Run, e drip.Event) {
	if run == nil || o.n == len(o.evs) {
		return
	}
	o.evs[o.n], o.runs[o.n] = e, run
	o.n++
}

// flush sends the collected events, then ends the run, then any runs a
// sweep abandoned. h.mu must not be held.
func (h *CallbackHandler) flush(o *out) {
	for i := 0; i < o.n; i++ {
		h.emit(o.runs[i], o.evs[i])
	}
	if o.end != nil {
		_ = o.end.EndWith(o.endP)
	}
	if h.hasAbandon.Load() {
		h.mu.Lock()
		h.hasAbandon.Store(false)
		runs := h.abandoned
		h.abandoned = nil
		h.mu.Unlock()
		h.endAbandoned(runs)
	}
}

func (h *CallbackHandler) emit(run *drip.Run, e drip.Event) {
	if len(h.cfg.metadata) > 0 {
		if e.Metadata == nil {
			e.Metadata = make(map[string]any, len(h.cfg.metadata))
		}
		for k, v := range h.cfg.metadata {
			if _, ok := e.Metadata[k]; !ok {
				e.Metadata[k] = v
			}
		}
	}
	_ = run.Emit(e) // errors (invalid or ended run, full queue) are counted by the tracker
}

// target is the run events on ctx go to: the innermost execution's, else
// the ctx's own. h.mu is held.
func target(ctx context.Context, e *entry) *drip.Run {
	if e != nil {
		if f := e.top(); f != nil {
			return f.run
		}
	}
	return drip.RunFromContext(ctx)
}

// closeTool ends a pending tool (success when err is nil). h.mu is held.
func (h *CallbackHandler) closeTool(ctx context.Context, e *entry, now time.Time, err error, o *out) {
	t := e.tool
	if t == nil {
		return
	}
	e.tool = nil
	ev := drip.Event{Type: drip.EventToolCall, Name: t.name, Duration: now.Sub(t.start),
		Status: drip.StatusSuccess, Quantity: 1, Units: "calls", Description: "Tool: " + t.name,
		Metadata: map[string]any{"toolName": t.name}}
	if err != nil {
		ev.Type, ev.Status, ev.Units = drip.EventToolError, drip.StatusError, "errors"
		ev.Description = "Tool error: " + t.name
		ev.Metadata["errorType"] = drip.ErrorType(err)
	}
	o.add(target(ctx, e), ev)
}

// HandleText does nothing: text carries content, not usage.
func (h *CallbackHandler) HandleText(context.Context, string) {}

// HandleLLMStart does nothing: no provider calls it in langchaingo v0.1.14.
func (h *CallbackHandler) HandleLLMStart(context.Context, []string) {}

// HandleLLMGenerateContentStart notes when the call started, and ends a
// tool the agent ran before asking the model again.
func (h *CallbackHandler) HandleLLMGenerateContentStart(ctx context.Context, _ []llms.MessageContent) {
	if providers.IsMetered(ctx) {
		return // WrapModel (or another meter) records this call
	}
	h.llmStart(ctx, true)
}

func (h *CallbackHandler) llmStart(ctx context.Context, pending bool) {
	var o out
	now := h.now()
	h.mu.Lock()
	e := h.lookup(ctx, now, pending)
	if e != nil {
		h.closeTool(ctx, e, now, nil, &o)
		if pending {
			if len(e.llm) == maxPendingLLM {
				e.llm = popFront(e.llm)
			}
			e.llm = append(e.llm, now)
		} else {
			h.release(ctx, e)
		}
	}
	h.mu.Unlock()
	h.flush(&o)
}

// popLLM returns the duration of ctx's oldest pending LLM call and the run
// its record goes to; dup is true for an end already seen. h.mu is held.
func (h *CallbackHandler) popLLM(ctx context.Context, res *llms.ContentResponse, now time.Time) (d time.Duration, run *drip.Run, dup bool) {
	if res != nil && h.seenEnd(res) {
		return 0, nil, true
	}
	e := h.lookup(ctx, now, false)
	if e == nil {
		return 0, drip.RunFromContext(ctx), false
	}
	if e.metered > 0 && res != nil { // HTTPClient recorded this call already
		e.metered--
		h.release(ctx, e)
		return 0, nil, true
	}
	if len(e.llm) > 0 {
		d = now.Sub(e.llm[0])
		e.llm = popFront(e.llm)
	}
	run = target(ctx, e)
	h.release(ctx, e)
	return d, run, false
}

// HandleLLMGenerateContentEnd records the call's usage, read once from the
// response. A nil response (mistral calls End twice, first with nil) and a
// second end of the same response are ignored.
func (h *CallbackHandler) HandleLLMGenerateContentEnd(ctx context.Context, res *llms.ContentResponse) {
	if res == nil || providers.IsMetered(ctx) {
		return
	}
	now := h.now()
	h.mu.Lock()
	d, run, dup := h.popLLM(ctx, res, now)
	h.mu.Unlock()
	if dup {
		return
	}
	u, _ := UsageFromResponse(res)
	u.Operation = providers.OpGenerate
	u.Duration = d
	h.record(ctx, run, &u)
}

// HandleLLMError records llm.error (the error's type only). Only some
// providers call it (not openai); WrapModel covers the others.
func (h *CallbackHandler) HandleLLMError(ctx context.Context, err error) {
	if providers.IsMetered(ctx) {
		return
	}
	if err == nil {
		err = errUnknown
	}
	now := h.now()
	h.mu.Lock()
	d, run, _ := h.popLLM(ctx, nil, now)
	h.mu.Unlock()
	u := providers.Usage{Operation: providers.OpGenerate, Duration: d, Err: err, ErrorType: drip.ErrorType(err)}
	h.record(ctx, run, &u)
}

// record sends one LLM call through the shared funnel: into run when there
// is one, else through the UsageRecorder (customer usage).
func (h *CallbackHandler) record(ctx context.Context, run *drip.Run, u *providers.Usage) {
	if u.RequestModel == "" {
		u.RequestModel = h.cfg.model
	}
	if u.RequestModel == "" && u.Model == "" {
		u.RequestModel = "unknown"
	}
	if run == nil {
		h.rec.Report(ctx, *u)
		return
	}
	h.emit(run, drip.LLMEvent(u))
}

// HandleChainStart opens an execution on ctx: the outermost one gets a run
// of its own unless ctx carries one; nested ones record into it.
func (h *CallbackHandler) HandleChainStart(ctx context.Context, _ map[string]any) {
	if !keyable(ctx) {
		return // its end could not be matched: record into the ctx's run only
	}
	now := h.now()
	h.mu.Lock()
	e := h.lookup(ctx, now, true)
	f := &frame{start: now}
	if top := e.top(); top != nil {
		f.run = top.run
	} else if f.run = drip.RunFromContext(ctx); f.run == nil {
		cust := drip.CustomerFromContext(ctx)
		if cust == "" {
			cust = h.customer
		}
		_, f.run = h.tracker().Start(ctx, drip.RunParams{CustomerID: cust, Workflow: h.cfg.workflow,
			Metadata: h.cfg.metadata})
		f.owned = true
	}
	e.frames = append(e.frames, f)
	h.mu.Unlock()
	h.flush(&out{})
}

// HandleChainEnd records chain.execution and ends the run the handler
// started for the outermost execution as COMPLETED.
func (h *CallbackHandler) HandleChainEnd(ctx context.Context, _ map[string]any) {
	h.chainDone(ctx, nil)
}

// HandleChainError records chain.error (the error's type only), and
// tool.error for a tool the failing agent was running, and ends the run the
// handler started for the outermost execution as FAILED.
func (h *CallbackHandler) HandleChainError(ctx context.Context, err error) {
	if err == nil {
		err = errUnknown
	}
	h.chainDone(ctx, err)
}

type unknownError struct{}

func (unknownError) Error() string { return "unknown error" }

var errUnknown error = unknownError{}

func (h *CallbackHandler) chainDone(ctx context.Context, err error) {
	var o out
	now := h.now()
	h.mu.Lock()
	e := h.lookup(ctx, now, false)
	if e == nil || len(e.frames) == 0 {
		h.mu.Unlock()
		return // an end without a start (state swept, or a non-comparable ctx)
	}
	f := e.frames[len(e.frames)-1]
	h.closeTool(ctx, e, now, err, &o)
	e.frames[len(e.frames)-1] = nil
	e.frames = e.frames[:len(e.frames)-1]
	depth := len(e.frames)
	h.release(ctx, e)
	h.mu.Unlock()

	name := "chain"
	if f.agent {
		name = "agent_executor"
	}
	ev := drip.Event{Type: drip.EventChainExecution, Name: name, Duration: now.Sub(f.start),
		Status: drip.StatusSuccess, Quantity: 1, Units: "executions", Description: "Chain: " + name,
		Metadata: map[string]any{"chainType": name, "depth": depth}}
	if err != nil {
		ev.Type, ev.Status, ev.Units = drip.EventChainError, drip.StatusError, "errors"
		ev.Description = "Chain error: " + name
		ev.Metadata["errorType"] = drip.ErrorType(err)
	}
	o.add(f.run, ev)
	if f.owned {
		o.end = f.run
		o.endP = drip.EndRunParams{Status: drip.RunCompleted}
		if err != nil {
			typ := drip.ErrorType(err)
			o.endP = drip.EndRunParams{Status: drip.RunFailed, ErrorCode: typ,
				ErrorMessage: "langchaingo " + name + " failed: " + typ}
		}
	}
	h.flush(&o)
}

// HandleToolStart notes the start of a built-in tool (calculator, …). Its
// name comes from the agent action just before it, else it is UnknownTool.
func (h *CallbackHandler) HandleToolStart(ctx context.Context, _ string) {
	var o out
	now := h.now()
	h.mu.Lock()
	e := h.lookup(ctx, now, true)
	switch t := e.tool; {
	case t != nil && !t.callback:
		t.start, t.callback = now, true
	default:
		h.closeTool(ctx, e, now, nil, &o) // a tool that returned without its end callback
		e.tool = &pendingTool{name: UnknownTool, start: now, callback: true}
	}
	if !keyable(ctx) {
		e.tool = nil
	}
	h.mu.Unlock()
	h.flush(&o)
}

// HandleToolEnd records tool.call.
func (h *CallbackHandler) HandleToolEnd(ctx context.Context, _ string) { h.toolDone(ctx, nil) }

// HandleToolError records tool.error (the error's type only).
func (h *CallbackHandler) HandleToolError(ctx context.Context, err error) {
	if err == nil {
		err = errUnknown
	}
	h.toolDone(ctx, err)
}

func (h *CallbackHandler) toolDone(ctx context.Context, err error) {
	var o out
	now := h.now()
	h.mu.Lock()
	if e := h.lookup(ctx, now, false); e != nil {
		h.closeTool(ctx, e, now, err, &o)
		h.release(ctx, e)
	}
	h.mu.Unlock()
	h.flush(&o)
}

// HandleAgentAction records agent.action and starts timing the tool the
// executor calls next, under the action's tool name. The tool ends at its
// own end callback (built-in tools) or at the agent's next step (any tool).
func (h *CallbackHandler) HandleAgentAction(ctx context.Context, action schema.AgentAction) {
	var o out
	now := h.now()
	name := action.Tool
	if name == "" {
		name = UnknownTool
	}
	h.mu.Lock()
	e := h.lookup(ctx, now, true)
	h.closeTool(ctx, e, now, nil, &o)
	count := &e.actions
	if f := e.top(); f != nil {
		f.agent = true
		count = &f.actions
	}
	*count++
	ev := drip.Event{Type: drip.EventAgentAction, Name: name, Status: drip.StatusSuccess, Quantity: 1,
		Units: "actions", Description: "Agent action: " + name,
		Metadata: map[string]any{"toolName": name, "actionCount": *count}}
	o.add(target(ctx, e), ev)
	if keyable(ctx) {
		e.tool = &pendingTool{name: name, start: now}
	}
	h.mu.Unlock()
	h.flush(&o)
}

// HandleAgentFinish records agent.finish: quantity is the execution's
// action count (1 when it took none, as the official handlers).
func (h *CallbackHandler) HandleAgentFinish(ctx context.Context, _ schema.AgentFinish) {
	var o out
	now := h.now()
	h.mu.Lock()
	e := h.lookup(ctx, now, true)
	h.closeTool(ctx, e, now, nil, &o)
	actions, start := e.actions, time.Time{}
	if f := e.top(); f != nil {
		f.agent = true
		actions, start = f.actions, f.start
	} else {
		e.actions = 0
	}
	ev := drip.Event{Type: drip.EventAgentFinish, Status: drip.StatusSuccess, Quantity: float64(max(actions, 1)),
		Units: "actions", Description: "Agent run completed", Metadata: map[string]any{"actionCount": actions}}
	if !start.IsZero() {
		ev.Duration = now.Sub(start)
	}
	o.add(target(ctx, e), ev)
	h.release(ctx, e)
	h.mu.Unlock()
	h.flush(&o)
}

// HandleRetrieverStart notes when a retrieval started.
func (h *CallbackHandler) HandleRetrieverStart(ctx context.Context, _ string) {
	now := h.now()
	h.mu.Lock()
	e := h.lookup(ctx, now, true)
	if keyable(ctx) {
		if len(e.retr) == maxPendingRetr {
			e.retr = popFront(e.retr)
		}
		e.retr = append(e.retr, now)
	}
	h.mu.Unlock()
	h.flush(&out{})
}

// HandleRetrieverEnd records retriever.query: quantity is the number of
// documents returned (never the query or the documents).
func (h *CallbackHandler) HandleRetrieverEnd(ctx context.Context, _ string, docs []schema.Document) {
	var o out
	now := h.now()
	h.mu.Lock()
	e := h.lookup(ctx, now, false)
	var d time.Duration
	if e != nil && len(e.retr) > 0 {
		d = now.Sub(e.retr[0])
		e.retr = popFront(e.retr)
	}
	o.add(target(ctx, e), drip.Event{Type: drip.EventRetrieverQuery, Name: "retriever", Duration: d,
		Status: drip.StatusSuccess, Quantity: float64(len(docs)), Units: "documents",
		Description: "Retriever: retriever",
		Metadata:    map[string]any{"retriever": "retriever", "documentCount": len(docs)}})
	if e != nil {
		h.release(ctx, e)
	}
	h.mu.Unlock()
	h.flush(&o)
}

// HandleStreamingFunc does nothing: chunks are text, never usage.
func (h *CallbackHandler) HandleStreamingFunc(context.Context, []byte) {}
