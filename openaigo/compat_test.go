package openaigo_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/azure"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest/openaitest"
	"github.com/drip-sdk/drip-go/providers/pricing"
)

// Azure OpenAI through openai-go's azure package: requests go to
// /openai/deployments/{deployment}/…?api-version=…, the deployment is what
// the caller names as the model, and Azure's reply names the model that
// answered. Through the middleware only: for plain HTTP to loopback
// (azure.WithUnsafeAllowHTTP, as here) the azure package sends requests
// through a transport of its own, around any client's transport, so only a
// middleware sees them; over HTTPS the HTTP client meters them too.
func TestAzure(t *testing.T) {
	for _, r := range routes[:1] {
		t.Run(r.name, func(t *testing.T) {
			// The stub knows "prod-chat" serves gpt-4o; "team-embed" answers
			// with its own name, so only the caller's mapping tells the model.
			e := newEnv(t, openaitest.WithDeployments(map[string]string{"prod-chat": "gpt-4o"}))
			var url string
			c := openai.NewClient(
				azure.WithEndpoint(e.stub.URL(), "2024-10-21"),
				azure.WithAPIKey("azure-key"),
				azure.WithUnsafeAllowHTTP(), // the stub is plain HTTP on loopback
				r.opt(e, drip.WithOpenAIDeployments(map[string]string{"team-embed": "text-embedding-3-small"})),
				recordURL(&url),
			)
			evs := e.inRun(t, func(ctx context.Context) {
				resp, err := c.Chat.Completions.New(ctx, chatParams("prod-chat"))
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(url, "/openai/deployments/prod-chat/chat/completions?api-version=2024-10-21") {
					t.Fatalf("not an Azure path: %s", url)
				}
				if resp.Model != "gpt-4o"+suffix {
					t.Fatalf("reply model %q", resp.Model)
				}
				drainChat(t, c.Chat.Completions.NewStreaming(ctx, chatParams("prod-chat")))
				if _, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{
					Model: "team-embed", Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("x")},
				}); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(url, "/openai/deployments/team-embed/embeddings?") {
					t.Fatalf("not an Azure path: %s", url)
				}
			})
			if len(evs) != 3 {
				t.Fatalf("%d events, want 3", len(evs))
			}
			wantEvent(t, evs[0], "chat", "gpt-4o"+suffix, stubTokens, stubTokens)
			wantEvent(t, evs[1], "chat", "gpt-4o"+suffix, stubTokens, stubTokens)
			wantEvent(t, evs[2], "embeddings", "text-embedding-3-small", tokens{in: stubTokens.in}, tokens{in: stubTokens.in})
			for i, ev := range evs {
				if ev.Metadata["provider"] != "azure.ai.openai" {
					t.Errorf("event %d provider %v", i, ev.Metadata["provider"])
				}
				// Mapped to a model with a price, the call is priced.
				if ev.CostUnits == nil || *ev.CostUnits <= 0 {
					t.Errorf("event %d (%v) has no cost", i, ev.Metadata["model"])
				}
			}
		})
	}
}

// Any OpenAI-compatible base URL (Ollama, vLLM, Groq, OpenRouter, LiteLLM)
// is metered the same way; WithOpenAIProvider names the provider.
func TestCompatibleBaseURL(t *testing.T) {
	e := newEnv(t)
	// LiteLLM-style proxies serve the API at the root, without /v1.
	c := openai.NewClient(option.WithBaseURL(e.stub.URL()+"/openai/"), option.WithAPIKey("k"),
		routes[0].opt(e, drip.WithOpenAIProvider("litellm")))
	evs := e.inRun(t, func(ctx context.Context) {
		if _, err := c.Chat.Completions.New(ctx, chatParams("llama-3.1-8b")); err != nil {
			t.Fatal(err)
		}
	})
	ev := one(t, evs)
	wantEvent(t, ev, "chat", "llama-3.1-8b"+suffix, stubTokens, stubTokens)
	if ev.Metadata["provider"] != "litellm" {
		t.Errorf("provider %v", ev.Metadata["provider"])
	}
}

