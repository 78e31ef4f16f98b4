package drip

import (
	"context"
	"log/slog"
	"maps"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/drip-sdk/drip-go/internal/inplace"
	"github.com/drip-sdk/drip-go/internal/wire"
	"github.com/drip-sdk/drip-go/providers/pricing"
)

// Tracker defaults, in the spirit of OTEL_BSP_*.
const (
	// DefaultMaxQueueSize is how many items (events, usage records, run
	// starts and ends) wait for export before new ones are dropped.
	DefaultMaxQueueSize = 8192
	// DefaultMaxBatchSize is the most events sent in one
	// POST /run-events/batch.
	DefaultMaxBatchSize = 512
	// DefaultBatchTimeout is how long a partial batch waits for more items.
	DefaultBatchTimeout = time.Second
	// DefaultMaxRetryElapsed bounds how long one export step is retried
	// (beyond the client's own retries) before its items count as failed.
	DefaultMaxRetryElapsed = 5 * time.Minute
	// DefaultDropWarnInterval rate-limits the "events dropped" warning.
	DefaultDropWarnInterval = 10 * time.Second
	// usageConcurrency is how many usage records go out at once (the API
	// takes one per request).
	usageConcurrency = 4
)

// TrackerOption configures a Tracker.
type TrackerOption func(*trackerConfig)

type trackerConfig struct {
	maxQueue        int
	maxBatch        int
	batchTimeout    time.Duration
	block           bool
	maxRetryElapsed time.Duration
	onError         func(error)
	logger          *slog.Logger
	meterProvider   metric.MeterProvider
	noMetrics       bool
	dropWarn        time.Duration
	prices          *pricing.Table
	noPricing       bool
}

// WithMaxQueueSize sets the queue capacity (default DefaultMaxQueueSize).
func WithMaxQueueSize(n int) TrackerOption { return func(c *trackerConfig) { c.maxQueue = n } }

// WithMaxBatchSize sets the largest event batch (default DefaultMaxBatchSize).
func WithMaxBatchSize(n int) TrackerOption { return func(c *trackerConfig) { c.maxBatch = n } }

// WithBatchTimeout sets how long a partial batch lingers (default
// DefaultBatchTimeout).
func WithBatchTimeout(d time.Duration) TrackerOption {
	return func(c *trackerConfig) { c.batchTimeout = d }
}

// WithBlockOnFull makes a full queue block the caller (until there is room,
// its ctx is done, or the tracker shuts down) instead of dropping.
func WithBlockOnFull() TrackerOption { return func(c *trackerConfig) { c.block = true } }

// WithMaxRetryElapsed bounds how long the exporter keeps retrying one step
// while the API fails (default DefaultMaxRetryElapsed).
func WithMaxRetryElapsed(d time.Duration) TrackerOption {
	return func(c *trackerConfig) { c.maxRetryElapsed = d }
}

// WithErrorHandler receives every export failure (items that will not be
// delivered), on the exporter goroutine. It must not block.
func WithErrorHandler(f func(error)) TrackerOption { return func(c *trackerConfig) { c.onError = f } }

// WithTrackerLogger sets the tracker's logger (default: the client's).
func WithTrackerLogger(l *slog.Logger) TrackerOption { return func(c *trackerConfig) { c.logger = l } }

// WithMeterProvider sets where the tracker's self-metrics go (default the
// global OpenTelemetry MeterProvider).
func WithMeterProvider(mp metric.MeterProvider) TrackerOption {
	return func(c *trackerConfig) { c.meterProvider = mp }
}

// WithPricing sets the price table the exporter uses to fill CostUnits of
// llm.completion events that carry a model and tokens but no cost (default
// pricing.Default()); nil turns pricing off.
func WithPricing(t *pricing.Table) TrackerOption {
	return func(c *trackerConfig) { c.prices, c.noPricing = t, t == nil }
}

// WithoutSelfMetrics turns the tracker's OpenTelemetry metrics off.
func WithoutSelfMetrics() TrackerOption { return func(c *trackerConfig) { c.noMetrics = true } }

