package otelbridge_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/otelbridge"
	"github.com/drip-sdk/drip-go/providers"
)

// want is what one llm.completion event must say.
type want struct {
	model                            string
	in, out, total, cached, reasoned int64
	cacheWrites                      int64
	provider, operation              string
	tier                             string // serviceTier, when named
	cost                             float64
}

func TestGenAISpansEverySpelling(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "acme")

	cases := []struct {
		name  string
		start []attribute.KeyValue // at span start
		end   []attribute.KeyValue // set before End, as instrumentations do
		want  want
	}{{
		name: "semconv 1.41",
		start: []attribute.KeyValue{
			attribute.String("gen_ai.operation.name", "chat"),
			attribute.String("gen_ai.provider.name", "openai"),
			attribute.String("gen_ai.request.model", "gpt-4o-mini"),
		},
		end: []attribute.KeyValue{
			attribute.String("gen_ai.response.model", "gpt-4o-mini-2024-07-18"),
			attribute.Int("gen_ai.usage.input_tokens", 100),
			attribute.Int("gen_ai.usage.output_tokens", 50),
			attribute.Int("gen_ai.usage.cache_read.input_tokens", 20),
			attribute.Int("gen_ai.usage.reasoning.output_tokens", 10),
		},
		want: want{model: "gpt-4o-mini-2024-07-18", in: 100, out: 50, total: 150, cached: 20, reasoned: 10,
			provider: "openai", operation: "chat"},
	}, {
		name: "semconv 1.26 (gen_ai.system, prompt/completion tokens, no operation)",
		start: []attribute.KeyValue{
			attribute.String("gen_ai.system", "openai"),
			attribute.String("gen_ai.request.model", "gpt-4o"),
		},
		end: []attribute.KeyValue{
			attribute.Int("gen_ai.usage.prompt_tokens", 300),
			attribute.Int("gen_ai.usage.completion_tokens", 40),
		},
		want: want{model: "gpt-4o", in: 300, out: 40, total: 340, provider: "openai"},
	}, {
		name: "OpenLIT",
		start: []attribute.KeyValue{
			attribute.String("gen_ai.operation.name", "chat"),
			attribute.String("gen_ai.system", "anthropic"),
			attribute.String("gen_ai.request.model", "claude-3-5-sonnet"),
		},
		end: []attribute.KeyValue{
			attribute.Int("gen_ai.usage.input_tokens", 1000),
			attribute.Int("gen_ai.usage.output_tokens", 200),
			attribute.Int("gen_ai.usage.total_tokens", 1200),
			attribute.Int("gen_ai.usage.cache.read_input_tokens", 400),
			attribute.Int("gen_ai.usage.cache.creation_input_tokens", 100),
			attribute.Int("gen_ai.usage.reasoning_tokens", 30),
			attribute.Float64("gen_ai.usage.cost", 0.01),
		},
		want: want{model: "claude-3-5-sonnet", in: 1000, out: 200, total: 1200, cached: 400, reasoned: 30,
			cacheWrites: 100, provider: "anthropic", operation: "chat"},
	}, {
		name: "OpenLIT legacy details, completion operation",
		start: []attribute.KeyValue{
			attribute.String("gen_ai.operation.name", "completion"),
			attribute.String("gen_ai.provider.name", "openai"),
			attribute.String("gen_ai.request.model", "gpt-4o-mini"),
		},
		end: []attribute.KeyValue{
			attribute.Int("gen_ai.usage.input_tokens", 60),
			attribute.Int("gen_ai.usage.output_tokens", 6),
			attribute.Int("gen_ai.usage.prompt_tokens_details.cache_read", 12),
			attribute.Int("gen_ai.usage.completion_tokens_details.reasoning", 2),
		},
		want: want{model: "gpt-4o-mini", in: 60, out: 6, total: 66, cached: 12, reasoned: 2,
			provider: "openai", operation: "text_completion"},
	}, {
		name: "OpenInference",
		start: []attribute.KeyValue{
			attribute.String("openinference.span.kind", "LLM"),
			attribute.String("llm.provider", "openai"),
			attribute.String("llm.model_name", "gpt-4o-mini"),
		},
		end: []attribute.KeyValue{
			attribute.Int("llm.token_count.prompt", 70),
			attribute.Int("llm.token_count.completion", 30),
			attribute.Int("llm.token_count.total", 100),
			attribute.Int("llm.token_count.prompt_details.cache_read", 7),
			attribute.Int("llm.token_count.completion_details.reasoning", 3),
		},
		want: want{model: "gpt-4o-mini", in: 70, out: 30, total: 100, cached: 7, reasoned: 3, provider: "openai"},
	}, {
		name: "OpenLLMetry",
		start: []attribute.KeyValue{
			attribute.String("llm.vendor", "OpenAI"),
			attribute.String("llm.request.type", "chat"),
			attribute.String("llm.request.model", "gpt-4o-mini"),
		},
		end: []attribute.KeyValue{
			attribute.String("llm.response.model", "gpt-4o-mini-2024-07-18"),
			attribute.Int("llm.usage.prompt_tokens", 15),
			attribute.Int("llm.usage.completion_tokens", 5),
			attribute.Int("llm.usage.total_tokens", 20),
		},
		want: want{model: "gpt-4o-mini-2024-07-18", in: 15, out: 5, total: 20, provider: "OpenAI", operation: "chat"},
	}, {
		name: "OpenAI flex tier: half price",
		start: []attribute.KeyValue{
			attribute.String("gen_ai.operation.name", "chat"),
			attribute.String("gen_ai.provider.name", "openai"),
			attribute.String("gen_ai.request.model", "gpt-4o-mini"),
			attribute.String("openai.request.service_tier", "auto"),
		},
		end: []attribute.KeyValue{
			attribute.String("openai.response.service_tier", "flex"),
			attribute.Int("gen_ai.usage.input_tokens", 1000),
			attribute.Int("gen_ai.usage.output_tokens", 100),
		},
		want: want{model: "gpt-4o-mini", in: 1000, out: 100, total: 1100, provider: "openai", operation: "chat",
			tier: "flex", cost: (1000*0.15 + 100*0.60) / 1e6 / 2},
	}, {
		name: "OpenInference flex tier, asked in the invocation parameters: half price",
		start: []attribute.KeyValue{
			attribute.String("openinference.span.kind", "LLM"),
			attribute.String("llm.provider", "openai"),
			attribute.String("llm.invocation_parameters", `{"model":"gpt-4o-mini","service_tier":"flex","temperature":0}`),
		},
		end: []attribute.KeyValue{
			attribute.String("llm.model_name", "gpt-4o-mini"),
			attribute.Int("llm.token_count.prompt", 1000),
			attribute.Int("llm.token_count.completion", 100),
		},
		want: want{model: "gpt-4o-mini", in: 1000, out: 100, total: 1100, provider: "openai",
			tier: "flex", cost: (1000*0.15 + 100*0.60) / 1e6 / 2},
	}, {
		name: "embeddings",
		start: []attribute.KeyValue{
			attribute.String("gen_ai.operation.name", "embeddings"),
			attribute.String("gen_ai.provider.name", "openai"),
			attribute.String("gen_ai.request.model", "text-embedding-3-small"),
		},
		end:  []attribute.KeyValue{attribute.Int("gen_ai.usage.input_tokens", 8)},
		want: want{model: "text-embedding-3-small", in: 8, total: 8, provider: "openai", operation: "embeddings"},
	}, {
		name: "mixed spellings: current semconv wins; numbers as strings and floats",
		start: []attribute.KeyValue{
			attribute.String("gen_ai.operation.name", "generate_content"),
			attribute.String("gen_ai.provider.name", "gcp.gemini"),
			attribute.String("gen_ai.request.model", "gemini-2.0-flash"),
		},
		end: []attribute.KeyValue{
			attribute.Int("llm.usage.prompt_tokens", 999),
			attribute.String("gen_ai.usage.input_tokens", "40"),
			attribute.Int("gen_ai.usage.prompt_tokens", 888),
			attribute.Float64("gen_ai.usage.output_tokens", 9),
		},
		want: want{model: "gemini-2.0-flash", in: 40, out: 9, total: 49, provider: "gcp.gemini", operation: "generate_content"},
	}}

	t0 := time.Now().Add(-time.Minute)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, root := e.tracer.Start(context.Background(), "agent task",
				trace.WithAttributes(attribute.String(otelbridge.AttrCustomerID, cust)))
			_, span := e.tracer.Start(ctx, "llm call", trace.WithSpanKind(trace.SpanKindClient),
				trace.WithTimestamp(t0), trace.WithAttributes(tc.start...))
			span.SetAttributes(tc.end...)
			span.End(trace.WithTimestamp(t0.Add(1500 * time.Millisecond)))
			root.End()
			e.flush(t)

			run := e.runOf(t, root)
			if run.CustomerID != cust || run.Status != dripserver.StatusCompleted || run.WorkflowName == "" {
				t.Fatalf("run = %+v", run)
			}
			evs := e.srv.Events(run.ID)
			if len(evs) != 1 {
				t.Fatalf("events = %+v, want one llm.completion", evs)
			}
			ev := evs[0]
			if ev.EventType != drip.EventLLMCompletion || ev.Units != "tokens" || ev.Quantity != float64(tc.want.total) {
				t.Fatalf("event = %s %v %s, want llm.completion %d tokens", ev.EventType, ev.Quantity, ev.Units, tc.want.total)
			}
			md := ev.Metadata
			if md["model"] != tc.want.model {
				t.Errorf("model = %v, want %s", md["model"], tc.want.model)
			}
			for _, c := range []struct {
				key  string
				want int64
			}{{"inputTokens", tc.want.in}, {"outputTokens", tc.want.out}, {"totalTokens", tc.want.total},
				{"cachedInputTokens", tc.want.cached}, {"reasoningTokens", tc.want.reasoned},
				{"cacheWrites", tc.want.cacheWrites}, {"cacheCreationInputTokens", tc.want.cacheWrites}} {
				if got := num(t, md, c.key); got != c.want {
					t.Errorf("%s = %d, want %d", c.key, got, c.want)
				}
			}
			if md["provider"] != tc.want.provider && !(tc.want.provider == "" && md["provider"] == nil) {
				t.Errorf("provider = %v, want %s", md["provider"], tc.want.provider)
			}
			if tc.want.operation != "" && md["operation"] != tc.want.operation {
				t.Errorf("operation = %v, want %s", md["operation"], tc.want.operation)
			}
			if ev.DurationMs == nil || *ev.DurationMs != 1500 {
				t.Errorf("duration = %v, want 1500 ms", ev.DurationMs)
			}
			if ev.SpanID != span.SpanContext().SpanID().String() || ev.ParentEventID != root.SpanContext().SpanID().String() {
				t.Errorf("span %q parent %q, want %s under %s", ev.SpanID, ev.ParentEventID,
					span.SpanContext().SpanID(), root.SpanContext().SpanID())
			}
			if strings.HasPrefix(tc.want.model, "gpt-4o") && (ev.CostUnits == nil || *ev.CostUnits <= 0) {
				t.Errorf("cost = %v, want a price for %s", ev.CostUnits, tc.want.model)
			}
			if tier, _ := md["serviceTier"].(string); tier != tc.want.tier {
				t.Errorf("serviceTier = %q, want %q", tier, tc.want.tier)
			}
			if tc.want.cost != 0 {
				if ev.CostUnits == nil {
					t.Errorf("no cost, want %v", tc.want.cost)
				} else if math.Abs(*ev.CostUnits-tc.want.cost) > 1e-12 {
					t.Errorf("cost = %v, want %v", *ev.CostUnits, tc.want.cost)
				}
			}
		})
	}
}

