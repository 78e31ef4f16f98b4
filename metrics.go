package drip

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
)

// trackerMetrics are the tracker's self-metrics. No per-customer or
// per-model attributes: their cardinality is unbounded.
type trackerMetrics struct {
	sent, dropped, failed metric.Int64Counter
	exportLatency         metric.Float64Histogram
	reg                   metric.Registration
}

func newTrackerMetrics(mp metric.MeterProvider, t *Tracker) *trackerMetrics {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter("github.com/drip-sdk/drip-go", metric.WithInstrumentationVersion(Version))
	tm := &trackerMetrics{}
	tm.sent, _ = m.Int64Counter("drip.tracker.sent", metric.WithDescription("Events and usage records delivered"), metric.WithUnit("{item}"))
	tm.dropped, _ = m.Int64Counter("drip.tracker.dropped", metric.WithDescription("Items dropped (queue full or after shutdown)"), metric.WithUnit("{item}"))
	tm.failed, _ = m.Int64Counter("drip.tracker.failed", metric.WithDescription("Items the API refused or that could not be delivered"), metric.WithUnit("{item}"))
	tm.exportLatency, _ = m.Float64Histogram("drip.tracker.export.duration", metric.WithDescription("Duration of one export request"), metric.WithUnit("s"))
	queue, _ := m.Int64ObservableGauge("drip.tracker.queue.size", metric.WithDescription("Items waiting for export"), metric.WithUnit("{item}"))
	tm.reg, _ = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(queue, int64(t.queue.len()))
		return nil
	}, queue)
	return tm
}

func (m *trackerMetrics) unregister() {
	if m.reg != nil {
		_ = m.reg.Unregister()
	}
}