// A server that reports no usage (many OpenAI-compatible ones, in streams
// or at all): every call is still recorded, with counts estimated at one
// token per 4 bytes of request and reply text, and marked usageEstimated.
func TestNoUsageIsEstimated(t *testing.T) {
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t, openaitest.WithoutUsage())
			c := e.client(r.opt(e))
			evs := e.inRun(t, func(ctx context.Context) {
				resp, err := c.Chat.Completions.New(ctx, chatParams("llama3"))
				if err != nil {
					t.Fatal(err)
				}
				if resp.JSON.Usage.Valid() {
					t.Fatal("the stub sent usage")
				}
				drainChat(t, c.Chat.Completions.NewStreaming(ctx, chatParams("llama3")))
				if _, err := c.Responses.New(ctx, responseParams("llama3")); err != nil {
					t.Fatal(err)
				}
				if _, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{
					Model: "nomic-embed-text", Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String(prompt)},
				}); err != nil {
					t.Fatal(err)
				}
			})
			if len(evs) != 4 {
				t.Fatalf("%d events, want 4", len(evs))
			}
			// prompt: 17 bytes → 5 tokens; "Hello, world!": 13 bytes → 4.
			want := []tokens{{in: 5, out: 4}, {in: 5, out: 4}, {in: 5, out: 4}, {in: 5}}
			for i, ev := range evs {
				if ev.EventType != drip.EventLLMCompletion || recorded(ev) != want[i] || ev.Metadata["usageEstimated"] != true {
					t.Errorf("event %d: %s %+v usageEstimated=%v, want %+v estimated", i, ev.EventType, recorded(ev), ev.Metadata["usageEstimated"], want[i])
				}
			}
		})
	}
	t.Run("outside a run", func(t *testing.T) {
		e := newEnv(t, openaitest.WithoutUsage())
		c := e.client(routes[0].opt(e))
		if _, err := c.Chat.Completions.New(t.Context(), chatParams("llama3")); err != nil {
			t.Fatal(err)
		}
		e.flush(t)
		recs := e.drip.UsageRecords()
		if len(recs) != 1 || recs[0].Quantity != 9 || recs[0].Metadata["usageEstimated"] != true {
			t.Fatalf("usage records: %+v", recs)
		}
	})
}

// Errors are llm.error events, and the caller gets the SDK's own error.
func TestErrors(t *testing.T) {
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.client(r.opt(e))
			evs := e.inRun(t, func(ctx context.Context) {
				_, err := c.Chat.Completions.New(ctx, chatParams("error-400"))
				var apiErr *openai.Error
				if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Code != "invalid_value" {
					t.Fatalf("the SDK's error must come back unchanged: %v", err)
				}
				s := c.Responses.NewStreaming(ctx, responseParams("error-401"))
				for s.Next() {
				}
				if !errors.As(s.Err(), &apiErr) || apiErr.StatusCode != 401 {
					t.Fatalf("stream error: %v", s.Err())
				}
				s.Close()
			})
			if len(evs) != 2 {
				t.Fatalf("%d events, want 2", len(evs))
			}
			for i, want := range []struct {
				status        float64
				typ, code, op string
			}{{400, "invalid_request_error", "invalid_value", "chat"}, {401, "invalid_request_error", "invalid_api_key", "responses"}} {
				ev := evs[i]
				md := ev.Metadata
				if ev.EventType != drip.EventLLMError || ev.Outcome != "FAILED" || md["httpStatus"] != want.status ||
					md["errorType"] != want.typ || md["errorCode"] != want.code || md["operation"] != want.op {
					t.Errorf("event %d: %s %s %v", i, ev.EventType, ev.Outcome, md)
				}
			}
		})
	}
}

// openai-go retries a 429: the attempt that failed is an llm.error (never
// billed), the one that succeeded carries the tokens, once.
func TestRetriedAttempts(t *testing.T) {
	for _, r := range routes {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t, openaitest.WithFailFirst(1, 429))
			c := e.client(r.opt(e))
			evs := e.inRun(t, func(ctx context.Context) {
				if _, err := c.Chat.Completions.New(ctx, chatParams("gpt-4o-mini")); err != nil {
					t.Fatal(err)
				}
			})
			if e.stub.Requests("/chat/completions") != 2 || len(evs) != 2 {
				t.Fatalf("%d requests, %d events; want 2 and 2", e.stub.Requests("/chat/completions"), len(evs))
			}
			if evs[0].EventType != drip.EventLLMError || evs[0].Metadata["httpStatus"] != float64(429) {
				t.Errorf("first attempt: %s %v", evs[0].EventType, evs[0].Metadata)
			}
			wantEvent(t, evs[1], "chat", "gpt-4o-mini"+suffix, stubTokens, stubTokens)
		})
	}
}

