package drip

import (
	"context"
	"net/http"
	"time"

	"github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/trace"

	"github.com/drip-sdk/drip-go/providers/openaimeter"
)

// OpenAIClient is a go-openai client whose billable calls are metered. It
// embeds *openai.Client, so every method works as before; the ones whose
// responses carry usage (chat, completions, embeddings, responses, images,
// assistant runs, and their streams) are recorded. Streams come back as
// drip-go types with the same Recv and Close methods.
type OpenAIClient = openaimeter.Client

// OpenAIOption configures WrapOpenAI.
type OpenAIOption func(*openAIConfig)

type openAIConfig struct {
	rec  UsageRecorder
	opts []openaimeter.Option
	// feature is the entitlement each call is gated on ("" for none) and
	// ttl how long a decision is reused.
	feature string
	ttl     time.Duration
}

// WithOpenAITracker sets the tracker calls are recorded through (default
// DefaultTracker()).
func WithOpenAITracker(t *Tracker) OpenAIOption { return func(c *openAIConfig) { c.rec.Tracker = t } }

// WithOpenAIWorkflow records each call made outside any run as a run of its
// own under this workflow (one llm.completion event), instead of as plain
// usage.
func WithOpenAIWorkflow(workflow string) OpenAIOption {
	return func(c *openAIConfig) { c.rec.Workflow = workflow }
}

// WithOpenAIMeter sets the usage meter for calls outside any run (default
// DefaultLLMMeter, "llm_tokens").
func WithOpenAIMeter(meter string) OpenAIOption { return func(c *openAIConfig) { c.rec.Meter = meter } }

// WithOpenAISplitMeters records input and output tokens of calls outside any
// run under two meters instead of one.
func WithOpenAISplitMeters(inputMeter, outputMeter string) OpenAIOption {
	return func(c *openAIConfig) { c.rec.InputMeter, c.rec.OutputMeter = inputMeter, outputMeter }
}

// WithOpenAIMetadata adds operational metadata to every record.
func WithOpenAIMetadata(md map[string]any) OpenAIOption {
	return func(c *openAIConfig) { c.rec.Metadata = md }
}

// WithOpenAITracerProvider makes each call also emit an OpenTelemetry GenAI
// client span ("chat {model}") with token usage; content is never captured.
// The spans are marked so otelbridge does not count the calls twice.
func WithOpenAITracerProvider(tp trace.TracerProvider) OpenAIOption {
	return func(c *openAIConfig) { c.opts = append(c.opts, openaimeter.WithTracerProvider(tp)) }
}

// WithOpenAIEntitlement gates every call that starts provider work on the
// customer's Drip entitlement to feature: before the call, the wrapper asks
// Drip (CheckEntitlement with quantity 1) for the call's customer (the
// run's, else the ctx's, else the one given to WrapOpenAI). A denied call
// returns an error matching ErrEntitlementDenied, with Drip's reason, and
// nothing is sent to the provider, so no tokens are spent. When the check
// itself fails (Drip unreachable), that error is returned and the call is
// not made either: the gate fails closed.
//
// The calls count against the feature: each call's tokens are recorded as
// usage under the feature's meter (see UsageRecorder.Feature), so a COUNT
// rule on an LLM feature limits tokens per period and a call is allowed
// while at least one token is left. Usage is sent in the background, so
// calls made before the tracker has delivered the previous ones' usage see
// the older count.
//
// Each call costs one round trip to Drip; WithOpenAIEntitlementCacheTTL
// trades that for precision.
func WithOpenAIEntitlement(feature string) OpenAIOption {
	return func(c *openAIConfig) { c.feature = feature }
}

// WithOpenAIEntitlementCacheTTL reuses each customer's entitlement decision
// for ttl instead of asking Drip before every call (default 0: always ask).
// Both answers are cached, never past the period's reset. The trade-off: a
// cached allow lets every call made within the TTL through, so a customer
// can overshoot the limit by what those calls use; a cached denial keeps
// refusing for up to ttl after a plan upgrade or an override. A few
// seconds suits high call rates where a small overshoot is acceptable.
func WithOpenAIEntitlementCacheTTL(ttl time.Duration) OpenAIOption {
	return func(c *openAIConfig) { c.ttl = max(ttl, 0) }
}

// meterOptions are the openaimeter options of cfg, with the entitlement
// gate when one is set.
func (cfg *openAIConfig) meterOptions(rec *UsageRecorder) []openaimeter.Option {
	if cfg.feature == "" {
		return cfg.opts
	}
	rec.Feature = cfg.feature
	g := &entitlementGate{
		feature: cfg.feature,
		ttl:     cfg.ttl,
		now:     time.Now,
		client: func() *Client {
			if rec.Tracker != nil {
				return rec.Tracker.Client()
			}
			return DefaultTracker().Client()
		},
		customer: func(ctx context.Context) string {
			if run := RunFromContext(ctx); run != nil {
				return run.CustomerID()
			}
			if c := CustomerFromContext(ctx); c != "" {
				return c
			}
			return rec.CustomerID
		},
	}
	return append(cfg.opts[:len(cfg.opts):len(cfg.opts)], openaimeter.WithGate(g.check))
}

// WrapOpenAI meters every billable call of client for customerID:
//
//	client := drip.WrapOpenAI(openai.NewClient(key), "cust_123")
//
// Inside a run (RunFromContext) each call becomes one llm.completion event
// with the provider's token counts, duration and cost; outside a run it is
// usage for the ctx's customer (ContextWithCustomer), else customerID. Failed calls
// become llm.error events and return the original error unchanged. Nothing
// blocks on the network (unless WithOpenAIEntitlement gates the calls) and
// the prompt and completion never leave the process.
func WrapOpenAI(client *openai.Client, customerID string, opts ...OpenAIOption) *OpenAIClient {
	cfg := openAIConfig{}
	cfg.rec.CustomerID = customerID
	for _, o := range opts {
		o(&cfg)
	}
	rec := cfg.rec
	return openaimeter.Wrap(client, &rec, cfg.meterOptions(&rec)...)
}

// OpenAIHTTPClient returns an *http.Client-compatible doer that meters
// OpenAI-compatible HTTP traffic for code that builds its own client (set it
// as openai.ClientConfig.HTTPClient, or langchaingo's openai.WithHTTPClient).
// Calls already metered by WrapOpenAI are skipped. WithOpenAIEntitlement
// gates its requests too: a denied one fails in RoundTrip, before anything
// is sent, with an error matching ErrEntitlementDenied.
func OpenAIHTTPClient(customerID string, opts ...OpenAIOption) *http.Client {
	cfg := openAIConfig{}
	cfg.rec.CustomerID = customerID
	for _, o := range opts {
		o(&cfg)
	}
	rec := cfg.rec
	return openaimeter.NewHTTPClient(nil, &rec, cfg.meterOptions(&rec)...)
}
