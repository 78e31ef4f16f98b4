package dripexporter

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/internal/genaimap"
	"github.com/drip-sdk/drip-go/providers/pricing"
)

// api is the part of drip.Client the exporter calls: the SDK's own client
// (idempotency keys, typed errors) in production, a counting sink in the
// benchmark.
type api interface {
	StartRun(ctx context.Context, p drip.RunParams) (*drip.RunInfo, error)
	EmitEventsBatch(ctx context.Context, events []drip.Event) (*drip.BatchResult, error)
	EndRun(ctx context.Context, runID string, p drip.EndRunParams) (*drip.EndRunResult, error)
	GetRun(ctx context.Context, runID string) (*drip.RunDetails, error)
}

// Tunables of the request fan-out.
const (
	// maxBatch is the most events sent in one EmitEventsBatch.
	maxBatch = 500
	// parallelRuns bounds concurrent StartRun/EndRun calls of one batch.
	parallelRuns = 8
	// endedRetention is how long a trace whose run ended is remembered (at
	// most the idle timeout), so stragglers join its run: memory grows
	// with traces per second times this.
	endedRetention = time.Minute
)

// dripExporter turns span batches into Drip runs and events. Run identity
// (otel-<trace id>) and event keys (otel_<trace>_<span>) come from the
// spans alone, so a trace yields the same run and events however its spans
// are split into batches, ordered, or spread over collector instances;
// what it keeps in memory only bridges the wait for a trace's customer and
// its root span.
type dripExporter struct {
	cfg    *Config
	api    api
	logger *zap.Logger
	now    func() time.Time

	mu      sync.Mutex
	traces  map[[16]byte]*traceState
	pending int // spans held in traceState.pending, all traces

	stop    chan struct{}
	stopped sync.WaitGroup
	stats   Stats
}

// Stats counts what the exporter did, for tests and telemetry.
type Stats struct {
	RunsStarted, RunsEnded, RunsAbandoned, Events, Skipped int64
	// Dropped counts spans that waited for a customer that never came,
	// or found the pending bound full.
	Dropped int64
}

// traceState is what the exporter remembers of one trace between batches.
type traceState struct {
	customer, workflow string
	runID              string
	pending            []drip.Event // events waiting for the customer
	ended              bool         // the root span arrived and ended the run
	noCustomer         bool         // the root came without a customer: nothing to meter
	lastSeen           time.Time
}

func newExporter(cfg *Config, logger *zap.Logger) (*dripExporter, error) {
	c, err := drip.New(drip.WithAPIKey(string(cfg.APIKey)), drip.WithBaseURL(cfg.Endpoint),
		drip.WithoutRetries(), // the exporter helper retries whole batches
		drip.WithUserAgent("otelcol-drip"))
	if err != nil {
		return nil, err // a *drip.Error; it never contains the key
	}
	return newExporterWith(cfg, c, logger), nil
}

func newExporterWith(cfg *Config, a api, logger *zap.Logger) *dripExporter {
	if logger == nil {
		logger = zap.NewNop()
	}
	return &dripExporter{cfg: cfg, api: a, logger: logger, now: time.Now,
		traces: make(map[[16]byte]*traceState), stop: make(chan struct{})}
}

func (x *dripExporter) start(context.Context, component.Host) error {
	every := min(max(x.cfg.IdleTimeout/4, 10*time.Millisecond), 30*time.Second)
	x.stopped.Add(1)
	go func() {
		defer x.stopped.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-x.stop:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), x.cfg.TimeoutConfig.Timeout+time.Second)
				x.sweep(ctx)
				cancel()
			}
		}
	}()
	return nil
}

func (x *dripExporter) shutdown(context.Context) error {
	select {
	case <-x.stop:
	default:
		close(x.stop)
	}
	x.stopped.Wait()
	return nil
}

// spanOut is one span as a batch carries it to Drip.
type spanOut struct {
	event *drip.Event        // nil: the span records nothing
	end   *drip.EndRunParams // set on the trace's root span
	root  bool               //
	cust  string             // the customer the span names
	wf    string             // the workflow it would give a run it starts
	trace [16]byte           //
}

// traceWork is what one batch sends for one trace.
type traceWork struct {
	trace              [16]byte
	customer, workflow string
	runID              string
	events             []drip.Event
	end                *drip.EndRunParams
	ended              bool // the run was ended already: a replayed root ends nothing
	fromPending        int  // how many of events came from the pending list
}

// consume is the exporter helper's push function.
func (x *dripExporter) consume(ctx context.Context, td ptrace.Traces) error {
	byTrace := x.mapSpans(td)
	work := x.plan(byTrace)
	if len(work) == 0 {
		return nil
	}
	if err := x.send(ctx, work); err != nil {
		return err
	}
	x.commit(work)
	return nil
}

