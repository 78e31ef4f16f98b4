package langchaingo_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/tmc/langchaingo/agents"
	"github.com/tmc/langchaingo/chains"
	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/llms/openai"
	"github.com/tmc/langchaingo/prompts"
	"github.com/tmc/langchaingo/schema"
	"github.com/tmc/langchaingo/tools"
	"github.com/tmc/langchaingo/vectorstores"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest/openaitest"
	"github.com/drip-sdk/drip-go/langchaingo"
	"github.com/drip-sdk/drip-go/providers/pricing"
)

func TestLLMOutsideAnyRunIsCustomerUsage(t *testing.T) {
	e := newEnv(t)
	llm := e.llm(t, openai.WithCallback(e.h))
	if _, err := llm.Call(ctxT(t), "hello "+secret); err != nil {
		t.Fatal(err)
	}
	e.flush(t)
	if runs := e.drip.Runs(); len(runs) != 0 {
		t.Fatalf("a bare LLM call must not open a run: %+v", runs)
	}
	recs := e.drip.UsageRecords()
	if len(recs) != 1 {
		t.Fatalf("%d usage records, want 1: %+v", len(recs), recs)
	}
	r := recs[0]
	if r.CustomerID != e.cust || r.UsageType != drip.DefaultLLMMeter || r.Quantity != 18 || r.Units != "tokens" {
		t.Fatalf("usage record %+v", r)
	}
	if r.Metadata["model"] != model || r.Metadata["inputTokens"] != float64(11) || r.Metadata["outputTokens"] != float64(7) {
		t.Fatalf("usage metadata %v", r.Metadata)
	}
}

func TestLLMInsideCallerRun(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("stream=%v", stream), func(t *testing.T) {
			e := newEnv(t)
			llm := e.llm(t, openai.WithCallback(e.h))
			ctx, run := e.run(t)
			var opts []llms.CallOption
			var streamed strings.Builder
			if stream {
				opts = append(opts, llms.WithStreamingFunc(func(_ context.Context, b []byte) error {
					streamed.Write(b)
					return nil
				}))
			}
			out, err := llm.Call(ctx, "hello "+secret, opts...)
			if err != nil || out != e.stub.Text() {
				t.Fatal(out, err)
			}
			if stream && streamed.String() != e.stub.Text() {
				t.Fatalf("streamed %q", streamed.String())
			}
			e.flush(t)
			assertLines(t, e.timeline(t, run.ID()), []string{llmLine(model)})
			got := e.drip.Run(run.ID())
			if got.Status != "RUNNING" {
				t.Fatalf("the handler must not end the caller's run: %s", got.Status)
			}
			ev := e.drip.Events(run.ID())[0]
			if ev.CostUnits == nil || math.Abs(*ev.CostUnits-cost(model, 11, 3, 7)) > 1e-12 {
				t.Fatalf("cost %v, want %v", ev.CostUnits, cost(model, 11, 3, 7))
			}
			if len(e.drip.UsageRecords()) != 0 {
				t.Fatal("counted twice: also as customer usage")
			}
		})
	}
}

func TestGenerateContentDirect(t *testing.T) {
	e := newEnv(t)
	llm := e.llm(t, openai.WithCallback(e.h))
	ctx, run := e.run(t)
	msgs := []llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, "hi "+secret)}
	if _, err := llm.GenerateContent(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	// Wrapped: the call option names the model, and the handler on llm
	// stays quiet for the same call.
	wrapped := langchaingo.WrapModel(llm, langchaingo.WithHandler(e.h))
	if _, err := wrapped.GenerateContent(ctx, msgs, llms.WithModel("gpt-4o")); err != nil {
		t.Fatal(err)
	}
	e.flush(t)
	assertLines(t, e.timeline(t, run.ID()), []string{llmLine(model), llmLine("gpt-4o")})
	evs := e.drip.Events(run.ID())
	if evs[1].DurationMs == nil {
		t.Fatal("WrapModel must record the duration")
	}
	if evs[1].CostUnits == nil || math.Abs(*evs[1].CostUnits-cost("gpt-4o", 11, 3, 7)) > 1e-12 {
		t.Fatalf("cost %v", evs[1].CostUnits)
	}
}

