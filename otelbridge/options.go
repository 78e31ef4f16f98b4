package otelbridge

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/baggage"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/internal/genaimap"
)

// Defaults for the span table.
const (
	// DefaultMaxTrackedSpans bounds how many started, not yet ended spans
	// the processor remembers (one small map entry each). Past it, spans
	// of new runs are not tracked and Stats().Untracked counts them.
	DefaultMaxTrackedSpans = 1 << 16
	// DefaultMaxRunAge is how long a run's spans are kept when the table is
	// full before they count as leaked (a span nobody ended) and are
	// forgotten; a run the processor opened is then ended as TIMEOUT.
	DefaultMaxRunAge = time.Hour
)

// Option configures NewSpanProcessor.
type Option func(*config)

type config struct {
	customer     func(ctx context.Context, s sdktrace.ReadOnlySpan) string
	root         func(ctx context.Context, s sdktrace.ReadOnlySpan) bool
	workflow     func(s sdktrace.ReadOnlySpan) string
	workflowName string
	spanEvents   bool
	maxSpans     int
	maxAge       time.Duration
	ownTracker   bool
}

// WithCustomerFunc sets how the customer of a run is found when a span
// opens one (default DefaultCustomer). It runs inside OnStart: it must be
// fast and must not block. "" means no customer: no run is opened.
func WithCustomerFunc(f func(ctx context.Context, s sdktrace.ReadOnlySpan) string) Option {
	return func(c *config) { c.customer = f }
}

// WithRootFunc sets which spans open a run when they belong to none —
// neither their ctx nor their parent span carries one (default
// DefaultRoot). A chosen span still needs a customer. It runs inside
// OnStart: it must be fast and must not block.
func WithRootFunc(f func(ctx context.Context, s sdktrace.ReadOnlySpan) bool) Option {
	return func(c *config) { c.root = f }
}

// WithWorkflowFunc sets how the workflow (id or slug) of a run is named
// from the span that opens it (default DefaultWorkflow). "" falls back to
// DefaultWorkflow.
func WithWorkflowFunc(f func(s sdktrace.ReadOnlySpan) string) Option {
	return func(c *config) { c.workflow = f }
}

// WithWorkflow names the workflow of runs whose root span names none in its
// attributes (drip.workflow, gen_ai.workflow.name, gen_ai.agent.name),
// instead of the root span's name. Useful under otelhttp, whose server span
// names ("GET", "GET /items/{id}") make poor workflows.
func WithWorkflow(name string) Option { return func(c *config) { c.workflowName = name } }

// WithSpanEvents makes spans that are not GenAI operations (HTTP, database,
// your own) become generic events of their run: EventSpan, or
// EventSpanError when they failed. Off by default: only model calls, tools,
// agents, workflows and retrievals are recorded.
func WithSpanEvents() Option { return func(c *config) { c.spanEvents = true } }

// WithMaxTrackedSpans bounds the span table (default
// DefaultMaxTrackedSpans).
func WithMaxTrackedSpans(n int) Option { return func(c *config) { c.maxSpans = n } }

// WithMaxRunAge sets how old a run must be before its spans may be evicted
// from a full table (default DefaultMaxRunAge). Raise it for runs that
// legitimately last longer.
func WithMaxRunAge(d time.Duration) Option { return func(c *config) { c.maxAge = d } }

// WithTrackerShutdown makes Shutdown shut the tracker down too, for a
// tracker that exists only for this processor. By default Shutdown only
// flushes it: the tracker may serve other integrations.
func WithTrackerShutdown() Option { return func(c *config) { c.ownTracker = true } }

// DefaultCustomer finds the customer of a run the way the processor does
// by default: the span's drip.customer_id attribute, else the baggage
// member drip.customer_id, else drip.CustomerFromContext(ctx).
func DefaultCustomer(ctx context.Context, s sdktrace.ReadOnlySpan) string {
	var f genaimap.Facts
	f.ScanOTel(s.Attributes())
	return resolveCustomer(ctx, f.Customer())
}

func resolveCustomer(ctx context.Context, attr string) string {
	if attr != "" {
		return attr
	}
	if v := baggage.FromContext(ctx).Member(BaggageCustomerID).Value(); v != "" {
		return v
	}
	return drip.CustomerFromContext(ctx)
}

// DefaultRoot reports whether s opens a run by default: it is the first
// span of its trace in this process (no parent, or a remote one), or it
// names its customer in a drip.customer_id attribute.
func DefaultRoot(_ context.Context, s sdktrace.ReadOnlySpan) bool {
	if isLocalRoot(s) {
		return true
	}
	var f genaimap.Facts
	f.ScanOTel(s.Attributes())
	return f.Customer() != ""
}

func isLocalRoot(s sdktrace.ReadOnlySpan) bool {
	p := s.Parent()
	return !p.IsValid() || p.IsRemote()
}

// DefaultWorkflow names a run's workflow the way the processor does by
// default: the span's drip.workflow attribute as given, else
// gen_ai.workflow.name, else gen_ai.agent.name, else the span name, the
// last three as slugs ("Support Agent" → "support_agent").
func DefaultWorkflow(s sdktrace.ReadOnlySpan) string {
	var f genaimap.Facts
	f.ScanOTel(s.Attributes())
	return genaimap.Workflow(&f, s.Name(), "")
}