// The middleware and the HTTP client on the same SDK client see every call;
// each is recorded once.
func TestBothMetersCountOnce(t *testing.T) {
	e := newEnv(t)
	c := e.client(routes[1].opt(e), routes[0].opt(e))
	evs := e.inRun(t, func(ctx context.Context) {
		if _, err := c.Chat.Completions.New(ctx, chatParams("gpt-4o-mini")); err != nil {
			t.Fatal(err)
		}
		drainChat(t, c.Chat.Completions.NewStreaming(ctx, chatParams("gpt-4o-mini")))
		if _, err := c.Responses.New(ctx, responseParams("gpt-4.1")); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Audio.Transcriptions.New(ctx, transcriptionParams("gpt-4o-transcribe")); err != nil {
			t.Fatal(err)
		}
	})
	if len(evs) != 4 {
		t.Fatalf("4 calls gave %d events", len(evs))
	}
	for _, ev := range evs {
		want := stubTokens
		if ev.Metadata["operation"] == "transcription" { // no cache, no reasoning
			want.cached, want.reasoning, want.cacheWrite = 0, 0, 0
		}
		if recorded(ev) != want {
			t.Errorf("event %v %+v", ev.Metadata["model"], recorded(ev))
		}
	}
}

// OpenAI reports the prompt tokens written to its cache (GPT-5.6 and later
// bill them at 1.25× input): they are recorded, and priced at the model's
// cache-write price, through both routes, streams included.
func TestCacheWritesArePriced(t *testing.T) {
	const model = "gpt-5.6-terra"
	price := pricing.Price{Input: 2.50, CachedInput: 0.25, CacheWrite: 3.125, Output: 15}
	e := newEnv(t)
	e.pricedBy(t, map[string]pricing.Price{model: price})
	d := openaitest.DefaultUsage
	want := (float64(d.Prompt-d.Cached-d.CacheWrite)*price.Input + float64(d.Cached)*price.CachedInput +
		float64(d.CacheWrite)*price.CacheWrite + float64(d.Completion)*price.Output) / 1e6
	for _, r := range routes {
		evs := e.chatStreamAndResponse(t, e.client(r.opt(e)), model)
		for _, ev := range evs {
			if recorded(ev).cacheWrite != int64(d.CacheWrite) || ev.CostUnits == nil || math.Abs(*ev.CostUnits-want) > 1e-12 {
				t.Errorf("%s %v: cache writes %d, cost %v, want %v", r.name, ev.Metadata["operation"], recorded(ev).cacheWrite, ev.CostUnits, want)
			}
		}
	}
}

// searchesIn counts the web searches a Responses output lists, as the SDK
// read it.
func searchesIn(out []responses.ResponseOutputItemUnion) int64 {
	n := int64(0)
	for _, it := range out {
		if it.Type == "web_search_call" {
			n++
		}
	}
	return n
}

