package drip

import (
	"log/slog"
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
	// DefaultDropWarnInterval rate-limits the "items dropped" warning.
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

func defaultTrackerConfig() trackerConfig {
	return trackerConfig{
		maxQueue:        DefaultMaxQueueSize,
		maxBatch:        DefaultMaxBatchSize,
		batchTimeout:    DefaultBatchTimeout,
		maxRetryElapsed: DefaultMaxRetryElapsed,
		dropWarn:        DefaultDropWarnInterval,
	}
}

// WithMaxQueueSize sets how many items the queue holds (default
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
