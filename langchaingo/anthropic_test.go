package langchaingo_test

import (
	"context"
	"math"
	"testing"

	"github.com/tmc/langchaingo/chains"
	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/llms/anthropic"
	"github.com/tmc/langchaingo/prompts"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest/anthropictest"
	"github.com/drip-sdk/drip-go/langchaingo"
	"github.com/drip-sdk/drip-go/providers/pricing"
)

const claude = "claude-3-5-sonnet-20241022"

func anthropicLLM(t *testing.T, stub *anthropictest.Server, opts ...anthropic.Option) *anthropic.LLM {
	t.Helper()
	base := []anthropic.Option{anthropic.WithToken("sk-ant-test"), anthropic.WithBaseURL(stub.BaseURL()),
		anthropic.WithModel(claude)}
	l, err := anthropic.New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// As a new user writes it: the model set on the provider is recorded, so
// the call is priced. langchaingo's responses do not name the model.
func TestWrapModelAnthropicRecordsTheProviderModel(t *testing.T) {
	e := newEnv(t)
	stub := anthropictest.New(t, anthropictest.WithUsage(anthropictest.Usage{Input: 123, Output: 45, CacheRead: 20, CacheWrite: 10}))
	m := langchaingo.WrapModel(anthropicLLM(t, stub), langchaingo.WithTracker(e.tracker), langchaingo.WithCustomerID(e.cust))
	ctx, run := e.run(t)
	if _, err := m.GenerateContent(ctx, []llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, secret)}); err != nil {
		t.Fatal(err)
	}
	// Outside a run: usage under the provider's model.
	if _, err := m.GenerateContent(ctxT(t), []llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, secret)}); err != nil {
		t.Fatal(err)
	}
	run.End(drip.RunCompleted)
	e.flush(t)
	assertLines(t, e.timeline(t, run.ID()), []string{
		"llm.completion q=198 tokens model=" + claude + " inputTokens=153 outputTokens=45 cachedInputTokens=20"})
	ev := e.drip.Events(run.ID())[0]
	want, _ := pricing.Default().CostTokens(claude, pricing.Tokens{Input: 153, CachedInput: 20, CacheWriteInput: 10, Output: 45})
	if ev.CostUnits == nil || math.Abs(*ev.CostUnits-want) > 1e-12 || want == 0 || ev.Metadata["cacheCreationInputTokens"] != float64(10) {
		t.Fatalf("cost %v, want %v; %+v", ev.CostUnits, want, ev.Metadata)
	}
	recs := e.drip.UsageRecords()
	if len(recs) != 1 || recs[0].Metadata["model"] != claude || recs[0].Quantity != 198 {
		t.Fatalf("usage records %+v", recs)
	}
	// A call option still names the model of its own call.
	ctx2, run2 := e.run(t)
	if _, err := m.GenerateContent(ctx2, []llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, "x")},
		llms.WithModel("claude-3-5-haiku-20241022")); err != nil {
		t.Fatal(err)
	}
	run2.End(drip.RunCompleted)
	e.flush(t)
	if ev := e.drip.Events(run2.ID()); len(ev) != 1 || ev[0].Metadata["model"] != "claude-3-5-haiku-20241022" {
		t.Fatalf("%+v", ev)
	}
}

// An Anthropic call inside a langchaingo chain, seen by the handler (chain
// callbacks and WrapModel) and by drip.AnthropicHTTPClient in the
// provider's HTTP client: recorded once, in the chain's run, with the
// provider's model.
func TestCountedOnceAnthropicWrapModelHandlerAndHTTPMeter(t *testing.T) {
	for _, stream := range []bool{false, true} {
		e := newEnv(t)
		stub := anthropictest.New(t)
		llm := anthropicLLM(t, stub, anthropic.WithHTTPClient(drip.AnthropicHTTPClient(e.cust, drip.WithAnthropicTracker(e.tracker))))
		llm.CallbacksHandler = e.h
		model := langchaingo.WrapModel(llm, langchaingo.WithHandler(e.h))
		chain := chains.NewLLMChain(model, prompts.NewPromptTemplate("{{.x}} "+secret, []string{"x"}), chains.WithCallback(e.h))
		var opts []chains.ChainCallOption
		if stream {
			opts = append(opts, chains.WithStreamingFunc(func(context.Context, []byte) error { return nil }))
		}
		if _, err := chains.Run(ctxT(t), chain, "x", opts...); err != nil {
			t.Fatal(err)
		}
		e.flush(t)
		r := e.onlyRun(t)
		assertLines(t, e.timeline(t, r.ID), []string{
			"llm.completion q=168 tokens model=" + claude + " inputTokens=123 outputTokens=45",
			"chain.execution q=1 executions name=chain depth=0"})
		if recs := e.drip.UsageRecords(); len(recs) != 0 {
			t.Fatalf("stream=%v: counted twice, HTTP meter recorded %+v", stream, recs)
		}
		if stub.Requests("/v1/messages") != 1 {
			t.Fatalf("%d requests", stub.Requests("/v1/messages"))
		}
	}
}

// The HTTP meter is live in that setup: alone (no WrapModel) it records the
// call, with the model Anthropic answered with.
func TestAnthropicHTTPMeterAloneRecordsTheCall(t *testing.T) {
	e := newEnv(t)
	stub := anthropictest.New(t)
	llm := anthropicLLM(t, stub, anthropic.WithHTTPClient(drip.AnthropicHTTPClient(e.cust, drip.WithAnthropicTracker(e.tracker))))
	if _, err := llm.Call(ctxT(t), "x"); err != nil {
		t.Fatal(err)
	}
	e.flush(t)
	if recs := e.drip.UsageRecords(); len(recs) != 1 || recs[0].Quantity != 168 || recs[0].Metadata["model"] != claude {
		t.Fatalf("usage records %+v", recs)
	}
}