func TestLLMChainGetsItsOwnRun(t *testing.T) {
	e := newEnv(t)
	llm := e.llm(t, openai.WithCallback(e.h))
	chain := chains.NewLLMChain(llm, prompts.NewPromptTemplate("Say {{.thing}} "+secret, []string{"thing"}),
		chains.WithCallback(e.h))
	out, err := chains.Run(ctxT(t), chain, "hi")
	if err != nil || out != e.stub.Text() {
		t.Fatal(out, err)
	}
	e.flush(t)
	r := e.onlyRun(t)
	if r.Status != "COMPLETED" {
		t.Fatalf("run %+v", r)
	}
	if wfs := e.drip.Workflows(); len(wfs) != 1 || wfs[0].Slug != langchaingo.DefaultWorkflow || wfs[0].ID != r.WorkflowID {
		t.Fatalf("workflows %+v", wfs)
	}
	assertLines(t, e.timeline(t, r.ID), []string{
		llmLine(model),
		"chain.execution q=1 executions name=chain depth=0",
	})
	if len(e.drip.UsageRecords()) != 0 {
		t.Fatal("the chain's LLM call was also recorded as customer usage")
	}
}

// weather is a user tool: it implements tools.Tool and emits no callbacks.
type weather struct{ err error }

func (weather) Name() string        { return "weather" }
func (weather) Description() string { return "weather in a city" }
func (w weather) Call(_ context.Context, in string) (string, error) {
	if w.err != nil {
		return "", w.err
	}
	return "sunny in " + in, nil
}

func newAgent(e *env, t *testing.T, w weather, opts ...openai.Option) *agents.Executor {
	return newAgentWith(e, e.llm(t, append([]openai.Option{openai.WithCallback(e.h)}, opts...)...), w)
}

func newAgentWith(e *env, llm llms.Model, w weather) *agents.Executor {
	ts := []tools.Tool{tools.Calculator{CallbacksHandler: e.h}, w}
	agent := agents.NewOneShotAgent(llm, ts, agents.WithCallbacksHandler(e.h))
	return agents.NewExecutor(agent, agents.WithCallbacksHandler(e.h), agents.WithMaxIterations(5))
}

var agentScript = openaitest.WithScript(
	"Thought: I need to compute.\nAction: calculator\nAction Input: 6*7",
	"Thought: now the weather.\nAction: weather\nAction Input: "+secret,
	"Thought: done.\nFinal Answer: 42 and sunny",
)

