package langchaingo_test

import (
	"context"
	"testing"
	"time"

	"github.com/tmc/langchaingo/llms"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/langchaingo"
	"github.com/drip-sdk/drip-go/providers"
)

// openaiResponse is shaped as langchaingo's openai LLM builds it.
func openaiResponse() *llms.ContentResponse {
	return &llms.ContentResponse{Choices: []*llms.ContentChoice{{Content: "Hello, world!", GenerationInfo: map[string]any{
		"CompletionTokens": 7, "PromptTokens": 11, "TotalTokens": 18, "ReasoningTokens": 2,
		"PromptAudioTokens": 0, "ThinkingContent": "", "ThinkingTokens": 2, "PromptCachedTokens": 3,
		"CompletionAudioTokens": 0, "CompletionReasoningTokens": 2,
		"CompletionAcceptedPredictionTokens": 0, "CompletionRejectedPredictionTokens": 0,
	}}}}
}

// BenchmarkHandlerLLMCall is the callback overhead of one LLM call (start +
// end, usage read, event built and enqueued) inside a chain execution. The
// tracker exports to an in-process dripd in the background.
//
// Sub-benchmarks: "export" lets the exporter ship to dripd while the loop
// runs (on a 2-core machine it competes with the loop for CPU, and its
// allocations are counted too); "enqueue" holds the batch back until the
// loop ends, so ns/op and allocs/op are the handler's own plus the enqueue.
func BenchmarkHandlerLLMCall(b *testing.B) {
	b.Run("export", func(b *testing.B) { benchLLMCall(b) })
	hold := []drip.TrackerOption{drip.WithMaxQueueSize(1 << 21), drip.WithMaxBatchSize(1 << 21), drip.WithBatchTimeout(time.Hour)}
	b.Run("enqueue", func(b *testing.B) { benchLLMCall(b, hold...) })
	// The shared funnel alone (LLMEvent + Run.Emit of the same call), under
	// the same conditions: the handler's own overhead is the difference.
	b.Run("enqueue-funnel-only", func(b *testing.B) {
		tr, cust := benchTracker(b, hold...)
		_, run := tr.Start(context.Background(), drip.RunParams{CustomerID: cust, Workflow: "bench"})
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			u := providers.Usage{Operation: providers.OpGenerate, RequestModel: "gpt-4o-mini", InputTokens: 11,
				OutputTokens: 7, TotalTokens: 18, CachedInputTokens: 3, ReasoningTokens: 2, Duration: time.Millisecond}
			_ = run.Emit(drip.LLMEvent(&u))
		}
	})
}

// BenchmarkHandlerLLMCallStateOnly is the handler's own work per LLM call
// (state keyed by ctx, usage read, the funnel's early exit) with nothing to
// enqueue: a bare call whose response carries no usage.
func BenchmarkHandlerLLMCallStateOnly(b *testing.B) {
	tr, cust := benchTracker(b)
	h := langchaingo.NewCallbackHandler(cust, langchaingo.WithTracker(tr), langchaingo.WithModelLabel("gpt-4o-mini"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := make([]*llms.ContentResponse, 64)
	for i := range res {
		res[i] = openaiResponse()
		for k := range res[i].Choices[0].GenerationInfo {
			if k != "ThinkingContent" {
				res[i].Choices[0].GenerationInfo[k] = 0
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.HandleLLMGenerateContentStart(ctx, nil)
		h.HandleLLMGenerateContentEnd(ctx, res[i%len(res)])
	}
	b.StopTimer()
	if st := tr.Stats(); st.Sent+int64(st.Queued) != 0 {
		b.Fatalf("enqueued %+v", st)
	}
}

func benchTracker(b *testing.B, opts ...drip.TrackerOption) (*drip.Tracker, string) {
	ds := driptest.NewServer(b)
	c, err := drip.New(drip.WithAPIKey(ds.APIKey()), drip.WithBaseURL(ds.BaseURL()))
	if err != nil {
		b.Fatal(err)
	}
	tr := drip.NewTracker(c, append([]drip.TrackerOption{drip.WithoutSelfMetrics()}, opts...)...)
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = tr.Shutdown(ctx)
	})
	cu, err := c.GetOrCreateCustomer(context.Background(), "bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	return tr, cu.ID
}

// BenchmarkUsageFromResponse is the usage read alone.
func BenchmarkUsageFromResponse(b *testing.B) {
	res := openaiResponse()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if u, _ := langchaingo.UsageFromResponse(res); u.InputTokens != 11 {
			b.Fatal(u)
		}
	}
}

func benchLLMCall(b *testing.B, opts ...drip.TrackerOption) {
	tr, cust := benchTracker(b, opts...)
	h := langchaingo.NewCallbackHandler(cust, langchaingo.WithTracker(tr), langchaingo.WithModelLabel("gpt-4o-mini"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.HandleChainStart(ctx, nil)
	defer h.HandleChainEnd(ctx, nil)
	msgs := []llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, "hi")}
	res := make([]*llms.ContentResponse, 64) // distinct responses, as real calls return
	for i := range res {
		res[i] = openaiResponse()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.HandleLLMGenerateContentStart(ctx, msgs)
		h.HandleLLMGenerateContentEnd(ctx, res[i%len(res)])
	}
	b.StopTimer()
	st := tr.Stats()
	b.ReportMetric(float64(st.Dropped), "dropped")
}
