package openaigo_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/driptest/openaitest"
	"github.com/drip-sdk/drip-go/providers/pricing"
)

// env is a local Drip (driptest) and a local OpenAI (openaitest), with a
// tracker and a customer.
type env struct {
	drip    *driptest.Server
	stub    *openaitest.Server
	tracker *drip.Tracker
	cust    string
}

func newEnv(t *testing.T, opts ...openaitest.Option) *env {
	t.Helper()
	ds := driptest.NewServer(t)
	c, err := drip.New(drip.WithAPIKey(ds.APIKey()), drip.WithBaseURL(ds.BaseURL()))
	if err != nil {
		t.Fatal(err)
	}
	tr := drip.NewTracker(c, drip.WithoutSelfMetrics(), drip.WithBatchTimeout(20*time.Millisecond))
	t.Cleanup(func() { tr.Shutdown(context.Background()) })
	cu, err := c.GetOrCreateCustomer(t.Context(), "acme", nil)
	if err != nil {
		t.Fatal(err)
	}
	return &env{drip: ds, stub: openaitest.New(t, opts...), tracker: tr, cust: cu.ID}
}

// route is one way of metering openai-go: the middleware, or the HTTP
// client.
type route struct {
	name string
	opt  func(e *env, opts ...drip.OpenAIOption) option.RequestOption
}

var routes = []route{
	{"middleware", func(e *env, opts ...drip.OpenAIOption) option.RequestOption {
		return option.WithMiddleware(drip.OpenAIMiddleware(e.cust, append([]drip.OpenAIOption{drip.WithOpenAITracker(e.tracker)}, opts...)...))
	}},
	{"http client", func(e *env, opts ...drip.OpenAIOption) option.RequestOption {
		return option.WithHTTPClient(drip.OpenAIHTTPClient(e.cust, append([]drip.OpenAIOption{drip.WithOpenAITracker(e.tracker)}, opts...)...))
	}},
}

// client is an openai-go client of the stub, with more options (the
// meter's) after the base ones.
func (e *env) client(opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append([]option.RequestOption{
		option.WithBaseURL(e.stub.BaseURL()), option.WithAPIKey("sk-test"),
	}, opts...)...)
}

// inRun runs f inside a run and returns the run's events as Drip stored
// them.
func (e *env) inRun(t *testing.T, f func(ctx context.Context)) []driptest.Event {
	t.Helper()
	ctx, run := e.tracker.Start(context.Background(), drip.RunParams{CustomerID: e.cust, Workflow: "openai-go"})
	f(ctx)
	run.End(drip.RunCompleted)
	e.flush(t)
	return e.drip.Events(run.ID())
}

// replyInRun makes one call inside a run and returns the SDK's reply and
// the run's events; a call that fails fails the test.
func replyInRun[T any](t *testing.T, e *env, call func(ctx context.Context) (T, error)) (T, []driptest.Event) {
	t.Helper()
	var reply T
	evs := e.inRun(t, func(ctx context.Context) {
		var err error
		if reply, err = call(ctx); err != nil {
			t.Fatal(err)
		}
	})
	return reply, evs
}

// chatStreamAndResponse makes a chat call, a chat stream read to its end
// and a Responses call for model through c, in a run, and returns the
// three events recorded.
func (e *env) chatStreamAndResponse(t *testing.T, c openai.Client, model string) []driptest.Event {
	t.Helper()
	evs := e.inRun(t, func(ctx context.Context) {
		if _, err := c.Chat.Completions.New(ctx, chatParams(model)); err != nil {
			t.Fatal(err)
		}
		drainChat(t, c.Chat.Completions.NewStreaming(ctx, chatParams(model)))
		if _, err := c.Responses.New(ctx, responseParams(model)); err != nil {
			t.Fatal(err)
		}
	})
	if len(evs) != 3 {
		t.Fatalf("3 calls gave %d events", len(evs))
	}
	return evs
}

// pricedBy makes e record through a tracker that prices with prices.
func (e *env) pricedBy(t *testing.T, prices map[string]pricing.Price) {
	t.Helper()
	dc, err := drip.New(drip.WithAPIKey(e.drip.APIKey()), drip.WithBaseURL(e.drip.BaseURL()))
	if err != nil {
		t.Fatal(err)
	}
	e.tracker = drip.NewTracker(dc, drip.WithoutSelfMetrics(), drip.WithPricing(pricing.New(prices)))
	t.Cleanup(func() { e.tracker.Shutdown(context.Background()) })
}

func (e *env) flush(t *testing.T) {
	t.Helper()
	if err := e.tracker.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
}

const prompt = "Say hello, please"

func chatParams(model string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:    model,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)},
	}
}

// tokens is a call's usage as the SDK read it, or as Drip recorded it.
type tokens struct{ in, out, cached, reasoning, cacheWrite int64 }

// stubTokens is what the stub reports for every call (embeddings: no output,
// completions: no details).
var stubTokens = tokens{
	in: int64(openaitest.DefaultUsage.Prompt), out: int64(openaitest.DefaultUsage.Completion),
	cached: int64(openaitest.DefaultUsage.Cached), reasoning: int64(openaitest.DefaultUsage.Reasoning),
	cacheWrite: int64(openaitest.DefaultUsage.CacheWrite),
}

// recorded reads the token counts of an llm.completion event.
func recorded(e driptest.Event) tokens {
	n := func(k string) int64 { f, _ := e.Metadata[k].(float64); return int64(f) }
	return tokens{n("inputTokens"), n("outputTokens"), n("cachedInputTokens"), n("reasoningTokens"), n("cacheCreationInputTokens")}
}

// wantEvent asserts one llm.completion event with exactly want, the same
// counts the SDK read from the reply (sdk), the model and operation, and
// the provider's own counts (not estimated).
func wantEvent(t *testing.T, e driptest.Event, op, model string, want, sdk tokens) {
	t.Helper()
	got := recorded(e)
	if e.EventType != drip.EventLLMCompletion || e.Units != "tokens" || e.Quantity != float64(want.in+want.out) {
		t.Errorf("event %s %v %s, want llm.completion %d tokens", e.EventType, e.Quantity, e.Units, want.in+want.out)
	}
	if got != want {
		t.Errorf("recorded %+v, want %+v", got, want)
	}
	// The meter must read every reply shape the SDK reads: when the stub's
	// reply changes so that the SDK still finds usage and the meter does
	// not, this fails.
	if got != sdk {
		t.Errorf("recorded %+v, the SDK read %+v", got, sdk)
	}
	if e.Metadata["model"] != model || e.Metadata["operation"] != op {
		t.Errorf("model %v operation %v, want %s %s", e.Metadata["model"], e.Metadata["operation"], model, op)
	}
	if e.Metadata["usageEstimated"] != nil {
		t.Error("usage marked estimated")
	}
	for k, v := range e.Metadata {
		if s, ok := v.(string); ok && (s == prompt || s == "Hello, world!") {
			t.Errorf("content in metadata %q", k)
		}
	}
}

func one(t *testing.T, evs []driptest.Event) driptest.Event {
	t.Helper()
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1: %+v", len(evs), evs)
	}
	return evs[0]
}

// recordURL is a middleware that keeps the URL of the last request.
func recordURL(into *string) option.RequestOption {
	return option.WithMiddleware(func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
		*into = req.URL.String()
		return next(req)
	})
}
