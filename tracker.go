package drip

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/drip-sdk/drip-go/internal/spool"
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
	spool  *spool.Log // nil without WithSpool

	flushCh  chan chan struct{}
	stopCh   chan struct{}
	done     chan struct{}
	closed   atomic.Bool
	stopOnce sync.Once

	// exportCtx is cancelled when Shutdown's deadline passes, so the
	// exporter stops retrying.
	exportCtx    context.Context
	cancelExport context.CancelFunc

	// Counters of events and usage records; Stats documents them.
	replayed, pending, sent, failed, dropped, deadLettered, refused atomic.Int64
	retried, runsStarted, runsEnded, spooled                        atomic.Int64
	spoolFull                                                       atomic.Bool

	// reportedMu guards what Flush and Shutdown last reported.
	reportedMu sync.Mutex
	reported   Stats

	logLimit logLimiter
	metrics  *trackerMetrics
	// unpriced holds the models price has logged as unknown (once each).
	unpriced  sync.Map
	unpricedN atomic.Int32
	conc      *concurrency
}

// NewTracker starts a tracker on client (nil: Default()). Options override
// the documented defaults. With WithSpool (or DRIP_SPOOL_DIR) it delivers
// first what an earlier process left in the spool; a spool it cannot open
// (another process holds it, the disk refuses) is logged and the tracker
// runs without one: use OpenTracker to get that error instead.
func NewTracker(client *Client, opts ...TrackerOption) *Tracker {
	cfg := newTrackerConfig(opts)
	t, err := openTracker(client, cfg)
	if err != nil {
		cfg.spoolDir = "" // the only way openTracker fails
		t, _ = openTracker(client, cfg)
		t.log.LogAttrs(context.Background(), slog.LevelError, "drip: tracker running without its spool",
			slog.String("error", err.Error()))
	}
	return t
}

// OpenTracker is NewTracker that fails when the spool cannot be opened:
// another process holds its directory (ErrSpoolLocked) or the disk
// refuses.
func OpenTracker(client *Client, opts ...TrackerOption) (*Tracker, error) {
	return openTracker(client, newTrackerConfig(opts))
}

