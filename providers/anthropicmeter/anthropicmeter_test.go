package anthropicmeter_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/drip-sdk/drip-go/driptest/anthropictest"
	"github.com/drip-sdk/drip-go/internal/reporttest"
	"github.com/drip-sdk/drip-go/providers"
	"github.com/drip-sdk/drip-go/providers/anthropicmeter"
)

// recorder is what the tests report to (reporttest: a deferred reporter,
// as the tracker's recorder is).
type recorder = reporttest.Recorder

var cacheUsage = anthropictest.Usage{Input: 123, Output: 45, CacheRead: 200, CacheWrite: 50, Thinking: 9}

const prompt = "a prompt that must never leave"

func params(model string) anthropic.MessageNewParams {
	return anthropic.MessageNewParams{
		Model:     anthropic.Model(model),
		MaxTokens: 256,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(prompt))},
	}
}

// route is how the meter is put into the SDK client.
type route string

const (
	viaHTTPClient route = "http-client"
	viaMiddleware route = "middleware"
)

func newClient(t *testing.T, stub *anthropictest.Server, via route, opts ...anthropicmeter.Option) (anthropic.Client, *recorder) {
	t.Helper()
	rec := &recorder{}
	o := []option.RequestOption{option.WithBaseURL(stub.URL()), option.WithAPIKey("sk-ant-test"), option.WithMaxRetries(0)}
	switch via {
	case viaHTTPClient:
		o = append(o, option.WithHTTPClient(anthropicmeter.NewHTTPClient(nil, rec, opts...)))
	case viaMiddleware:
		o = append(o, option.WithMiddleware(anthropicmeter.Middleware(rec, opts...)))
	}
	return anthropic.NewClient(o...), rec
}

// exact says how u differs from the counts the stub sent, nil if in no way.
func exact(u providers.Usage, want anthropictest.Usage, model string) error {
	var diffs []string
	check := func(name string, got, want int64) {
		if got != want {
			diffs = append(diffs, fmt.Sprintf("%s %d, want %d", name, got, want))
		}
	}
	check("input", u.InputTokens, int64(want.Prompt()))
	check("output", u.OutputTokens, int64(want.Output))
	check("cache read", u.CachedInputTokens, int64(want.CacheRead))
	check("cache write", u.CacheCreationInputTokens, int64(want.CacheWrite))
	check("thinking", u.ReasoningTokens, int64(want.Thinking))
	if u.Model != model {
		diffs = append(diffs, fmt.Sprintf("model %q, want %q", u.Model, model))
	}
	if u.Estimated || u.Err != nil || u.Provider != anthropicmeter.ProviderAnthropic || u.Operation != providers.OpChat {
		diffs = append(diffs, fmt.Sprintf("estimated %v, err %v, provider %q, op %q", u.Estimated, u.Err, u.Provider, u.Operation))
	}
	if len(diffs) > 0 {
		return errors.New(strings.Join(diffs, "; "))
	}
	return nil
}

func TestMessagesJSON(t *testing.T) {
	for _, via := range []route{viaHTTPClient, viaMiddleware} {
		t.Run(string(via), func(t *testing.T) {
			stub := anthropictest.New(t, anthropictest.WithUsage(cacheUsage))
			client, rec := newClient(t, stub, via)
			msg, err := client.Messages.New(context.Background(), params("claude-sonnet-4-5"))
			if err != nil {
				t.Fatal(err)
			}
			u := rec.One(t)
			if err := exact(u, cacheUsage, "claude-sonnet-4-5"+anthropictest.DefaultModelSuffix); err != nil {
				t.Fatal(err)
			}
			// The meter and the SDK read the same reply the same way.
			su := msg.Usage
			if u.InputTokens != su.InputTokens+su.CacheReadInputTokens+su.CacheCreationInputTokens ||
				u.OutputTokens != su.OutputTokens || string(msg.Model) != u.Model || msg.ID != u.ResponseID {
				t.Fatalf("meter %+v, SDK %+v", u, msg)
			}
			if u.Streamed || u.Duration <= 0 || u.ToolCalls != 0 || msg.Content[0].Text != stub.Text() {
				t.Fatalf("%+v; text %q", u, msg.Content[0].Text)
			}
		})
	}
}

