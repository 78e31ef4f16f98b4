package openaimeter_test

import (
	"context"
	"testing"

	"github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/drip-sdk/drip-go/driptest/openaitest"
	"github.com/drip-sdk/drip-go/providers"
	"github.com/drip-sdk/drip-go/providers/openaimeter"
)

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

func TestGenAISpans(t *testing.T) {
	stub := openaitest.New(t)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	c, _ := wrapped(t, stub, openaimeter.WithTracerProvider(tp))
	ctx := context.Background()

	if _, err := c.CreateChatCompletion(ctx, chatRequest("gpt-4o-mini")); err != nil {
		t.Fatal(err)
	}
	s, err := c.CreateChatCompletionStream(ctx, chatRequest("gpt-4o-mini"))
	if err != nil {
		t.Fatal(err)
	}
	drain(t, s)
	if _, err := c.CreateEmbeddings(ctx, openai.EmbeddingRequest{Input: "a", Model: openai.SmallEmbedding3}); err != nil {
		t.Fatal(err)
	}
	c.CreateChatCompletion(ctx, chatRequest("error-429"))

	spans := rec.Ended()
	if len(spans) != 4 {
		t.Fatalf("%d spans", len(spans))
	}
	for i, want := range []string{"chat gpt-4o-mini", "chat gpt-4o-mini", "embeddings text-embedding-3-small", "chat error-429"} {
		if spans[i].Name() != want || spans[i].SpanKind() != trace.SpanKindClient {
			t.Errorf("span %d = %q kind %v, want %q client", i, spans[i].Name(), spans[i].SpanKind(), want)
		}
	}
	chat := attrs(spans[0])
	for k, want := range map[string]any{
		"gen_ai.operation.name":                "chat",
		"gen_ai.provider.name":                 "openai",
		"gen_ai.system":                        "openai",
		"gen_ai.request.model":                 "gpt-4o-mini",
		"gen_ai.response.model":                "gpt-4o-mini" + openaitest.DefaultModelSuffix,
		"gen_ai.usage.input_tokens":            int64(11),
		"gen_ai.usage.output_tokens":           int64(7),
		"gen_ai.usage.cache_read.input_tokens": int64(3),
		"gen_ai.usage.reasoning.output_tokens": int64(2),
		providers.MeteredAttribute:             true,
	} {
		if got := chat[attribute.Key(k)].AsInterface(); got != want {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	for k := range chat {
		switch k {
		case "gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.prompt", "gen_ai.completion":
			t.Errorf("content captured in %s", k)
		}
	}
	if attrs(spans[1])["gen_ai.usage.output_tokens"].AsInt64() != 7 {
		t.Error("stream span lacks usage")
	}
	errSpan := spans[3]
	if errSpan.Status().Code != codes.Error || attrs(errSpan)["error.type"].AsString() != "requests" {
		t.Errorf("error span status %v attrs %v", errSpan.Status(), attrs(errSpan))
	}
	if _, ok := attrs(errSpan)["gen_ai.usage.input_tokens"]; ok {
		t.Error("error span carries usage")
	}
}

func TestTransportSpans(t *testing.T) {
	stub := openaitest.New(t)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	c, _ := meteredRaw(t, stub, openaimeter.WithTracerProvider(tp))
	if _, err := c.CreateChatCompletion(context.Background(), chatRequest("gpt-4o")); err != nil {
		t.Fatal(err)
	}
	spans := rec.Ended()
	if len(spans) != 1 || spans[0].Name() != "chat gpt-4o" || attrs(spans[0])["gen_ai.usage.input_tokens"].AsInt64() != 11 {
		t.Fatalf("spans = %v", spans)
	}
}
