package otelbridge

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/internal/genaimap"
	"github.com/drip-sdk/drip-go/providers"
)

// SpanProcessor turns the spans of an OpenTelemetry TracerProvider into
// Drip runs and events. Create it with NewSpanProcessor and register it
// with sdktrace.WithSpanProcessor. It is safe for concurrent use.
//
// OnStart and OnEnd run on the goroutine that starts or ends the span. They
// touch one small sharded map, read attributes where they must, hand events
// to the tracker (whose queue never blocks unless the tracker was built
// with drip.WithBlockOnFull) and return; OnEnd of a span whose trace is in
// no run costs one atomic load.
type SpanProcessor struct {
	tracker *drip.Tracker
	cfg     config
	spans   spanTable

	stopped  atomic.Bool
	stopOnce sync.Once

	runsOpened, events, skipped, untracked atomic.Int64
}

var _ sdktrace.SpanProcessor = (*SpanProcessor)(nil)

// NewSpanProcessor returns a processor recording through tracker (nil:
// drip.DefaultTracker()):
//
//	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(otelbridge.NewSpanProcessor(tracker)))
func NewSpanProcessor(tracker *drip.Tracker, opts ...Option) *SpanProcessor {
	cfg := config{maxSpans: DefaultMaxTrackedSpans, maxAge: DefaultMaxRunAge}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.maxSpans <= 0 {
		cfg.maxSpans = DefaultMaxTrackedSpans
	}
	if cfg.maxAge <= 0 {
		cfg.maxAge = DefaultMaxRunAge
	}
	if tracker == nil {
		tracker = drip.DefaultTracker()
	}
	p := &SpanProcessor{tracker: tracker, cfg: cfg}
	p.spans.init(cfg.maxSpans, cfg.maxAge)
	return p
}

// Stats is a snapshot of a processor's counters.
type Stats struct {
	// Tracked is how many started spans the processor remembers now.
	Tracked int64
	// RunsOpened counts runs the processor started for root spans.
	RunsOpened int64
	// Events counts events handed to the tracker (the tracker's own Stats
	// say what became of them).
	Events int64
	// Skipped counts spans drip-go's own instrumentation marked as metered
	// (providers.MeteredAttribute): their calls are recorded already.
	Skipped int64
	// Untracked counts spans of runs that could not be followed because the
	// span table was full; their events are lost.
	Untracked int64
	// Evicted counts spans forgotten because their run outlived the max
	// run age while the table was full.
	Evicted int64
}

// Stats returns the processor's counters.
func (p *SpanProcessor) Stats() Stats {
	return Stats{
		Tracked:    p.spans.len(),
		RunsOpened: p.runsOpened.Load(),
		Events:     p.events.Load(),
		Skipped:    p.skipped.Load(),
		Untracked:  p.untracked.Load(),
		Evicted:    p.spans.evicted.Load(),
	}
}

// OnStart decides which run s belongs to, the only point where a ctx is
// available: the run ctx carries (an HTTP middleware or the caller started
// it; it is attached to, never ended), else the run of the parent span,
// else a new run if s is a root (see WithRootFunc) with a customer (see
// WithCustomerFunc). Spans drip-go's own instrumentation marked as metered
// are skipped.
func (p *SpanProcessor) OnStart(ctx context.Context, s sdktrace.ReadWriteSpan) {
	if p.stopped.Load() {
		return
	}
	sc := s.SpanContext()
	parent := s.Parent()
	local := parent.IsValid() && !parent.IsRemote()

	var inherited *scope
	if local {
		if e, ok := p.spans.get(parent); ok {
			inherited = e.sc
		}
	}
	// In a run: remember which. Attributes are not read here (reading
	// them makes the SDK copy them on the next SetAttributes); a metered
	// span is recognised, and skipped, at OnEnd.
	metered := providers.IsMetered(ctx)
	switch ctxRun := drip.RunFromContext(ctx); {
	case ctxRun != nil:
		scp := inherited
		if scp == nil || scp.run != ctxRun {
			scp = &scope{run: ctxRun, born: time.Now()}
		}
		p.track(sc, entry{sc: scp, metered: metered})
		return
	case inherited != nil:
		p.track(sc, entry{sc: inherited, metered: metered})
		return
	}

	// In no run: does s open one?
	var f genaimap.Facts
	f.ScanOTel(s.Attributes())
	if f.Metered() {
		p.skipped.Add(1)
		return
	}
	if p.cfg.root != nil {
		if !p.cfg.root(ctx, s) {
			return
		}
	} else if local && f.Customer() == "" {
		return
	}
	var customer string
	if p.cfg.customer != nil {
		customer = p.cfg.customer(ctx, s)
	} else {
		customer = resolveCustomer(ctx, f.Customer())
	}
	if customer == "" {
		return
	}
	// Open no run the table could not follow to its end.
	room, stale := p.spans.room(sc.SpanID())
	p.endStale(stale)
	if !room {
		p.untracked.Add(1)
		return
	}
	workflow := ""
	if p.cfg.workflow != nil {
		workflow = p.cfg.workflow(s)
	}
	if workflow == "" {
		workflow = genaimap.Workflow(&f, s.Name(), p.cfg.workflowName)
	}
	tid := sc.TraceID().String()
	_, run := p.tracker.Start(ctx, drip.RunParams{
		CustomerID: customer,
		Workflow:   workflow,
		// A stable id: a replayed start of the same root span is the same run.
		ExternalRunID: genaimap.RunID(sc.TraceID(), sc.SpanID()),
		CorrelationID: tid,
		Metadata:      map[string]any{"integration": "otelbridge", "rootSpan": s.Name()},
	})
	if run.Err() != nil {
		return // invalid or dropped; the tracker counted it
	}
	p.runsOpened.Add(1)
	if !p.track(sc, entry{sc: &scope{run: run, owned: true, born: time.Now()}, root: true}) {
		// Nobody could end it: close it now rather than leave it RUNNING.
		_ = run.EndWith(drip.EndRunParams{Status: drip.RunFailed, ErrorCode: "UNTRACKED",
			ErrorMessage: "otelbridge span table full"})
	}
}

