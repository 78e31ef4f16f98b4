package openaimeter

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// Defaults.
const (
	// DefaultPendingSize is how many unfinished asynchronous calls (assistant
	// runs, background responses) a Client remembers; beyond it the oldest
	// is forgotten and its usage is not reported.
	DefaultPendingSize = 4096

	// ProviderOpenAI is the Usage.Provider reported unless WithProvider says
	// otherwise (gen_ai.provider.name "openai").
	ProviderOpenAI = "openai"
)

// Option configures Wrap and NewTransport.
type Option func(*options)

type options struct {
	tp          trace.TracerProvider
	now         func() time.Time
	pendingSize int
	pending     *Pending
	provider    string
	azure       string // the provider of Azure OpenAI calls
	deployments map[string]string
	noInject    bool
	gate        func(context.Context) error
	customClock bool // WithClock was given
}

func buildOptions(opts []Option) options {
	o := options{now: time.Now, pendingSize: DefaultPendingSize, provider: ProviderOpenAI}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.azure == "" {
		o.azure = ProviderAzureOpenAI
	}
	if o.pending == nil {
		o.pending = NewPending(o.pendingSize)
	}
	return o
}

// WithTracerProvider makes every metered call also emit an OpenTelemetry
// GenAI client span from tp (semantic conventions v1.41: "chat {model}",
// gen_ai.* request, response and usage attributes, no message content). The
// spans carry providers.MeteredAttribute=true so drip-go's span bridge does
// not count the call a second time. Without this option no span is created
// and tracing costs nothing.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *options) { o.tp = tp }
}

// WithClock sets the clock used for Usage.Start and Usage.Duration (tests).
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now, o.customClock = now, true
		}
	}
}

// WithDedupeSize bounds how many unfinished asynchronous calls (assistant
// runs, background responses) are remembered; default DefaultPendingSize.
func WithDedupeSize(n int) Option {
	return func(o *options) { o.pendingSize = n }
}

// WithPending shares one set of unfinished asynchronous calls between
// several Clients, so a run created through one wrap and polled through
// another is still reported, once.
func WithPending(p *Pending) Option {
	return func(o *options) { o.pending = p }
}

// WithProvider sets Usage.Provider and gen_ai.provider.name, for
// OpenAI-compatible endpoints of other providers ("azure.ai.openai",
// "groq", "deepseek", …). Default ProviderOpenAI, and ProviderAzureOpenAI
// for Azure OpenAI calls the HTTP meter recognises (a
// /openai/deployments/{name}/ path or an Azure OpenAI host).
func WithProvider(name string) Option {
	return func(o *options) {
		if name != "" {
			o.provider, o.azure = name, name
		}
	}
}

// WithDeployments maps Azure OpenAI deployment names to the model each
// serves ({"prod-chat": "gpt-4o"}), so calls are recorded, and priced,
// under the model: wherever the HTTP meter sees a mapped deployment name —
// the /openai/deployments/{name}/ path of a request whose body names no
// model, or a request or response model equal to it — it records the
// mapped model instead. Unmapped deployments are recorded under their own
// name.
func WithDeployments(deployments map[string]string) Option {
	return func(o *options) {
		if len(deployments) > 0 {
			o.deployments = make(map[string]string, len(deployments))
			for d, model := range deployments {
				o.deployments[d] = model
			}
		}
	}
}

// WithoutStreamUsageInjection stops the HTTP meter from adding
// stream_options.include_usage to streaming requests that lack it; their
// usage is then estimated from the streamed text. Use it for
// OpenAI-compatible servers that reject stream_options. (The decorator
// always asks for usage; it has typed access to the request.)
func WithoutStreamUsageInjection() Option {
	return func(o *options) { o.noInject = true }
}

// WithGate makes every call that starts provider work (chat, completions,
// embeddings, images, responses, assistant runs, their streams) ask gate
// first, under the call's ctx. A non-nil error is returned as the call's
// error, unchanged: nothing is sent to the provider and no usage is
// reported. Polls of work already started (retrieving or cancelling a run
// or a background response) are not gated. The HTTP meter asks gate in
// RoundTrip, so the error reaches the caller wrapped by http.Client in a
// *url.Error (errors.Is and errors.As see through it); requests a
// decorator above has already gated (providers.MarkMetered) are not asked
// again. drip.WithOpenAIEntitlement uses it to enforce Drip entitlements.
func WithGate(gate func(ctx context.Context) error) Option {
	return func(o *options) { o.gate = gate }
}