func TestMessagesStream(t *testing.T) {
	for _, via := range []route{viaHTTPClient, viaMiddleware} {
		t.Run(string(via), func(t *testing.T) {
			stub := anthropictest.New(t, anthropictest.WithUsage(cacheUsage))
			client, rec := newClient(t, stub, via)
			stream := client.Messages.NewStreaming(context.Background(), params("claude-3-5-haiku-latest"))
			var msg anthropic.Message
			var text strings.Builder
			for stream.Next() {
				ev := stream.Current()
				if err := msg.Accumulate(ev); err != nil {
					t.Fatal(err)
				}
				if d, ok := ev.AsAny().(anthropic.ContentBlockDeltaEvent); ok {
					text.WriteString(d.Delta.Text)
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			if len(rec.All()) != 1 {
				t.Fatalf("not reported at message_stop: %d", len(rec.All()))
			}
			stream.Close()
			u := rec.One(t)
			if err := exact(u, cacheUsage, "claude-3-5-haiku"+anthropictest.DefaultModelSuffix); err != nil {
				t.Fatal(err)
			}
			su := msg.Usage
			if u.InputTokens != su.InputTokens+su.CacheReadInputTokens+su.CacheCreationInputTokens || u.OutputTokens != su.OutputTokens {
				t.Fatalf("meter %+v, SDK accumulated %+v", u, su)
			}
			if !u.Streamed || text.String() != stub.Text() {
				t.Fatalf("streamed %v, text %q", u.Streamed, text.String())
			}
		})
	}
}

// message_delta's input and cache counts replace message_start's.
func TestStreamLateUsage(t *testing.T) {
	stub := anthropictest.New(t, anthropictest.WithUsage(cacheUsage))
	client, rec := newClient(t, stub, viaHTTPClient)
	stream := client.Messages.NewStreaming(context.Background(), params("late-usage"))
	for stream.Next() {
	}
	stream.Close()
	if err := exact(rec.One(t), cacheUsage, anthropictest.ReplyModel("late-usage")); err != nil {
		t.Fatal(err)
	}
}

func TestToolUseByNameOnly(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprint("stream=", stream), func(t *testing.T) {
			stub := anthropictest.New(t, anthropictest.WithToolUse("get_weather", "lookup"))
			client, rec := newClient(t, stub, viaHTTPClient)
			if stream {
				s := client.Messages.NewStreaming(context.Background(), params("claude-haiku-4-5"))
				for s.Next() {
				}
				s.Close()
			} else if _, err := client.Messages.New(context.Background(), params("claude-haiku-4-5")); err != nil {
				t.Fatal(err)
			}
			u := rec.One(t)
			if u.ToolCalls != 2 || strings.Join(u.ToolNames, ",") != "get_weather,lookup" {
				t.Fatalf("tools %d %v", u.ToolCalls, u.ToolNames)
			}
			if s := fmt.Sprintf("%+v", u); strings.Contains(s, prompt) {
				t.Fatalf("prompt in usage: %s", s)
			}
		})
	}
}

func TestCountTokensIsNotACall(t *testing.T) {
	stub := anthropictest.New(t, anthropictest.WithUsage(cacheUsage))
	client, rec := newClient(t, stub, viaHTTPClient)
	n, err := client.Messages.CountTokens(context.Background(), anthropic.MessageCountTokensParams{
		Model:    "claude-sonnet-4-5",
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(prompt))},
	})
	if err != nil || n.InputTokens != int64(cacheUsage.Prompt()) {
		t.Fatal(n, err)
	}
	if stub.Requests("/v1/messages/count_tokens") != 1 || len(rec.All()) != 0 {
		t.Fatalf("count_tokens reported: %+v", rec.All())
	}
}

func TestErrorReply(t *testing.T) {
	for _, status := range []int{400, 429, 529} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			stub := anthropictest.New(t)
			client, rec := newClient(t, stub, viaMiddleware)
			model := fmt.Sprintf("error-%d", status)
			_, err := client.Messages.New(context.Background(), params(model))
			var apiErr *anthropic.Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != status {
				t.Fatalf("the caller's error changed: %v", err)
			}
			u := rec.One(t)
			var me *anthropicmeter.Error
			if !errors.As(u.Err, &me) || me.HTTPStatus != status || me.Type != anthropictest.ErrorType(status) ||
				u.HTTPStatus != status || u.ErrorType != me.Type || u.Total() != 0 || u.RequestModel != model {
				t.Fatalf("%+v (%v)", u, u.Err)
			}
			if strings.Contains(u.Err.Error(), "stub:") {
				t.Fatalf("error message text kept: %v", u.Err)
			}
		})
	}
}