// Stats is a snapshot of a tracker's counters. Events and usage records are
// counted; run starts and ends are counted in RunsStarted and RunsEnded.
type Stats struct {
	// Queued is how many items wait in the queue now.
	Queued int
	// InFlight is how many events and usage records are being exported.
	InFlight int64
	// Sent counts events and usage records the API acknowledged (including
	// replays it reported as duplicates).
	Sent int64
	// Retried counts export steps retried after the client gave up.
	Retried int64
	// Dropped counts items refused because the queue was full or the
	// tracker was shut down, or abandoned when Shutdown's ctx expired.
	Dropped int64
	// Failed counts items the API refused for good or that could not be
	// delivered before MaxRetryElapsed.
	Failed      int64
	RunsStarted int64
	RunsEnded   int64
}

type itemKind uint8

const (
	kindEvent itemKind = iota
	kindUsage
	kindStart
	kindEnd
	kindSkip // a slot an in-place emit gave up (its event was invalid)
)

// item is one queued unit of work. It is passed by value: an Emit costs a
// channel send and no allocation.
type item struct {
	kind  itemKind
	run   *Run
	ev    Event
	usage *UsageParams
	end   EndRunParams
	// span, when set (otelbridge's in-place path), is the OpenTelemetry
	// span ev records: the exporter takes ev's ids and times from it.
	span inplace.SpanRef
}

// Tracker ships runs, events and usage to Drip in the background: callers
// only validate and enqueue; one exporter goroutine batches, retries with
// idempotency keys and keeps each run's order (start, events, end). Create
// one per process, and call Shutdown before exit.
type Tracker struct {
	client *Client
	cfg    trackerConfig
	log    *slog.Logger
	queue  *queue

	flushCh  chan chan struct{}
	stopCh   chan struct{}
	done     chan struct{}
	closed   atomic.Bool
	stopOnce sync.Once

	// exportCtx is cancelled when Shutdown's deadline passes, so the
	// exporter stops retrying.
	exportCtx    context.Context
	cancelExport context.CancelFunc

	sent, retried, dropped, failed atomic.Int64
	inFlight                       atomic.Int64
	runsStarted, runsEnded         atomic.Int64
	lastDropWarn                   atomic.Int64
	reportedDrops                  atomic.Int64

	metrics *trackerMetrics

	// Owned by the exporter goroutine; the scratch slices are reused from
	// batch to batch so exporting makes little garbage for the app's GC.
	openRuns      map[*Run]struct{}
	scratchEvents []Event
	scratchRuns   []*Run
	encBuf        []byte
}