func openTracker(client *Client, cfg trackerConfig) (*Tracker, error) {
	if client == nil {
		client = Default()
	}
	if cfg.prices == nil && !cfg.noPricing {
		cfg.prices = pricing.Default()
	}
	log := cfg.logger
	if log == nil {
		log = client.userLog
	}
	if log == nil {
		// Background failures are never silent: without a logger of
		// yours they go to slog's default, rate-limited.
		log = slog.Default()
	}
	var (
		sp       *spool.Log
		replayed []spool.Record
	)
	if cfg.spoolDir != "" {
		var err error
		sp, replayed, err = spool.Open(cfg.spoolDir, spool.Options{SyncInterval: cfg.spoolSync, MaxBytes: cfg.spoolMaxBytes})
		if err != nil {
			if errors.Is(err, spool.ErrLocked) {
				return nil, &Error{Op: "NewTracker", Code: CodeConfiguration, Err: ErrSpoolLocked,
					Message: "spool directory " + cfg.spoolDir + " is in use by another process"}
			}
			return nil, &Error{Op: "NewTracker", Code: CodeConfiguration, Err: err,
				Message: "cannot open spool directory " + cfg.spoolDir + ": " + err.Error()}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &Tracker{
		client:       client,
		cfg:          cfg,
		log:          log,
		queue:        newQueue(cfg.maxQueue, cfg.maxBatch),
		spool:        sp,
		flushCh:      make(chan chan struct{}),
		stopCh:       make(chan struct{}),
		done:         make(chan struct{}),
		exportCtx:    ctx,
		cancelExport: cancel,
	}
	t.logLimit.every = cfg.dropWarn
	t.conc = newConcurrency(cfg.maxConcurrent, cfg.ratePerSecond, cfg.rateBurst)
	if !cfg.noMetrics {
		t.metrics = newTrackerMetrics(cfg.meterProvider, t)
	}
	go newExporter(t).run(replayed)
	return t, nil
}

// ErrSpoolLocked is the cause of OpenTracker's error when another process
// uses the spool directory.
var ErrSpoolLocked = errors.New("drip: spool directory in use by another process")

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

// trackCall queues usage the exporter builds from a deferred call
// (UsageRecorder.ReportDeferred), and validates.
func (t *Tracker) trackCall(ctx context.Context, c deferredCall) error {
	return t.enqueue(ctx, &item{kind: kindUsage, call: c})
}

// enqueue hands an item to the exporter; it never blocks unless
// WithBlockOnFull was given.
func (t *Tracker) enqueue(ctx context.Context, it *item) error {
	if t.spoolFull.Load() {
		t.refuse(it.kind)
		return ErrSpoolFull
	}
	if !t.cfg.block {
		return t.pushResult(t.queue.push(it), it)
	}
	res, err := t.queue.pushWait(ctx, it, t.stopCh)
	if err != nil {
		t.refuse(it.kind)
		return &Error{Op: "Tracker.enqueue", Code: CodeQueueFull, Message: "queue full and ctx done", Err: err}
	}
	return t.pushResult(res, it)
}

// pushResult counts an item the queue did not take and says why.
func (t *Tracker) pushResult(res pushResult, it *item) error {
	switch res {
	case pushFull:
		t.refuse(it.kind)
		return errQueueFull
	case pushClosed:
		t.refuse(it.kind)
		return ErrTrackerShutdown
	}
	return nil
}

var errQueueFull = &Error{Op: "Tracker.enqueue", Code: CodeQueueFull, Message: "tracker queue is full; item refused"}

// ErrSpoolFull is returned for items refused because the tracker's spool
// holds WithSpoolMaxBytes.
var ErrSpoolFull = sentinel(0, "tracker spool is full; item refused", CodeSpoolFull)

// refuse counts an event or usage record the tracker did not take, and
// warns at most once per interval.
func (t *Tracker) refuse(kind itemKind) {
	if !kind.billable() {
		return
	}
	n := t.refused.Add(1)
	if t.metrics != nil {
		t.metrics.dropped.Add(context.Background(), 1)
	}
	t.logLimit.log(t.log, "refused", slog.LevelWarn, "drip: tracker refusing items (queue full, spool full or shut down)",
		slog.Int64("refused_total", n), slog.Int("queue_capacity", t.cfg.maxQueue))
}

// report tells the error handler and, rate-limited, the log about records
// that will not be delivered.
func (t *Tracker) report(kind string, err error, n int) {
	t.logLimit.log(t.log, "export:"+kind, slog.LevelError, "drip: export failed",
		slog.String("record", kind), slog.Int("items", n), slog.String("error", err.Error()))
	if t.cfg.onError != nil {
		t.cfg.onError(err)
	}
}

// Flush exports everything queued before the call and waits until the API
// has it, or ctx is done. It returns a *Error (DELIVERY_FAILED) when items
// were refused, dropped, dead-lettered or failed since the last Flush or
// Shutdown, with the counts.
func (t *Tracker) Flush(ctx context.Context) error {
	if t.closed.Load() {
		return t.lossSinceLastReport("Tracker.Flush")
	}
	req := make(chan struct{})
	select {
	case t.flushCh <- req:
	case <-t.done:
		return t.lossSinceLastReport("Tracker.Flush")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-req:
		return t.lossSinceLastReport("Tracker.Flush")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// lossSinceLastReport returns an error with the losses counted since the
// last Flush or Shutdown, if any.
func (t *Tracker) lossSinceLastReport(op string) error {
	s := t.Stats()
	t.reportedMu.Lock()
	last := t.reported
	t.reported = s
	t.reportedMu.Unlock()
	refused, dropped := s.Refused-last.Refused, s.Dropped-last.Dropped
	dead, failed := s.DeadLettered-last.DeadLettered, s.Failed-last.Failed
	if refused+dropped+dead+failed == 0 {
		return nil
	}
	return &Error{Op: op, Code: CodeDeliveryFailed, Message: "not delivered since the last Flush or Shutdown: " +
		strconv.FormatInt(refused, 10) + " refused, " + strconv.FormatInt(dropped, 10) + " dropped, " +
		strconv.FormatInt(dead, 10) + " dead-lettered, " + strconv.FormatInt(failed, 10) + " failed (see Stats and the log)"}
}

// Shutdown drains the queue, ends every run still open as FAILED with error
// code ABANDONED (runs nobody ended must not stay RUNNING forever), exports
// it all and stops the exporter. Later calls on the tracker and its runs are
// refused with ErrTrackerShutdown; they never panic. It returns a *Error
// when anything was lost since the last Flush, as Flush does.
//
// Shutdown honours ctx strictly, as OpenTelemetry's batch span processor
// does: when ctx ends first it returns at once with an error saying how
// many items were not delivered; the exporter stops retrying and counts
// them as dropped (with a spool they stay on disk for the next tracker).
// Calling it again waits for the first call's work, or for its own ctx.
func (t *Tracker) Shutdown(ctx context.Context) error {
	t.stopOnce.Do(func() {
		t.closed.Store(true)
		t.queue.close()
		close(t.stopCh)
	})
	select {
	case <-t.done:
		return t.lossSinceLastReport("Tracker.Shutdown")
	case <-ctx.Done():
	}
	s := t.Stats()
	t.cancelExport()
	return &Error{Op: "Tracker.Shutdown", Code: CodeTimeout, Err: ctx.Err(),
		Message: "shutdown deadline passed before everything was delivered: " +
			strconv.Itoa(s.Queued) + " items queued and " + strconv.FormatInt(s.InFlight, 10) +
			" in flight were not delivered and are dropped"}
}

// Stats is a snapshot of a tracker's counters of events and usage records
// (run starts and ends are counted in RunsStarted and RunsEnded). Every
// item accepted is in exactly one state:
//
//	Accepted = Queued + InFlight + Sent + Failed + Dropped + DeadLettered
type Stats struct {
	// Accepted counts items the tracker took in, including those replayed
	// from the spool.
	Accepted int64
	// Queued is how many wait in the queue now.
	Queued int
	// InFlight is how many the exporter holds: taken from the queue, not
	// yet delivered or given up.
	InFlight int64
	// Sent counts items the API acknowledged (including replays it
	// reported as duplicates).
	Sent int64
	// Failed counts items that could not be delivered before
	// MaxRetryElapsed (with a spool they stay on disk for the next
	// tracker).
	Failed int64
	// Dropped counts items given up when Shutdown's deadline passed.
	Dropped int64
	// DeadLettered counts items the API refused for good (a 4xx other than
	// 408, 409 and 429, or a batch event it skipped): reported, and with a
	// spool written to its dead-letter file. An LLM call's event built on
	// the exporter (UsageRecorder.ReportDeferred) that turns out invalid is
	// counted here too, and reported.
	DeadLettered int64
	// Refused counts items never accepted: queue full, spool full, tracker
	// shut down, run already ended or never recorded (its Start was
	// refused). The caller got the error. Invalid items (a VALIDATION_ERROR)
	// are not counted: they are not items.
	Refused int64
	// Spooled is how many records (run starts and ends included) the
	// spool holds now, written and not yet released; 0 without a spool.
	// It says what a crash now would leave for the next tracker.
	Spooled int64
	// Retried counts export requests retried.
	Retried int64
	// Concurrency is how many export requests may be in flight now: it
	// grows while the API keeps up and halves on a 429.
	Concurrency int
	// Throttled counts 429 replies (the exporter slowed down for each).
	Throttled   int64
	RunsStarted int64
	RunsEnded   int64
}

// Stats returns the tracker's counters.
func (t *Tracker) Stats() Stats {
	queued, accepted := t.queue.counts()
	conc, throttled := t.conc.stats()
	return Stats{
		Accepted:     accepted + t.replayed.Load(),
		Queued:       queued,
		InFlight:     t.pending.Load(),
		Sent:         t.sent.Load(),
		Failed:       t.failed.Load(),
		Dropped:      t.dropped.Load(),
		DeadLettered: t.deadLettered.Load(),
		Refused:      t.refused.Load(),
		Spooled:      t.spooled.Load(),
		Retried:      t.retried.Load(),
		Concurrency:  conc,
		Throttled:    throttled,
		RunsStarted:  t.runsStarted.Load(),
		RunsEnded:    t.runsEnded.Load(),
	}
}

// logLimiter lets one line of each kind through per interval and counts
// the rest, so a failing API cannot flood the log.
type logLimiter struct {
	every time.Duration
	mu    sync.Mutex
	last  map[string]time.Time
	quiet map[string]int
}

func (l *logLimiter) log(log *slog.Logger, kind string, level slog.Level, msg string, attrs ...slog.Attr) {
	l.mu.Lock()
	if l.last == nil {
		l.last, l.quiet = map[string]time.Time{}, map[string]int{}
	}
	now := time.Now()
	if now.Sub(l.last[kind]) < l.every {
		l.quiet[kind]++
		l.mu.Unlock()
		return
	}
	l.last[kind] = now
	suppressed := l.quiet[kind]
	l.quiet[kind] = 0
	l.mu.Unlock()
	if suppressed > 0 {
		attrs = append(attrs, slog.Int("suppressed_since_last", suppressed))
	}
	log.LogAttrs(context.Background(), level, msg, attrs...)
}
