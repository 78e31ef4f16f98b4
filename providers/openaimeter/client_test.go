package openaimeter_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sashabaranov/go-openai"

	"github.com/drip-sdk/drip-go/driptest/openaitest"
	"github.com/drip-sdk/drip-go/providers"
	"github.com/drip-sdk/drip-go/providers/openaimeter"
)

func TestCreateChatCompletion(t *testing.T) {
	stub := openaitest.New(t)
	c, rep := wrapped(t, stub)
	ctx := context.WithValue(context.Background(), ctxKey{}, "caller")

	resp, err := c.CreateChatCompletion(ctx, chatRequest("gpt-4o-mini"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].Message.Content != stub.Text() {
		t.Fatalf("content = %q", resp.Choices[0].Message.Content)
	}
	u := rep.One(t)
	wantTokens(t, u)
	if u.Provider != "openai" || u.Operation != providers.OpChat || u.RequestModel != "gpt-4o-mini" ||
		u.Model != "gpt-4o-mini"+openaitest.DefaultModelSuffix || u.ResponseID != resp.ID || u.Streamed {
		t.Fatalf("usage = %+v", u)
	}
	if u.Duration != time.Millisecond {
		t.Fatalf("duration = %v, want 1ms from the test clock", u.Duration)
	}
	if rep.Ctx(0).Value(ctxKey{}) != "caller" {
		t.Fatal("Report did not get the caller's ctx")
	}
}

func TestToolCallsAreNamedNeverArgued(t *testing.T) {
	stub := openaitest.New(t, openaitest.WithToolCalls("get_weather", "search"))
	c, rep := wrapped(t, stub)
	ctx := context.Background()

	if _, err := c.CreateChatCompletion(ctx, chatRequest("gpt-4o")); err != nil {
		t.Fatal(err)
	}
	s, err := c.CreateChatCompletionStream(ctx, chatRequest("gpt-4o"))
	if err != nil {
		t.Fatal(err)
	}
	drain(t, s)
	if _, err := c.CreateResponse(ctx, openai.CreateResponseRequest{Model: "gpt-4o", Input: "hi"}); err != nil {
		t.Fatal(err)
	}
	rs, err := c.CreateResponseStream(ctx, openai.CreateResponseRequest{Model: "gpt-4o", Input: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	drainEvents(rs)

	got := rep.All()
	if len(got) != 4 {
		t.Fatalf("reported %d, want 4", len(got))
	}
	for i, u := range got {
		if u.ToolCalls != 2 || strings.Join(u.ToolNames, ",") != "get_weather,search" {
			t.Errorf("call %d: tool calls %d %v", i, u.ToolCalls, u.ToolNames)
		}
		if s := fmt.Sprintf("%+v", u); strings.Contains(s, `"q"`) || strings.Contains(s, "Say hello") {
			t.Errorf("call %d: usage carries arguments or prompt: %s", i, s)
		}
		wantTokens(t, u)
	}
}

func drain(t *testing.T, s *openaimeter.ChatCompletionStream) []openai.ChatCompletionStreamResponse {
	t.Helper()
	defer s.Close()
	var out []openai.ChatCompletionStreamResponse
	for {
		ch, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("Recv: %v", err)
		}
		out = append(out, ch)
	}
}

func drainRaw(t *testing.T, s *openai.ChatCompletionStream) []openai.ChatCompletionStreamResponse {
	t.Helper()
	defer s.Close()
	var out []openai.ChatCompletionStreamResponse
	for {
		ch, err := s.Recv()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("Recv: %v", err)
		}
		out = append(out, ch)
	}
}

// sameChunks compares streams from two calls; only the per-call id differs.
func sameChunks(t *testing.T, want, got []openai.ChatCompletionStreamResponse) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("wrapped stream has %d chunks, unwrapped %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		w.ID, g.ID = "", ""
		if !reflect.DeepEqual(w, g) {
			t.Fatalf("chunk %d differs:\nunwrapped %+v\nwrapped   %+v", i, w, g)
		}
	}
}