// mapSpans maps every span of td through the shared rules, grouped by
// trace in order of first appearance.
func (x *dripExporter) mapSpans(td ptrace.Traces) [][]spanOut {
	var groups [][]spanOut
	index := make(map[[16]byte]int)
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		res := rs.Resource().Attributes()
		resCustomer := strAttr(res, x.cfg.Customer.ResourceAttribute)
		service := ""
		if x.cfg.Workflow.UseServiceName {
			service = genaimap.Slug(strAttr(res, "service.name"))
		}
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				o, ok := x.mapSpan(spans.At(k), resCustomer, service)
				if !ok {
					continue
				}
				g, seen := index[o.trace]
				if !seen {
					g = len(groups)
					index[o.trace] = g
					groups = append(groups, nil)
				}
				groups[g] = append(groups[g], o)
			}
		}
	}
	return groups
}

// mapSpan reads one span: its event, and for a root span how its run ends.
func (x *dripExporter) mapSpan(s ptrace.Span, resCustomer, service string) (spanOut, bool) {
	var f genaimap.Facts
	attrs := s.Attributes()
	scanAttrs(&f, attrs)
	if f.Metered() {
		x.mu.Lock()
		x.stats.Skipped++ // drip-go recorded the call itself
		x.mu.Unlock()
		return spanOut{}, false
	}
	// Span attribute, then the baggage-derived one, then the resource's.
	cust := ""
	for _, key := range [2]string{x.cfg.Customer.SpanAttribute, x.cfg.Customer.BaggageAttribute} {
		switch {
		case cust != "":
		case key == genaimap.AttrCustomerID:
			cust = f.Customer() // read by the scan already
		default:
			cust = strAttr(attrs, key)
		}
	}
	if cust == "" {
		cust = resCustomer
	}
	tid, sid, pid := [16]byte(s.TraceID()), [8]byte(s.SpanID()), [8]byte(s.ParentSpanID())
	o := spanOut{trace: tid, cust: cust, root: s.ParentSpanID().IsEmpty()}
	if cust != "" {
		fallback := x.cfg.Workflow.Default
		if fallback == "" {
			fallback = service
		}
		o.wf = genaimap.Workflow(&f, s.Name(), fallback)
	}
	var end genaimap.End
	if end.Read(pspan{s}, &f, x.cfg.SpanEvents) {
		e := new(drip.Event)
		genaimap.Fill(e, &end, &f)
		e.IdempotencyKey, e.SpanID, e.ParentEventID = genaimap.IDs(tid, sid, pid, !o.root && !remoteParent(s))
		start, stop := s.StartTimestamp().AsTime(), s.EndTimestamp().AsTime()
		e.Timestamp, e.Duration = start, max(stop.Sub(start), 0)
		genaimap.Price(e, pricing.Default())
		o.event = e
	}
	if o.root {
		p := genaimap.EndParams(s.Status().Code() == ptrace.StatusCodeError, s.Status().Message(), &f)
		o.end = &p
	}
	return o, true
}

// plan updates the trace states with a batch's spans and returns what to
// send: for each trace with a customer, its run (started or to start), the
// events of this batch and those that waited, and its end if the root came.
// Nothing is forgotten here: pending events leave their trace only in
// commit, after a successful send, so a retried batch sends them again
// (their keys make that harmless).
func (x *dripExporter) plan(groups [][]spanOut) []traceWork {
	now := x.now()
	x.mu.Lock()
	defer x.mu.Unlock()
	var work []traceWork
	for _, g := range groups {
		tid := g[0].trace
		st := x.traces[tid]
		if st == nil {
			st = &traceState{}
			x.traces[tid] = st
		}
		st.lastSeen = now
		if st.customer == "" {
			// The first span that names a customer starts the run; prefer
			// the root if this batch has both.
			for _, o := range g {
				if o.cust != "" && (st.customer == "" || o.root) {
					st.customer, st.workflow = o.cust, o.wf
				}
			}
		}
		if st.customer == "" {
			if st.noCustomer {
				continue
			}
			for _, o := range g {
				if o.root {
					// Only roots carry the customer in real instrumentations:
					// this trace has none.
					st.noCustomer = true
					x.stats.Dropped += int64(len(st.pending))
					x.pending -= len(st.pending)
					st.pending = nil
					break
				}
				if o.event == nil {
					continue
				}
				if x.pending >= x.cfg.MaxPendingSpans {
					x.stats.Dropped++
					continue
				}
				st.pending = append(st.pending, *o.event)
				x.pending++
			}
			continue
		}
		w := traceWork{trace: tid, customer: st.customer, workflow: st.workflow, runID: st.runID, ended: st.ended}
		w.events = append(w.events, st.pending...)
		w.fromPending = len(st.pending)
		for _, o := range g {
			if o.event != nil {
				w.events = append(w.events, *o.event)
			}
			if o.end != nil {
				w.end = o.end
			}
		}
		work = append(work, w)
	}
	return work
}

