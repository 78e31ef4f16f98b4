package langchaingo

import (
	"context"
	"time"

	"github.com/tmc/langchaingo/llms"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/providers"
)

// WrapModel returns model metering every call itself, for what callbacks
// cannot see: the model name from the call options (llms.WithModel), else
// the one the provider was built with (anthropic.WithModel,
// openai.WithModel), else WithModelLabel; the
// call's duration, failures of providers that never call HandleLLMError
// (openai, googleai, …) and calls of providers that never call
// HandleLLMGenerateContentEnd (anthropic, huggingface, llamafile, watsonx):
//
//	model := langchaingo.WrapModel(llm, langchaingo.WithHandler(h))
//
// Each call is recorded exactly once. WrapModel calls model under a ctx
// marked with providers.MarkMetered, so an HTTP-level meter below it
// (drip.OpenAIHTTPClient in openai.WithHTTPClient) and a CallbackHandler
// attached to model skip the call, and WrapModel records it from the
// response it returns. With WithHandler the call goes into h's run for the
// chain or agent on the same ctx; without it into the ctx's drip run, else
// as usage for the customer (WithCustomerID or drip.ContextWithCustomer). A ctx
// that is already marked (a WrapModel around a WrapModel) passes through
// unrecorded.
func WrapModel(model llms.Model, opts ...Option) llms.Model {
	cfg := newConfig(opts)
	h := cfg.handler
	if h == nil {
		h = NewCallbackHandler(cfg.customer, opts...)
	}
	return &meteredModel{inner: model, h: h, label: cfg.model, configured: providerModel(model)}
}

type meteredModel struct {
	inner llms.Model
	h     *CallbackHandler
	label string
	// configured is the model the provider was built with (providerModel).
	configured string
}

// GenerateContent calls the wrapped model and records the call once.
func (m *meteredModel) GenerateContent(ctx context.Context, messages []llms.MessageContent, options ...llms.CallOption) (*llms.ContentResponse, error) {
	if providers.IsMetered(ctx) {
		return m.inner.GenerateContent(ctx, messages, options...)
	}
	var co llms.CallOptions
	for _, o := range options {
		o(&co)
	}
	m.h.llmStart(ctx, false) // a tool the agent ran before this call ends here
	start := time.Now()
	res, err := m.inner.GenerateContent(providers.MarkMetered(ctx), messages, options...)
	d := time.Since(start)

	u, _ := UsageFromResponse(res)
	u.Operation = providers.OpGenerate
	u.Duration = d
	u.Streamed = co.StreamingFunc != nil || co.StreamingReasoningFunc != nil
	u.RequestModel = co.Model
	if u.RequestModel == "" {
		u.RequestModel = m.configured
	}
	if u.RequestModel == "" {
		u.RequestModel = m.label
	}
	if err != nil {
		u.Err, u.ErrorType = err, drip.ErrorType(err)
	}
	m.h.mu.Lock()
	run := target(ctx, m.h.lookup(ctx, m.h.now(), false))
	m.h.mu.Unlock()
	m.h.record(ctx, run, &u)
	return res, err
}

// Call generates from a single prompt through GenerateContent.
//
// Deprecated: as llms.Model.Call; use GenerateContent.
func (m *meteredModel) Call(ctx context.Context, prompt string, options ...llms.CallOption) (string, error) {
	return llms.GenerateFromSinglePrompt(ctx, m, prompt, options...)
}