func TestStreamErrorEvent(t *testing.T) {
	stub := anthropictest.New(t)
	client, rec := newClient(t, stub, viaHTTPClient)
	stream := client.Messages.NewStreaming(context.Background(), params("stream-error"))
	for stream.Next() {
	}
	if stream.Err() == nil {
		t.Fatal("the SDK saw no error: the stub's error event changed")
	}
	stream.Close()
	u := rec.One(t)
	var me *anthropicmeter.Error
	if !errors.As(u.Err, &me) || me.Type != "overloaded_error" || u.ErrorType != "overloaded_error" || u.Total() != 0 ||
		u.Model != anthropictest.ReplyModel("stream-error") {
		t.Fatalf("%+v", u)
	}
}

func TestStreamCutShort(t *testing.T) {
	stub := anthropictest.New(t, anthropictest.WithUsage(cacheUsage))
	client, rec := newClient(t, stub, viaHTTPClient)
	stream := client.Messages.NewStreaming(context.Background(), params("cut-2"))
	for stream.Next() {
	}
	if stream.Err() == nil {
		t.Fatal("the cut stream ended cleanly")
	}
	stream.Close()
	u := rec.One(t)
	// message_start's input counts stand; output is estimated.
	if u.Err == nil || !u.Estimated || u.InputTokens != int64(cacheUsage.Prompt()) || u.OutputTokens < 1 {
		t.Fatalf("%+v", u)
	}
}

func TestStreamClosedEarly(t *testing.T) {
	// A long stream, so that closing after the first event leaves most unread.
	parts := make([]string, 500)
	for i := range parts {
		parts[i] = strings.Repeat("y", 400)
	}
	stub := anthropictest.New(t, anthropictest.WithUsage(cacheUsage), anthropictest.WithChunks(parts...))
	client, rec := newClient(t, stub, viaHTTPClient)
	stream := client.Messages.NewStreaming(context.Background(), params("claude-sonnet-4"))
	if !stream.Next() {
		t.Fatal(stream.Err())
	}
	stream.Close()
	u := rec.One(t)
	if u.Err != nil || !u.Estimated || u.InputTokens != int64(cacheUsage.Prompt()) {
		t.Fatalf("%+v", u)
	}
}

// A call a meter above already records (its ctx marked) is not reported.
func TestMarkedCallsPassThrough(t *testing.T) {
	stub := anthropictest.New(t)
	client, rec := newClient(t, stub, viaHTTPClient)
	if _, err := client.Messages.New(providers.MarkMetered(context.Background()), params("claude-haiku-4-5")); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.All()); n != 0 || stub.Requests("/v1/messages") != 1 {
		t.Fatalf("%d reported", n)
	}
}

// The middleware passes each call on marked, through a copy of the
// request: the HTTP meter below it (the SDK's HTTP client from
// NewHTTPClient) skips the call, and the request the middleware above it
// holds keeps its ctx.
func TestMiddlewareMarksWhatItPassesOn(t *testing.T) {
	stub := anthropictest.New(t, anthropictest.WithUsage(cacheUsage))
	above, below := &recorder{}, &recorder{}
	outer := func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
		resp, err := next(req)
		if providers.IsMetered(req.Context()) {
			t.Error("the request of the middleware above was marked")
		}
		return resp, err
	}
	client := anthropic.NewClient(option.WithBaseURL(stub.URL()), option.WithAPIKey("sk-ant-test"), option.WithMaxRetries(0),
		option.WithMiddleware(outer, anthropicmeter.Middleware(above)),
		option.WithHTTPClient(anthropicmeter.NewHTTPClient(nil, below)))
	if _, err := client.Messages.New(context.Background(), params("claude-haiku-4-5")); err != nil {
		t.Fatal(err)
	}
	stream := client.Messages.NewStreaming(context.Background(), params("claude-haiku-4-5"))
	for stream.Next() {
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	stream.Close()
	if n := below.Len(); n != 0 {
		t.Fatalf("the HTTP meter below reported %d calls", n)
	}
	all := above.All()
	if len(all) != 2 {
		t.Fatalf("the middleware reported %d calls, want 2", len(all))
	}
	for _, u := range all {
		if err := exact(u, cacheUsage, "claude-haiku-4-5"+anthropictest.DefaultModelSuffix); err != nil {
			t.Error(err)
		}
	}
}

