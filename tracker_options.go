package drip

import (
	"log/slog"
	"os"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/drip-sdk/drip-go/providers/pricing"
)

// Tracker defaults, in the spirit of OpenTelemetry's OTEL_BSP_*.
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
	// DefaultMaxBatchBytes bounds the encoded size of one event batch
	// (1 MiB), well under the API's 5 MiB request limit.
	DefaultMaxBatchBytes = 1 << 20
	// DefaultMaxConcurrentExports is the most export requests in flight at
	// once. The exporter starts at 4 and adds one per round of successful
	// requests, halves on a 429 and slows when latency climbs; each run's
	// requests still go one at a time, in order.
	DefaultMaxConcurrentExports = 64
	// DefaultDropWarnInterval rate-limits the tracker's warnings and error
	// lines: one per kind per interval, with a count of those suppressed.
	DefaultDropWarnInterval = 10 * time.Second
	// DefaultSpoolSyncInterval bounds how long an accepted item waits to be
	// fsynced to the spool.
	DefaultSpoolSyncInterval = 200 * time.Millisecond
	// DefaultSpoolMaxBytes bounds the spool on disk (256 MiB); when it is
	// full new items are refused, never old ones overwritten.
	DefaultSpoolMaxBytes = 256 << 20
	// EnvSpoolDir names the spool directory NewTracker and DefaultTracker
	// use when no WithSpool option is given.
	EnvSpoolDir = "DRIP_SPOOL_DIR"
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
	maxBatchBytes   int
	maxConcurrent   int
	spoolDir        string
	spoolSync       time.Duration
	spoolMaxBytes   int64
	ratePerSecond   float64
	rateBurst       int
}

// newTrackerConfig is the documented defaults with opts applied.
func newTrackerConfig(opts []TrackerOption) trackerConfig {
	c := trackerConfig{
		maxQueue:        DefaultMaxQueueSize,
		maxBatch:        DefaultMaxBatchSize,
		batchTimeout:    DefaultBatchTimeout,
		maxRetryElapsed: DefaultMaxRetryElapsed,
		dropWarn:        DefaultDropWarnInterval,
		maxBatchBytes:   DefaultMaxBatchBytes,
		maxConcurrent:   DefaultMaxConcurrentExports,
		spoolDir:        os.Getenv(EnvSpoolDir),
		spoolSync:       DefaultSpoolSyncInterval,
		spoolMaxBytes:   DefaultSpoolMaxBytes,
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithMaxQueueSize sets how many items the queue holds, exactly (default
// DefaultMaxQueueSize); n <= 0 keeps the default.
func WithMaxQueueSize(n int) TrackerOption {
	return func(c *trackerConfig) {
		if n > 0 {
			c.maxQueue = n
		}
	}
}

// WithMaxBatchSize sets the largest event batch (default
// DefaultMaxBatchSize); n <= 0 keeps the default.
func WithMaxBatchSize(n int) TrackerOption {
	return func(c *trackerConfig) {
		if n > 0 {
			c.maxBatch = n
		}
	}
}

// WithBatchTimeout sets how long a partial batch lingers (default
// DefaultBatchTimeout); d <= 0 keeps the default.
func WithBatchTimeout(d time.Duration) TrackerOption {
	return func(c *trackerConfig) {
		if d > 0 {
			c.batchTimeout = d
		}
	}
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
// pricing.Default()); nil turns pricing off. This is the one place events
// are priced.
func WithPricing(t *pricing.Table) TrackerOption {
	return func(c *trackerConfig) { c.prices, c.noPricing = t, t == nil }
}

// WithoutSelfMetrics turns the tracker's OpenTelemetry metrics off.
func WithoutSelfMetrics() TrackerOption { return func(c *trackerConfig) { c.noMetrics = true } }

// WithMaxBatchBytes bounds the encoded size of one event batch (default
// DefaultMaxBatchBytes); n <= 0 keeps the default. An event larger than
// this alone is dead-lettered.
func WithMaxBatchBytes(n int) TrackerOption {
	return func(c *trackerConfig) {
		if n > 0 {
			c.maxBatchBytes = n
		}
	}
}

// WithMaxConcurrentExports sets the most export requests in flight at once
// (default DefaultMaxConcurrentExports); the exporter adapts below it to
// what the API answers. n <= 0 keeps the default.
func WithMaxConcurrentExports(n int) TrackerOption {
	return func(c *trackerConfig) {
		if n > 0 {
			c.maxConcurrent = n
		}
	}
}

// WithSpool makes the tracker durable: every item it accepts is written to
// an append-only log in dir (fsynced within WithSpoolSyncInterval) and
// removed only once Drip acknowledged it, and a tracker opened on a
// directory with items left by a process that crashed or was killed
// delivers them first, with the idempotency keys they were first given.
// One process uses a directory at a time. Run.Emit never touches the disk:
// the exporter writes. The default is DRIP_SPOOL_DIR; "" turns it off.
func WithSpool(dir string) TrackerOption { return func(c *trackerConfig) { c.spoolDir = dir } }

// WithSpoolSyncInterval sets how long an accepted item may wait for its
// fsync (default DefaultSpoolSyncInterval): one fsync per interval for all
// of them, never one per item.
func WithSpoolSyncInterval(d time.Duration) TrackerOption {
	return func(c *trackerConfig) {
		if d > 0 {
			c.spoolSync = d
		}
	}
}

// WithSpoolMaxBytes bounds the spool on disk (default
// DefaultSpoolMaxBytes). When full, new items are refused and counted
// (Stats.Refused) with a warning; nothing waiting is overwritten.
func WithSpoolMaxBytes(n int64) TrackerOption {
	return func(c *trackerConfig) {
		if n > 0 {
			c.spoolMaxBytes = n
		}
	}
}

// WithExportRateLimit caps the tracker's requests to perSecond (bursts of
// up to burst), for users who know their API quota; 0 (the default) sets
// no cap and leaves pacing to the API's 429s.
func WithExportRateLimit(perSecond float64, burst int) TrackerOption {
	return func(c *trackerConfig) { c.ratePerSecond, c.rateBurst = perSecond, burst }
}
