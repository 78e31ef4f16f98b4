package drip

import (
	"net/http"
	"time"

	"github.com/drip-sdk/drip-go/providers/anthropicmeter"
)

// AnthropicOption configures AnthropicHTTPClient and AnthropicMiddleware.
type AnthropicOption func(*anthropicConfig)

type anthropicConfig struct {
	rec     UsageRecorder
	opts    []anthropicmeter.Option
	feature string
	ttl     time.Duration
}

// WithAnthropicTracker sets the tracker calls are recorded through (default
// DefaultTracker()).
func WithAnthropicTracker(t *Tracker) AnthropicOption {
	return func(c *anthropicConfig) { c.rec.Tracker = t }
}

// WithAnthropicWorkflow records each call made outside any run as a run of
// its own under this workflow (one llm.completion event), instead of as
// plain usage.
func WithAnthropicWorkflow(workflow string) AnthropicOption {
	return func(c *anthropicConfig) { c.rec.Workflow = workflow }
}

// WithAnthropicMeter sets the usage meter for calls outside any run
// (default DefaultLLMMeter, "llm_tokens").
func WithAnthropicMeter(meter string) AnthropicOption {
	return func(c *anthropicConfig) { c.rec.Meter = meter }
}

// WithAnthropicSplitMeters records input and output tokens of calls outside
// any run under two meters instead of one.
func WithAnthropicSplitMeters(inputMeter, outputMeter string) AnthropicOption {
	return func(c *anthropicConfig) { c.rec.InputMeter, c.rec.OutputMeter = inputMeter, outputMeter }
}

// WithAnthropicWebSearchMeter also records, outside any run, the searches
// a message ran with Anthropic's web search tool
// (usage.server_tool_use.web_search_requests, billed per search) as usage
// under meter, units "searches" (see UsageRecorder.WebSearchMeter). Such
// calls are then read on the caller's goroutine, as with split meters.
func WithAnthropicWebSearchMeter(meter string) AnthropicOption {
	return func(c *anthropicConfig) { c.rec.WebSearchMeter = meter }
}

// WithAnthropicMetadata adds operational metadata to every record.
func WithAnthropicMetadata(md map[string]any) AnthropicOption {
	return func(c *anthropicConfig) { c.rec.Metadata = md }
}

// WithAnthropicEntitlement gates every Messages call on the customer's Drip
// entitlement to feature, as WithOpenAIEntitlement does for OpenAI: a
// denied call fails before anything is sent, with an error matching
// ErrEntitlementDenied (wrapped by the HTTP client), and the calls' tokens
// count against the feature. count_tokens requests are not gated.
func WithAnthropicEntitlement(feature string) AnthropicOption {
	return func(c *anthropicConfig) { c.feature = feature }
}

// WithAnthropicEntitlementCacheTTL reuses each customer's entitlement
// decision for ttl; see WithOpenAIEntitlementCacheTTL for the trade-off.
func WithAnthropicEntitlementCacheTTL(ttl time.Duration) AnthropicOption {
	return func(c *anthropicConfig) { c.ttl = max(ttl, 0) }
}

// WithAnthropicProvider sets the provider recorded for each call, for
// Anthropic-compatible endpoints of other vendors. By default it is
// "anthropic", or "gcp.vertex_ai" and "aws.bedrock" for calls through
// anthropic-sdk-go's vertex and bedrock options.
func WithAnthropicProvider(name string) AnthropicOption {
	return func(c *anthropicConfig) { c.opts = append(c.opts, anthropicmeter.WithProvider(name)) }
}

func newAnthropicConfig(customerID string, opts []AnthropicOption) (*UsageRecorder, []anthropicmeter.Option) {
	cfg := anthropicConfig{}
	cfg.rec.CustomerID = customerID
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	rec := cfg.rec
	mopts := cfg.opts
	if cfg.feature != "" {
		rec.Feature = cfg.feature
		g := recorderGate(&rec, cfg.feature, cfg.ttl)
		mopts = append(mopts[:len(mopts):len(mopts)], anthropicmeter.WithGate(g.check))
	}
	return &rec, mopts
}

// AnthropicHTTPClient returns an *http.Client that meters Anthropic Messages
// calls for customerID: set it as anthropic-sdk-go's HTTP client, or
// langchaingo's anthropic.WithHTTPClient:
//
//	client := anthropic.NewClient(option.WithHTTPClient(drip.AnthropicHTTPClient("cust_123")))
//
// Each POST /v1/messages, streamed or not, is recorded once with
// Anthropic's token counts: input (cache reads and writes included, and
// priced at their own rates), output, the model that answered, duration and
// tool_use blocks by name. Inside a run (RunFromContext of the request's
// ctx) it is an llm.completion event; outside, usage for the ctx's customer
// (ContextWithCustomer), else customerID. Error replies and a stream's
// error event are llm.error events; count_tokens is never recorded. What the
// caller reads is unchanged, nothing blocks on the network (unless
// WithAnthropicEntitlement gates the calls), and no prompt or completion
// leaves the process. Requests already metered above (langchaingo.WrapModel)
// are skipped, so each call is counted once.
//
// Claude on Google Vertex AI or Amazon Bedrock (anthropic-sdk-go's
// vertex.WithGoogleAuth or bedrock.WithLoadDefaultConfig) is metered too:
// give the HTTP client before the cloud's option, which keeps it (a later
// option.WithHTTPClient replaces it). The model is the one the path names
// (the cloud's id, priced as Anthropic's model), the provider the cloud's.
func AnthropicHTTPClient(customerID string, opts ...AnthropicOption) *http.Client {
	rec, mopts := newAnthropicConfig(customerID, opts)
	return anthropicmeter.NewHTTPClient(nil, rec, mopts...)
}

// AnthropicMiddleware meters Anthropic Messages calls as AnthropicHTTPClient
// does, as a middleware of anthropic-sdk-go (its type is the SDK's
// option.Middleware), which keeps the client's own HTTP client:
//
//	client := anthropic.NewClient(option.WithMiddleware(drip.AnthropicMiddleware("cust_123")))
//
// It passes each request on with its ctx marked as metered, so that an
// AnthropicHTTPClient also given to the same client does not count the call
// again: the two together count each call once.
//
// A call WithAnthropicEntitlement refuses comes back from the SDK at once,
// with an error matching ErrEntitlementDenied, without being retried.
//
// With Google Vertex AI or Amazon Bedrock, give it before the cloud's
// option (vertex.WithGoogleAuth, bedrock.WithLoadDefaultConfig), as
// anthropic-sdk-go advises for any middleware: it then sees Anthropic's
// call. Given after, it sees and meters the cloud's call (the model from
// the path, a Bedrock stream in AWS's event-stream framing).
func AnthropicMiddleware(customerID string, opts ...AnthropicOption) func(*http.Request, func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	rec, mopts := newAnthropicConfig(customerID, opts)
	return anthropicmeter.Middleware(rec, mopts...)
}
