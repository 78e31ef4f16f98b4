package genaimap

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/providers/pricing"
)

type testSpan struct {
	name   string
	failed bool
}

func (s testSpan) Name() string           { return s.name }
func (s testSpan) Failed() bool           { return s.failed }
func (s testSpan) DroppedAttributes() int { return 0 }

func event(t *testing.T, attrs map[string]Value) drip.Event {
	t.Helper()
	var f Facts
	for k, v := range attrs {
		f.Add(k, v)
	}
	var x End
	if !x.Read(testSpan{name: "span"}, &f, false) {
		t.Fatal("span records nothing")
	}
	var e drip.Event
	Fill(&e, &x, &f)
	return e
}

const secret = "SECRET PROMPT TEXT"

func TestRealInstrumentationSpellings(t *testing.T) {
	// OpenLIT: semconv keys plus its cache keys, prompt as an attribute.
	e := event(t, map[string]Value{
		"gen_ai.operation.name":                    String("chat"),
		"gen_ai.provider.name":                     String("openai"),
		"gen_ai.request.model":                     String("gpt-4o-mini"),
		"gen_ai.response.model":                    String("gpt-4o-mini-2024-07-18"),
		"gen_ai.usage.input_tokens":                Int(120),
		"gen_ai.usage.output_tokens":               Int(30),
		"gen_ai.usage.cache_read.input_tokens":     Int(100),
		"gen_ai.usage.cache_creation.input_tokens": Int(7),
		"gen_ai.input.messages":                    String(secret),
	})
	if e.Type != drip.EventLLMCompletion || e.InputTokens != 120 || e.OutputTokens != 30 || e.CachedInputTokens != 100 ||
		e.Model != "gpt-4o-mini-2024-07-18" || e.Provider != "openai" || e.Metadata["cacheWrites"] != int64(7) ||
		e.CacheCreationInputTokens != 7 {
		t.Errorf("OpenLIT event = %+v", e)
	}
	if _, est := e.Metadata["usageEstimated"]; est {
		t.Error("exact usage marked estimated")
	}

	// OpenInference: span kind LLM, no operation key, request model only in
	// the invocation parameters.
	var f Facts
	for k, v := range map[string]Value{
		"openinference.span.kind":                      String("LLM"),
		"llm.model_name":                               String("gpt-4o-2024-08-06"),
		"llm.system":                                   String("openai"),
		"llm.invocation_parameters":                    String(`{"model":"gpt-4o","temperature":0}`),
		"llm.token_count.prompt":                       Int(50),
		"llm.token_count.completion":                   String("20"),
		"llm.token_count.prompt_details.cache_read":    Int(10),
		"llm.token_count.completion_details.reasoning": Int(5),
		"llm.input_messages.0.message.content":         String(secret),
		"input.value":                                  String(secret),
	} {
		f.Add(k, v)
	}
	var x End
	x.Read(testSpan{}, &f, false)
	var oe drip.Event
	Fill(&oe, &x, &f)
	if oe.Type != drip.EventLLMCompletion || oe.Operation != "chat" || oe.InputTokens != 50 || oe.OutputTokens != 20 ||
		oe.CachedInputTokens != 10 || oe.ReasoningTokens != 5 || oe.Model != "gpt-4o-2024-08-06" || oe.Provider != "openai" {
		t.Errorf("OpenInference event = %+v", oe)
	}
	var p = f.invocationParams()
	if p.Model != "gpt-4o" {
		t.Errorf("request model = %q", p.Model)
	}
	for _, ev := range []drip.Event{e, oe} {
		b, _ := json.Marshal(ev)
		if strings.Contains(string(b), secret) {
			t.Errorf("prompt text reached the event: %s", b)
		}
	}
}

func TestStreamWithoutUsageIsEstimated(t *testing.T) {
	// OpenInference puts no token keys on a stream without usage.
	e := event(t, map[string]Value{
		"openinference.span.kind":               String("LLM"),
		"llm.model_name":                        String("gpt-4o"),
		"llm.invocation_parameters":             String(`{"model":"gpt-4o","stream":true}`),
		"llm.input_messages.0.message.content":  String(strings.Repeat("x", 40)),
		"llm.output_messages.0.message.content": String(strings.Repeat("y", 81)),
		"input.value":                           String(strings.Repeat("z", 400)),
	})
	if e.Type != drip.EventLLMCompletion || e.InputTokens != 10 || e.OutputTokens != 21 ||
		e.Metadata["usageEstimated"] != true || e.Metadata["streamed"] != true {
		t.Errorf("stream event = %+v", e)
	}
	b, _ := json.Marshal(e)
	if strings.Contains(string(b), "xxxx") || strings.Contains(string(b), "yyyy") {
		t.Errorf("message text reached the event: %s", b)
	}
}