func TestToolAgentAndGenericSpans(t *testing.T) {
	for _, generic := range []bool{false, true} {
		t.Run(fmt.Sprintf("span events %v", generic), func(t *testing.T) {
			var opts []otelbridge.Option
			if generic {
				opts = append(opts, otelbridge.WithSpanEvents())
			}
			e := newEnv(t, opts...)
			cust := e.customer(t, "acme")

			ctx, root := e.tracer.Start(context.Background(), "request",
				trace.WithAttributes(attribute.String(otelbridge.AttrCustomerID, cust),
					attribute.String(otelbridge.AttrWorkflow, "support-agent")))
			actx, agent := e.tracer.Start(ctx, "invoke_agent helper", trace.WithAttributes(
				attribute.String("gen_ai.operation.name", "invoke_agent"),
				attribute.String("gen_ai.agent.name", "helper")))
			t0 := time.Now()
			_, tool := e.tracer.Start(actx, "execute_tool search", trace.WithTimestamp(t0), trace.WithAttributes(
				attribute.String("gen_ai.operation.name", "execute_tool"),
				attribute.String("gen_ai.tool.name", "search")))
			tool.End(trace.WithTimestamp(t0.Add(120 * time.Millisecond)))
			_, db := e.tracer.Start(actx, "SELECT orders")
			db.End()
			agent.End()
			root.End()
			e.flush(t)

			run := e.runOf(t, root)
			if run.WorkflowName != "Support Agent" || run.Status != dripserver.StatusCompleted {
				t.Fatalf("run = %+v", run)
			}
			byType := map[string]driptest.Event{}
			for _, ev := range e.srv.Events(run.ID) {
				byType[ev.EventType] = ev
			}
			wantTypes := []string{drip.EventToolCall, drip.EventAgentFinish}
			if generic {
				wantTypes = append(wantTypes, otelbridge.EventSpan)
			}
			if len(byType) != len(wantTypes) {
				t.Fatalf("event types %v, want %v", keys(byType), wantTypes)
			}
			tc := byType[drip.EventToolCall]
			if tc.Metadata["name"] != "search" || tc.DurationMs == nil || *tc.DurationMs != 120 ||
				tc.ParentEventID != agent.SpanContext().SpanID().String() {
				t.Errorf("tool.call = %+v", tc)
			}
			if ag := byType[drip.EventAgentFinish]; ag.Metadata["name"] != "helper" || ag.SpanID != agent.SpanContext().SpanID().String() {
				t.Errorf("agent.finish = %+v", ag)
			}
			if generic {
				if sp := byType[otelbridge.EventSpan]; sp.Metadata["name"] != "SELECT orders" {
					t.Errorf("span = %+v", sp)
				}
			}
		})
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestErrorSpans(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "acme")

	ctx, root := e.tracer.Start(context.Background(), "job",
		trace.WithAttributes(attribute.String(otelbridge.AttrCustomerID, cust)))
	// A model call that failed before any token: llm.error.
	_, llm := e.tracer.Start(ctx, "chat gpt-4o", trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "chat"), attribute.String("gen_ai.request.model", "gpt-4o")))
	llm.SetAttributes(attribute.String("error.type", "429"))
	llm.SetStatus(codes.Error, "rate limited")
	llm.End()
	// A stream cut short after it consumed tokens: llm.completion, status error.
	_, cut := e.tracer.Start(ctx, "chat gpt-4o", trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "chat"), attribute.String("gen_ai.request.model", "gpt-4o"),
		attribute.Int("gen_ai.usage.input_tokens", 10), attribute.Int("gen_ai.usage.output_tokens", 3)))
	cut.SetStatus(codes.Error, "stream cut")
	cut.End()
	_, tool := e.tracer.Start(ctx, "execute_tool fetch", trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "execute_tool"), attribute.String("gen_ai.tool.name", "fetch")))
	tool.RecordError(errors.New("connection refused"), trace.WithStackTrace(true))
	tool.SetStatus(codes.Error, "connection refused")
	tool.End()
	_, agent := e.tracer.Start(ctx, "invoke_agent", trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "invoke_agent")))
	agent.SetStatus(codes.Error, "gave up")
	agent.End()
	long := "upstream failed: " + strings.Repeat("é", 300) + "\ngoroutine 1 [running]:\nmain.main()"
	root.RecordError(errors.New(long), trace.WithStackTrace(true))
	root.SetStatus(codes.Error, long)
	root.End()
	e.flush(t)

	run := e.runOf(t, root)
	if run.Status != dripserver.StatusFailed || run.ErrorCode != "SPAN_ERROR" {
		t.Fatalf("run = %s %s, want FAILED SPAN_ERROR", run.Status, run.ErrorCode)
	}
	if strings.Contains(run.ErrorMessage, "goroutine") || strings.Contains(run.ErrorMessage, "\n") ||
		len([]rune(run.ErrorMessage)) > 200 || !strings.HasPrefix(run.ErrorMessage, "upstream failed: éé") {
		t.Fatalf("error message %q: want the first line, at most 200 runes", run.ErrorMessage)
	}
	got := map[string]driptest.Event{}
	for _, ev := range e.srv.Events(run.ID) {
		if _, dup := got[ev.EventType]; dup {
			t.Fatalf("two %s events", ev.EventType)
		}
		got[ev.EventType] = ev
	}
	if ev := got[drip.EventLLMError]; ev.Outcome != dripserver.OutcomeFailed || ev.Metadata["errorType"] != "429" {
		t.Errorf("llm.error = %+v", ev)
	}
	if ev := got[drip.EventLLMCompletion]; ev.Metadata["status"] != drip.StatusError || ev.Quantity != 13 {
		t.Errorf("cut stream = %+v", ev)
	}
	if ev := got[drip.EventToolError]; ev.Outcome != dripserver.OutcomeFailed || ev.Metadata["name"] != "fetch" ||
		ev.Metadata["errorType"] != "error" {
		t.Errorf("tool.error = %+v", ev)
	}
	if ev := got[otelbridge.EventAgentError]; ev.Outcome != dripserver.OutcomeFailed {
		t.Errorf("agent.error = %+v", ev)
	}
	for _, ev := range got {
		for k, v := range ev.Metadata {
			if s, ok := v.(string); ok && (strings.Contains(s, "refused") || strings.Contains(s, "rate limited")) {
				t.Errorf("%s metadata %s = %q: status text must not leave", ev.EventType, k, s)
			}
		}
	}
}

