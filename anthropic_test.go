package drip_test

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/driptest/anthropictest"
	"github.com/drip-sdk/drip-go/providers/pricing"
)

// anthCache reads from and writes to the prompt cache (20 of the 50
// tokens written to the 1-hour cache) and runs two web searches.
var anthCache = anthropictest.Usage{Input: 123, Output: 45, CacheRead: 200, CacheWrite: 50, CacheWrite1h: 20, WebSearches: 2}

type anthropicEnv struct {
	drip    *driptest.Server
	stub    *anthropictest.Server
	tracker *drip.Tracker
	cust    string
}

func newAnthropicEnv(t *testing.T, trackerOpts []drip.TrackerOption, opts ...anthropictest.Option) *anthropicEnv {
	t.Helper()
	ds, c := newDriptest(t)
	return &anthropicEnv{drip: ds, stub: anthropictest.New(t, opts...), tracker: newTracker(t, c, trackerOpts...),
		cust: createCustomer(t, c, "acme")}
}

// anthRoute is how the meter is put into an anthropic-sdk-go client.
type anthRoute string

const (
	viaAnthropicHTTPClient anthRoute = "http-client"
	viaAnthropicMiddleware anthRoute = "middleware"
	viaAnthropicBoth       anthRoute = "both" // two meters on each call
)

// client is an anthropic-sdk-go client metered as via says.
func (e *anthropicEnv) client(via anthRoute, opts ...drip.AnthropicOption) anthropic.Client {
	opts = append([]drip.AnthropicOption{drip.WithAnthropicTracker(e.tracker)}, opts...)
	o := []option.RequestOption{option.WithBaseURL(e.stub.URL()), option.WithAPIKey("sk-ant-test"), option.WithMaxRetries(0)}
	if via != viaAnthropicHTTPClient {
		o = append(o, option.WithMiddleware(drip.AnthropicMiddleware(e.cust, opts...)))
	}
	if via != viaAnthropicMiddleware {
		o = append(o, option.WithHTTPClient(drip.AnthropicHTTPClient(e.cust, opts...)))
	}
	return anthropic.NewClient(o...)
}

// messageAndStream makes one Messages call and one streamed call, read to
// its end.
func messageAndStream(t *testing.T, ctx context.Context, client anthropic.Client) {
	t.Helper()
	messageAndStreamOf(t, ctx, client.Messages, "claude-3-5-sonnet-20241022", "claude-sonnet-4-5")
}

// messageAndStreamOf is messageAndStream through any Messages service, one
// model for each call.
func messageAndStreamOf(t *testing.T, ctx context.Context, messages anthropic.MessageService, model, streamModel string) {
	t.Helper()
	if _, err := messages.New(ctx, anthParams(model)); err != nil {
		t.Fatal(err)
	}
	stream := messages.NewStreaming(ctx, anthParams(streamModel))
	for stream.Next() {
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	stream.Close()
}

// countTokens asks for a prompt's token count, which is not a model call.
func countTokens(t *testing.T, ctx context.Context, client anthropic.Client, model string) {
	t.Helper()
	if _, err := client.Messages.CountTokens(ctx, anthropic.MessageCountTokensParams{Model: anthropic.Model(model),
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("x"))}}); err != nil {
		t.Fatal(err)
	}
}

// inRun runs f inside a run of the customer, ends the run, and returns the
// run's events as Drip stored them.
func (e *anthropicEnv) inRun(t *testing.T, f func(ctx context.Context)) []driptest.Event {
	t.Helper()
	ctx, run := e.tracker.Start(context.Background(), drip.RunParams{CustomerID: e.cust, Workflow: "claude"})
	f(ctx)
	run.End(drip.RunCompleted)
	e.flush(t)
	return e.drip.Events(run.ID())
}

// wantCompletions fails unless evs are n llm.completion events, each with
// anthCache's tokens.
func wantCompletions(t *testing.T, evs []driptest.Event, n int) {
	t.Helper()
	if len(evs) != n {
		t.Fatalf("%d events, want %d (one per call): %+v", len(evs), n, evs)
	}
	for i, e := range evs {
		if e.EventType != drip.EventLLMCompletion || e.Quantity != float64(anthCache.Total()) ||
			e.Metadata["inputTokens"] != float64(anthCache.Prompt()) || e.Metadata["outputTokens"] != float64(anthCache.Output) {
			t.Errorf("event %d: %+v", i, e)
		}
	}
}

func (e *anthropicEnv) flush(t *testing.T) {
	t.Helper()
	if err := e.tracker.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

func anthParams(model string) anthropic.MessageNewParams {
	return anthropic.MessageNewParams{Model: anthropic.Model(model), MaxTokens: 256,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("a prompt that must never leave"))}}
}