func TestEstimateReadsMessageText(t *testing.T) {
	// OpenLLMetry JS on a stream: semconv message JSON, no usage.
	e := event(t, map[string]Value{
		"gen_ai.operation.name":  String("chat"),
		"gen_ai.provider.name":   String("openai"),
		"gen_ai.input.messages":  String(`[{"role":"user","parts":[{"type":"text","content":"` + strings.Repeat("p", 24) + `"}]}]`),
		"gen_ai.output.messages": String(`[{"role":"assistant","parts":[{"type":"text","content":"Hello, world!"}]}]`),
	})
	if e.InputTokens != 6 || e.OutputTokens != 4 || e.Metadata["usageEstimated"] != true {
		t.Errorf("estimate = %d in %d out %v", e.InputTokens, e.OutputTokens, e.Metadata)
	}
}

func TestIDs(t *testing.T) {
	tid := [16]byte{0xab, 15: 1}
	key, span, parent := IDs(tid, [8]byte{1}, [8]byte{2}, true)
	if key != "otel_ab000000000000000000000000000001_0100000000000000" || span != "0100000000000000" || parent != "0200000000000000" {
		t.Errorf("IDs = %q %q %q", key, span, parent)
	}
	if _, _, parent := IDs(tid, [8]byte{1}, [8]byte{2}, false); parent != "" {
		t.Errorf("parent without withParent = %q", parent)
	}
	if got := RunID(tid, [8]byte{1}); got != "otel-ab000000000000000000000000000001-0100000000000000" {
		t.Errorf("RunID = %q", got)
	}
}

// Tokens a span says were written to the prompt cache are priced at the
// model's cache-write rate, as the meters price them.
func TestCacheWritesArePriced(t *testing.T) {
	e := event(t, map[string]Value{
		"gen_ai.operation.name":                    String("chat"),
		"gen_ai.provider.name":                     String("anthropic"),
		"gen_ai.request.model":                     String("claude-sonnet-4-5"),
		"gen_ai.usage.input_tokens":                Int(1000),
		"gen_ai.usage.output_tokens":               Int(100),
		"gen_ai.usage.cache_read.input_tokens":     Int(200),
		"gen_ai.usage.cache_creation.input_tokens": Int(300),
	})
	Price(&e, pricing.Default())
	// claude-sonnet-4-5: $3 input, $0.30 cache read, $3.75 cache write, $15 output.
	want := (500*3 + 200*0.30 + 300*3.75 + 100*15) / 1e6
	if math.Abs(e.CostUnits-want) > 1e-12 {
		t.Fatalf("cost %v, want %v", e.CostUnits, want)
	}
}

// The service tier a span names reaches the event, so a flex or batch call
// is priced at half, as the meters price it: the tier that answered
// first, else the one asked for, "auto" saying none.
func TestServiceTier(t *testing.T) {
	base := func(extra map[string]Value) map[string]Value {
		attrs := map[string]Value{
			"gen_ai.operation.name":      String("chat"),
			"gen_ai.provider.name":       String("openai"),
			"gen_ai.request.model":       String("gpt-4o-mini"),
			"gen_ai.usage.input_tokens":  Int(1000),
			"gen_ai.usage.output_tokens": Int(100),
		}
		for k, v := range extra {
			attrs[k] = v
		}
		return attrs
	}
	standard := (1000*0.15 + 100*0.60) / 1e6 // gpt-4o-mini
	for _, tc := range []struct {
		name  string
		attrs map[string]Value
		tier  string
		cost  float64
	}{
		{"none", nil, "", standard},
		{"answered flex", map[string]Value{"openai.response.service_tier": String("flex"),
			"openai.request.service_tier": String("auto")}, "flex", standard / 2},
		{"answered, semconv 1.26", map[string]Value{"gen_ai.openai.response.service_tier": String("flex")}, "flex", standard / 2},
		{"answered wins over asked", map[string]Value{"openai.response.service_tier": String("default"),
			"openai.request.service_tier": String("flex")}, "default", standard},
		{"asked only", map[string]Value{"gen_ai.openai.request.service_tier": String("flex")}, "flex", standard / 2},
		{"auto asked, nothing answered", map[string]Value{"openai.request.service_tier": String("auto")}, "", standard},
		// OpenInference names the tier asked for only in the request's
		// parameters.
		{"asked, OpenInference", map[string]Value{"llm.invocation_parameters": String(`{"model":"gpt-4o-mini","service_tier":"flex"}`)}, "flex", standard / 2},
		{"auto asked, OpenInference", map[string]Value{"llm.invocation_parameters": String(`{"model":"gpt-4o-mini","service_tier":"auto"}`)}, "", standard},
		{"answered wins over OpenInference's asked", map[string]Value{"openai.response.service_tier": String("default"),
			"llm.invocation_parameters": String(`{"service_tier":"flex"}`)}, "default", standard},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := event(t, base(tc.attrs))
			if e.ServiceTier != tc.tier {
				t.Fatalf("tier %q, want %q", e.ServiceTier, tc.tier)
			}
			Price(&e, pricing.Default())
			if math.Abs(e.CostUnits-tc.cost) > 1e-12 {
				t.Fatalf("cost %v, want %v", e.CostUnits, tc.cost)
			}
		})
	}
}
