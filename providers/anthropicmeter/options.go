package anthropicmeter

import (
	"context"
	"time"
)

// ProviderAnthropic is the Usage.Provider reported for Anthropic's own API
// unless WithProvider names another (gen_ai.provider.name "anthropic").
const ProviderAnthropic = "anthropic"

// Option configures NewTransport, NewHTTPClient and Middleware.
type Option func(*options)

type options struct {
	now      func() time.Time
	provider string // "": the call's own (ProviderAnthropic, or a cloud's)
	gate     func(context.Context) error
}

func buildOptions(opts []Option) options {
	o := options{now: time.Now}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}

// WithClock sets the clock used for Usage.Start and Usage.Duration (tests).
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// WithProvider sets Usage.Provider, for Anthropic-compatible endpoints of
// other vendors. Default ProviderAnthropic, or ProviderVertex or
// ProviderBedrock for calls through those clouds.
func WithProvider(name string) Option {
	return func(o *options) {
		if name != "" {
			o.provider = name
		}
	}
}

// WithGate makes every metered request ask gate first, under the request's
// ctx. A non-nil error is returned as the request's error: nothing is sent
// and nothing is reported. Requests marked providers.MarkMetered and
// count_tokens requests are not asked. drip.WithAnthropicEntitlement uses it.
func WithGate(gate func(ctx context.Context) error) Option {
	return func(o *options) { o.gate = gate }
}