// NewTracker starts a tracker on client. Options override the documented
// defaults.
func NewTracker(client *Client, opts ...TrackerOption) *Tracker {
	cfg := trackerConfig{
		maxQueue:        DefaultMaxQueueSize,
		maxBatch:        DefaultMaxBatchSize,
		batchTimeout:    DefaultBatchTimeout,
		maxRetryElapsed: DefaultMaxRetryElapsed,
		dropWarn:        DefaultDropWarnInterval,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.maxQueue <= 0 {
		cfg.maxQueue = DefaultMaxQueueSize
	}
	if cfg.maxBatch <= 0 {
		cfg.maxBatch = DefaultMaxBatchSize
	}
	if cfg.batchTimeout <= 0 {
		cfg.batchTimeout = DefaultBatchTimeout
	}
	if cfg.prices == nil && !cfg.noPricing {
		cfg.prices = pricing.Default()
	}
	log := cfg.logger
	if log == nil {
		log = client.log
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &Tracker{
		client:       client,
		cfg:          cfg,
		log:          log,
		queue:        newQueue(cfg.maxQueue, cfg.maxBatch),
		flushCh:      make(chan chan struct{}),
		stopCh:       make(chan struct{}),
		done:         make(chan struct{}),
		exportCtx:    ctx,
		cancelExport: cancel,
		openRuns:     make(map[*Run]struct{}),
	}
	if !cfg.noMetrics {
		t.metrics = newTrackerMetrics(cfg.meterProvider, t)
	}
	go t.export()
	return t
}

var (
	defaultTrackerMu sync.Mutex
	defaultTracker   *Tracker
)

// DefaultTracker returns the tracker on Default(), starting it on first use.
// Call DefaultTracker().Shutdown before the process exits.
func DefaultTracker() *Tracker {
	defaultTrackerMu.Lock()
	defer defaultTrackerMu.Unlock()
	if defaultTracker == nil || defaultTracker.closed.Load() {
		defaultTracker = NewTracker(Default())
	}
	return defaultTracker
}

// Client returns the client the tracker sends through.
func (t *Tracker) Client() *Client { return t.client }

// enqueue hands an item to the exporter; it never blocks unless
// WithBlockOnFull was given.
func (t *Tracker) enqueue(ctx context.Context, it *item) error {
	var res pushResult
	if !t.cfg.block {
		res = t.queue.push(it)
	} else {
		var err error
		if res, err = t.queue.pushWait(ctx, it, t.stopCh); err != nil {
			t.drop()
			return &Error{Op: "Tracker.enqueue", Code: CodeQueueFull, Message: "queue full and ctx done", Err: err}
		}
	}
	return t.refused(res)
}

// refused counts an item the queue did not take and says why.
func (t *Tracker) refused(res pushResult) error {
	switch res {
	case pushFull:
		t.drop()
		return errQueueFull
	case pushClosed:
		t.dropped.Add(1)
		return ErrTrackerShutdown
	}
	return nil
}

var errQueueFull = &Error{Op: "Tracker.enqueue", Code: CodeQueueFull, Message: "tracker queue is full; item dropped"}

// drop counts a refused item and warns at most once per interval.
func (t *Tracker) drop() {
	n := t.dropped.Add(1)
	if t.metrics != nil {
		t.metrics.dropped.Add(context.Background(), 1)
	}
	now := time.Now().UnixNano()
	last := t.lastDropWarn.Load()
	if now-last < int64(t.cfg.dropWarn) || !t.lastDropWarn.CompareAndSwap(last, now) {
		return
	}
	prev := t.reportedDrops.Swap(n)
	t.log.LogAttrs(context.Background(), slog.LevelWarn, "drip: tracker queue full, dropping",
		slog.Int64("dropped_since_last_warning", n-prev), slog.Int64("dropped_total", n),
		slog.Int("queue_capacity", t.cfg.maxQueue))
}

// TrackUsage records usage outside any run, asynchronously: the
// non-blocking form of Client.TrackUsage. It returns a VALIDATION_ERROR for
// bad params, or an error when the item was dropped.
func (t *Tracker) TrackUsage(ctx context.Context, p UsageParams) error {
	if err := p.validate("Tracker.TrackUsage"); err != nil {
		return err
	}
	return t.enqueue(ctx, &item{kind: kindUsage, usage: &p})
}

// Flush exports everything queued before the call and waits until the API
// has it, or ctx is done.
func (t *Tracker) Flush(ctx context.Context) error {
	if t.closed.Load() {
		return nil
	}
	req := make(chan struct{})
	select {
	case t.flushCh <- req:
	case <-t.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-req:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Shutdown drains the queue, ends every run still open as FAILED with error
// code ABANDONED (runs nobody ended must not stay RUNNING forever), exports
// it all and stops the exporter. Later calls on the tracker and its runs are
// counted as dropped and return ErrTrackerShutdown; they never panic.
//
// When ctx ends first, Shutdown stops retrying, counts what was not
// delivered as dropped and returns an error saying how much was lost.
// Calling it again returns at once.
func (t *Tracker) Shutdown(ctx context.Context) error {
	first := false
	t.stopOnce.Do(func() {
		first = true
		t.closed.Store(true)
		t.queue.close()
		close(t.stopCh)
	})
	if !first {
		<-t.done
		return nil
	}
	select {
	case <-t.done:
	case <-ctx.Done():
		t.cancelExport()
		<-t.done
	}
	t.cancelExport()
	if t.metrics != nil {
		t.metrics.unregister()
	}
	if ctx.Err() != nil {
		s := t.Stats()
		return &Error{Op: "Tracker.Shutdown", Code: CodeTimeout, Err: ctx.Err(),
			Message: "shutdown deadline passed before everything was delivered: " +
				strconv.FormatInt(s.Dropped, 10) + " dropped, " + strconv.FormatInt(s.Failed, 10) + " failed in total"}
	}
	return nil
}

// Stats returns the tracker's counters.
func (t *Tracker) Stats() Stats {
	return Stats{
		Queued:      t.queue.len(),
		InFlight:    t.inFlight.Load(),
		Sent:        t.sent.Load(),
		Retried:     t.retried.Load(),
		Dropped:     t.dropped.Load(),
		Failed:      t.failed.Load(),
		RunsStarted: t.runsStarted.Load(),
		RunsEnded:   t.runsEnded.Load(),
	}
}

// reportError counts n lost items and tells the error handler and the log.
func (t *Tracker) reportError(n int, err error, attrs ...slog.Attr) {
	if n > 0 {
		t.failed.Add(int64(n))
		if t.metrics != nil {
			t.metrics.failed.Add(context.Background(), int64(n))
		}
	}
	attrs = append(attrs, slog.Int("items", n), slog.String("error", err.Error()))
	t.log.LogAttrs(context.Background(), slog.LevelError, "drip: export failed", attrs...)
	if t.cfg.onError != nil {
		t.cfg.onError(err)
	}
}

// export is the exporter goroutine.
func (t *Tracker) export() {
	defer close(t.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	armed := false
	// send exports everything queued now.
	send := func() {
		if armed {
			timer.Stop()
			armed = false
		}
		if items := t.queue.take(); len(items) > 0 {
			t.exportBatch(items)
			// The take buffer is kept for the next take: let go of what
			// the items point to (spans, metadata) now, not then.
			clear(items)
		}
	}
	for {
		select {
		case <-t.queue.wake:
			if n := t.queue.len(); n >= t.cfg.maxBatch {
				send()
			} else if n > 0 && !armed {
				timer.Reset(t.cfg.batchTimeout)
				armed = true
			}
		case <-timer.C:
			armed = false
			send()
		case req := <-t.flushCh:
			send()
			close(req)
		case <-t.stopCh:
			if armed {
				timer.Stop()
			}
			if items := t.queue.drainClosed(); len(items) > 0 {
				t.exportBatch(items)
			}
			t.abandonOpenRuns()
			return
		}
	}
}

// abandonOpenRuns ends the runs nobody ended.
func (t *Tracker) abandonOpenRuns() {
	if len(t.openRuns) == 0 {
		return
	}
	ends := make([]item, 0, len(t.openRuns))
	for r := range t.openRuns {
		if r.state.CompareAndSwap(runOpen, runEnded) {
			ends = append(ends, item{kind: kindEnd, run: r, end: EndRunParams{
				Status: RunFailed, ErrorCode: CodeAbandoned,
				ErrorMessage: "run was not ended before the tracker shut down",
			}})
		} else {
			// Ended by the caller after the final drain; its end item
			// was refused, so end it here with what the caller asked.
			ends = append(ends, item{kind: kindEnd, run: r, end: r.loadEnd()})
		}
	}
	t.exportBatch(ends)
}

// exportBatch sends a batch in causal order: run starts, then events (one
// request across runs), then usage, then run ends.
func (t *Tracker) exportBatch(batch []item) {
	var starts, ends, usage []*item
	events, eventRuns := t.scratchEvents[:0], t.scratchRuns[:0]
	defer func() {
		clear(events)
		clear(eventRuns)
		t.scratchEvents, t.scratchRuns = events[:0], eventRuns[:0]
	}()
	for i := range batch {
		it := &batch[i]
		switch it.kind {
		case kindStart:
			starts = append(starts, it)
		case kindEnd:
			ends = append(ends, it)
		case kindUsage:
			usage = append(usage, it)
		case kindEvent:
			events = append(events, it.ev)
			eventRuns = append(eventRuns, it.run)
			if it.span.Span != nil {
				e, f := &events[len(events)-1], it.span.Finish()
				e.IdempotencyKey, e.SpanID, e.ParentEventID = f.Key, f.SpanID, f.ParentID
				e.Timestamp, e.Duration = f.Start, f.Duration
			}
		}
	}
	for _, it := range starts {
		t.exportStart(it.run)
	}
	if len(events) > 0 {
		t.exportEvents(events, eventRuns)
	}
	if len(usage) > 0 {
		t.exportUsage(usage)
	}
	for _, it := range ends {
		t.exportEnd(it.run, it.end)
	}
}

// retry runs step until it succeeds, fails for good, MaxRetryElapsed
// passes or the export ctx is cancelled. It reports the final error.
func (t *Tracker) retry(step func(ctx context.Context) error) error {
	start := time.Now()
	policy := t.client.retry
	for n := 0; ; n++ {
		err := step(t.exportCtx)
		if err == nil {
			return nil
		}
		e, ok := AsError(err)
		if !ok || !e.Temporary() || t.exportCtx.Err() != nil {
			return err
		}
		if t.cfg.maxRetryElapsed > 0 && time.Since(start) > t.cfg.maxRetryElapsed {
			return err
		}
		t.retried.Add(1)
		p := policy
		if p.BaseDelay <= 0 {
			p.BaseDelay = DefaultBaseDelay
		}
		if p.MaxDelay <= 0 {
			p.MaxDelay = DefaultMaxDelay
		}
		p.MaxDelay = min(p.MaxDelay, 5*time.Second)
		if sleepCtx(t.exportCtx, p.backoff(min(n, 10), e.RetryAfter)) != nil {
			return err
		}
	}
}

func (t *Tracker) exportStart(r *Run) {
	if r.externalID == "" {
		r.externalID = newKey(keyPrefixRun)
	}
	p := r.params
	p.ExternalRunID = r.externalID
	if r.parent != nil && p.ParentRunID == "" {
		p.ParentRunID = r.parent.ID()
	}
	// The run started when StartRun was called, not when it was exported:
	// say so, as events do, so durations are real.
	p.Metadata = withOccurredAt(p.Metadata, r.started)
	var info *RunInfo
	err := t.retry(func(ctx context.Context) error {
		var err error
		info, err = t.client.StartRun(ctx, p)
		return err
	})
	if err != nil {
		r.startFailed.Store(true)
		t.reportError(0, err, slog.String("op", "StartRun"), slog.String("workflow", p.Workflow))
		return
	}
	r.id.Store(&info.ID)
	t.runsStarted.Add(1)
	t.openRuns[r] = struct{}{}
}

func (t *Tracker) exportEvents(events []Event, runs []*Run) {
	// Drop events of runs that never started; stamp the rest with run ids.
	kept := events[:0]
	lost := 0
	for i := range events {
		id := runs[i].ID()
		if id == "" {
			lost++
			continue
		}
		events[i].RunID = id
		t.price(&events[i])
		kept = append(kept, events[i])
	}
	if lost > 0 {
		t.reportError(lost, &Error{Op: "EmitEventsBatch", Code: CodeNotFound,
			Message: "events belong to runs that could not be started"})
	}
	for len(kept) > 0 {
		n := min(len(kept), t.cfg.maxBatch)
		chunk := kept[:n]
		kept = kept[n:]
		// Keys are made here, once, before the first attempt; every retry
		// sends the same slice.
		for i := range chunk {
			if chunk[i].IdempotencyKey == "" {
				chunk[i].IdempotencyKey = newKey(keyPrefixEvent)
			}
		}
		t.inFlight.Add(int64(n))
		start := time.Now()
		var res batchReply
		err := t.retry(func(ctx context.Context) error {
			res = batchReply{}
			return t.client.emitBatch(ctx, chunk, &t.encBuf, &res)
		})
		t.inFlight.Add(-int64(n))
		if t.metrics != nil {
			t.metrics.exportLatency.Record(context.Background(), time.Since(start).Seconds())
		}
		if err != nil {
			t.reportError(n, err, slog.String("op", "EmitEventsBatch"))
			continue
		}
		ok := int64(res.Created + res.Duplicates)
		t.sent.Add(ok)
		if t.metrics != nil {
			t.metrics.sent.Add(context.Background(), ok)
		}
		if res.Skipped > 0 {
			reason := ""
			for _, e := range res.Events {
				if e.Skipped {
					reason = e.Reason
					break
				}
			}
			t.reportError(res.Skipped, &Error{Op: "EmitEventsBatch", Code: CodeValidation,
				Message: "server skipped " + strconv.Itoa(res.Skipped) + " events: " + reason})
		}
	}
}

// withOccurredAt returns md plus the occurredAt key (a copy: the caller's
// map is never written).
func withOccurredAt(md map[string]any, at time.Time) map[string]any {
	out := make(map[string]any, len(md)+1)
	maps.Copy(out, md)
	out[wire.MetaOccurredAt] = at.UTC().Format(time.RFC3339Nano)
	return out
}

// batchReply is the part of a batch reply the exporter reads; the per-event
// ids are skipped rather than decoded.
type batchReply struct {
	Created    int `json:"created"`
	Duplicates int `json:"duplicates"`
	Skipped    int `json:"skipped"`
	Events     []struct {
		Skipped bool   `json:"skipped"`
		Reason  string `json:"reason"`
	} `json:"events"`
}

// price fills the cost of an LLM event that has none, here on the exporter
// rather than on the caller's goroutine.
func (t *Tracker) price(e *Event) {
	if e.CostUnits != 0 || e.Model == "" || t.cfg.prices == nil || e.Type != EventLLMCompletion {
		return
	}
	if cost, ok := t.cfg.prices.Cost(e.Model, e.InputTokens, e.CachedInputTokens, e.OutputTokens); ok {
		e.CostUnits = cost
	}
}

func (t *Tracker) exportUsage(items []*item) {
	sem := make(chan struct{}, usageConcurrency)
	var wg sync.WaitGroup
	for _, it := range items {
		p := it.usage
		if p.IdempotencyKey == "" {
			p.IdempotencyKey = newKey(keyPrefixTrack)
		}
		sem <- struct{}{}
		wg.Add(1)
		t.inFlight.Add(1)
		go func() {
			defer func() { <-sem; wg.Done(); t.inFlight.Add(-1) }()
			err := t.retry(func(ctx context.Context) error {
				_, err := t.client.TrackUsage(ctx, *p)
				return err
			})
			if err != nil {
				t.reportError(1, err, slog.String("op", "TrackUsage"), slog.String("meter", p.Meter))
				return
			}
			t.sent.Add(1)
			if t.metrics != nil {
				t.metrics.sent.Add(context.Background(), 1)
			}
		}()
	}
	wg.Wait()
}

func (t *Tracker) exportEnd(r *Run, p EndRunParams) {
	id := r.ID()
	delete(t.openRuns, r)
	if id == "" {
		return // never started; already reported
	}
	if at := r.endedAt.Load(); at != 0 {
		p.Metadata = withOccurredAt(p.Metadata, time.Unix(0, at))
	}
	err := t.retry(func(ctx context.Context) error {
		_, err := t.client.EndRun(ctx, id, p)
		if e, ok := AsError(err); ok && e.Code == CodeRunAlreadyEnded {
			return nil // ended before (e.g. by a replayed request); nothing to fix
		}
		return err
	})
	if err != nil {
		t.reportError(0, err, slog.String("op", "EndRun"), slog.String("run_id", id))
		return
	}
	t.runsEnded.Add(1)
}
