package openaimeter_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sashabaranov/go-openai"

	"github.com/drip-sdk/drip-go/driptest/openaitest"
	"github.com/drip-sdk/drip-go/providers"
	"github.com/drip-sdk/drip-go/providers/openaimeter"
)

var noop = providers.ReporterFunc(func(context.Context, providers.Usage) {})

func benchChat(b *testing.B, call func(context.Context, openai.ChatCompletionRequest) error) {
	ctx := context.Background()
	req := chatRequest("gpt-4o-mini")
	b.ReportAllocs()
	for b.Loop() {
		if err := call(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChatCompletionRaw(b *testing.B) {
	c := rawClient(openaitest.New(b))
	benchChat(b, func(ctx context.Context, r openai.ChatCompletionRequest) error {
		_, err := c.CreateChatCompletion(ctx, r)
		return err
	})
}

func BenchmarkChatCompletionWrapped(b *testing.B) {
	c := openaimeter.Wrap(rawClient(openaitest.New(b)), noop)
	benchChat(b, func(ctx context.Context, r openai.ChatCompletionRequest) error {
		_, err := c.CreateChatCompletion(ctx, r)
		return err
	})
}

func BenchmarkChatCompletionTransport(b *testing.B) {
	stub := openaitest.New(b)
	cfg := openai.DefaultConfig("k")
	cfg.BaseURL = stub.BaseURL()
	cfg.HTTPClient = openaimeter.NewHTTPClient(nil, noop)
	c := openai.NewClientWithConfig(cfg)
	benchChat(b, func(ctx context.Context, r openai.ChatCompletionRequest) error {
		_, err := c.CreateChatCompletion(ctx, r)
		return err
	})
}

type recver interface {
	Recv() (openai.ChatCompletionStreamResponse, error)
	Close() error
}

// drainEvents reads a stream of any event type to its end and closes it.
func drainEvents[T any](s interface {
	Recv() (T, error)
	Close() error
}) {
	defer s.Close()
	for {
		if _, err := s.Recv(); err != nil {
			return
		}
	}
}

func drainStream(s recver) error {
	drainEvents(s)
	return nil
}

func BenchmarkChatCompletionStreamRaw(b *testing.B) {
	c := rawClient(openaitest.New(b))
	benchChat(b, func(ctx context.Context, r openai.ChatCompletionRequest) error {
		s, err := c.CreateChatCompletionStream(ctx, r)
		if err != nil {
			return err
		}
		return drainStream(s)
	})
}

func BenchmarkChatCompletionStreamWrapped(b *testing.B) {
	c := openaimeter.Wrap(rawClient(openaitest.New(b)), noop)
	benchChat(b, func(ctx context.Context, r openai.ChatCompletionRequest) error {
		s, err := c.CreateChatCompletionStream(ctx, r)
		if err != nil {
			return err
		}
		return drainStream(s)
	})
}

// BenchmarkChatCompletionStreamRawWithUsage is the raw client asking for
// usage itself: the wrapped stream's cost minus the usage chunk the server
// adds, i.e. the decorator's own bookkeeping.
func BenchmarkChatCompletionStreamRawWithUsage(b *testing.B) {
	c := rawClient(openaitest.New(b))
	benchChat(b, func(ctx context.Context, r openai.ChatCompletionRequest) error {
		r.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
		s, err := c.CreateChatCompletionStream(ctx, r)
		if err != nil {
			return err
		}
		return drainStream(s)
	})
}

func BenchmarkChatCompletionStreamTransport(b *testing.B) {
	stub := openaitest.New(b)
	cfg := openai.DefaultConfig("k")
	cfg.BaseURL = stub.BaseURL()
	cfg.HTTPClient = openaimeter.NewHTTPClient(nil, noop)
	c := openai.NewClientWithConfig(cfg)
	benchChat(b, func(ctx context.Context, r openai.ChatCompletionRequest) error {
		s, err := c.CreateChatCompletionStream(ctx, r)
		if err != nil {
			return err
		}
		return drainStream(s)
	})
}

// The in-memory pairs take the network and the stub out of the measurement:
// an HTTPDoer answers with canned bytes, so the difference between Raw and
// Wrapped is the decorator's own bookkeeping. The wrapped stream's canned
// reply includes the usage chunk that the wrapper's include_usage causes,
// as a real server would send.

const cannedChat = `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Hello, world!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18,"prompt_tokens_details":{"cached_tokens":3},"completion_tokens_details":{"reasoning_tokens":2}}}`

func cannedStream(withUsage bool) string {
	var s strings.Builder
	for _, part := range openaitest.DefaultChunks {
		s.WriteString(`data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"delta":{"content":"` + part + `"},"finish_reason":null}]}` + "\n\n")
	}
	if withUsage {
		s.WriteString(`data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini-2024-07-18","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}` + "\n\n")
	}
	s.WriteString("data: [DONE]\n\n")
	return s.String()
}

type cannedDoer struct {
	body, ct string
}

func (d cannedDoer) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK",
		Header:  http.Header{"Content-Type": {d.ct}},
		Body:    io.NopCloser(strings.NewReader(d.body)),
		Request: req,
	}, nil
}

func cannedClient(body, ct string) *openai.Client {
	cfg := openai.DefaultConfig("k")
	cfg.HTTPClient = cannedDoer{body: body, ct: ct}
	return openai.NewClientWithConfig(cfg)
}

func BenchmarkInMemoryChatCompletionRaw(b *testing.B) {
	c := cannedClient(cannedChat, "application/json")
	benchChat(b, func(ctx context.Context, r openai.ChatCompletionRequest) error {
		_, err := c.CreateChatCompletion(ctx, r)
		return err
	})
}

func BenchmarkInMemoryChatCompletionWrapped(b *testing.B) {
	c := openaimeter.Wrap(cannedClient(cannedChat, "application/json"), noop)
	benchChat(b, func(ctx context.Context, r openai.ChatCompletionRequest) error {
		_, err := c.CreateChatCompletion(ctx, r)
		return err
	})
}

func BenchmarkInMemoryChatCompletionStreamRaw(b *testing.B) {
	c := cannedClient(cannedStream(false), "text/event-stream")
	benchChat(b, func(ctx context.Context, r openai.ChatCompletionRequest) error {
		s, err := c.CreateChatCompletionStream(ctx, r)
		if err != nil {
			return err
		}
		return drainStream(s)
	})
}

func BenchmarkInMemoryChatCompletionStreamWrapped(b *testing.B) {
	c := openaimeter.Wrap(cannedClient(cannedStream(true), "text/event-stream"), noop)
	benchChat(b, func(ctx context.Context, r openai.ChatCompletionRequest) error {
		s, err := c.CreateChatCompletionStream(ctx, r)
		if err != nil {
			return err
		}
		return drainStream(s)
	})
}

// BenchmarkInMemoryChatCompletionStreamRawWithUsage reads the same bytes as
// the wrapped benchmark without the wrapper: Wrapped minus this is the
// wrapper's bookkeeping alone.
func BenchmarkInMemoryChatCompletionStreamRawWithUsage(b *testing.B) {
	c := cannedClient(cannedStream(true), "text/event-stream")
	benchChat(b, func(ctx context.Context, r openai.ChatCompletionRequest) error {
		r.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
		s, err := c.CreateChatCompletionStream(ctx, r)
		if err != nil {
			return err
		}
		return drainStream(s)
	})
}

// longAnswer is a streamed answer of realistic length (~60 chunks, about a
// paragraph): the size at which the one extra usage chunk the wrapper asks
// for stops dominating the comparison, as it does for DefaultChunks' four.
func longAnswer() openaitest.Option {
	parts := make([]string, 60)
	for i := range parts {
		parts[i] = "word "
	}
	return openaitest.WithChunks(parts...)
}

func BenchmarkChatCompletionLongStreamRaw(b *testing.B) {
	c := rawClient(openaitest.New(b, longAnswer()))
	benchChat(b, func(ctx context.Context, r openai.ChatCompletionRequest) error {
		s, err := c.CreateChatCompletionStream(ctx, r)
		if err != nil {
			return err
		}
		return drainStream(s)
	})
}

func BenchmarkChatCompletionLongStreamWrapped(b *testing.B) {
	c := openaimeter.Wrap(rawClient(openaitest.New(b, longAnswer())), noop)
	benchChat(b, func(ctx context.Context, r openai.ChatCompletionRequest) error {
		s, err := c.CreateChatCompletionStream(ctx, r)
		if err != nil {
			return err
		}
		return drainStream(s)
	})
}

// BenchmarkChatCompletionLongStreamRawWithUsage is the raw client asking for
// usage itself, on the long answer: Wrapped minus this is the decorator's
// own cost; this minus LongStreamRaw is what include_usage costs on the wire.
func BenchmarkChatCompletionLongStreamRawWithUsage(b *testing.B) {
	c := rawClient(openaitest.New(b, longAnswer()))
	benchChat(b, func(ctx context.Context, r openai.ChatCompletionRequest) error {
		r.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
		s, err := c.CreateChatCompletionStream(ctx, r)
		if err != nil {
			return err
		}
		return drainStream(s)
	})
}
