package drip

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drip-sdk/drip-go/providers/pricing"
)

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

	// openRuns is owned by the exporter goroutine: runs started and not
	// yet ended, which Shutdown ends as ABANDONED.
	openRuns map[*Run]struct{}
}

// NewTracker starts a tracker on client (nil: Default()). Options override
// the documented defaults.
func NewTracker(client *Client, opts ...TrackerOption) *Tracker {
	if client == nil {
		client = Default()
	}
	cfg := defaultTrackerConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.prices == nil && !cfg.noPricing {
		cfg.prices = pricing.Default()
	}
	log := cfg.logger
	if log == nil {
		log = client.log
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
// The integrations record through it when given no tracker. Call
// drip.Shutdown before the process exits, or its last items are lost.
func DefaultTracker() *Tracker {
	defaultTrackerMu.Lock()
	defer defaultTrackerMu.Unlock()
	if defaultTracker == nil || defaultTracker.closed.Load() {
		defaultTracker = NewTracker(Default())
	}
	return defaultTracker
}

// Shutdown shuts the default tracker down (see Tracker.Shutdown), if one
// was started: call it before the process exits when any integration
// records through DefaultTracker.
func Shutdown(ctx context.Context) error {
	defaultTrackerMu.Lock()
	t := defaultTracker
	defaultTrackerMu.Unlock()
	if t == nil {
		return nil
	}
	return t.Shutdown(ctx)
}

// Client returns the client the tracker sends through.
func (t *Tracker) Client() *Client { return t.client }

// Start starts a run and returns a ctx carrying it, so integrations further
// down (WrapOpenAI, the langchaingo handler, otelbridge) record into it, as
// OpenTelemetry's tracer.Start does for spans. It returns at once; the run
// is created in the background. (Client.StartRun is the synchronous API
// call.)
//
// CustomerID defaults to CustomerFromContext(ctx). Under a ctx that already
// carries a run, the new run's ParentRunID is that run. Invalid params give
// a Run whose methods return the VALIDATION_ERROR.
func (t *Tracker) Start(ctx context.Context, p RunParams) (context.Context, *Run) {
	r := &Run{t: t, params: p, started: time.Now()}
	if r.params.CustomerID == "" {
		r.params.CustomerID = CustomerFromContext(ctx)
	}
	if parent := RunFromContext(ctx); parent != nil {
		r.parent = parent
	}
	r.externalID = r.params.ExternalRunID
	err := r.params.validate("Tracker.Start")
	if err == nil {
		err = t.enqueue(ctx, &item{kind: kindStart, run: r})
	}
	if err != nil {
		r.err = err
		r.state.Store(runInvalid)
	}
	return ContextWithRun(ctx, r), r
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

// enqueue hands an item to the exporter; it never blocks unless
// WithBlockOnFull was given.
func (t *Tracker) enqueue(ctx context.Context, it *item) error {
	if !t.cfg.block {
		return t.refused(t.queue.push(it))
	}
	res, err := t.queue.pushWait(ctx, it, t.stopCh)
	if err != nil {
		t.drop()
		return &Error{Op: "Tracker.enqueue", Code: CodeQueueFull, Message: "queue full and ctx done", Err: err}
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
// Shutdown honours ctx strictly, as OpenTelemetry's batch span processor
// does: when ctx ends first it returns at once with an error saying how
// many items were not delivered; the exporter stops retrying and counts
// them as dropped. Calling it again waits for the first call's work, or
// for its own ctx.
func (t *Tracker) Shutdown(ctx context.Context) error {
	t.stopOnce.Do(func() {
		t.closed.Store(true)
		t.queue.close()
		close(t.stopCh)
	})
	select {
	case <-t.done:
		return nil
	case <-ctx.Done():
	}
	s := t.Stats()
	t.cancelExport()
	return &Error{Op: "Tracker.Shutdown", Code: CodeTimeout, Err: ctx.Err(),
		Message: "shutdown deadline passed before everything was delivered: " +
			strconv.Itoa(s.Queued) + " items queued and " + strconv.FormatInt(s.InFlight, 10) +
			" in flight were not delivered and are dropped"}
}

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