func TestAnthropicHTTPClientInsideARun(t *testing.T) {
	for _, via := range []anthRoute{viaAnthropicHTTPClient, viaAnthropicMiddleware} {
		t.Run(string(via), func(t *testing.T) {
			env := newAnthropicEnv(t, nil, anthropictest.WithUsage(anthCache), anthropictest.WithToolUse("get_weather"))
			client := env.client(via)
			evs := env.inRun(t, func(ctx context.Context) {
				messageAndStream(t, ctx, client)
				countTokens(t, ctx, client, "claude-sonnet-4-5") // not a model call: no event
			})
			if len(evs) != 2 {
				t.Fatalf("%d events, want 2 (count_tokens is not a call): %+v", len(evs), evs)
			}
			u := anthCache
			for i, model := range []string{"claude-3-5-sonnet-20241022", "claude-sonnet-4-5" + anthropictest.DefaultModelSuffix} {
				e := evs[i]
				md := e.Metadata
				if e.EventType != drip.EventLLMCompletion || e.Quantity != float64(u.Total()) || e.Units != "tokens" ||
					md["model"] != model || md["provider"] != "anthropic" || md["inputTokens"] != float64(u.Prompt()) ||
					md["outputTokens"] != float64(u.Output) || md["cachedInputTokens"] != float64(u.CacheRead) ||
					md["cacheCreationInputTokens"] != float64(u.CacheWrite) || md["toolNames"] != "get_weather" ||
					md["cacheCreation1hInputTokens"] != float64(u.CacheWrite1h) || md["webSearches"] != float64(u.WebSearches) {
					t.Errorf("event %d: %+v", i, e)
				}
				want, ok := pricing.Default().CostTokens(model, pricing.Tokens{Input: int64(u.Prompt()),
					CachedInput: int64(u.CacheRead), CacheWriteInput: int64(u.CacheWrite), CacheWrite1hInput: int64(u.CacheWrite1h),
					Output: int64(u.Output), WebSearches: int64(u.WebSearches)})
				// Cache writes (the 1-hour ones above the others) and searches are
				// priced above input: the cost is more than the 5-minute-only one.
				fiveMinutes, _ := pricing.Default().CostTokens(model, pricing.Tokens{Input: int64(u.Prompt()),
					CachedInput: int64(u.CacheRead), CacheWriteInput: int64(u.CacheWrite), Output: int64(u.Output)})
				if !ok || e.CostUnits == nil || math.Abs(*e.CostUnits-want) > 1e-12 || want <= fiveMinutes+0.02-1e-12 {
					t.Errorf("event %d cost %v, want %v (> %v + two searches)", i, e.CostUnits, want, fiveMinutes)
				}
				for k, v := range md {
					if s, ok := v.(string); ok && (strings.Contains(s, "prompt") || strings.Contains(s, env.stub.Text())) {
						t.Errorf("content leaked in metadata %q", k)
					}
				}
			}
			if md := evs[1].Metadata; md["streamed"] != true {
				t.Errorf("stream event: %+v", md)
			}
		})
	}
}

// The middleware and the HTTP client given to the same SDK client are two
// meters on one call: each call, streamed or not, is recorded once, with
// the reply's tokens.
func TestAnthropicMiddlewareAndHTTPClientCountOnce(t *testing.T) {
	env := newAnthropicEnv(t, nil, anthropictest.WithUsage(anthCache))
	client := env.client(viaAnthropicBoth)
	wantCompletions(t, env.inRun(t, func(ctx context.Context) { messageAndStream(t, ctx, client) }), 2)
}

func TestAnthropicHTTPClientOutsideARun(t *testing.T) {
	env := newAnthropicEnv(t, nil, anthropictest.WithUsage(anthCache))
	client := env.client(viaAnthropicHTTPClient)
	if _, err := client.Messages.New(context.Background(), anthParams("claude-haiku-4-5")); err != nil {
		t.Fatal(err)
	}
	split := env.client(viaAnthropicHTTPClient, drip.WithAnthropicSplitMeters("in_tokens", "out_tokens"))
	if _, err := split.Messages.New(context.Background(), anthParams("claude-haiku-4-5")); err != nil {
		t.Fatal(err)
	}
	// The searches the message ran: their own record only when asked.
	searching := env.client(viaAnthropicHTTPClient, drip.WithAnthropicWebSearchMeter("web_searches"))
	if _, err := searching.Messages.New(context.Background(), anthParams("claude-haiku-4-5")); err != nil {
		t.Fatal(err)
	}
	env.flush(t)
	got := map[string]float64{}
	for _, r := range env.drip.UsageRecords() {
		if r.CustomerID != env.cust || r.Metadata["provider"] != "anthropic" {
			t.Errorf("record %+v", r)
		}
		if r.UsageType == "web_searches" && r.Units != "searches" {
			t.Errorf("search record %+v", r)
		}
		got[r.UsageType] += r.Quantity
	}
	u := anthCache
	if got[drip.DefaultLLMMeter] != 2*float64(u.Total()) || got["in_tokens"] != float64(u.Prompt()) ||
		got["out_tokens"] != float64(u.Output) || got["web_searches"] != float64(u.WebSearches) || len(got) != 4 {
		t.Fatalf("usage %v", got)
	}
	if len(env.drip.Runs()) != 0 {
		t.Fatal("a run was opened for calls outside runs")
	}
}

