package openaimeter_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/sashabaranov/go-openai"

	"github.com/drip-sdk/drip-go/driptest/openaitest"
	"github.com/drip-sdk/drip-go/internal/memhttp"
	"github.com/drip-sdk/drip-go/providers"
	"github.com/drip-sdk/drip-go/providers/openaimeter"
)

// meteredRaw is an unwrapped go-openai client whose HTTP client meters.
func meteredRaw(t *testing.T, stub *openaitest.Server, opts ...openaimeter.Option) (*openai.Client, *capture) {
	t.Helper()
	rep := &capture{}
	cfg := openai.DefaultConfig("test-key")
	cfg.BaseURL = stub.BaseURL()
	cfg.HTTPClient = openaimeter.NewHTTPClient(nil, rep, append([]openaimeter.Option{openaimeter.WithClock(tick())}, opts...)...)
	return openai.NewClientWithConfig(cfg), rep
}

func TestTransportChat(t *testing.T) {
	stub := openaitest.New(t, openaitest.WithToolCalls("lookup"))
	c, rep := meteredRaw(t, stub)
	ctx := context.WithValue(context.Background(), ctxKey{}, "caller")
	if _, err := c.CreateChatCompletion(ctx, chatRequest("gpt-4o-mini")); err != nil {
		t.Fatal(err)
	}
	u := rep.One(t)
	wantTokens(t, u)
	if u.Operation != providers.OpChat || u.RequestModel != "gpt-4o-mini" || u.Model != "gpt-4o-mini"+openaitest.DefaultModelSuffix ||
		u.ToolCalls != 1 || u.ToolNames[0] != "lookup" || u.ResponseID == "" || u.Streamed {
		t.Fatalf("usage = %+v", u)
	}
	// The reply is read after the call, on the reporter's side; the call's
	// time is still the caller's: one tick of the test clock.
	if u.Provider != openaimeter.ProviderOpenAI || u.Start.IsZero() || u.Duration != time.Millisecond {
		t.Fatalf("provider %q, start %v, duration %v; want openai, the clock's time, 1ms", u.Provider, u.Start, u.Duration)
	}
	if rep.Ctx(0).Value(ctxKey{}) != "caller" {
		t.Fatal("Report did not get the request's ctx")
	}
}

// rawAndMetered drains the same chat stream read unmetered and through c.
func rawAndMetered(t *testing.T, stub *openaitest.Server, c *openai.Client) (raw, metered []openai.ChatCompletionStreamResponse) {
	t.Helper()
	drain := func(client *openai.Client) []openai.ChatCompletionStreamResponse {
		s, err := client.CreateChatCompletionStream(context.Background(), chatRequest("gpt-4o-mini"))
		if err != nil {
			t.Fatal(err)
		}
		return drainRaw(t, s)
	}
	return drain(rawClient(stub)), drain(c) // in this order: the stub's last body is the metered one
}

