package openaigo_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/internal/abbench"
	"github.com/drip-sdk/drip-go/internal/memhttp"
	"github.com/drip-sdk/drip-go/providers/openaimeter"
)

// The benchmarks compare a raw openai-go call with the same call metered by
// drip.OpenAIMiddleware into a run, against the same in-memory server: a
// RoundTripper answering with canned bytes, no sockets. Metered minus raw is
// the meter's own cost, recording included; the tracker delivers only
// between timed stretches, so its exporter does not compete for the cores.
//
// The canned server answers as OpenAI does: a stream asked for usage
// (stream_options.include_usage, which the meter adds) ends with the usage
// chunk, which the meter then hides from the SDK.

const cannedChat = `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Hello, world!","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18,"prompt_tokens_details":{"cached_tokens":3,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":2,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"system_fingerprint":"fp_1","service_tier":"default"}`

// cannedStream is a chat stream of n content chunks, with the usage chunk
// when withUsage.
func cannedStream(n int, withUsage bool) []byte {
	var s strings.Builder
	usage := ""
	if withUsage {
		usage = `,"usage":null`
	}
	chunk := func(delta, finish string) {
		s.WriteString(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_1","choices":[{"index":0,"delta":` +
			delta + `,"logprobs":null,"finish_reason":` + finish + `}]` + usage + "}\n\n")
	}
	chunk(`{"role":"assistant","content":"","refusal":null}`, "null")
	for range n {
		chunk(`{"content":"word "}`, "null")
	}
	chunk(`{}`, `"stop"`)
	if withUsage {
		s.WriteString(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_1","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18,"prompt_tokens_details":{"cached_tokens":3},"completion_tokens_details":{"reasoning_tokens":2}}}` + "\n\n")
	}
	s.WriteString("data: [DONE]\n\n")
	return []byte(s.String())
}

// canned is the in-memory server.
type canned struct {
	chat                    []byte
	stream, streamWithUsage []byte
}

func (c *canned) RoundTrip(req *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(req.Body)
	req.Body.Close()
	reply, ct := c.chat, "application/json"
	if bytes.Contains(body, []byte(`"stream":true`)) {
		reply, ct = c.stream, "text/event-stream"
		if bytes.Contains(body, []byte(`"include_usage":true`)) {
			reply = c.streamWithUsage
		}
	}
	return memhttp.Reply(req, ct, reply), nil
}

func newCanned(chunks int) *canned {
	return &canned{chat: []byte(cannedChat), stream: cannedStream(chunks, false), streamWithUsage: cannedStream(chunks, true)}
}

// benchClients returns the raw client, the metered one, and the ctx of the
// run the metered calls are recorded in, with a flush to call between
// timed stretches. viaClient is the same meter as the SDK's HTTP client
// (openaimeter.NewHTTPClient, what drip.OpenAIHTTPClient builds) instead
// of a middleware: at the bottom of the stack it marks nothing, so the
// "ab-httpclient" figures beside "ab" show what the middleware route adds:
// its counted-once mark (a copy of each request with a marked ctx) and the
// SDK's own work per middleware.
func benchClients(b *testing.B, srv *canned) (raw, metered, viaClient openai.Client, ctx context.Context, flush func()) {
	ds := driptest.NewServer(b)
	dc, err := drip.New(drip.WithAPIKey(ds.APIKey()), drip.WithBaseURL(ds.BaseURL()))
	if err != nil {
		b.Fatal(err)
	}
	tr := drip.NewTracker(dc, drip.WithoutSelfMetrics(), drip.WithBatchTimeout(time.Hour),
		drip.WithMaxQueueSize(2*flushEvery), drip.WithMaxBatchSize(4*flushEvery))
	b.Cleanup(func() { tr.Shutdown(context.Background()) })
	cu, err := dc.GetOrCreateCustomer(context.Background(), "bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx, _ = tr.Start(context.Background(), drip.RunParams{CustomerID: cu.ID, Workflow: "bench"})
	raw = openai.NewClient(rawOptions(srv)...)
	metered = openai.NewClient(append(rawOptions(srv), option.WithMiddleware(drip.OpenAIMiddleware(cu.ID, drip.WithOpenAITracker(tr))))...)
	rec := &drip.UsageRecorder{CustomerID: cu.ID, Tracker: tr}
	viaClient = openai.NewClient(append(rawOptions(srv), option.WithHTTPClient(openaimeter.NewHTTPClient(&http.Client{Transport: srv}, rec)))...)
	return raw, metered, viaClient, ctx, func() { tr.Flush(context.Background()) }
}

// rawOptions are the options of a client of srv, unmetered.
func rawOptions(srv *canned) []option.RequestOption {
	return []option.RequestOption{option.WithAPIKey("k"), option.WithBaseURL("http://openai.invalid/v1/"),
		option.WithHTTPClient(&http.Client{Transport: srv})}
}

// flushEvery is how many calls the tracker queues between deliveries.
const flushEvery = 1 << 8

// benchAB times raw and metered calls alternately (see internal/abbench)
// and reports metered/raw, the budget's figure, with the tracker flushed
// between timed stretches.
func benchAB(b *testing.B, flush func(), raw, metered func() error, block int) {
	abbench.Run(b, raw, metered, abbench.Options{Between: flush, Every: flushEvery / block, A: "raw", B: "metered", Block: block})
}

func benchLoop(b *testing.B, flush func(), call func() error) {
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i%flushEvery == flushEvery-1 {
			b.StopTimer()
			flush()
			b.StartTimer()
		}
		if err := call(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	flush()
}

func BenchmarkChat(b *testing.B) {
	raw, metered, viaClient, ctx, flush := benchClients(b, newCanned(0))
	p := chatParams("gpt-4o-mini")
	call := func(c openai.Client) func() error {
		return func() error {
			_, err := c.Chat.Completions.New(ctx, p)
			return err
		}
	}
	b.Run("ab", func(b *testing.B) { benchAB(b, flush, call(raw), call(metered), abbench.Block) })
	b.Run("ab-httpclient", func(b *testing.B) { benchAB(b, flush, call(raw), call(viaClient), abbench.Block) })
	// Outside any run: each call is usage for the customer.
	b.Run("ab-usage", func(b *testing.B) {
		p := p
		usage := func(c openai.Client) func() error {
			return func() error {
				_, err := c.Chat.Completions.New(context.Background(), p)
				return err
			}
		}
		benchAB(b, flush, usage(raw), usage(metered), abbench.Block)
	})
	// The control: raw against raw, the method's own noise.
	b.Run("aa", func(b *testing.B) {
		abbench.Run(b, call(raw), call(raw), abbench.Options{A: "raw", B: "raw2"})
	})
	for _, c := range []struct {
		name   string
		client openai.Client
	}{{"raw", raw}, {"metered", metered}} {
		b.Run(c.name, func(b *testing.B) {
			benchLoop(b, flush, func() error {
				_, err := c.client.Chat.Completions.New(ctx, p)
				return err
			})
		})
	}
}

func BenchmarkChatStream(b *testing.B) {
	for _, chunks := range []int{4, 60} {
		srv := newCanned(chunks)
		raw, metered, viaClient, ctx, flush := benchClients(b, srv)
		p := chatParams("gpt-4o-mini")
		drain := func(c openai.Client) func() error {
			return func() error {
				s := c.Chat.Completions.NewStreaming(ctx, p)
				n := 0
				for s.Next() {
					n++
				}
				s.Close()
				if n != chunks+2 {
					b.Fatalf("%d chunks, want %d", n, chunks+2)
				}
				return s.Err()
			}
		}
		block := abbench.Block
		if chunks > 10 {
			block = 1 // a call of a millisecond
		}
		b.Run("ab/chunks="+strconv.Itoa(chunks), func(b *testing.B) { benchAB(b, flush, drain(raw), drain(metered), block) })
		b.Run("ab-httpclient/chunks="+strconv.Itoa(chunks), func(b *testing.B) { benchAB(b, flush, drain(raw), drain(viaClient), block) })
		// The control: two raw clients, as the A/B compares two clients.
		raw2 := openai.NewClient(rawOptions(srv)...)
		b.Run("aa/chunks="+strconv.Itoa(chunks), func(b *testing.B) {
			abbench.Run(b, drain(raw), drain(raw2), abbench.Options{A: "raw", B: "raw2", Block: block})
		})
		for _, c := range []struct {
			name   string
			client openai.Client
		}{{"raw", raw}, {"metered", metered}} {
			b.Run(c.name+"/chunks="+strconv.Itoa(chunks), func(b *testing.B) { benchLoop(b, flush, drain(c.client)) })
		}
	}
}