// send starts the runs not started yet, sends every event in batches and
// ends the runs whose root arrived. Every call is idempotent.
func (x *dripExporter) send(ctx context.Context, work []traceWork) error {
	if err := x.each(ctx, work, func(ctx context.Context, w *traceWork) error {
		if w.runID != "" {
			return nil
		}
		run, err := x.api.StartRun(ctx, drip.RunParams{
			CustomerID:    w.customer,
			Workflow:      w.workflow,
			ExternalRunID: genaimap.TraceRunID(w.trace), // the same run from any batch, any instance
			CorrelationID: genaimap.TraceRunID(w.trace)[len("otel-"):],
			Metadata:      map[string]any{"integration": "otelcol-drip"},
		})
		if err != nil {
			return err
		}
		w.runID = run.ID
		x.started(w.trace, run.ID) // a retry of this batch need not start it again
		return nil
	}); err != nil {
		return err
	}
	var batch []drip.Event
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := x.api.EmitEventsBatch(ctx, batch)
		batch = batch[:0]
		return classify(err)
	}
	for i := range work {
		w := &work[i]
		for j := range w.events {
			w.events[j].RunID = w.runID
			batch = append(batch, w.events[j])
			if len(batch) == maxBatch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	return x.each(ctx, work, func(ctx context.Context, w *traceWork) error {
		if w.end == nil || w.ended {
			return nil
		}
		_, err := x.api.EndRun(ctx, w.runID, *w.end)
		if errors.Is(err, drip.ErrRunAlreadyEnded) {
			err = nil // ended as abandoned before its root came; keep that
		}
		if err == nil {
			x.ended(w.trace)
		}
		return err
	})
}

// started records a run id as soon as the run exists.
func (x *dripExporter) started(trace [16]byte, runID string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if st := x.traces[trace]; st != nil && st.runID == "" {
		st.runID = runID
		x.stats.RunsStarted++
	}
}

// ended records that a trace's run was ended by its root span.
func (x *dripExporter) ended(trace [16]byte) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if st := x.traces[trace]; st != nil && !st.ended {
		st.ended = true
		x.stats.RunsEnded++
	}
}

// each runs fn over work, parallelRuns at a time, and returns the first
// error, classified for the exporter helper.
func (x *dripExporter) each(ctx context.Context, work []traceWork, fn func(context.Context, *traceWork) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	sem := make(chan struct{}, parallelRuns)
	for i := range work {
		sem <- struct{}{}
		wg.Add(1)
		go func(w *traceWork) {
			defer func() { <-sem; wg.Done() }()
			if err := fn(ctx, w); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}(&work[i])
	}
	wg.Wait()
	return classify(first)
}

// classify marks errors a retry cannot fix as permanent, so the exporter
// helper drops the batch instead of retrying it.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if e, ok := drip.AsError(err); ok && !e.Temporary() {
		return consumererror.NewPermanent(err)
	}
	return err
}

// commit records a sent batch in the trace states: run ids, pending events
// sent, runs ended.
func (x *dripExporter) commit(work []traceWork) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for i := range work {
		w := &work[i]
		x.stats.Events += int64(len(w.events))
		st := x.traces[w.trace]
		if st == nil {
			continue // swept meanwhile
		}
		if w.fromPending > 0 {
			n := min(w.fromPending, len(st.pending))
			st.pending = st.pending[n:]
			x.pending -= n
		}
	}
}

// sweep forgets traces idle for IdleTimeout: a run whose root never came is
// ended as FAILED/ABANDONED (unless another instance ended it), spans that
// waited for a customer in vain are dropped.
func (x *dripExporter) sweep(ctx context.Context) {
	now := x.now()
	cutoff := now.Add(-x.cfg.IdleTimeout)
	endedCutoff := now.Add(-min(x.cfg.IdleTimeout, endedRetention))
	var abandon []string
	x.mu.Lock()
	for tid, st := range x.traces {
		if st.lastSeen.After(cutoff) && !(st.ended && len(st.pending) == 0 && !st.lastSeen.After(endedCutoff)) {
			continue
		}
		if st.runID != "" && !st.ended {
			abandon = append(abandon, st.runID)
		}
		x.stats.Dropped += int64(len(st.pending))
		x.pending -= len(st.pending)
		delete(x.traces, tid)
	}
	x.mu.Unlock()
	for _, id := range abandon {
		if r, err := x.api.GetRun(ctx, id); err == nil && r.Status.Terminal() {
			continue // its root reached another collector
		}
		_, err := x.api.EndRun(ctx, id, drip.EndRunParams{Status: drip.RunFailed, ErrorCode: drip.CodeAbandoned,
			ErrorMessage: "root span not received within " + x.cfg.IdleTimeout.String()})
		if err != nil && !errors.Is(err, drip.ErrRunAlreadyEnded) {
			x.logger.Warn("ending an abandoned run failed", zap.String("run", id), zap.Error(err))
			continue
		}
		x.mu.Lock()
		x.stats.RunsAbandoned++
		x.mu.Unlock()
	}
}

// Stats returns the exporter's counters.
func (x *dripExporter) Stats() Stats {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.stats
}