func TestAnthropicErrorsAreLLMErrors(t *testing.T) {
	env := newAnthropicEnv(t, nil)
	client := env.client(viaAnthropicHTTPClient)
	ctx, run := env.tracker.Start(context.Background(), drip.RunParams{CustomerID: env.cust, Workflow: "claude"})
	_, err := client.Messages.New(ctx, anthParams("error-429"))
	var apiErr *anthropic.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 {
		t.Fatalf("the caller's error changed: %v", err)
	}
	stream := client.Messages.NewStreaming(ctx, anthParams("stream-error"))
	for stream.Next() {
	}
	if stream.Err() == nil {
		t.Fatal("no stream error")
	}
	stream.Close()
	run.End(drip.RunFailed)
	env.flush(t)
	evs := env.drip.Events(run.ID())
	if len(evs) != 2 {
		t.Fatalf("%d events", len(evs))
	}
	for i, want := range []string{"rate_limit_error", "overloaded_error"} {
		e := evs[i]
		if e.EventType != drip.EventLLMError || e.Metadata["errorType"] != want || e.Quantity != 1 {
			t.Errorf("event %d: %+v", i, e)
		}
	}
	if evs[0].Metadata["httpStatus"] != float64(429) || evs[0].Metadata["model"] != "error-429" {
		t.Errorf("error event: %+v", evs[0].Metadata)
	}
}

// An unknown model is recorded with its tokens and no cost, and the debug
// log says so once per model.
func TestAnthropicUnknownModelUnpriced(t *testing.T) {
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	env := newAnthropicEnv(t, []drip.TrackerOption{drip.WithTrackerLogger(log)})
	client := env.client(viaAnthropicHTTPClient)
	evs := env.inRun(t, func(ctx context.Context) {
		for range 3 {
			if _, err := client.Messages.New(ctx, anthParams("claude-future-9")); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := client.Messages.New(ctx, anthParams("claude-haiku-4-5")); err != nil {
			t.Fatal(err)
		}
	})
	if len(evs) != 4 {
		t.Fatalf("%d events", len(evs))
	}
	for i, e := range evs {
		priced := i == 3
		if e.Quantity != float64(env.stub.Usage().Total()) || (e.CostUnits != nil && *e.CostUnits > 0) != priced {
			t.Errorf("event %d: quantity %v cost %v", i, e.Quantity, e.CostUnits)
		}
	}
	if n := strings.Count(logs.String(), "no price for model"); n != 1 ||
		!strings.Contains(logs.String(), "model=claude-future-9"+anthropictest.DefaultModelSuffix) {
		t.Fatalf("%d log lines:\n%s", n, logs.String())
	}
}

func TestAnthropicEntitlementGate(t *testing.T) {
	env := newAnthropicEnv(t, nil)
	client := env.client(viaAnthropicHTTPClient, drip.WithAnthropicEntitlement("claude_calls"))
	_, err := client.Messages.New(context.Background(), anthParams("claude-haiku-4-5"))
	// The customer has no entitlement plan: dripd denies, and nothing
	// reaches Anthropic.
	if !errors.Is(err, drip.ErrEntitlementDenied) || env.stub.Requests("/v1/messages") != 0 {
		t.Fatalf("err %v, %d requests sent", err, env.stub.Requests("/v1/messages"))
	}
}

// The tier usage names is recorded when it is not the standard one, and a
// batch tier's tokens cost half.
func TestAnthropicServiceTier(t *testing.T) {
	u := anthropictest.Usage{Input: 1000, Output: 100, ServiceTier: "batch"}
	env := newAnthropicEnv(t, nil, anthropictest.WithUsage(u))
	evs := env.inRun(t, func(ctx context.Context) { messageAndStream(t, ctx, env.client(viaAnthropicMiddleware)) })
	if len(evs) != 2 {
		t.Fatalf("%d events", len(evs))
	}
	for _, e := range evs {
		model, _ := e.Metadata["model"].(string)
		standard, ok := pricing.Default().Cost(model, int64(u.Input), 0, int64(u.Output))
		if !ok || e.Metadata["serviceTier"] != "batch" || e.CostUnits == nil || math.Abs(*e.CostUnits-standard/2) > 1e-12 {
			t.Errorf("%s: tier %v, cost %v, want half of %v", model, e.Metadata["serviceTier"], e.CostUnits, standard)
		}
	}
	// The standard tier is not named.
	env = newAnthropicEnv(t, nil, anthropictest.WithUsage(anthropictest.Usage{Input: 1, Output: 1, ServiceTier: "standard"}))
	evs = env.inRun(t, func(ctx context.Context) { messageAndStream(t, ctx, env.client(viaAnthropicHTTPClient)) })
	if len(evs) != 2 {
		t.Fatalf("%d events", len(evs))
	}
	for _, e := range evs {
		if _, named := e.Metadata["serviceTier"]; named {
			t.Errorf("standard tier named: %v", e.Metadata)
		}
	}
}