func TestAgentExecutorWithBuiltinAndCustomTools(t *testing.T) {
	cases := []struct {
		name  string
		model string // as recorded
		agent func(e *env, t *testing.T) *agents.Executor
	}{
		{"handler", model, func(e *env, t *testing.T) *agents.Executor { return newAgent(e, t, weather{}) }},
		{"handler+HTTPClient", model + "-2024-07-18", func(e *env, t *testing.T) *agents.Executor {
			return newAgent(e, t, weather{}, openai.WithHTTPClient(e.h.HTTPClient(nil)))
		}},
		{"WrapModel+OpenAIHTTPClient", model, func(e *env, t *testing.T) *agents.Executor {
			llm := e.llm(t, openai.WithCallback(e.h),
				openai.WithHTTPClient(drip.OpenAIHTTPClient(e.cust, drip.WithOpenAITracker(e.tracker))))
			return newAgentWith(e, langchaingo.WrapModel(llm, langchaingo.WithHandler(e.h)), weather{})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { testAgent(t, tc.model, tc.agent) })
	}
}

func testAgent(t *testing.T, recorded string, newAgent func(e *env, t *testing.T) *agents.Executor) {
	e := newEnv(t, agentScript)
	out, err := chains.Run(ctxT(t), newAgent(e, t), "what is 6*7 and the weather? "+secret)
	if err != nil || out != "42 and sunny" {
		t.Fatal(out, err)
	}
	e.flush(t)
	r := e.onlyRun(t)
	if r.Status != "COMPLETED" {
		t.Fatalf("run %+v", r)
	}
	plan := []string{llmLine(recorded), "chain.execution q=1 executions name=chain depth=1"}
	want := append([]string{}, plan...)
	want = append(want,
		"agent.action q=1 actions name=calculator actionCount=1",
		"tool.call q=1 calls name=calculator",
	)
	want = append(want, plan...)
	want = append(want, "agent.action q=1 actions name=weather actionCount=2")
	want = append(want, "tool.call q=1 calls name=weather") // closed when the agent asks the model again
	want = append(want, plan...)
	want = append(want,
		"agent.finish q=2 actions actionCount=2",
		"chain.execution q=1 executions name=agent_executor depth=0",
	)
	assertLines(t, e.timeline(t, r.ID), want)
	if len(e.drip.UsageRecords()) != 0 {
		t.Fatal("agent LLM calls were also recorded as customer usage")
	}
	if n := langchaingo.StateSizeForTest(e.h); n != 0 {
		t.Fatalf("state left behind: %d", n)
	}
}

func TestAgentToolErrorFailsTheRun(t *testing.T) {
	e := newEnv(t, agentScript)
	_, err := chains.Run(ctxT(t), newAgent(e, t, weather{err: errors.New("upstream said " + secret)}), "q")
	if err == nil {
		t.Fatal("want the tool's error")
	}
	e.flush(t)
	r := e.onlyRun(t)
	if r.Status != "FAILED" || strings.Contains(r.ErrorMessage, secret) {
		t.Fatalf("run %+v", r)
	}
	lines := e.timeline(t, r.ID)
	want := []string{
		"agent.action q=1 actions name=weather actionCount=2",
		"tool.error q=1 errors name=weather errorType=errors.errorString",
		"chain.error q=1 errors name=agent_executor errorType=errors.errorString depth=0",
	}
	assertLines(t, lines[len(lines)-3:], want)
}

// memStore is an in-memory vectorstores.VectorStore (langchaingo v0.1.14
// ships none that works without a network service).
type memStore struct{ docs []schema.Document }

func (m *memStore) AddDocuments(_ context.Context, docs []schema.Document, _ ...vectorstores.Option) ([]string, error) {
	m.docs = append(m.docs, docs...)
	return nil, nil
}

func (m *memStore) SimilaritySearch(_ context.Context, q string, n int, _ ...vectorstores.Option) ([]schema.Document, error) {
	return m.docs[:min(n, len(m.docs))], nil
}

func TestRetriever(t *testing.T) {
	e := newEnv(t)
	store := &memStore{}
	_, _ = store.AddDocuments(context.Background(), []schema.Document{{PageContent: "a"}, {PageContent: "b"}, {PageContent: "c"}})
	r := vectorstores.ToRetriever(store, 2)
	r.CallbacksHandler = e.h
	ctx, run := e.run(t)
	docs, err := r.GetRelevantDocuments(ctx, "where "+secret)
	if err != nil || len(docs) != 2 {
		t.Fatal(docs, err)
	}
	e.flush(t)
	assertLines(t, e.timeline(t, run.ID()), []string{"retriever.query q=2 documents name=retriever documentCount=2"})
}

func TestConcurrentExecutionsStayApart(t *testing.T) {
	e := newEnv(t)
	llm := e.llm(t, openai.WithCallback(e.h))
	chain := chains.NewLLMChain(llm, prompts.NewPromptTemplate("{{.x}}", []string{"x"}), chains.WithCallback(e.h))
	const n = 8
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if _, err := chains.Run(ctx, chain, "x"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	e.flush(t)
	runs := e.drip.Runs()
	if len(runs) != n {
		t.Fatalf("%d runs, want %d", len(runs), n)
	}
	for _, r := range runs {
		if r.Status != "COMPLETED" {
			t.Fatalf("run %s %s", r.ID, r.Status)
		}
		assertLines(t, e.timeline(t, r.ID), []string{llmLine(model), "chain.execution q=1 executions name=chain depth=0"})
	}
}

func TestNestedChainsShareTheOuterRun(t *testing.T) {
	e := newEnv(t)
	llm := e.llm(t, openai.WithCallback(e.h))
	inner := chains.NewLLMChain(llm, prompts.NewPromptTemplate("{{.x}}", []string{"x"}), chains.WithCallback(e.h))
	outer := chains.NewLLMChain(llm, prompts.NewPromptTemplate("{{.x}}", []string{"x"}), chains.WithCallback(e.h))
	ctx := ctxT(t)
	e.h.HandleChainStart(ctx, nil) // an outer execution on ctx (as chains.Call does)
	if _, err := chains.Run(ctx, inner, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := chains.Run(ctx, outer, "b"); err != nil {
		t.Fatal(err)
	}
	e.h.HandleChainEnd(ctx, nil)
	e.flush(t)
	r := e.onlyRun(t)
	assertLines(t, e.timeline(t, r.ID), []string{
		llmLine(model), "chain.execution q=1 executions name=chain depth=1",
		llmLine(model), "chain.execution q=1 executions name=chain depth=1",
		"chain.execution q=1 executions name=chain depth=0",
	})
	if r.Status != "COMPLETED" {
		t.Fatal(r.Status)
	}
}

func TestOpenAIErrorIsSeenByWrapModelOnly(t *testing.T) {
	e := newEnv(t)
	llm := e.llm(t, openai.WithCallback(e.h), openai.WithModel("error-500"))
	ctx, run := e.run(t)
	// openai never calls HandleLLMError: the handler alone records nothing.
	if _, err := llm.Call(ctx, "x"); err == nil {
		t.Fatal("want an error")
	}
	wrapped := langchaingo.WrapModel(llm, langchaingo.WithHandler(e.h))
	if _, err := wrapped.Call(ctx, "x", llms.WithModel("error-500")); err == nil {
		t.Fatal("want an error")
	}
	e.flush(t)
	lines := e.timeline(t, run.ID())
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "llm.error q=1 errors model=error-500 errorType=") {
		t.Fatalf("timeline %q", lines)
	}
}

// fakeAnthropic behaves as langchaingo's anthropic LLM: it calls the start
// callback, never the end one, and returns one choice per content block,
// each with the full message usage.
type fakeAnthropic struct{ h *langchaingo.CallbackHandler }

func (f fakeAnthropic) GenerateContent(ctx context.Context, _ []llms.MessageContent, _ ...llms.CallOption) (*llms.ContentResponse, error) {
	f.h.HandleLLMGenerateContentStart(ctx, nil)
	info := func() map[string]any {
		return map[string]any{"InputTokens": 100, "OutputTokens": 20, "CacheCreationInputTokens": 5, "CacheReadInputTokens": 40}
	}
	return &llms.ContentResponse{Choices: []*llms.ContentChoice{
		{Content: "thinking", GenerationInfo: info()},
		{Content: "text", GenerationInfo: info()},
	}}, nil
}

func (f fakeAnthropic) Call(ctx context.Context, p string, o ...llms.CallOption) (string, error) {
	return llms.GenerateFromSinglePrompt(ctx, f, p, o...)
}

func TestWrapModelCoversProvidersWithoutEnd(t *testing.T) {
	e := newEnv(t)
	m := langchaingo.WrapModel(fakeAnthropic{e.h}, langchaingo.WithHandler(e.h))
	ctx, run := e.run(t)
	if _, err := m.GenerateContent(ctx, nil, llms.WithModel("claude-3-5-sonnet-20241022")); err != nil {
		t.Fatal(err)
	}
	e.flush(t)
	assertLines(t, e.timeline(t, run.ID()), []string{
		"llm.completion q=165 tokens model=claude-3-5-sonnet-20241022 inputTokens=145 outputTokens=20 cachedInputTokens=40",
	})
}

func TestMistralDoubleEndCountsOnce(t *testing.T) {
	e := newEnv(t)
	ctx, run := e.run(t)
	res := &llms.ContentResponse{Choices: []*llms.ContentChoice{{GenerationInfo: map[string]any{
		"model": "mistral-small", "usage": struct{ PromptTokens, CompletionTokens, TotalTokens int }{3, 4, 7},
	}}}}
	e.h.HandleLLMGenerateContentStart(ctx, nil)
	e.h.HandleLLMGenerateContentEnd(ctx, nil) // mistral: before its error check
	e.h.HandleLLMGenerateContentEnd(ctx, res)
	e.h.HandleLLMGenerateContentEnd(ctx, res) // a second end of the same response
	e.flush(t)
	assertLines(t, e.timeline(t, run.ID()), []string{"llm.completion q=7 tokens model=mistral-small inputTokens=3 outputTokens=4"})
}

func TestBuiltinToolOutsideAgentIsUnknownTool(t *testing.T) {
	e := newEnv(t)
	ctx, run := e.run(t)
	out, err := tools.Calculator{CallbacksHandler: e.h}.Call(ctx, "1+2")
	if err != nil || out != "3" {
		t.Fatal(out, err)
	}
	e.flush(t)
	assertLines(t, e.timeline(t, run.ID()), []string{"tool.call q=1 calls name=unknown_tool"})
}

func TestBaseMetadataAndCtxCustomer(t *testing.T) {
	e := newEnv(t)
	other, err := e.client.GetOrCreateCustomer(ctxT(t), "globex", nil)
	if err != nil {
		t.Fatal(err)
	}
	h := langchaingo.NewCallbackHandler(e.cust, langchaingo.WithTracker(e.tracker), langchaingo.WithModelLabel(model),
		langchaingo.WithWorkflow("support"), langchaingo.WithMetadata(map[string]any{"tenantTier": "gold"}))
	llm := e.llm(t, openai.WithCallback(h))
	chain := chains.NewLLMChain(llm, prompts.NewPromptTemplate("{{.x}}", []string{"x"}), chains.WithCallback(h))
	if _, err := chains.Run(drip.ContextWithCustomer(ctxT(t), other.ID), chain, "x"); err != nil {
		t.Fatal(err)
	}
	e.flush(t)
	r := e.onlyRun(t)
	if r.CustomerID != other.ID || r.Metadata["tenantTier"] != "gold" {
		t.Fatalf("run %+v", r)
	}
	if wfs := e.drip.Workflows(); len(wfs) != 1 || wfs[0].Slug != "support" {
		t.Fatalf("workflows %+v", wfs)
	}
	for _, ev := range e.drip.Events(r.ID) {
		if ev.Metadata["tenantTier"] != "gold" {
			t.Fatalf("event %s without base metadata: %v", ev.EventType, ev.Metadata)
		}
	}
}

// TestConcurrentCallbacks drives the handler's callbacks directly from many
// goroutines, each execution on its own ctx, with bare calls on a shared ctx
// in between: no race, every run ends, no state is left.
func TestConcurrentCallbacks(t *testing.T) {
	e := newEnv(t)
	h := e.h
	res := func() *llms.ContentResponse {
		return &llms.ContentResponse{Choices: []*llms.ContentChoice{{GenerationInfo: map[string]any{"PromptTokens": 2, "CompletionTokens": 1}}}}
	}
	const workers, iters = 8, 10
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < iters; i++ {
				ctx, cancel := context.WithCancel(context.Background())
				h.HandleChainStart(ctx, nil)
				h.HandleChainStart(ctx, nil)
				h.HandleLLMGenerateContentStart(ctx, nil)
				h.HandleLLMGenerateContentEnd(ctx, res())
				h.HandleChainEnd(ctx, nil)
				h.HandleAgentAction(ctx, schema.AgentAction{Tool: "calculator"})
				h.HandleToolStart(ctx, "1+1")
				h.HandleToolEnd(ctx, "2")
				h.HandleRetrieverStart(ctx, "q")
				h.HandleRetrieverEnd(ctx, "q", nil)
				h.HandleAgentFinish(ctx, schema.AgentFinish{})
				if i%2 == 0 {
					h.HandleChainEnd(ctx, nil)
				} else {
					h.HandleChainError(ctx, context.Canceled)
				}
				cancel()
				bg := context.Background()
				h.HandleLLMGenerateContentStart(bg, nil)
				h.HandleLLMGenerateContentEnd(bg, res())
			}
		}()
	}
	wg.Wait()
	e.flush(t)
	if n := langchaingo.StateSizeForTest(h); n != 0 {
		t.Fatalf("state left behind: %d", n)
	}
	runs := e.drip.Runs()
	if len(runs) != workers*iters {
		t.Fatalf("%d runs, want %d", len(runs), workers*iters)
	}
	for _, r := range runs {
		if (r.Status != "COMPLETED" && r.Status != "FAILED") || r.EventCount != 7 {
			t.Fatalf("run %s: %s with %d events", r.ID, r.Status, r.EventCount)
		}
	}
	if recs := e.drip.UsageRecords(); len(recs) != workers*iters {
		t.Fatalf("%d usage records, want %d", len(recs), workers*iters)
	}
}