func TestGate(t *testing.T) {
	stub := anthropictest.New(t)
	denied := errors.New("denied")
	client, rec := newClient(t, stub, viaHTTPClient, anthropicmeter.WithGate(func(context.Context) error { return denied }))
	if _, err := client.Messages.New(context.Background(), params("claude-haiku-4-5")); !errors.Is(err, denied) {
		t.Fatalf("err %v", err)
	}
	if stub.Requests("/v1/messages") != 0 || len(rec.All()) != 0 {
		t.Fatal("a denied call was sent or reported")
	}
	// count_tokens is not gated.
	if _, err := client.Messages.CountTokens(context.Background(), anthropic.MessageCountTokensParams{Model: "m",
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("x"))}}); err != nil {
		t.Fatal(err)
	}
}

// The caller reads exactly the bytes the server sent, JSON and stream.
func TestBodiesPassThroughUnchanged(t *testing.T) {
	stub := anthropictest.New(t, anthropictest.WithUsage(cacheUsage), anthropictest.WithToolUse("t"))
	for _, body := range []string{`{"model":"claude-haiku-4-5","max_tokens":5,"messages":[]}`,
		`{"model":"claude-haiku-4-5","max_tokens":5,"messages":[],"stream":true}`} {
		get := func(c *http.Client) []byte {
			resp, err := c.Post(stub.URL()+"/v1/messages", "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		rec := &recorder{}
		raw, metered := get(http.DefaultClient), get(anthropicmeter.NewHTTPClient(nil, rec))
		// Message ids differ per call; nothing else may.
		norm := func(b []byte) string {
			s := string(b)
			i := strings.Index(s, "msg_stub")
			return s[:i] + s[i+len("msg_stub0000"):]
		}
		if norm(raw) != norm(metered) || len(raw) < 100 {
			t.Fatalf("changed:\n%s\n%s", raw, metered)
		}
		if err := exact(rec.One(t), cacheUsage, "claude-haiku-4-5"+anthropictest.DefaultModelSuffix); err != nil {
			t.Fatal(err)
		}
	}
}

// A reply too large to keep whole is still read: usage from its tail.
func TestLargeReply(t *testing.T) {
	big := strings.Repeat("x", 3<<20)
	stub := anthropictest.New(t, anthropictest.WithUsage(cacheUsage), anthropictest.WithChunks(big))
	client, rec := newClient(t, stub, viaHTTPClient)
	msg, err := client.Messages.New(context.Background(), params("claude-opus-4-1"))
	if err != nil || len(msg.Content[0].Text) != len(big) {
		t.Fatal(err)
	}
	if err := exact(rec.One(t), cacheUsage, "claude-opus-4-1"+anthropictest.DefaultModelSuffix); err != nil {
		t.Fatal(err)
	}
}

// The exact-usage check above fails when the reply changes shape in a way
// the meter cannot read (here the usage keys renamed), so the tests above
// guard the meter against such a change of the wire.
func TestShapeChangeIsCaught(t *testing.T) {
	renamed := func(b []byte) []byte {
		return bytes.ReplaceAll(b, []byte(`"input_tokens"`), []byte(`"prompt_tokens"`))
	}
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprint("stream=", stream), func(t *testing.T) {
			stub := anthropictest.New(t, anthropictest.WithUsage(cacheUsage), anthropictest.WithReplyFilter(renamed))
			client, rec := newClient(t, stub, viaHTTPClient)
			if stream {
				s := client.Messages.NewStreaming(context.Background(), params("claude-haiku-4-5"))
				for s.Next() {
				}
				s.Close()
			} else if _, err := client.Messages.New(context.Background(), params("claude-haiku-4-5")); err != nil {
				t.Fatal(err)
			}
			err := exact(rec.One(t), cacheUsage, "claude-haiku-4-5"+anthropictest.DefaultModelSuffix)
			if err == nil || !strings.Contains(err.Error(), "input") {
				t.Fatalf("a reply the meter cannot read passed the exact check: %v", err)
			}
		})
	}
}
