package anthropicmeter_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/drip-sdk/drip-go/driptest/anthropictest"
	"github.com/drip-sdk/drip-go/providers"
	"github.com/drip-sdk/drip-go/providers/anthropicmeter"
)

// These benchmarks time the meter alone, reporting to a Reporter that does
// nothing. The budget's figure, metered against raw with the tracker
// recording each call, is BenchmarkAnthropicAB in package drip.
var noop = providers.ReporterFunc(func(context.Context, providers.Usage) {})

// benchClient is an SDK client, metered as via says, of an in-memory
// Anthropic.
func benchClient(b *testing.B, via string) anthropic.Client {
	c := anthropictest.Replay(b, anthropictest.WithUsage(cacheUsage), anthropictest.WithToolUse("get_weather"),
		anthropictest.WithChunks(strings.Fields(strings.Repeat("lorem ipsum dolor sit amet ", 40))...))
	o := []option.RequestOption{option.WithBaseURL("http://anthropic.invalid"), option.WithAPIKey("k"), option.WithMaxRetries(0)}
	switch via {
	case "raw":
		o = append(o, option.WithHTTPClient(&http.Client{Transport: c}))
	case "http-client":
		o = append(o, option.WithHTTPClient(anthropicmeter.NewHTTPClient(&http.Client{Transport: c}, noop)))
	case "middleware":
		o = append(o, option.WithHTTPClient(&http.Client{Transport: c}), option.WithMiddleware(anthropicmeter.Middleware(noop)))
	}
	return anthropic.NewClient(o...)
}

func benchMessages(b *testing.B, via string) {
	client := benchClient(b, via)
	ctx, p := context.Background(), params("claude-sonnet-4-5")
	b.ReportAllocs()
	for b.Loop() {
		msg, err := client.Messages.New(ctx, p)
		if err != nil || msg.Usage.OutputTokens != int64(cacheUsage.Output) {
			b.Fatal(msg, err)
		}
	}
}

func benchStream(b *testing.B, via string) {
	client := benchClient(b, via)
	ctx, p := context.Background(), params("claude-sonnet-4-5")
	b.ReportAllocs()
	for b.Loop() {
		s := client.Messages.NewStreaming(ctx, p)
		n := 0
		for s.Next() {
			n++
		}
		if s.Err() != nil || n < 10 {
			b.Fatal(s.Err(), n)
		}
		s.Close()
	}
}

func BenchmarkMessagesRaw(b *testing.B)              { benchMessages(b, "raw") }
func BenchmarkMessagesHTTPClient(b *testing.B)       { benchMessages(b, "http-client") }
func BenchmarkMessagesMiddleware(b *testing.B)       { benchMessages(b, "middleware") }
func BenchmarkMessagesStreamRaw(b *testing.B)        { benchStream(b, "raw") }
func BenchmarkMessagesStreamHTTPClient(b *testing.B) { benchStream(b, "http-client") }
func BenchmarkMessagesStreamMiddleware(b *testing.B) { benchStream(b, "middleware") }