func TestTransportStream(t *testing.T) {
	ctx := context.Background()
	t.Run("usage injected, usage chunk hidden", func(t *testing.T) {
		stub := openaitest.New(t)
		c, rep := meteredRaw(t, stub)
		want, got := rawAndMetered(t, stub, c)
		if !strings.Contains(string(stub.LastBody("/chat/completions")), `"include_usage":true`) {
			t.Fatal("usage not requested")
		}
		sameChunks(t, want, got)
		u := rep.One(t)
		wantTokens(t, u)
		if !u.Streamed || u.Operation != providers.OpChat || u.RequestModel != "gpt-4o-mini" || u.Duration != time.Millisecond {
			t.Fatalf("streamed %v, operation %q, request model %q, duration %v", u.Streamed, u.Operation, u.RequestModel, u.Duration)
		}
	})
	t.Run("chunks longer than the meter's read buffer", func(t *testing.T) {
		long := strings.Repeat("0123456789", 300) // a 3,000-byte delta
		stub := openaitest.New(t, openaitest.WithChunks("a", long, "b", long))
		c, rep := meteredRaw(t, stub)
		want, got := rawAndMetered(t, stub, c)
		sameChunks(t, want, got)
		text := ""
		for _, ch := range got {
			for _, c := range ch.Choices {
				text += c.Delta.Content
			}
		}
		if text != "a"+long+"b"+long {
			t.Fatalf("the caller read %d bytes of text, want %d", len(text), 2+2*len(long))
		}
		wantTokens(t, rep.One(t))
	})
	t.Run("caller asked for usage: chunk passes", func(t *testing.T) {
		stub := openaitest.New(t)
		c, rep := meteredRaw(t, stub)
		req := chatRequest("gpt-4o-mini")
		req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
		s, err := c.CreateChatCompletionStream(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		got := drainRaw(t, s)
		if got[len(got)-1].Usage == nil {
			t.Fatal("the caller's usage chunk was removed")
		}
		wantTokens(t, rep.One(t))
	})
	t.Run("without injection: estimated", func(t *testing.T) {
		stub := openaitest.New(t)
		c, rep := meteredRaw(t, stub, openaimeter.WithoutStreamUsageInjection())
		s, err := c.CreateChatCompletionStream(ctx, chatRequest("gpt-4o-mini"))
		if err != nil {
			t.Fatal(err)
		}
		drainRaw(t, s)
		if strings.Contains(string(stub.LastBody("/chat/completions")), "include_usage") {
			t.Fatal("usage requested despite the option")
		}
		u := rep.One(t)
		// "Say hello, please" 17 chars → 5; "Hello, world!" 13 chars → 4.
		if !u.Estimated || u.InputTokens != 5 || u.OutputTokens != 4 || u.Err != nil {
			t.Fatalf("usage = %+v", u)
		}
	})
	t.Run("cut midway", func(t *testing.T) {
		stub := openaitest.New(t)
		c, rep := meteredRaw(t, stub)
		s, err := c.CreateChatCompletionStream(ctx, chatRequest("cut-3"))
		if err != nil {
			t.Fatal(err)
		}
		var recvErr error
		for recvErr == nil {
			_, recvErr = s.Recv()
		}
		s.Close()
		if u := rep.One(t); !u.Estimated || u.Err == nil || u.InputTokens != 5 {
			t.Fatalf("usage = %+v", u)
		}
	})
	t.Run("closed early", func(t *testing.T) {
		// The stub sends its chunks apart, so the usage chunk has not
		// arrived when the caller closes after the first.
		stub := openaitest.New(t, openaitest.WithChunkDelay(50*time.Millisecond))
		c, rep := meteredRaw(t, stub)
		s, err := c.CreateChatCompletionStream(ctx, chatRequest("gpt-4o"))
		if err != nil {
			t.Fatal(err)
		}
		s.Recv()
		s.Close()
		if u := rep.One(t); !u.Estimated || u.Err != nil {
			t.Fatalf("usage = %+v", u)
		}
	})
	t.Run("responses stream", func(t *testing.T) {
		stub := openaitest.New(t)
		c, rep := meteredRaw(t, stub)
		s, err := c.CreateResponseStream(ctx, openai.CreateResponseRequest{Model: "gpt-4.1", Input: "hi"})
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := s.Recv(); err != nil {
				break
			}
		}
		s.Close()
		u := rep.One(t)
		wantTokens(t, u)
		if u.Operation != providers.OpResponses || u.Model != "gpt-4.1"+openaitest.DefaultModelSuffix {
			t.Fatalf("usage = %+v", u)
		}
	})
}

func TestTransportOtherEndpoints(t *testing.T) {
	stub := openaitest.New(t)
	c, rep := meteredRaw(t, stub)
	ctx := context.Background()

	if _, err := c.CreateEmbeddings(ctx, openai.EmbeddingRequest{Input: []string{"a"}, Model: openai.SmallEmbedding3}); err != nil {
		t.Fatal(err)
	}
	if u := rep.One(t); u.Operation != providers.OpEmbeddings || u.InputTokens != 11 || u.Images != 0 {
		t.Fatalf("embeddings usage = %+v", u)
	}
	rep.Reset()
	if _, err := c.CreateImage(ctx, openai.ImageRequest{Model: "gpt-image-1", Prompt: "x", N: 3}); err != nil {
		t.Fatal(err)
	}
	if u := rep.One(t); u.Operation != providers.OpImage || u.Images != 3 || u.InputTokens != 11 {
		t.Fatalf("image usage = %+v", u)
	}
	rep.Reset()
	if _, err := c.CreateResponse(ctx, openai.CreateResponseRequest{Model: "o4-mini", Input: "x"}); err != nil {
		t.Fatal(err)
	}
	wantTokens(t, rep.One(t))
	rep.Reset()
	// Endpoints without usage pass through unmetered.
	if _, err := c.RetrieveResponse(ctx, "resp_1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateThreadAndRun(ctx, openai.CreateThreadAndRunRequest{RunRequest: openai.RunRequest{AssistantID: "a"}}); err != nil {
		t.Fatal(err)
	}
	if rep.Len() != 0 {
		t.Fatalf("unmetered endpoints reported %d", rep.Len())
	}
}

