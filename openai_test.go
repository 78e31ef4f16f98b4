package drip_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"testing"

	goopenai "github.com/sashabaranov/go-openai"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/driptest/openaitest"
	"github.com/drip-sdk/drip-go/providers/pricing"
)

type openAIEnv struct {
	drip    *driptest.Server
	stub    *openaitest.Server
	tracker *drip.Tracker
	cust    string
	raw     *goopenai.Client
}

func newOpenAIEnv(t *testing.T, opts ...openaitest.Option) *openAIEnv {
	t.Helper()
	ds, c := newDriptest(t)
	stub := openaitest.New(t, opts...)
	cfg := goopenai.DefaultConfig("sk-openai-test")
	cfg.BaseURL = stub.BaseURL()
	return &openAIEnv{drip: ds, stub: stub, tracker: newTracker(t, c), cust: createCustomer(t, c, "acme"),
		raw: goopenai.NewClientWithConfig(cfg)}
}

func (e *openAIEnv) flush(t *testing.T) {
	t.Helper()
	if err := e.tracker.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

// bothMeters returns a go-openai client of the stub metered by the HTTP
// meter (its HTTPClient), and the same client wrapped by WrapOpenAI too:
// two meters on each call.
func (e *openAIEnv) bothMeters() (httpMetered *goopenai.Client, both *drip.OpenAIClient) {
	cfg := goopenai.DefaultConfig("sk-openai-test")
	cfg.BaseURL = e.stub.BaseURL()
	cfg.HTTPClient = drip.OpenAIHTTPClient(e.cust, drip.WithOpenAITracker(e.tracker))
	httpMetered = goopenai.NewClientWithConfig(cfg)
	return httpMetered, drip.WrapOpenAI(httpMetered, e.cust, drip.WithOpenAITracker(e.tracker))
}

var chatReq = goopenai.ChatCompletionRequest{
	Model:    "gpt-4o-mini",
	Messages: []goopenai.ChatCompletionMessage{{Role: "user", Content: "a prompt that must never leave"}},
}

func TestWrapOpenAIInsideARun(t *testing.T) {
	env := newOpenAIEnv(t)
	client := drip.WrapOpenAI(env.raw, env.cust, drip.WithOpenAITracker(env.tracker))
	ctx, run := env.tracker.Start(context.Background(), drip.RunParams{CustomerID: env.cust, Workflow: "chat"})

	resp, err := client.CreateChatCompletion(ctx, chatReq)
	if err != nil || len(resp.Choices) == 0 {
		t.Fatal(resp, err)
	}
	stream, err := client.CreateChatCompletionStream(ctx, goopenai.ChatCompletionRequest{Model: "gpt-4o", Messages: chatReq.Messages, Stream: true})
	if err != nil {
		t.Fatal(err)
	}
	chunks := 0
	for {
		ch, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(ch.Choices) == 0 {
			t.Fatal("the caller did not ask for usage: the usage-only chunk must be swallowed")
		}
		chunks++
	}
	stream.Close()
	run.End(drip.RunCompleted)
	env.flush(t)

	evs := env.drip.Events(run.ID())
	if len(evs) != 2 || chunks == 0 {
		t.Fatalf("%d events, %d chunks", len(evs), chunks)
	}
	u := env.stub.Usage()
	for i, wantModel := range []string{"gpt-4o-mini" + openaitest.DefaultModelSuffix, "gpt-4o" + openaitest.DefaultModelSuffix} {
		e := evs[i]
		md := e.Metadata
		if e.EventType != drip.EventLLMCompletion || e.Quantity != float64(u.Total()) || e.Units != "tokens" ||
			md["model"] != wantModel || md["inputTokens"] != float64(u.Prompt) || md["outputTokens"] != float64(u.Completion) ||
			md["cachedInputTokens"] != float64(u.Cached) || md["reasoningTokens"] != float64(u.Reasoning) {
			t.Errorf("event %d: %+v", i, e)
		}
		cost, _ := pricing.Default().Cost(wantModel, int64(u.Prompt), int64(u.Cached), int64(u.Completion))
		if e.CostUnits == nil || math.Abs(*e.CostUnits-cost) > 1e-12 || cost == 0 {
			t.Errorf("event %d cost %v, want %v", i, e.CostUnits, cost)
		}
		for k, v := range md {
			if s, ok := v.(string); ok && (s == chatReq.Messages[0].Content || s == env.stub.Text()) {
				t.Errorf("content leaked in metadata %q", k)
			}
		}
	}
}

func TestWrapOpenAIOutsideARun(t *testing.T) {
	env := newOpenAIEnv(t)
	client := drip.WrapOpenAI(env.raw, env.cust, drip.WithOpenAITracker(env.tracker))
	if _, err := client.CreateChatCompletion(context.Background(), chatReq); err != nil {
		t.Fatal(err)
	}
	other := createCustomer(t, env.tracker.Client(), "tenant-b")
	if _, err := client.CreateEmbeddings(drip.ContextWithCustomer(context.Background(), other),
		goopenai.EmbeddingRequest{Model: goopenai.SmallEmbedding3, Input: []string{"x"}}); err != nil {
		t.Fatal(err)
	}
	env.flush(t)
	recs := env.drip.UsageRecords()
	if len(recs) != 2 {
		t.Fatalf("%d usage records", len(recs))
	}
	byCust := map[string]float64{}
	for _, r := range recs {
		if r.UsageType != drip.DefaultLLMMeter {
			t.Errorf("meter %q", r.UsageType)
		}
		byCust[r.CustomerID] += r.Quantity
	}
	if byCust[env.cust] != float64(env.stub.Usage().Total()) || byCust[other] == 0 {
		t.Fatalf("usage by customer: %v", byCust)
	}
	if len(env.drip.Runs()) != 0 {
		t.Fatal("no run may be opened for calls outside runs")
	}
}

func TestWrapOpenAISplitMetersAndImplicitRuns(t *testing.T) {
	env := newOpenAIEnv(t)
	split := drip.WrapOpenAI(env.raw, env.cust, drip.WithOpenAITracker(env.tracker), drip.WithOpenAISplitMeters("input_tokens", "output_tokens"))
	if _, err := split.CreateChatCompletion(context.Background(), chatReq); err != nil {
		t.Fatal(err)
	}
	implicit := drip.WrapOpenAI(env.raw, env.cust, drip.WithOpenAITracker(env.tracker), drip.WithOpenAIWorkflow("one-shot"))
	if _, err := implicit.CreateChatCompletion(context.Background(), chatReq); err != nil {
		t.Fatal(err)
	}
	env.flush(t)
	got := map[string]float64{}
	for _, r := range env.drip.UsageRecords() {
		got[r.UsageType] = r.Quantity
	}
	u := env.stub.Usage()
	if got["input_tokens"] != float64(u.Prompt) || got["output_tokens"] != float64(u.Completion) || len(got) != 2 {
		t.Fatalf("split meters: %v", got)
	}
	runs := env.drip.Runs()
	if len(runs) != 1 || runs[0].Status != "COMPLETED" || runs[0].EventCount != 1 {
		t.Fatalf("implicit run: %+v", runs)
	}
}

func TestWrapOpenAIErrorsAreEventsAndPassThrough(t *testing.T) {
	env := newOpenAIEnv(t)
	client := drip.WrapOpenAI(env.raw, env.cust, drip.WithOpenAITracker(env.tracker))
	ctx, run := env.tracker.Start(context.Background(), drip.RunParams{CustomerID: env.cust, Workflow: "chat"})
	req := chatReq
	req.Model = "error-429"
	_, err := client.CreateChatCompletion(ctx, req)
	_, rawErr := env.raw.CreateChatCompletion(ctx, req)
	var apiErr, rawAPIErr *goopenai.APIError
	if !errors.As(err, &apiErr) || !errors.As(rawErr, &rawAPIErr) || apiErr.HTTPStatusCode != 429 || apiErr.Message != rawAPIErr.Message {
		t.Fatalf("the original error must come back unchanged: %v vs %v", err, rawErr)
	}
	run.End(drip.RunCompleted)
	env.flush(t)
	evs := env.drip.Events(run.ID())
	if len(evs) != 1 || evs[0].EventType != drip.EventLLMError || evs[0].Outcome != "FAILED" || evs[0].Metadata["httpStatus"] != float64(429) {
		t.Fatalf("events: %+v", evs)
	}
}

func TestWrapOpenAIAndHTTPMeterCountOnce(t *testing.T) {
	env := newOpenAIEnv(t)
	metered, both := env.bothMeters() // the HTTP meter alone, and both

	ctx, run := env.tracker.Start(context.Background(), drip.RunParams{CustomerID: env.cust, Workflow: "chat"})
	if _, err := both.CreateChatCompletion(ctx, chatReq); err != nil {
		t.Fatal(err)
	}
	if _, err := metered.CreateChatCompletion(ctx, chatReq); err != nil {
		t.Fatal(err)
	}
	run.End(drip.RunCompleted)
	env.flush(t)
	evs := env.drip.Events(run.ID())
	if len(evs) != 2 {
		t.Fatalf("two calls must give two events, got %d", len(evs))
	}
	for _, e := range evs {
		if e.Quantity != float64(env.stub.Usage().Total()) {
			t.Errorf("event %+v", e)
		}
	}
}

// go-openai's CreateTranscription reads no usage, so WrapOpenAI cannot
// meter it; the HTTP meter as the client's HTTPClient does, from the reply
// go-openai drops, with the model read from the form after the audio. With
// WrapOpenAI over the same client, the call is still counted once.
func TestOpenAIHTTPClientMetersGoOpenAITranscriptions(t *testing.T) {
	env := newOpenAIEnv(t)
	_, both := env.bothMeters()

	ctx, run := env.tracker.Start(context.Background(), drip.RunParams{CustomerID: env.cust, Workflow: "speech"})
	for _, model := range []string{"gpt-4o-transcribe", goopenai.Whisper1} {
		resp, err := both.CreateTranscription(ctx, goopenai.AudioRequest{Model: model, FilePath: "speech.wav",
			Reader: bytes.NewReader(bytes.Repeat([]byte("RIFFwave"), 4096))})
		if err != nil || resp.Text != env.stub.Text() {
			t.Fatalf("%q, %v", resp.Text, err)
		}
	}
	run.End(drip.RunCompleted)
	env.flush(t)
	evs := env.drip.Events(run.ID())
	u := env.stub.Usage()
	if len(evs) != 2 {
		t.Fatalf("two calls gave %d events", len(evs))
	}
	if e := evs[0]; e.Metadata["model"] != "gpt-4o-transcribe" || e.Quantity != float64(u.Total()) ||
		e.Metadata["audioInputTokens"] != float64(u.Audio) || e.CostUnits == nil {
		t.Errorf("token-billed: %v %v %v", e.Quantity, e.CostUnits, e.Metadata)
	}
	if e := evs[1]; e.Metadata["model"] != "whisper-1" || e.Quantity != u.Seconds || e.Units != "seconds" || e.CostUnits == nil {
		t.Errorf("billed by seconds: %v %s %v %v", e.Quantity, e.Units, e.CostUnits, e.Metadata)
	}
}
