package otelbridge

import sdktrace "go.opentelemetry.io/otel/sdk/trace"

// RecordOnlySampler returns a sampler that keeps base's decisions except
// that Drop becomes RecordOnly: spans base would drop are still recorded,
// so they reach span processors (and Drip), but they are not sampled, so
// the batch and simple processors do not export them. Billing sees every
// trace; your tracing backend sees what base samples.
//
//	sampler := otelbridge.RecordOnlySampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.01)))
//	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampler), sdktrace.WithSpanProcessor(p))
//
// Recording costs what a sampled span costs in your process (attributes,
// events, the end snapshot); only the export is saved.
func RecordOnlySampler(base sdktrace.Sampler) sdktrace.Sampler {
	if base == nil {
		base = sdktrace.ParentBased(sdktrace.AlwaysSample())
	}
	return recordOnly{base}
}

type recordOnly struct{ base sdktrace.Sampler }

func (s recordOnly) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	r := s.base.ShouldSample(p)
	if r.Decision == sdktrace.Drop {
		r.Decision = sdktrace.RecordOnly
	}
	return r
}

func (s recordOnly) Description() string { return "RecordOnly{" + s.base.Description() + "}" }