func TestChatCompletionStream(t *testing.T) {
	for _, callerUsage := range []bool{false, true} {
		t.Run(fmt.Sprintf("caller include_usage=%v", callerUsage), func(t *testing.T) {
			stub := openaitest.New(t)
			c, rep := wrapped(t, stub)
			ctx := context.Background()
			req := chatRequest("gpt-4o-mini")
			if callerUsage {
				req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
			}

			rawStream, err := rawClient(stub).CreateChatCompletionStream(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			want := drainRaw(t, rawStream)

			s, err := c.CreateChatCompletionStream(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(stub.LastBody("/chat/completions")), `"include_usage":true`) {
				t.Fatalf("request did not ask for usage: %s", stub.LastBody("/chat/completions"))
			}
			if callerUsage != (req.StreamOptions != nil) {
				t.Fatal("the caller's request was modified")
			}
			got := drain(t, s)
			sameChunks(t, want, got)
			sawUsage := false
			for _, ch := range got {
				if ch.Usage != nil {
					sawUsage = true
				}
			}
			if sawUsage != callerUsage {
				t.Fatalf("caller saw a usage chunk = %v, asked for it = %v", sawUsage, callerUsage)
			}
			if s.GetRateLimitHeaders().LimitRequests != 10000 || s.Header().Get("x-request-id") != "req_stub" {
				t.Fatal("stream headers not passed through")
			}
			u := rep.One(t)
			wantTokens(t, u)
			if !u.Streamed || u.Model != "gpt-4o-mini"+openaitest.DefaultModelSuffix || u.Operation != providers.OpChat {
				t.Fatalf("usage = %+v", u)
			}
			// Recv after EOF and a second Close report nothing more.
			if _, err := s.Recv(); !errors.Is(err, io.EOF) {
				t.Fatalf("Recv after EOF = %v", err)
			}
			s.Close()
			if rep.Len() != 1 {
				t.Fatalf("reported %d times", rep.Len())
			}
		})
	}
}

func TestChatCompletionStreamRecvRaw(t *testing.T) {
	stub := openaitest.New(t)
	c, rep := wrapped(t, stub)
	ctx := context.Background()
	s, err := c.CreateChatCompletionStream(ctx, chatRequest("gpt-4o-mini"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var lines []string
	for {
		line, err := s.RecvRaw()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(line))
	}
	if len(lines) != len(openaitest.DefaultChunks)+2 {
		t.Fatalf("got %d raw chunks, want %d (no usage-only chunk): %q", len(lines), len(openaitest.DefaultChunks)+2, lines)
	}
	for _, l := range lines {
		if strings.Contains(l, `"choices":[]`) {
			t.Fatalf("usage-only chunk leaked: %s", l)
		}
	}
	wantTokens(t, rep.One(t))
}

func TestStreamClosedEarlyIsEstimated(t *testing.T) {
	stub := openaitest.New(t)
	c, rep := wrapped(t, stub)
	s, err := c.CreateChatCompletionStream(context.Background(), chatRequest("gpt-4o-mini"))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // role chunk, then "Hello"
		if _, err := s.Recv(); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s.Close()
	u := rep.One(t)
	// "Say hello, please" is 17 chars → 5 tokens; "Hello" is 5 chars → 2.
	if !u.Estimated || u.InputTokens != 5 || u.OutputTokens != 2 || u.TotalTokens != 7 || u.Err != nil {
		t.Fatalf("usage = %+v", u)
	}
	if u.Model != "gpt-4o-mini"+openaitest.DefaultModelSuffix {
		t.Fatalf("model = %q", u.Model)
	}
}

func TestStreamBrokenMidway(t *testing.T) {
	for _, tc := range []struct {
		model    string
		wantType string
	}{
		{"cut-3", ""},                    // connection dropped after 3 chunks
		{"stream-error", "server_error"}, // data: {"error":…} after 2 chunks
	} {
		t.Run(tc.model, func(t *testing.T) {
			stub := openaitest.New(t)
			c, rep := wrapped(t, stub)
			s, err := c.CreateChatCompletionStream(context.Background(), chatRequest(tc.model))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var recvErr error
			for recvErr == nil {
				_, recvErr = s.Recv()
			}
			if errors.Is(recvErr, io.EOF) {
				t.Fatal("stream ended cleanly")
			}
			u := rep.One(t)
			if !u.Estimated || u.Err == nil || u.InputTokens != 5 || u.ErrorType != tc.wantType {
				t.Fatalf("usage = %+v", u)
			}
			if !errors.Is(u.Err, recvErr) && u.Err != recvErr {
				t.Fatalf("usage error %v, caller got %v", u.Err, recvErr)
			}
		})
	}
}

func TestAPIErrorIsReturnedUnchanged(t *testing.T) {
	stub := openaitest.New(t)
	c, rep := wrapped(t, stub)
	ctx := context.Background()

	_, rawErr := rawClient(stub).CreateChatCompletion(ctx, chatRequest("error-429"))
	_, err := c.CreateChatCompletion(ctx, chatRequest("error-429"))
	if err == nil || err.Error() != rawErr.Error() {
		t.Fatalf("err = %v, unwrapped client got %v", err, rawErr)
	}
	var apiErr *openai.APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 429 {
		t.Fatalf("err = %#v", err)
	}
	u := rep.One(t)
	if u.Err != err || u.HTTPStatus != 429 || u.ErrorType != "requests" || u.ErrorCode != "rate_limit_exceeded" ||
		u.InputTokens != 0 || u.OutputTokens != 0 || u.Total() != 0 || u.RequestModel != "error-429" {
		t.Fatalf("usage = %+v", u)
	}

	t.Run("non-JSON error", func(t *testing.T) {
		rep.Reset()
		_, err := c.CreateChatCompletion(ctx, chatRequest("error-html-502"))
		var reqErr *openai.RequestError
		if !errors.As(err, &reqErr) {
			t.Fatalf("err = %#v", err)
		}
		if u := rep.One(t); u.HTTPStatus != 502 || u.ErrorType != "request_error" {
			t.Fatalf("usage = %+v", u)
		}
	})
	t.Run("stream", func(t *testing.T) {
		rep.Reset()
		s, err := c.CreateChatCompletionStream(ctx, chatRequest("error-500"))
		if s != nil || !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 500 {
			t.Fatalf("stream %v err %v", s, err)
		}
		if u := rep.One(t); u.HTTPStatus != 500 || u.ErrorType != "server_error" || !u.Streamed {
			t.Fatalf("usage = %+v", u)
		}
	})
	t.Run("canceled ctx", func(t *testing.T) {
		rep.Reset()
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := c.CreateChatCompletion(cctx, chatRequest("gpt-4o"))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		if u := rep.One(t); u.ErrorType != "canceled" || u.Err != err {
			t.Fatalf("usage = %+v", u)
		}
	})
}

func TestConcurrentCalls(t *testing.T) {
	stub := openaitest.New(t)
	c, rep := wrapped(t, stub)
	ctx := context.Background()
	const workers, calls = 8, 5
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				if (w+i)%2 == 0 {
					if _, err := c.CreateChatCompletion(ctx, chatRequest("gpt-4o-mini")); err != nil {
						t.Error(err)
					}
					continue
				}
				s, err := c.CreateChatCompletionStream(ctx, chatRequest("gpt-4o-mini"))
				if err != nil {
					t.Error(err)
					continue
				}
				for {
					if _, err := s.Recv(); err != nil {
						break
					}
				}
				s.Close()
			}
		}()
	}
	wg.Wait()
	got := rep.All()
	if len(got) != workers*calls {
		t.Fatalf("reported %d, want %d", len(got), workers*calls)
	}
	for _, u := range got {
		wantTokens(t, u)
	}
}

