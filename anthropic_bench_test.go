package drip_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest/anthropictest"
	"github.com/drip-sdk/drip-go/internal/abbench"
)

// BenchmarkAnthropicAB compares a raw anthropic-sdk-go call with the same
// call metered by drip.AnthropicMiddleware into a run, against the same
// in-memory Anthropic (anthropictest.Replay, no sockets): metered/raw is
// the budget's figure (see internal/abbench). The tracker delivers only
// between timed stretches, so its exporter does not compete for the cores.
func BenchmarkAnthropicAB(b *testing.B) {
	_, dc := newDriptest(b)
	const flushEvery = 256
	tr := drip.NewTracker(dc, drip.WithoutSelfMetrics(), drip.WithBatchTimeout(time.Hour),
		drip.WithMaxQueueSize(2*flushEvery), drip.WithMaxBatchSize(4*flushEvery))
	b.Cleanup(func() { tr.Shutdown(context.Background()) })
	cust := createCustomer(b, dc, "bench")
	ctx, _ := tr.Start(context.Background(), drip.RunParams{CustomerID: cust, Workflow: "bench"})
	flush := func() {
		if err := tr.Flush(context.Background()); err != nil {
			b.Fatal(err)
		}
	}

	replay := anthropictest.Replay(b, anthropictest.WithUsage(anthropictest.Usage{Input: 123, Output: 45, CacheRead: 200, CacheWrite: 50}),
		anthropictest.WithToolUse("get_weather"),
		anthropictest.WithChunks(strings.Fields(strings.Repeat("lorem ipsum dolor sit amet ", 40))...))
	base := []option.RequestOption{option.WithBaseURL("http://anthropic.invalid"), option.WithAPIKey("k"),
		option.WithMaxRetries(0), option.WithHTTPClient(&http.Client{Transport: replay})}
	raw := anthropic.NewClient(base...)
	metered := anthropic.NewClient(append(base, option.WithMiddleware(drip.AnthropicMiddleware(cust, drip.WithAnthropicTracker(tr))))...)
	p := anthropic.MessageNewParams{Model: "claude-sonnet-4-5", MaxTokens: 256,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))}}

	call := func(c anthropic.Client) func() error {
		return func() error {
			_, err := c.Messages.New(ctx, p)
			return err
		}
	}
	stream := func(c anthropic.Client) func() error {
		return func() error {
			s := c.Messages.NewStreaming(ctx, p)
			for s.Next() {
			}
			s.Close()
			return s.Err()
		}
	}
	b.Run("messages", func(b *testing.B) {
		abbench.Run(b, call(raw), call(metered), abbench.Options{A: "raw", B: "metered",
			Between: flush, Every: flushEvery / abbench.Block})
	})
	// The control: raw against raw, the method's own noise.
	b.Run("messages-aa", func(b *testing.B) {
		abbench.Run(b, call(raw), call(raw), abbench.Options{A: "raw", B: "raw2"})
	})
	// The stream's control: two raw clients, as the A/B compares two
	// clients; calls of a millisecond read a few points apart run to run.
	raw2 := anthropic.NewClient(base...)
	b.Run("stream-aa", func(b *testing.B) {
		abbench.Run(b, stream(raw), stream(raw2), abbench.Options{A: "raw", B: "raw2", Block: 1})
	})
	b.Run("stream", func(b *testing.B) { // ~200 events, a call of about a millisecond
		abbench.Run(b, stream(raw), stream(metered), abbench.Options{A: "raw", B: "metered",
			Between: flush, Every: flushEvery, Block: 1})
	})
}