func TestCustomerResolution(t *testing.T) {
	e := newEnv(t)
	attr, bag, ctxCust := e.customer(t, "by-attr"), e.customer(t, "by-baggage"), e.customer(t, "by-ctx")

	m, _ := baggage.NewMember(otelbridge.BaggageCustomerID, bag)
	b, _ := baggage.New(m)
	bagCtx := baggage.ContextWithBaggage(context.Background(), b)

	cases := []struct {
		name string
		ctx  context.Context
		opts []trace.SpanStartOption
		want string // "" means no run
	}{
		{"attribute beats baggage and ctx", drip.ContextWithCustomer(bagCtx, ctxCust),
			[]trace.SpanStartOption{trace.WithAttributes(attribute.String(otelbridge.AttrCustomerID, attr))}, attr},
		{"baggage beats ctx", drip.ContextWithCustomer(bagCtx, ctxCust), nil, bag},
		{"ctx", drip.ContextWithCustomer(context.Background(), ctxCust), nil, ctxCust},
		{"none: ignored", context.Background(), nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, root := e.tracer.Start(tc.ctx, "root", tc.opts...)
			_, llm := e.tracer.Start(ctx, "chat", trace.WithAttributes(
				attribute.String("gen_ai.operation.name", "chat"), attribute.Int("gen_ai.usage.input_tokens", 5)))
			llm.End()
			root.End()
			e.flush(t)
			tid := root.SpanContext().TraceID().String()
			var runs []driptest.Run
			for _, r := range e.srv.Runs() {
				if r.CorrelationID == tid {
					runs = append(runs, r)
				}
			}
			if tc.want == "" {
				if len(runs) != 0 {
					t.Fatalf("runs = %+v, want none", runs)
				}
				return
			}
			if len(runs) != 1 || runs[0].CustomerID != tc.want || runs[0].EventCount != 1 {
				t.Fatalf("runs = %+v, want one for %s with one event", runs, tc.want)
			}
		})
	}
	if s := e.proc.Stats(); s.Tracked != 0 {
		t.Fatalf("tracked spans left: %+v", s)
	}
}