func TestCompletion(t *testing.T) {
	stub := openaitest.New(t)
	c, rep := wrapped(t, stub)
	ctx := context.Background()
	req := openai.CompletionRequest{Model: "gpt-3.5-turbo-instruct", Prompt: "Say hello"}
	if _, err := c.CreateCompletion(ctx, req); err != nil {
		t.Fatal(err)
	}
	u := rep.One(t)
	if u.Operation != providers.OpTextCompletion || u.InputTokens != 11 || u.OutputTokens != 7 || u.Estimated {
		t.Fatalf("usage = %+v", u)
	}

	rep.Reset()
	s, err := c.CreateCompletionStream(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for {
		ch, err := s.Recv()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		if len(ch.Choices) == 0 {
			t.Fatal("usage-only chunk leaked")
		}
		text.WriteString(ch.Choices[0].Text)
	}
	s.Close()
	if text.String() != stub.Text() {
		t.Fatalf("text = %q", text.String())
	}
	if u := rep.One(t); u.InputTokens != 11 || u.OutputTokens != 7 || !u.Streamed || u.Estimated {
		t.Fatalf("usage = %+v", u)
	}
}

func TestEmbeddings(t *testing.T) {
	for _, format := range []openai.EmbeddingEncodingFormat{"", openai.EmbeddingEncodingFormatBase64} {
		t.Run("format="+string(format), func(t *testing.T) {
			stub := openaitest.New(t)
			c, rep := wrapped(t, stub)
			resp, err := c.CreateEmbeddings(context.Background(), openai.EmbeddingRequestStrings{
				Input: []string{"a", "b"}, Model: openai.SmallEmbedding3, EncodingFormat: format,
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Data) != 2 {
				t.Fatalf("%d embeddings", len(resp.Data))
			}
			u := rep.One(t)
			if u.Operation != providers.OpEmbeddings || u.InputTokens != 11 || u.OutputTokens != 0 ||
				u.TotalTokens != 11 || u.RequestModel != "text-embedding-3-small" {
				t.Fatalf("usage = %+v", u)
			}
		})
	}
}

func TestImages(t *testing.T) {
	stub := openaitest.New(t)
	c, rep := wrapped(t, stub)
	ctx := context.Background()
	if _, err := c.CreateImage(ctx, openai.ImageRequest{Model: "gpt-image-1", Prompt: "a cat", N: 2}); err != nil {
		t.Fatal(err)
	}
	u := rep.One(t)
	if u.Operation != providers.OpImage || u.Images != 2 || u.InputTokens != 11 || u.OutputTokens != 7 ||
		u.Model != "gpt-image-1" {
		t.Fatalf("usage = %+v", u)
	}

	rep.Reset()
	img := openai.WrapReader(strings.NewReader("png"), "cat.png", "image/png")
	if _, err := c.CreateEditImage(ctx, openai.ImageEditRequest{Image: img, Model: "gpt-image-1", Prompt: "hat", N: 1}); err != nil {
		t.Fatal(err)
	}
	if u := rep.One(t); u.Images != 1 || u.InputTokens != 11 {
		t.Fatalf("usage = %+v", u)
	}
}

func TestResponses(t *testing.T) {
	stub := openaitest.New(t)
	c, rep := wrapped(t, stub)
	ctx := context.Background()
	req := openai.CreateResponseRequest{Model: "gpt-4.1", Input: "Say hello"}

	t.Run("create", func(t *testing.T) {
		rep.Reset()
		resp, err := c.CreateResponse(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		u := rep.One(t)
		wantTokens(t, u)
		if u.Operation != providers.OpResponses || u.ResponseID != resp.ID || u.Model != "gpt-4.1"+openaitest.DefaultModelSuffix {
			t.Fatalf("usage = %+v", u)
		}
		// Retrieving a response that was billed at creation bills nothing.
		if _, err := c.RetrieveResponse(ctx, resp.ID); err != nil {
			t.Fatal(err)
		}
		if rep.Len() != 1 {
			t.Fatal("RetrieveResponse billed a response twice")
		}
	})

	t.Run("stream", func(t *testing.T) {
		rep.Reset()
		raw, err := rawClient(stub).CreateResponseStream(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for {
			ev, err := raw.Recv()
			if err != nil {
				break
			}
			want = append(want, string(ev.Type))
		}
		raw.Close()
		s, err := c.CreateResponseStream(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for {
			ev, err := s.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, string(ev.Type))
		}
		s.Close()
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("events differ:\n%v\n%v", want, got)
		}
		u := rep.One(t)
		wantTokens(t, u)
		if !u.Streamed {
			t.Fatal("not marked streamed")
		}
	})

	t.Run("background is billed once, when finished", func(t *testing.T) {
		rep.Reset()
		bg := req
		bg.Background = true
		resp, err := c.CreateResponse(ctx, bg)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Len() != 0 || c.Pending().Len() != 1 {
			t.Fatalf("queued response reported %d, pending %d", rep.Len(), c.Pending().Len())
		}
		for range 3 {
			if _, err := c.GetResponse(ctx, resp.ID); err != nil {
				t.Fatal(err)
			}
		}
		wantTokens(t, rep.One(t))
		// A response this client did not create is never billed.
		if _, err := c.RetrieveResponse(ctx, "resp_elsewhere"); err != nil {
			t.Fatal(err)
		}
		if rep.Len() != 1 {
			t.Fatal("a foreign response was billed")
		}
	})
}

func TestAssistantRunsAreBilledOnce(t *testing.T) {
	stub := openaitest.New(t, openaitest.WithRunPolls(2))
	c, rep := wrapped(t, stub)
	ctx := context.Background()

	run, err := c.CreateThreadAndRun(ctx, openai.CreateThreadAndRunRequest{
		RunRequest: openai.RunRequest{AssistantID: "asst_stub", Model: "gpt-4o"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != openai.RunStatusQueued || rep.Len() != 0 {
		t.Fatalf("status %s, reported %d", run.Status, rep.Len())
	}
	var wg sync.WaitGroup
	for range 6 { // concurrent pollers, as apps do
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				if _, err := c.RetrieveRun(ctx, run.ThreadID, run.ID); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	u := rep.One(t)
	if u.Operation != providers.OpAssistantRun || u.ResponseID != run.ID || u.InputTokens != 11 ||
		u.OutputTokens != 7 || u.Model != "gpt-4o"+openaitest.DefaultModelSuffix {
		t.Fatalf("usage = %+v", u)
	}

	t.Run("cancelled run reports what it used", func(t *testing.T) {
		rep.Reset()
		r, err := c.CreateRun(ctx, "thread_x", openai.RunRequest{AssistantID: "asst_stub"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.CancelRun(ctx, r.ThreadID, r.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := c.RetrieveRun(ctx, r.ThreadID, r.ID); err != nil {
			t.Fatal(err)
		}
		if u := rep.One(t); u.ErrorType != "run_cancelled" || u.InputTokens != 11 || u.Err != nil {
			t.Fatalf("usage = %+v", u)
		}
	})

	t.Run("pending set is bounded", func(t *testing.T) {
		small, rep := wrapped(t, stub, openaimeter.WithDedupeSize(2))
		var runs []openai.Run
		for range 3 {
			r, err := small.CreateRun(ctx, "thread_y", openai.RunRequest{AssistantID: "asst_stub"})
			if err != nil {
				t.Fatal(err)
			}
			runs = append(runs, r)
		}
		if small.Pending().Len() != 2 {
			t.Fatalf("pending = %d", small.Pending().Len())
		}
		for _, r := range runs {
			for range 2 {
				if _, err := small.RetrieveRun(ctx, r.ThreadID, r.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		if rep.Len() != 2 {
			t.Fatalf("reported %d runs, want the 2 remembered", rep.Len())
		}
	})

	t.Run("shared pending across wraps", func(t *testing.T) {
		p := openaimeter.NewPending(0)
		a, repA := wrapped(t, stub, openaimeter.WithPending(p))
		b, repB := wrapped(t, stub, openaimeter.WithPending(p))
		r, err := a.CreateRun(ctx, "thread_z", openai.RunRequest{AssistantID: "asst_stub"})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if _, err := b.RetrieveRun(ctx, r.ThreadID, r.ID); err != nil {
				t.Fatal(err)
			}
		}
		if repA.Len()+repB.Len() != 1 {
			t.Fatalf("reported %d+%d", repA.Len(), repB.Len())
		}
	})
}

func TestNilReporterDiscards(t *testing.T) {
	stub := openaitest.New(t)
	c := openaimeter.Wrap(rawClient(stub), nil)
	if _, err := c.CreateChatCompletion(context.Background(), chatRequest("gpt-4o")); err != nil {
		t.Fatal(err)
	}
	if c.Unwrap() == nil {
		t.Fatal("Unwrap returned nil")
	}
}

// The web searches a Responses output lists are reported by the decorator
// (typed go-openai values) and the HTTP route alike, message and stream.
func TestWebSearchesBothRoutes(t *testing.T) {
	stub := openaitest.New(t, openaitest.WithWebSearches(3))
	c, rep := wrapped(t, stub)
	hrep := &capture{}
	cfg := openai.DefaultConfig("test-key")
	cfg.BaseURL = stub.BaseURL()
	cfg.HTTPClient = openaimeter.NewHTTPClient(nil, hrep)
	h := openai.NewClientWithConfig(cfg)
	ctx := context.Background()
	for _, client := range []interface {
		CreateResponse(context.Context, openai.CreateResponseRequest) (openai.CreateResponseResponse, error)
	}{c, h} {
		if _, err := client.CreateResponse(ctx, openai.CreateResponseRequest{Model: "gpt-4.1", Input: "hi"}); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := c.CreateResponseStream(ctx, openai.CreateResponseRequest{Model: "gpt-4.1", Input: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	drainEvents(rs)
	for i, u := range append(rep.All(), hrep.All()...) {
		if u.WebSearches != 3 {
			t.Errorf("call %d: %d web searches, want 3", i, u.WebSearches)
		}
	}
	if len(rep.All()) != 2 || len(hrep.All()) != 1 {
		t.Fatalf("reported %d and %d", len(rep.All()), len(hrep.All()))
	}
}
