package openaimeter_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sashabaranov/go-openai"

	"github.com/drip-sdk/drip-go/driptest/openaitest"
	"github.com/drip-sdk/drip-go/providers"
	"github.com/drip-sdk/drip-go/providers/openaimeter"
)

// capture is a Reporter that keeps what it is given. It is a
// providers.DeferredReporter, as the tracker's UsageRecorder is: a call
// handed over with its counts unread is completed, on another goroutine,
// when the usages are asked for, so the tests read what the tracker would.
type capture struct {
	mu   sync.Mutex
	got  []*providers.Usage
	todo map[*providers.Usage]providers.Completer
	ctxs []context.Context
}

func (c *capture) Report(ctx context.Context, u providers.Usage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, &u)
	c.ctxs = append(c.ctxs, ctx)
}

func (c *capture) ReportDeferred(ctx context.Context, u *providers.Usage, complete providers.Completer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.todo == nil {
		c.todo = map[*providers.Usage]providers.Completer{}
	}
	c.got = append(c.got, u)
	c.todo[u] = complete
	c.ctxs = append(c.ctxs, ctx)
}

func (c *capture) all() []providers.Usage {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]providers.Usage, len(c.got))
	for i, u := range c.got {
		if complete := c.todo[u]; complete != nil {
			done := make(chan struct{})
			go func() { complete.Complete(u); close(done) }()
			<-done
			delete(c.todo, u)
		}
		out[i] = *u
	}
	return out
}

func (c *capture) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.got)
}

// one asserts exactly one usage was reported and returns it.
func (c *capture) one(t *testing.T) providers.Usage {
	t.Helper()
	got := c.all()
	if len(got) != 1 {
		t.Fatalf("reported %d usages, want 1: %+v", len(got), got)
	}
	return got[0]
}

// tick is a clock that advances one millisecond per reading.
func tick() func() time.Time {
	var mu sync.Mutex
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Millisecond)
		return now
	}
}

func rawClient(stub *openaitest.Server) *openai.Client {
	cfg := openai.DefaultConfig("test-key")
	cfg.BaseURL = stub.BaseURL()
	return openai.NewClientWithConfig(cfg)
}

func wrapped(t *testing.T, stub *openaitest.Server, opts ...openaimeter.Option) (*openaimeter.Client, *capture) {
	t.Helper()
	rep := &capture{}
	return openaimeter.Wrap(rawClient(stub), rep, append([]openaimeter.Option{openaimeter.WithClock(tick())}, opts...)...), rep
}

// wantTokens asserts the stub's default usage, token for token.
func wantTokens(t *testing.T, u providers.Usage) {
	t.Helper()
	d := openaitest.DefaultUsage
	if u.InputTokens != int64(d.Prompt) || u.OutputTokens != int64(d.Completion) ||
		u.TotalTokens != int64(d.Total()) || u.CachedInputTokens != int64(d.Cached) ||
		u.ReasoningTokens != int64(d.Reasoning) || u.Estimated || u.Err != nil {
		t.Fatalf("usage = in %d out %d total %d cached %d reasoning %d estimated %v err %v; want %+v exact",
			u.InputTokens, u.OutputTokens, u.TotalTokens, u.CachedInputTokens, u.ReasoningTokens,
			u.Estimated, u.Err, d)
	}
}

func chatRequest(model string) openai.ChatCompletionRequest {
	return openai.ChatCompletionRequest{
		Model:    model,
		Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "Say hello, please"}},
	}
}

type ctxKey struct{}