// responseAndStreamSearches makes a Responses call and a streamed one with
// c, and returns the searches the SDK read in each reply.
func responseAndStreamSearches(t *testing.T, ctx context.Context, c openai.Client) []int64 {
	t.Helper()
	resp, err := c.Responses.New(ctx, responseParams("gpt-4.1"))
	if err != nil {
		t.Fatal(err)
	}
	sdk := []int64{searchesIn(resp.Output)}
	s := c.Responses.NewStreaming(ctx, responseParams("gpt-4.1"))
	defer s.Close()
	for s.Next() {
		if ev := s.Current(); ev.Type == "response.completed" {
			sdk = append(sdk, searchesIn(ev.Response.Output))
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return sdk
}

// The searches OpenAI's web search tool ran (web_search_call output items)
// are recorded, message and stream alike, and priced at the model's
// WebSearch price when the table gives one.
func TestResponsesWebSearches(t *testing.T) {
	const searches = 2
	price := pricing.Price{Input: 2, CachedInput: 0.50, Output: 8, WebSearch: 0.01}
	e := newEnv(t, openaitest.WithWebSearches(searches))
	e.pricedBy(t, map[string]pricing.Price{"gpt-4.1": price})
	d := openaitest.DefaultUsage
	want := price.CostTokens(pricing.Tokens{Input: int64(d.Prompt), CachedInput: int64(d.Cached), CacheWriteInput: int64(d.CacheWrite),
		Output: int64(d.Completion)}) + searches*price.WebSearch
	for _, r := range routes {
		c := e.client(r.opt(e))
		var sdk []int64
		evs := e.inRun(t, func(ctx context.Context) { sdk = responseAndStreamSearches(t, ctx, c) })
		if len(evs) != 2 || len(sdk) != 2 {
			t.Fatalf("%s: %d events, %d replies", r.name, len(evs), len(sdk))
		}
		for i, ev := range evs {
			if ev.Metadata["webSearches"] != float64(sdk[i]) || sdk[i] != searches ||
				ev.CostUnits == nil || math.Abs(*ev.CostUnits-want) > 1e-12 {
				t.Errorf("%s event %d: searches %v (the SDK read %d), cost %v, want %v", r.name, i, ev.Metadata["webSearches"], sdk[i], ev.CostUnits, want)
			}
		}
	}
}

// Outside a run, the searches are only the token record's metadata, unless
// WithOpenAIWebSearchMeter asks for their own usage record: then each
// call, message and stream, through either route, records them under that
// meter, counted as the SDK reads them.
func TestWebSearchesOutsideARun(t *testing.T) {
	const searches = 2
	e := newEnv(t, openaitest.WithWebSearches(searches))
	var sdk int64
	call := func(c openai.Client) {
		for _, n := range responseAndStreamSearches(t, t.Context(), c) {
			sdk += n
		}
	}
	call(e.client(routes[0].opt(e))) // no search meter: metadata only
	for _, r := range routes {
		call(e.client(r.opt(e, drip.WithOpenAIWebSearchMeter("web_searches"))))
	}
	e.flush(t)
	got := map[string]float64{}
	for _, rec := range e.drip.UsageRecords() {
		got[rec.UsageType] += rec.Quantity
		if rec.CustomerID != e.cust || rec.Metadata["model"] == nil {
			t.Errorf("record %+v", rec)
		}
		if rec.UsageType == "web_searches" && (rec.Units != "searches" || rec.Quantity != searches) {
			t.Errorf("search record %+v", rec)
		}
	}
	calls := 6.0
	if float64(sdk) != searches*calls || got["web_searches"] != searches*4 ||
		got[drip.DefaultLLMMeter] != calls*float64(openaitest.DefaultUsage.Total()) || len(got) != 2 {
		t.Fatalf("usage %v (the SDK read %d searches)", got, sdk)
	}
}

// A reply served by the flex or priority tier says so: the event names
// the tier and its tokens are priced at half the standard price (flex) or
// at the model's priority prices; the default tier is not named.
func TestServiceTier(t *testing.T) {
	const model = "gpt-4o-mini"
	d := openaitest.DefaultUsage
	n := pricing.Tokens{Input: int64(d.Prompt), CachedInput: int64(d.Cached), CacheWriteInput: int64(d.CacheWrite), Output: int64(d.Completion)}
	standard, _ := pricing.Default().CostTokens(model, n)
	// gpt-4o-mini's priority prices: $0.25 input, $0.125 cached, $1 output.
	priority := (float64(d.Prompt-d.Cached)*0.25 + float64(d.Cached)*0.125 + float64(d.Completion)*1) / 1e6
	for _, tier := range []string{"flex", "priority", "default"} {
		e := newEnv(t, openaitest.WithServiceTier(tier))
		want := map[string]float64{"flex": standard / 2, "priority": priority, "default": standard}[tier]
		for _, r := range routes {
			evs := e.chatStreamAndResponse(t, e.client(r.opt(e)), model)
			for _, ev := range evs {
				named, _ := ev.Metadata["serviceTier"].(string)
				if named != map[string]string{"flex": "flex", "priority": "priority"}[tier] || ev.CostUnits == nil || math.Abs(*ev.CostUnits-want) > 1e-12 {
					t.Errorf("%s %s %v: tier %q, cost %v, want %v", tier, r.name, ev.Metadata["operation"], named, ev.CostUnits, want)
				}
			}
		}
	}
}

// Outside a run, a flex call's usage record names its tier.
func TestServiceTierOutsideARun(t *testing.T) {
	e := newEnv(t, openaitest.WithServiceTier("flex"))
	c := e.client(routes[0].opt(e))
	if _, err := c.Chat.Completions.New(t.Context(), chatParams("gpt-4o-mini")); err != nil {
		t.Fatal(err)
	}
	e.flush(t)
	recs := e.drip.UsageRecords()
	if len(recs) != 1 || recs[0].Metadata["serviceTier"] != "flex" || recs[0].Quantity != float64(openaitest.DefaultUsage.Total()) {
		t.Fatalf("usage records: %+v", recs)
	}
}