// track remembers the run of the span sc names until it ends.
func (p *SpanProcessor) track(sc trace.SpanContext, e entry) bool {
	e.trace = sc.TraceID()
	ok, stale := p.spans.put(sc.SpanID(), e)
	p.endStale(stale)
	if !ok {
		p.untracked.Add(1)
		return false
	}
	if p.stopped.Load() {
		p.spans.take(&sc) // lost a race with Shutdown
	}
	return true
}

// endStale ends the runs whose root span was evicted as leaked.
func (p *SpanProcessor) endStale(runs []*drip.Run) {
	for _, r := range runs {
		_ = r.EndWith(drip.EndRunParams{Status: drip.RunTimeout, ErrorCode: "SPAN_NOT_ENDED",
			ErrorMessage: "root span not ended within " + p.cfg.maxAge.String()})
	}
}

// OnEnd records s in its run, if it has one: model calls as llm.completion
// (or llm.error), tools, agents, workflows and retrievals as their events,
// other spans as generic events when WithSpanEvents is on. The span that
// opened a run ends it: COMPLETED, or FAILED with its status description
// when it failed.
func (p *SpanProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	sc := s.SpanContext()
	e, ok := p.spans.take(&sc)
	if !ok {
		return
	}
	var f genaimap.Facts
	f.ScanOTel(s.Attributes())
	run := e.sc.run
	if f.Metered() || e.metered && f.Kind() == genaimap.KindLLM {
		p.skipped.Add(1) // drip-go recorded the call itself
	} else if x := (genaimap.End{}); p.read(&x, s, &f) {
		p.emit(run, s, &sc, e.root, &x, &f)
	}
	if e.root && e.sc.owned {
		e.sc.ended.Store(true)
		_ = run.EndWith(endParams(s, &f))
	}
}

// ForceFlush waits until the tracker has delivered everything recorded so
// far, or ctx is done.
func (p *SpanProcessor) ForceFlush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if p.stopped.Load() {
		return nil
	}
	return p.tracker.Flush(ctx)
}

// Shutdown stops the processor: later spans are ignored, and runs it opened
// whose root span has not ended are ended as FAILED with error code
// ABANDONED. It then flushes the tracker (shuts it down with
// WithTrackerShutdown), honouring ctx. Calls after the first return nil.
func (p *SpanProcessor) Shutdown(ctx context.Context) error {
	first := false
	p.stopOnce.Do(func() {
		first = true
		p.stopped.Store(true)
	})
	if !first {
		return nil
	}
	for _, r := range p.spans.clear() {
		_ = r.EndWith(drip.EndRunParams{Status: drip.RunFailed, ErrorCode: drip.CodeAbandoned,
			ErrorMessage: "tracer provider shut down before the root span ended"})
	}
	if p.cfg.ownTracker {
		return p.tracker.Shutdown(ctx)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return p.tracker.Flush(ctx)
}

// RunFromContext returns the run the span in ctx belongs to: the run ctx
// carries, else the run the processor attached ctx's current span to (one
// it opened for a root span, for instance), else nil. Use it to put that
// run in ctx for code that records into runs directly:
//
//	ctx = drip.ContextWithRun(ctx, p.RunFromContext(ctx)) // if non-nil
func (p *SpanProcessor) RunFromContext(ctx context.Context) *drip.Run {
	if r := drip.RunFromContext(ctx); r != nil {
		return r
	}
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return nil
	}
	if e, ok := p.spans.get(sc); ok {
		return e.sc.run
	}
	return nil
}
