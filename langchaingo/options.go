package langchaingo

import (
	"time"

	drip "github.com/drip-sdk/drip-go"
)

// DefaultWorkflow is the workflow of the runs the handler starts, as the
// official LangChain handlers name it.
const DefaultWorkflow = "langchain"

// DefaultStateTTL is how long per-call state (a start with no end yet) is
// kept after the last callback on its ctx, when its ctx is not done first.
const DefaultStateTTL = 10 * time.Minute

// Option configures NewCallbackHandler and WrapModel.
type Option func(*config)

type config struct {
	tracker  *drip.Tracker
	workflow string
	metadata map[string]any
	model    string
	ttl      time.Duration
	handler  *CallbackHandler
	customer string
}

// WithTracker sets the tracker events are recorded through (default
// drip.DefaultTracker()).
func WithTracker(t *drip.Tracker) Option { return func(c *config) { c.tracker = t } }

// WithWorkflow sets the workflow of the runs the handler starts (default
// DefaultWorkflow, "langchain").
func WithWorkflow(workflow string) Option { return func(c *config) { c.workflow = workflow } }

// WithMetadata adds base metadata to every event and to the runs the handler
// starts. Operational context only; event keys win over base keys.
func WithMetadata(md map[string]any) Option { return func(c *config) { c.metadata = md } }

// WithModelLabel names the model when neither the call options
// (llms.WithModel, seen by WrapModel), the provider's own configuration
// (anthropic.WithModel, openai.WithModel, read by WrapModel) nor the
// response name it. langchaingo's
// ContentResponse carries no model name for most providers, so without it
// an unwrapped handler records model "unknown" and no cost.
func WithModelLabel(model string) Option { return func(c *config) { c.model = model } }

// WithStateTTL sets how long state of a call that never ended is kept after
// the last callback on its ctx (default DefaultStateTTL). State of a ctx
// that is done is dropped sooner.
func WithStateTTL(d time.Duration) Option { return func(c *config) { c.ttl = d } }

// WithHandler makes WrapModel record through h: into h's runs for the
// chains and agents running on the same ctx, with h's tracker, customer
// and model label. Without it WrapModel records into the ctx's drip
// run, else as usage for the customer.
func WithHandler(h *CallbackHandler) Option { return func(c *config) { c.handler = h } }

// WithCustomerID sets the customer WrapModel records for when it has no
// WithHandler and the ctx names none (drip.ContextWithCustomer, the ctx's run).
func WithCustomerID(id string) Option { return func(c *config) { c.customer = id } }

func newConfig(opts []Option) config {
	c := config{workflow: DefaultWorkflow, ttl: DefaultStateTTL}
	for _, o := range opts {
		o(&c)
	}
	if c.workflow == "" {
		c.workflow = DefaultWorkflow
	}
	if c.ttl <= 0 {
		c.ttl = DefaultStateTTL
	}
	return c
}