func TestTransportAPIError(t *testing.T) {
	stub := openaitest.New(t)
	c, rep := meteredRaw(t, stub)
	ctx := context.Background()
	_, rawErr := rawClient(stub).CreateChatCompletion(ctx, chatRequest("error-429"))
	_, err := c.CreateChatCompletion(ctx, chatRequest("error-429"))
	if err == nil || err.Error() != rawErr.Error() {
		t.Fatalf("err = %v, want %v", err, rawErr)
	}
	u := rep.One(t)
	var apiErr *openai.APIError
	if !errors.As(u.Err, &apiErr) || u.HTTPStatus != 429 || u.ErrorType != "requests" ||
		u.ErrorCode != "rate_limit_exceeded" || u.Total() != 0 {
		t.Fatalf("usage = %+v", u)
	}
}

// TestCountedOnce puts the decorator over a client whose HTTP client also
// meters: each call must be reported once, by the decorator.
func TestCountedOnce(t *testing.T) {
	stub := openaitest.New(t)
	raw, httpRep := meteredRaw(t, stub)
	decRep := &capture{}
	c := openaimeter.Wrap(raw, decRep)
	ctx := context.Background()

	if _, err := c.CreateChatCompletion(ctx, chatRequest("gpt-4o")); err != nil {
		t.Fatal(err)
	}
	s, err := c.CreateChatCompletionStream(ctx, chatRequest("gpt-4o"))
	if err != nil {
		t.Fatal(err)
	}
	drain(t, s)
	if _, err := c.CreateEmbeddings(ctx, openai.EmbeddingRequest{Input: "a", Model: openai.SmallEmbedding3}); err != nil {
		t.Fatal(err)
	}
	if decRep.Len() != 3 || httpRep.Len() != 0 {
		t.Fatalf("decorator reported %d, HTTP meter %d; want 3 and 0", decRep.Len(), httpRep.Len())
	}
	// The same client's HTTP meter still meters calls made around the
	// decorator.
	if _, err := raw.CreateChatCompletion(ctx, chatRequest("gpt-4o")); err != nil {
		t.Fatal(err)
	}
	if httpRep.Len() != 1 {
		t.Fatalf("HTTP meter reported %d unwrapped calls, want 1", httpRep.Len())
	}
	// A ctx already marked by another adapter is skipped.
	if _, err := raw.CreateChatCompletion(providers.MarkMetered(ctx), chatRequest("gpt-4o")); err != nil {
		t.Fatal(err)
	}
	if httpRep.Len() != 1 {
		t.Fatal("HTTP meter counted a marked call")
	}
}

// TestTransportBytesUnchanged checks the bytes a caller reads through the
// meter against the bytes the server sent.
func TestTransportBytesUnchanged(t *testing.T) {
	const jsonBody = `{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}` + "\n"
	chunk := func(s string) string { return "data: " + s + "\n\n" }
	content := chunk(`{"id":"c","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}`)
	usage := chunk(`{"id":"c","object":"chat.completion.chunk","model":"gpt-4o","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}`)
	done := "data: [DONE]\n\n"
	// A line longer than bufio's 4 KiB buffer.
	long := chunk(`{"id":"c","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{"content":"` + strings.Repeat("x", 9000) + `"},"finish_reason":null}]}`)

	var sse string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.RawQuery, "stream") {
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, sse)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, jsonBody)
	}))
	defer srv.Close()

	post := func(t *testing.T, rt http.RoundTripper, query, body string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions?"+query, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		// Small reads exercise line reassembly across Read calls.
		p := make([]byte, 7)
		for {
			n, err := resp.Body.Read(p)
			buf.Write(p[:n])
			if err == io.EOF {
				return buf.String()
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name, query, reqBody, served, want string
	}{
		{"json", "", `{"model":"gpt-4o"}`, "", jsonBody},
		{"stream, caller asked for usage", "stream", `{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true}}`,
			content + long + usage + done, content + long + usage + done},
		{"stream, meter asked for usage", "stream", `{"model":"gpt-4o","stream":true}`,
			content + long + usage + done, content + long + done},
		{"stream with event lines", "stream", `{"model":"gpt-4o","stream":true}`,
			": keep-alive\n\n" + content + done, ": keep-alive\n\n" + content + done},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sse = tt.served
			rep := &capture{}
			got := post(t, openaimeter.NewTransport(nil, rep), tt.query, tt.reqBody)
			if got != tt.want {
				t.Fatalf("caller read\n%q\nwant\n%q", got, tt.want)
			}
			u := rep.One(t)
			if tt.name != "stream with event lines" && (u.InputTokens != 11 || u.OutputTokens != 7 || u.Estimated) {
				t.Fatalf("usage = %+v", u)
			}
		})
	}
}