// A run already in ctx (an HTTP middleware started it) is attached to,
// never duplicated and never ended by the bridge.
func TestAttachesToRunInContext(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "acme")
	ctx, run := e.tracker.Start(context.Background(), drip.RunParams{CustomerID: cust, Workflow: "mw"})

	ctx, root := e.tracer.Start(ctx, "GET /chat",
		trace.WithAttributes(attribute.String(otelbridge.AttrCustomerID, cust)))
	cctx, llm := e.tracer.Start(ctx, "chat", trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "chat"), attribute.Int("gen_ai.usage.input_tokens", 5)))
	if got := e.proc.RunFromContext(cctx); got != run {
		t.Fatalf("RunFromContext = %p, want the ctx run %p", got, run)
	}
	llm.End()
	root.End()
	e.flush(t)
	if runs := e.srv.Runs(); len(runs) != 1 {
		t.Fatalf("runs = %d, want only the middleware's", len(runs))
	}
	got := e.srv.Run(run.ID())
	if got.Status != dripserver.StatusRunning || got.EventCount != 1 {
		t.Fatalf("run = %+v, want still RUNNING with one event", got)
	}
	if err := run.End(drip.RunCompleted); err != nil {
		t.Fatal(err)
	}
}

// Several customers inside one trace: each span naming its customer opens
// its own run, and its descendants land in it.
func TestNestedRootsInOneTrace(t *testing.T) {
	e := newEnv(t)
	a, b := e.customer(t, "a"), e.customer(t, "b")

	ctx, batch := e.tracer.Start(context.Background(), "batch") // no customer: ignored
	var wg sync.WaitGroup
	for _, cust := range []string{a, b} {
		wg.Go(func() {
			ictx, item := e.tracer.Start(ctx, "item", trace.WithAttributes(
				attribute.String(otelbridge.AttrCustomerID, cust)))
			sctx, step := e.tracer.Start(ictx, "step")
			_, llm := e.tracer.Start(sctx, "chat", trace.WithAttributes(
				attribute.String("gen_ai.operation.name", "chat"), attribute.Int("gen_ai.usage.input_tokens", 5)))
			llm.End()
			step.End()
			item.End()
		})
	}
	wg.Wait()
	batch.End()
	e.flush(t)
	runs := e.srv.Runs()
	if len(runs) != 2 {
		t.Fatalf("runs = %+v, want 2", runs)
	}
	for _, r := range runs {
		if r.EventCount != 1 || r.Status != dripserver.StatusCompleted || (r.CustomerID != a && r.CustomerID != b) {
			t.Fatalf("run = %+v", r)
		}
	}
	if runs[0].CustomerID == runs[1].CustomerID {
		t.Fatal("both runs have the same customer")
	}
}

