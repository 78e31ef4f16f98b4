package dripexporter

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/drip-sdk/drip-go/internal/genaimap"
)

// Defaults of the exporter's own settings.
const (
	// DefaultIdleTimeout is how long a trace may go without a new span
	// before its run, whose root span never came, is ended as
	// FAILED/ABANDONED (and spans still waiting for a customer are
	// dropped).
	DefaultIdleTimeout = 5 * time.Minute
	// DefaultMaxPendingSpans bounds the spans held, across traces, while
	// they wait for their trace's customer to arrive.
	DefaultMaxPendingSpans = 100_000
	// DefaultTimeout bounds the sending of one batch (the helper's
	// timeout); a retry resumes where it stopped (runs started and ended
	// are remembered).
	DefaultTimeout = 30 * time.Second
)

// Config is the drip exporter's configuration.
type Config struct {
	// Endpoint is the Drip API base URL, e.g. https://api.drippay.dev/v1.
	Endpoint string `mapstructure:"endpoint"`
	// APIKey is the Drip secret or public key; it is never logged.
	APIKey configopaque.String `mapstructure:"api_key"`
	// Customer says where a trace's Drip customer id is read.
	Customer CustomerConfig `mapstructure:"customer"`
	// Workflow says how runs' workflows are named.
	Workflow WorkflowConfig `mapstructure:"workflow"`
	// IdleTimeout: see DefaultIdleTimeout.
	IdleTimeout time.Duration `mapstructure:"idle_timeout"`
	// MaxPendingSpans: see DefaultMaxPendingSpans.
	MaxPendingSpans int `mapstructure:"max_pending_spans"`
	// SpanEvents records spans of no GenAI kind as generic span events.
	SpanEvents bool `mapstructure:"span_events"`

	TimeoutConfig exporterhelper.TimeoutConfig                             `mapstructure:",squash"`
	QueueConfig   configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	RetryConfig   configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`
}

// CustomerConfig names the attributes a trace's customer is read from, in
// this order: the span attribute, the baggage-derived span attribute (what
// a baggage span processor copies the baggage member to), the resource
// attribute. Real instrumentations put it on the root span only; "" turns
// a source off.
type CustomerConfig struct {
	SpanAttribute     string `mapstructure:"span_attribute"`
	BaggageAttribute  string `mapstructure:"baggage_attribute"`
	ResourceAttribute string `mapstructure:"resource_attribute"`
}

// WorkflowConfig names runs' workflows. A run's workflow is, from the span
// that starts it: drip.workflow, else gen_ai.workflow.name, else
// gen_ai.agent.name, else Default, else the service name when
// UseServiceName, else the span name.
type WorkflowConfig struct {
	Default        string `mapstructure:"default"`
	UseServiceName bool   `mapstructure:"use_service_name"`
}

var _ component.Config = (*Config)(nil)

func createDefaultConfig() component.Config {
	return &Config{
		Customer: CustomerConfig{
			SpanAttribute:     genaimap.AttrCustomerID,
			BaggageAttribute:  genaimap.BaggageCustomerID,
			ResourceAttribute: genaimap.AttrCustomerID,
		},
		IdleTimeout:     DefaultIdleTimeout,
		MaxPendingSpans: DefaultMaxPendingSpans,
		// A batch of many new traces makes two calls per trace.
		TimeoutConfig: exporterhelper.TimeoutConfig{Timeout: DefaultTimeout},
		QueueConfig:   configoptional.Some(exporterhelper.NewDefaultQueueConfig()),
		RetryConfig:   configretry.NewDefaultBackOffConfig(),
	}
}

// Validate checks the configuration before the collector starts.
func (c *Config) Validate() error {
	var errs []error
	if c.Endpoint == "" {
		errs = append(errs, errors.New("endpoint is required (the Drip API base URL)"))
	} else if u, err := url.Parse(c.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("endpoint %q is not an http(s) URL", c.Endpoint))
	}
	if c.APIKey == "" {
		errs = append(errs, errors.New("api_key is required"))
	}
	if c.Customer.SpanAttribute == "" && c.Customer.BaggageAttribute == "" && c.Customer.ResourceAttribute == "" {
		errs = append(errs, errors.New("customer: at least one of span_attribute, baggage_attribute, resource_attribute is required"))
	}
	if c.IdleTimeout <= 0 {
		errs = append(errs, errors.New("idle_timeout must be positive"))
	}
	if c.MaxPendingSpans <= 0 {
		errs = append(errs, errors.New("max_pending_spans must be positive"))
	}
	return errors.Join(errs...)
}