func TestTransportLargeBodyKeepsUsage(t *testing.T) {
	big := strings.Repeat(`{"object":"embedding","index":0,"embedding":[0.1,0.2,0.3]},`, 40000) // ~2.4 MB
	body := `{"object":"list","data":[` + big + `{"object":"embedding","index":1,"embedding":[0.1]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":11,"total_tokens":11}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}))
	defer srv.Close()
	rep := &capture{}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/embeddings", strings.NewReader(`{"model":"text-embedding-3-small","input":"a"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := openaimeter.NewTransport(nil, rep).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != body {
		t.Fatal("body changed")
	}
	if u := rep.One(t); u.InputTokens != 11 || u.Model != "text-embedding-3-small" || u.Estimated {
		t.Fatalf("usage = %+v", u)
	}
}

// The stream meter hands on exactly the bytes the server would have sent
// had the caller not been metered, however the caller reads: whole lines,
// lines split across reads, reads shorter than a line.
func TestTransportStreamBytesUnchanged(t *testing.T) {
	stub := openaitest.New(t, openaitest.WithToolCalls("lookup"))
	const body = `{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	post := func(c *http.Client) *http.Response {
		t.Helper()
		resp, err := c.Post(stub.BaseURL()+"/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	// The stub numbers its replies; the rest of the bytes must match.
	id := regexp.MustCompile(`chatcmpl-stub-[0-9]+`)
	resp := post(http.DefaultClient)
	want, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want = id.ReplaceAll(want, []byte("ID"))
	if !bytes.Contains(want, []byte("[DONE]")) || bytes.Contains(want, []byte(`"usage"`)) {
		t.Fatalf("unexpected raw stream:\n%s", want)
	}
	for _, size := range []int{1, 7, 100, 333, 4096} {
		rep := &capture{}
		resp := post(openaimeter.NewHTTPClient(nil, rep))
		got := readBody(t, resp.Body, size)
		if !bytes.Equal(id.ReplaceAll(got, []byte("ID")), want) {
			t.Errorf("reads of %d bytes: the caller read\n%s\nwant\n%s", size, got, want)
		}
		u := rep.One(t)
		if u.Estimated || u.InputTokens != int64(openaitest.DefaultUsage.Prompt) || u.ToolCalls != 1 || u.ToolNames[0] != "lookup" {
			t.Errorf("reads of %d bytes: usage %+v", size, u)
		}
	}
}

// A stream's body never answers a Read with nothing and no error, however
// the server's body ends: io.Reader discourages it, and a reader that gives
// up after a few empty reads would lose the stream. The usage chunk the
// meter asked for is hidden, so the last data the server sends is data the
// caller never reads.
func TestTransportStreamReadsNeverEmpty(t *testing.T) {
	chunk := func(s string) string { return "data: " + s + "\n\n" }
	served := chunk(`{"id":"c","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}],"usage":null}`) +
		chunk(`{"id":"c","object":"chat.completion.chunk","model":"gpt-4o","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}`)
	want := chunk(`{"id":"c","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}`)
	ends := map[string]func(io.Reader) io.Reader{
		"EOF after the data": func(r io.Reader) io.Reader { return r },
		"EOF with the data":  iotest.DataErrReader,
		"a byte at a time":   iotest.OneByteReader,
	}
	for name, end := range ends {
		t.Run(name, func(t *testing.T) {
			base := roundTripper(func(req *http.Request) (*http.Response, error) {
				resp := memhttp.Reply(req, "text/event-stream", nil)
				resp.Body = io.NopCloser(end(strings.NewReader(served)))
				return resp, nil
			})
			rep := &capture{}
			req, _ := http.NewRequest(http.MethodPost, "http://openai.invalid/v1/chat/completions", strings.NewReader(`{"model":"gpt-4o","stream":true}`))
			req.Header.Set("Content-Type", "application/json")
			resp, err := openaimeter.NewTransport(base, rep).RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			if got := readBody(t, resp.Body, 4096); string(got) != want {
				t.Fatalf("caller read\n%q\nwant\n%q", got, want)
			}
			if u := rep.One(t); u.InputTokens != 11 || u.OutputTokens != 7 {
				t.Fatalf("usage = %+v", u)
			}
		})
	}
}

// readBody reads body to its end, size bytes at most a Read, as a caller
// with a buffer of that size does, and closes it. A Read that returns
// nothing without an error fails the test.
func readBody(t *testing.T, body io.ReadCloser, size int) []byte {
	t.Helper()
	defer body.Close()
	var got bytes.Buffer
	buf := make([]byte, size)
	for {
		n, err := body.Read(buf)
		got.Write(buf[:n])
		switch {
		case err == io.EOF:
			return got.Bytes()
		case err != nil:
			t.Fatal(err)
		case n == 0:
			t.Fatalf("reads of %d bytes: a Read returned nothing and no error", size)
		}
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