func TestConcurrentTraces(t *testing.T) {
	e := newEnv(t)
	custs := []string{e.customer(t, "c0"), e.customer(t, "c1"), e.customer(t, "c2")}
	const traces = 60
	var wg sync.WaitGroup
	roots := make([]trace.Span, traces)
	for i := range traces {
		wg.Go(func() {
			cust := custs[i%len(custs)]
			ctx, root := e.tracer.Start(drip.ContextWithCustomer(context.Background(), cust), fmt.Sprintf("trace-%d", i))
			roots[i] = root
			var inner sync.WaitGroup
			for j := range 3 {
				inner.Go(func() {
					_, llm := e.tracer.Start(ctx, "chat", trace.WithAttributes(
						attribute.String("gen_ai.operation.name", "chat"),
						attribute.String("gen_ai.request.model", "gpt-4o-mini"),
						attribute.Int("gen_ai.usage.input_tokens", 10+j), attribute.Int("gen_ai.usage.output_tokens", 1)))
					llm.End()
				})
			}
			_, tool := e.tracer.Start(ctx, "execute_tool", trace.WithAttributes(
				attribute.String("gen_ai.operation.name", "execute_tool"), attribute.String("gen_ai.tool.name", "t")))
			tool.End()
			inner.Wait()
			root.End()
		})
	}
	wg.Wait()
	e.flush(t)
	if n := len(e.srv.Runs()); n != traces {
		t.Fatalf("runs = %d, want %d", n, traces)
	}
	for i, root := range roots {
		run := e.runOf(t, root)
		if run.CustomerID != custs[i%len(custs)] || run.EventCount != 4 || run.TotalQuantity != 10+11+12+3+1 ||
			run.Status != dripserver.StatusCompleted {
			t.Fatalf("trace %d: run = %+v", i, run)
		}
	}
	s := e.proc.Stats()
	if s.Tracked != 0 || s.RunsOpened != traces || s.Events != traces*4 || s.Untracked != 0 {
		t.Fatalf("stats = %+v", s)
	}
	if ts := e.tracker.Stats(); ts.Dropped != 0 || ts.Failed != 0 {
		t.Fatalf("tracker stats = %+v", ts)
	}
}

