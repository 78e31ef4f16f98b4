package otelbridge_test

import (
	"context"
	"testing"

	goopenai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest/openaitest"
	"github.com/drip-sdk/drip-go/otelbridge"
)

// WrapOpenAI with a TracerProvider emits GenAI spans through the same
// provider as the bridge. Each call must be counted once: by WrapOpenAI,
// never again from its span.
func TestWrapOpenAIIsCountedOnce(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "acme")
	stub := openaitest.New(t)
	cfg := goopenai.DefaultConfig("sk-openai-test")
	cfg.BaseURL = stub.BaseURL()
	client := drip.WrapOpenAI(goopenai.NewClientWithConfig(cfg), cust,
		drip.WithOpenAITracker(e.tracker), drip.WithOpenAITracerProvider(e.tp))
	req := goopenai.ChatCompletionRequest{Model: "gpt-4o-mini",
		Messages: []goopenai.ChatCompletionMessage{{Role: "user", Content: "hi"}}}

	ctx, root := e.tracer.Start(context.Background(), "agent",
		trace.WithAttributes(attribute.String(otelbridge.AttrCustomerID, cust)))

	// 1. Inside the bridge's run: RunFromContext puts it in ctx, WrapOpenAI
	// records the call there; the bridge skips the call's span.
	run := e.proc.RunFromContext(ctx)
	if run == nil {
		t.Fatal("RunFromContext: no run for the root span")
	}
	if _, err := client.CreateChatCompletion(drip.ContextWithRun(ctx, run), req); err != nil {
		t.Fatal(err)
	}
	// 2. Without the run in ctx: WrapOpenAI records customer usage, and the
	// span (a child of the root, so inside the bridge's run) is still
	// skipped.
	if _, err := client.CreateChatCompletion(ctx, req); err != nil {
		t.Fatal(err)
	}
	// 3. A GenAI span from other instrumentation in the same run counts.
	_, other := e.tracer.Start(ctx, "chat gpt-4o-mini", trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "chat"), attribute.String("gen_ai.request.model", "gpt-4o-mini"),
		attribute.Int("gen_ai.usage.input_tokens", 100), attribute.Int("gen_ai.usage.output_tokens", 1)))
	other.End()
	root.End()
	e.flush(t)

	if stub.Requests("/chat/completions") != 2 {
		t.Fatalf("stub saw %d calls", stub.Requests("/chat/completions"))
	}
	r := e.runOf(t, root)
	evs := e.srv.Events(r.ID)
	if len(evs) != 2 {
		t.Fatalf("events = %+v, want the WrapOpenAI call and the other span", evs)
	}
	u := openaitest.DefaultUsage
	var wrapped int
	for _, ev := range evs {
		if ev.EventType != drip.EventLLMCompletion {
			t.Fatalf("event %s", ev.EventType)
		}
		if num(t, ev.Metadata, "inputTokens") == int64(u.Prompt) {
			wrapped++
			if num(t, ev.Metadata, "outputTokens") != int64(u.Completion) ||
				num(t, ev.Metadata, "cachedInputTokens") != int64(u.Cached) ||
				num(t, ev.Metadata, "reasoningTokens") != int64(u.Reasoning) {
				t.Fatalf("WrapOpenAI event = %+v", ev.Metadata)
			}
		}
	}
	if wrapped != 1 {
		t.Fatalf("%d events with the stub's usage, want 1", wrapped)
	}
	if recs := e.srv.UsageRecords(); len(recs) != 1 || recs[0].Quantity != float64(u.Total()) {
		t.Fatalf("usage records = %+v, want the one call made outside the run", recs)
	}
	if s := e.proc.Stats(); s.Skipped != 2 || s.Events != 1 {
		t.Fatalf("stats = %+v, want 2 metered spans skipped and 1 event", s)
	}
}
