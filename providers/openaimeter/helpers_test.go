package openaimeter_test

import (
	"sync"
	"testing"
	"time"

	"github.com/sashabaranov/go-openai"

	"github.com/drip-sdk/drip-go/driptest/openaitest"
	"github.com/drip-sdk/drip-go/internal/reporttest"
	"github.com/drip-sdk/drip-go/providers"
	"github.com/drip-sdk/drip-go/providers/openaimeter"
)

// capture is what the tests report to (reporttest: a deferred reporter,
// as the tracker's recorder is).
type capture = reporttest.Recorder

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
