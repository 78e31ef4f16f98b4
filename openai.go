package drip

import (
	"net/http"

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

// WrapOpenAI meters every billable call of client for customerID:
//
//	client := drip.WrapOpenAI(openai.NewClient(key), "cust_123")
//
// Inside a run (RunFromContext) each call becomes one llm.completion event
// with the provider's token counts, duration and cost; outside a run it is
// usage for the ctx's customer (ContextWithCustomer), else customerID. Failed calls
// become llm.error events and return the original error unchanged. Nothing
// blocks on the network and the prompt and completion never leave the
// process.
func WrapOpenAI(client *openai.Client, customerID string, opts ...OpenAIOption) *OpenAIClient {
	cfg := openAIConfig{}
	cfg.rec.CustomerID = customerID
	for _, o := range opts {
		o(&cfg)
	}
	rec := cfg.rec
	return openaimeter.Wrap(client, &rec, cfg.opts...)
}

// OpenAIHTTPClient returns an *http.Client-compatible doer that meters
// OpenAI-compatible HTTP traffic for code that builds its own client (set it
// as openai.ClientConfig.HTTPClient, or langchaingo's openai.WithHTTPClient).
// Calls already metered by WrapOpenAI are skipped.
func OpenAIHTTPClient(customerID string, opts ...OpenAIOption) *http.Client {
	cfg := openAIConfig{}
	cfg.rec.CustomerID = customerID
	for _, o := range opts {
		o(&cfg)
	}
	rec := cfg.rec
	return openaimeter.NewHTTPClient(nil, &rec, cfg.opts...)
}