// The table is bounded: spans past the limit are counted, and the bridge
// opens no run it could not follow to its end.
func TestBoundedTable(t *testing.T) {
	e := newEnv(t, otelbridge.WithMaxTrackedSpans(16)) // one span per shard
	cust := e.customer(t, "acme")
	var open []trace.Span
	for range 64 {
		_, s := e.tracer.Start(drip.ContextWithCustomer(context.Background(), cust), "leaky")
		open = append(open, s) // never ended: a leak
	}
	s := e.proc.Stats()
	if s.Tracked > 16 || s.Untracked == 0 || s.Tracked+s.Untracked != 64 {
		t.Fatalf("stats = %+v", s)
	}
	// Provider shutdown ends the runs whose roots never ended.
	if err := e.tp.Shutdown(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	runs := e.srv.Runs()
	if int64(len(runs)) != s.Tracked {
		t.Fatalf("%d runs for %d tracked roots", len(runs), s.Tracked)
	}
	for _, r := range runs {
		if r.Status != dripserver.StatusFailed || r.ErrorCode != drip.CodeAbandoned {
			t.Fatalf("run %+v: want FAILED ABANDONED", r)
		}
	}
	if s := e.proc.Stats(); s.Tracked != 0 {
		t.Fatalf("after shutdown: %+v", s)
	}
	for _, sp := range open {
		sp.End() // after shutdown: ignored, no panic
	}
}

func TestShutdownFlushesButKeepsTracker(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "acme")
	_, root := e.tracer.Start(drip.ContextWithCustomer(context.Background(), cust), "open at shutdown")
	if err := e.tp.Shutdown(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	root.End()
	run := e.runOf(t, root)
	if run.Status != dripserver.StatusFailed || run.ErrorCode != drip.CodeAbandoned {
		t.Fatalf("run = %+v, want FAILED ABANDONED", run)
	}
	// The tracker still works for others.
	_, r := e.tracker.Start(context.Background(), drip.RunParams{CustomerID: cust, Workflow: "after"})
	if err := r.End(drip.RunCompleted); err != nil {
		t.Fatalf("tracker shut down by the processor: %v", err)
	}
	// A done ctx is honoured.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := otelbridge.NewSpanProcessor(e.tracker)
	if err := p.ForceFlush(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("ForceFlush(done ctx) = %v", err)
	}
	if err := p.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown(done ctx) = %v", err)
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Fatalf("second Shutdown = %v", err)
	}
}

