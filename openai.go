package drip

import (
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
// drip-go types with the same Recv and Close methods. CreateTranscription
// is not: go-openai drops the usage of its reply, so set OpenAIHTTPClient
// as the client's HTTPClient to meter transcriptions.
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

// WithOpenAIWebSearchMeter also records, outside any run, the web searches
// of a Responses call (its web_search_call items) as usage under meter,
// units "searches" (see UsageRecorder.WebSearchMeter). Such calls are then
// read on the caller's goroutine, as with split meters.
func WithOpenAIWebSearchMeter(meter string) OpenAIOption {
	return func(c *openAIConfig) { c.rec.WebSearchMeter = meter }
}

// WithOpenAIAudioMeter sets the usage meter, outside any run, of calls
// billed by seconds of input audio rather than tokens (whisper-1
// transcriptions; default DefaultAudioMeter, "audio_seconds").
func WithOpenAIAudioMeter(meter string) OpenAIOption {
	return func(c *openAIConfig) { c.rec.AudioMeter = meter }
}

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

// WithOpenAIProvider names the provider recorded with each call, for
// OpenAI-compatible servers of other providers ("groq", "openrouter",
// "ollama", …). Default "openai", and "azure.ai.openai" for Azure OpenAI
// calls.
func WithOpenAIProvider(name string) OpenAIOption {
	return func(c *openAIConfig) { c.opts = append(c.opts, openaimeter.WithProvider(name)) }
}

// WithOpenAIDeployments maps Azure OpenAI deployment names to the model each
// serves, so a call to /openai/deployments/prod-chat/… is recorded, and
// priced, as the model:
//
//	drip.WithOpenAIDeployments(map[string]string{"prod-chat": "gpt-4o"})
//
// The HTTP meters (OpenAIHTTPClient, OpenAIMiddleware) apply it to the
// request model (the body's, else the deployment in the path) and to a
// response model equal to a deployment name; a response naming the model
// itself is recorded as it is. Unmapped deployments are recorded under
// their own name.
func WithOpenAIDeployments(deployments map[string]string) OpenAIOption {
	return func(c *openAIConfig) { c.opts = append(c.opts, openaimeter.WithDeployments(deployments)) }
}

// WithoutOpenAIStreamUsage stops the HTTP meters from adding
// stream_options.include_usage to streaming requests, for OpenAI-compatible
// servers that reject the field. The streams' usage is then estimated from
// their text and recorded with metadata usageEstimated.
func WithoutOpenAIStreamUsage() OpenAIOption {
	return func(c *openAIConfig) { c.opts = append(c.opts, openaimeter.WithoutStreamUsageInjection()) }
}

// meterOptions are the openaimeter options of cfg, with the entitlement
// gate when one is set.
func (cfg *openAIConfig) meterOptions(rec *UsageRecorder) []openaimeter.Option {
	if cfg.feature == "" {
		return cfg.opts
	}
	rec.Feature = cfg.feature
	g := recorderGate(rec, cfg.feature, cfg.ttl)
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
// as openai.ClientConfig.HTTPClient, langchaingo's openai.WithHTTPClient, or
// openai-go's option.WithHTTPClient — though for openai-go OpenAIMiddleware
// is the better fit: it keeps the SDK's HTTP client, and sees Azure calls
// the azure package sends through a transport of its own). It meters chat
// completions, responses, embeddings, completions, images, audio
// transcriptions (go-openai's CreateTranscription too, which WrapOpenAI
// cannot meter: go-openai drops the reply's usage) and decisions, streams
// included, on any base URL and on Azure OpenAI deployment paths
// (WithOpenAIDeployments); a reply without usage is recorded with
// estimated counts, marked usageEstimated.
// Calls already metered by WrapOpenAI or OpenAIMiddleware are skipped. WithOpenAIEntitlement
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

// OpenAIMiddleware returns a client middleware that meters OpenAI-compatible
// calls for customerID, for the official OpenAI Go SDK
// (github.com/openai/openai-go/v3) — its type is that SDK's
// option.Middleware:
//
//	client := openai.NewClient(option.WithMiddleware(drip.OpenAIMiddleware("cust_123")))
//
// It meters what OpenAIHTTPClient meters — chat completions, responses,
// embeddings, completions, images, audio transcriptions, decisions and
// their streams, on OpenAI, Azure OpenAI (see WithOpenAIDeployments) or
// any OpenAI-compatible base URL —
// and keeps whatever HTTP client the SDK uses. A streaming chat or
// completion request that does not ask for usage is sent asking for it,
// and the usage-only chunk that brings is removed from the stream, so the
// caller's stream reads as it would have. The SDK retries 408, 409, 429 and
// 5xx answers; every attempt the provider answered is recorded (a failed
// one as llm.error, never billed), so a call's tokens are counted once.
// Calls it meters are marked in their ctx, so an OpenAIHTTPClient given to
// the same SDK does not count them again. WithOpenAIEntitlement gates its
// calls; a denied one fails before anything is sent, with an error
// matching ErrEntitlementDenied, which the SDK returns at once, without
// retrying it.
func OpenAIMiddleware(customerID string, opts ...OpenAIOption) func(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	cfg := openAIConfig{}
	cfg.rec.CustomerID = customerID
	for _, o := range opts {
		o(&cfg)
	}
	rec := cfg.rec
	return openaimeter.NewMiddleware(&rec, cfg.meterOptions(&rec)...)
}
