package dripexporter

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// TypeStr is the exporter's component type: `drip` in a collector config.
const TypeStr = "drip"

var componentType = component.MustNewType(TypeStr)

// NewFactory returns the drip exporter's factory, for a collector
// distribution's components list.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(componentType, createDefaultConfig,
		exporter.WithTraces(createTraces, component.StabilityLevelAlpha))
}

func createTraces(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Traces, error) {
	e, _, err := newTraces(ctx, set, cfg.(*Config))
	return e, err
}

// newTraces builds the exporter and wraps it in the exporter helper.
func newTraces(ctx context.Context, set exporter.Settings, c *Config) (exporter.Traces, *dripExporter, error) {
	x, err := newExporter(c, set.Logger)
	if err != nil {
		return nil, nil, err
	}
	e, err := exporterhelper.NewTraces(ctx, set, c, x.consume,
		exporterhelper.WithStart(x.start),
		exporterhelper.WithShutdown(x.shutdown),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		exporterhelper.WithTimeout(c.TimeoutConfig),
		exporterhelper.WithQueue(c.QueueConfig),
		exporterhelper.WithRetry(c.RetryConfig),
	)
	return e, x, err
}
