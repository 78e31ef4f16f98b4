package langchaingo_test

import (
	"context"
	"testing"

	"github.com/tmc/langchaingo/chains"
	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/llms/openai"
	"github.com/tmc/langchaingo/prompts"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/langchaingo"
	"github.com/drip-sdk/drip-go/providers"
)

// The HTTP meter is live in this setup: alone it records the call.
func TestHTTPMeterAloneRecordsTheCall(t *testing.T) {
	e := newEnv(t)
	llm := e.llm(t, openai.WithHTTPClient(drip.OpenAIHTTPClient(e.cust, drip.WithOpenAITracker(e.tracker))))
	if _, err := llm.Call(ctxT(t), "x"); err != nil {
		t.Fatal(err)
	}
	e.flush(t)
	if recs := e.drip.UsageRecords(); len(recs) != 1 || recs[0].Quantity != 18 {
		t.Fatalf("usage records %+v", recs)
	}
}

// WrapModel + handler + drip.OpenAIHTTPClient: WrapModel marks the ctx, the
// HTTP meter and the handler's LLM callbacks skip, the call is recorded once,
// in the chain's run.
func TestCountedOnceWrapModelHandlerAndHTTPMeter(t *testing.T) {
	for _, stream := range []bool{false, true} {
		e := newEnv(t)
		llm := e.llm(t, openai.WithCallback(e.h),
			openai.WithHTTPClient(drip.OpenAIHTTPClient(e.cust, drip.WithOpenAITracker(e.tracker))))
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
		assertLines(t, e.timeline(t, r.ID), []string{llmLine(model_()), "chain.execution q=1 executions name=chain depth=0"})
		if recs := e.drip.UsageRecords(); len(recs) != 0 {
			t.Fatalf("stream=%v: counted twice, HTTP meter recorded %+v", stream, recs)
		}
	}
}

func model_() string { return model }

// Handler + its own HTTPClient, no WrapModel: the meter records the call
// (with the model the API answered with) into the chain's run, and the
// handler's end callback records nothing more.
func TestCountedOnceHandlerHTTPClient(t *testing.T) {
	for _, stream := range []bool{false, true} {
		e := newEnv(t)
		llm := e.llm(t, openai.WithCallback(e.h), openai.WithHTTPClient(e.h.HTTPClient(nil)))
		chain := chains.NewLLMChain(llm, prompts.NewPromptTemplate("{{.x}}", []string{"x"}), chains.WithCallback(e.h))
		var opts []chains.ChainCallOption
		if stream {
			opts = append(opts, chains.WithStreamingFunc(func(context.Context, []byte) error { return nil }))
		}
		if _, err := chains.Run(ctxT(t), chain, "x", opts...); err != nil {
			t.Fatal(err)
		}
		// The same client outside langchaingo's callbacks: customer usage.
		if _, err := e.llm(t, openai.WithHTTPClient(e.h.HTTPClient(nil))).Call(ctxT(t), "y"); err != nil {
			t.Fatal(err)
		}
		e.flush(t)
		r := e.onlyRun(t)
		assertLines(t, e.timeline(t, r.ID), []string{llmLine(model + "-2024-07-18"), "chain.execution q=1 executions name=chain depth=0"})
		if recs := e.drip.UsageRecords(); len(recs) != 1 {
			t.Fatalf("stream=%v: usage records %+v", stream, recs)
		}
		if n := langchaingo.StateSizeForTest(e.h); n != 0 {
			t.Fatalf("state left behind: %d", n)
		}
	}
}

// A ctx already marked by a meter above (drip.WrapOpenAI, WrapModel, or the
// caller) is not recorded by the handler.
func TestHandlerSkipsMarkedCtx(t *testing.T) {
	e := newEnv(t)
	llm := e.llm(t, openai.WithCallback(e.h))
	ctx, run := e.run(t)
	if _, err := llm.Call(providers.MarkMetered(ctx), "x"); err != nil {
		t.Fatal(err)
	}
	e.flush(t)
	assertLines(t, e.timeline(t, run.ID()), nil)
	if n := langchaingo.StateSizeForTest(e.h); n != 0 {
		t.Fatalf("state left behind: %d", n)
	}
}

func TestWrapModelWithoutHandler(t *testing.T) {
	e := newEnv(t)
	m := langchaingo.WrapModel(e.llm(t), langchaingo.WithTracker(e.tracker), langchaingo.WithCustomerID(e.cust))
	if _, err := m.GenerateContent(ctxT(t), []llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, secret)},
		llms.WithModel("gpt-4o")); err != nil {
		t.Fatal(err)
	}
	ctx, run := e.run(t)
	if _, err := m.Call(ctx, "x", llms.WithModel("gpt-4o")); err != nil {
		t.Fatal(err)
	}
	e.flush(t)
	recs := e.drip.UsageRecords()
	if len(recs) != 1 || recs[0].Quantity != 18 || recs[0].Metadata["model"] != "gpt-4o" || recs[0].CustomerID != e.cust {
		t.Fatalf("usage records %+v", recs)
	}
	assertLines(t, e.timeline(t, run.ID()), []string{llmLine("gpt-4o")})
}
