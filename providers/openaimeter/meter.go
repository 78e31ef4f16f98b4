package openaimeter

import (
	"context"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/drip-sdk/drip-go/providers"
)

// instrumentationName names the tracer spans come from.
const instrumentationName = "github.com/drip-sdk/drip-go/providers/openaimeter"

// GenAI attribute keys (semantic conventions v1.41.0, the last Go semconv
// package with gen_ai.*; kept locally because upstream removed them).
const (
	attrOperation      = "gen_ai.operation.name"
	attrProvider       = "gen_ai.provider.name"
	attrSystem         = "gen_ai.system" // deprecated; for readers of ≤1.36
	attrRequestModel   = "gen_ai.request.model"
	attrResponseModel  = "gen_ai.response.model"
	attrResponseID     = "gen_ai.response.id"
	attrInputTokens    = "gen_ai.usage.input_tokens"
	attrOutputTokens   = "gen_ai.usage.output_tokens"
	attrCacheRead      = "gen_ai.usage.cache_read.input_tokens"
	attrReasoning      = "gen_ai.usage.reasoning.output_tokens"
	attrErrorType      = "error.type"
	attrUsageEstimated = "drip.usage.estimated"
)

// meter is what both routes share: where usage goes and how a call is
// timed and traced.
type meter struct {
	r        providers.Reporter
	provider string
	// azureProvider is the provider of Azure OpenAI calls; deployments
	// maps Azure deployment names to models (WithDeployments).
	azureProvider string
	deployments   map[string]string
	tracer        trace.Tracer // nil: tracing off
	now           func() time.Time
	pending       *Pending
	inject        bool
	gate          func(context.Context) error // nil: every call may go
	realClock     bool                        // now is time.Now (no WithClock)
}

func newMeter(r providers.Reporter, o options) *meter {
	if r == nil {
		r = providers.ReporterFunc(func(context.Context, providers.Usage) {})
	}
	m := &meter{r: r, provider: o.provider, azureProvider: o.azure, deployments: o.deployments,
		now: o.now, pending: o.pending, inject: !o.noInject, gate: o.gate,
		realClock: !o.customClock}
	if o.tp != nil {
		m.tracer = o.tp.Tracer(instrumentationName)
	}
	return m
}

// since is the time elapsed since t: with the real clock, time.Since,
// which reads only the monotonic clock (time.Now reads two).
func (m *meter) since(t time.Time) time.Duration {
	if m.realClock {
		return time.Since(t)
	}
	return m.now().Sub(t)
}

// admit asks the gate (WithGate) whether a call that starts provider work
// may go.
func (m *meter) admit(ctx context.Context) error {
	if m.gate == nil {
		return nil
	}
	return m.gate(ctx)
}

// call is one metered provider call in flight.
type call struct {
	ctx  context.Context // for the inner call: marked metered, carrying the span
	span trace.Span      // nil when tracing is off
	u    providers.Usage
}

// begin starts timing (and tracing) a call. mark says whether to mark the
// inner ctx as metered (the decorator does; the HTTP meter is the bottom).
func (m *meter) begin(ctx context.Context, op, model string, mark bool) call {
	var c call
	m.start(&c, ctx, op, model, mark)
	return c
}

// start is begin into c, the caller's.
func (m *meter) start(c *call, ctx context.Context, op, model string, mark bool) {
	c.ctx = ctx
	c.u.Provider, c.u.Operation, c.u.RequestModel, c.u.Start = m.provider, op, model, m.now()
	if mark {
		c.ctx = providers.MarkMetered(ctx)
	}
	if m.tracer != nil {
		spanOp := semconvOperation(op)
		name := spanOp
		if model != "" {
			name += " " + model
		}
		c.ctx, c.span = m.tracer.Start(c.ctx, name,
			trace.WithSpanKind(trace.SpanKindClient),
			trace.WithTimestamp(c.u.Start),
			trace.WithAttributes(
				attribute.String(attrOperation, spanOp),
				attribute.String(attrProvider, m.provider),
				attribute.String(attrSystem, m.provider),
				attribute.String(attrRequestModel, model),
				attribute.Bool(providers.MeteredAttribute, true),
			))
	}
}

// fail records err on the call: error fields set, token counts cleared.
func (c *call) fail(err error) {
	u := &c.u
	u.InputTokens, u.OutputTokens, u.TotalTokens = 0, 0, 0
	u.CachedInputTokens, u.CacheCreationInputTokens, u.ReasoningTokens, u.Images = 0, 0, 0, 0
	u.AudioInputTokens, u.AudioSeconds = 0, 0
	describeError(err, u)
}

// end finishes the call: duration, span, and — when report is true — one
// Usage to the Reporter, under the caller's ctx.
func (m *meter) end(ctx context.Context, c *call, report bool) {
	end := m.now()
	c.u.Duration = end.Sub(c.u.Start)
	if c.span != nil {
		m.endSpan(c, end, report)
	}
	if report {
		m.r.Report(ctx, c.u)
	}
}

func (m *meter) endSpan(c *call, end time.Time, usage bool) {
	u := &c.u
	s := c.span
	if u.Model != "" {
		s.SetAttributes(attribute.String(attrResponseModel, u.Model))
	}
	if u.ResponseID != "" {
		s.SetAttributes(attribute.String(attrResponseID, u.ResponseID))
	}
	if usage && u.Err == nil || u.Estimated {
		s.SetAttributes(
			attribute.Int64(attrInputTokens, u.InputTokens),
			attribute.Int64(attrOutputTokens, u.OutputTokens),
		)
		if u.CachedInputTokens > 0 {
			s.SetAttributes(attribute.Int64(attrCacheRead, u.CachedInputTokens))
		}
		if u.ReasoningTokens > 0 {
			s.SetAttributes(attribute.Int64(attrReasoning, u.ReasoningTokens))
		}
		if u.Estimated {
			s.SetAttributes(attribute.Bool(attrUsageEstimated, true))
		}
	}
	if u.Err != nil {
		typ := u.ErrorType
		if typ == "" && u.HTTPStatus != 0 {
			typ = strconv.Itoa(u.HTTPStatus)
		}
		if typ == "" {
			typ = "_OTHER"
		}
		s.SetAttributes(attribute.String(attrErrorType, typ))
		// The status description is the error type, never the message: an
		// API error message can quote the prompt.
		s.SetStatus(codes.Error, typ)
	}
	s.End(trace.WithTimestamp(end))
}

// semconvOperation maps providers.Op* to gen_ai.operation.name values.
func semconvOperation(op string) string {
	switch op {
	case providers.OpResponses:
		return providers.OpChat
	case providers.OpAssistantRun:
		return "invoke_agent"
	}
	return op
}