func TestRecordOnlySampler(t *testing.T) {
	s := otelbridge.RecordOnlySampler(sdktrace.NeverSample())
	r := s.ShouldSample(sdktrace.SamplingParameters{ParentContext: context.Background()})
	if r.Decision != sdktrace.RecordOnly {
		t.Fatalf("decision = %v", r.Decision)
	}
	if r := otelbridge.RecordOnlySampler(sdktrace.AlwaysSample()).ShouldSample(
		sdktrace.SamplingParameters{ParentContext: context.Background()}); r.Decision != sdktrace.RecordAndSample {
		t.Fatalf("decision = %v", r.Decision)
	}

	// End to end: a provider sampling nothing still bills through the
	// bridge, and exports nothing.
	srv := driptest.NewServer(t)
	c, _ := drip.New(drip.WithAPIKey(srv.APIKey()), drip.WithBaseURL(srv.BaseURL()))
	tr := drip.NewTracker(c, drip.WithoutSelfMetrics())
	defer tr.Shutdown(context.Background())
	cu, err := c.GetOrCreateCustomer(ctxT(t), "acme", nil)
	if err != nil {
		t.Fatal(err)
	}
	var exported countingExporter
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSampler(otelbridge.RecordOnlySampler(sdktrace.ParentBased(sdktrace.NeverSample()))),
		sdktrace.WithSpanProcessor(otelbridge.NewSpanProcessor(tr)),
		sdktrace.WithSyncer(&exported))
	defer tp.Shutdown(context.Background())
	tracer := tp.Tracer("t")
	ctx, root := tracer.Start(drip.ContextWithCustomer(context.Background(), cu.ID), "root")
	_, llm := tracer.Start(ctx, "chat", trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "chat"), attribute.Int("gen_ai.usage.input_tokens", 5)))
	llm.End()
	root.End()
	if err := tp.ForceFlush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	runs := srv.Runs()
	if len(runs) != 1 || runs[0].EventCount != 1 {
		t.Fatalf("runs = %+v", runs)
	}
	exported.mu.Lock()
	defer exported.mu.Unlock()
	if exported.n != 0 {
		t.Fatalf("exported %d unsampled spans", exported.n)
	}
}

type countingExporter struct {
	mu sync.Mutex
	n  int
}

func (c *countingExporter) ExportSpans(_ context.Context, s []sdktrace.ReadOnlySpan) error {
	c.mu.Lock()
	c.n += len(s)
	c.mu.Unlock()
	return nil
}
func (c *countingExporter) Shutdown(context.Context) error { return nil }

// drip-go's own spans are skipped even when nothing else marks them.
func TestMeteredSpansSkipped(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "acme")
	ctx, root := e.tracer.Start(drip.ContextWithCustomer(context.Background(), cust), "root")
	_, own := e.tracer.Start(ctx, "chat gpt-4o-mini", trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "chat"), attribute.Bool(providers.MeteredAttribute, true),
		attribute.Int("gen_ai.usage.input_tokens", 5)))
	own.End()
	root.End()
	e.flush(t)
	if run := e.runOf(t, root); run.EventCount != 0 {
		t.Fatalf("metered span recorded: %+v", run)
	}
	if s := e.proc.Stats(); s.Skipped != 1 {
		t.Fatalf("stats = %+v", s)
	}
}

func TestCustomRootCustomerAndWorkflow(t *testing.T) {
	var cust string
	e := newEnv(t,
		otelbridge.WithRootFunc(func(_ context.Context, s sdktrace.ReadOnlySpan) bool { return s.Name() == "job" }),
		otelbridge.WithCustomerFunc(func(ctx context.Context, s sdktrace.ReadOnlySpan) string {
			if c := otelbridge.DefaultCustomer(ctx, s); c != "" {
				return c
			}
			return cust
		}),
		otelbridge.WithWorkflowFunc(func(s sdktrace.ReadOnlySpan) string { return "nightly-" + s.Name() }),
		otelbridge.WithTrackerShutdown())
	cust = e.customer(t, "acme")

	ctx, root := e.tracer.Start(context.Background(), "scheduler") // a local root, but not chosen
	jctx, job := e.tracer.Start(ctx, "job")
	_, llm := e.tracer.Start(jctx, "chat", trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "chat"), attribute.Int("gen_ai.usage.input_tokens", 5)))
	llm.End()
	job.End()
	root.End()
	e.flush(t)
	runs := e.srv.Runs()
	if len(runs) != 1 || runs[0].CustomerID != cust || runs[0].WorkflowName != "Nightly Job" || runs[0].EventCount != 1 {
		t.Fatalf("runs = %+v", runs)
	}
	// WithTrackerShutdown: the provider's shutdown takes the tracker down.
	if err := e.tp.Shutdown(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if _, r := e.tracker.Start(context.Background(), drip.RunParams{CustomerID: cust, Workflow: "x"}); r.Err() == nil {
		t.Fatal("tracker still running after the processor's Shutdown with WithTrackerShutdown")
	}
}