func TestLLMErrorCallbackAndPricingOverride(t *testing.T) {
	e := newEnv(t)
	// Prices are the tracker's (the one place events are priced).
	prices := pricing.New(map[string]pricing.Price{"house-model": {Input: 1, Output: 2}})
	e.tracker = drip.NewTracker(e.client, drip.WithoutSelfMetrics(), drip.WithPricing(prices))
	t.Cleanup(func() { _ = e.tracker.Shutdown(context.Background()) })
	h := langchaingo.NewCallbackHandler(e.cust, langchaingo.WithTracker(e.tracker),
		langchaingo.WithModelLabel("house-model"))
	ctx, run := e.run(t)
	h.HandleLLMGenerateContentStart(ctx, nil)
	h.HandleLLMError(ctx, errors.New("connection refused: "+secret)) // as ollama, anthropic, … do
	h.HandleLLMGenerateContentStart(ctx, nil)
	h.HandleLLMGenerateContentEnd(ctx, &llms.ContentResponse{Choices: []*llms.ContentChoice{{
		GenerationInfo: map[string]any{"PromptTokens": 1000000, "CompletionTokens": 500000, "TotalTokens": 1500000}}}})
	e.flush(t)
	assertLines(t, e.timeline(t, run.ID()), []string{
		"llm.error q=1 errors model=house-model errorType=errors.errorString",
		"llm.completion q=1.5e+06 tokens model=house-model inputTokens=1e+06 outputTokens=500000",
	})
	if ev := e.drip.Events(run.ID())[1]; ev.CostUnits == nil || *ev.CostUnits != 2 {
		t.Fatalf("cost %v, want 2 (1M in at $1 + 0.5M out at $2)", ev.CostUnits)
	}
}