// Run and event ids derive from trace and span ids, so the bridge
// registered twice (or a replayed export) still records one run and one
// event per span.
func TestRegisteredTwiceCountsOnce(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "acme")
	second := otelbridge.NewSpanProcessor(e.tracker)
	e.tp.RegisterSpanProcessor(second)

	ctx, root := e.tracer.Start(drip.ContextWithCustomer(context.Background(), cust), "root")
	_, llm := e.tracer.Start(ctx, "chat", trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "chat"), attribute.Int("gen_ai.usage.input_tokens", 5)))
	llm.End()
	root.End()
	e.flush(t)

	if s1, s2 := e.proc.Stats(), second.Stats(); s1.Events != 1 || s2.Events != 1 {
		t.Fatalf("stats %+v and %+v: each bridge should have sent the event", s1, s2)
	}
	run := e.runOf(t, root)
	evs := e.srv.Events(run.ID)
	if len(evs) != 1 || run.Status != dripserver.StatusCompleted {
		t.Fatalf("run %+v with events %+v, want one run with one event", run, evs)
	}
	tid, sid := llm.SpanContext().TraceID(), llm.SpanContext().SpanID()
	if want := "otel_" + tid.String() + "_" + sid.String(); evs[0].IdempotencyKey != want {
		t.Fatalf("idempotency key %q, want %q", evs[0].IdempotencyKey, want)
	}
}

// A GenAI span started under a ctx another drip-go meter marked (the
// langchaingo WrapModel, the WrapOpenAI decorator) describes a call that
// meter records: counted once. Other spans under it still count.
func TestSkipsLLMSpansUnderAMeteredCtx(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "acme")
	ctx, run := e.tracker.Start(context.Background(), drip.RunParams{CustomerID: cust, Workflow: "w"})
	mctx := providers.MarkMetered(ctx)
	_, llm := e.tracer.Start(mctx, "chat gpt-4o", trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "chat"), attribute.Int("gen_ai.usage.input_tokens", 5)))
	llm.End()
	_, tool := e.tracer.Start(mctx, "execute_tool search", trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "execute_tool"), attribute.String("gen_ai.tool.name", "search")))
	tool.End()
	_, counted := e.tracer.Start(ctx, "chat gpt-4o", trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "chat"), attribute.Int("gen_ai.usage.input_tokens", 7)))
	counted.End()
	run.End(drip.RunCompleted)
	e.flush(t)
	evs := e.srv.Events(run.ID())
	if len(evs) != 2 || evs[0].EventType != drip.EventToolCall || evs[1].EventType != drip.EventLLMCompletion || num(t, evs[1].Metadata, "inputTokens") != 7 {
		t.Fatalf("events: %+v", evs)
	}
}

// The exporter formats the ids the bridge leaves raw in the queue: every
// event has the key otel_<trace>_<span> and its span id; the parent event
// is the parent span when that is local and the span opened no run.
func TestEventIDsOnTheWire(t *testing.T) {
	e := newEnv(t)
	cust := e.customer(t, "acme")
	chat := trace.WithAttributes(attribute.String("gen_ai.operation.name", "chat"),
		attribute.Int("gen_ai.usage.input_tokens", 5))

	// A GenAI root span opens the run and records its own event.
	ctx, root := e.tracer.Start(context.Background(), "chat", chat,
		trace.WithAttributes(attribute.String(otelbridge.AttrCustomerID, cust)))
	_, child := e.tracer.Start(ctx, "chat", chat)
	child.End()
	root.End()
	// Under a run in ctx, a span continuing a remote trace.
	rctx, run := e.tracker.Start(context.Background(), drip.RunParams{CustomerID: cust, Workflow: "w"})
	remote := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5, 6},
		TraceFlags: trace.FlagsSampled, Remote: true})
	_, fromRemote := e.tracer.Start(trace.ContextWithRemoteSpanContext(rctx, remote), "chat", chat)
	fromRemote.End()
	_ = run.End(drip.RunCompleted)
	e.flush(t)

	check := func(ev driptest.Event, span, parent trace.Span) {
		t.Helper()
		sc := span.SpanContext()
		wantParent := ""
		if parent != nil {
			wantParent = parent.SpanContext().SpanID().String()
		}
		if key := "otel_" + sc.TraceID().String() + "_" + sc.SpanID().String(); ev.IdempotencyKey != key ||
			ev.SpanID != sc.SpanID().String() || ev.ParentEventID != wantParent {
			t.Errorf("ids key %q span %q parent %q, want %q %q %q", ev.IdempotencyKey, ev.SpanID, ev.ParentEventID,
				key, sc.SpanID(), wantParent)
		}
	}
	evs := e.srv.Events(e.runOf(t, root).ID)
	if len(evs) != 2 {
		t.Fatalf("events of the bridge's run: %+v, want 2", evs)
	}
	if evs[0].SpanID != root.SpanContext().SpanID().String() {
		evs[0], evs[1] = evs[1], evs[0]
	}
	check(evs[0], root, nil)
	check(evs[1], child, root)
	if evs = e.srv.Events(run.ID()); len(evs) != 1 {
		t.Fatalf("events of the ctx run: %+v, want 1", evs)
	}
	check(evs[0], fromRemote, nil)
}
