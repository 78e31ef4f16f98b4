package anthropicmeter_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/drip-sdk/drip-go/driptest/anthropictest"
	"github.com/drip-sdk/drip-go/internal/abbench"
	"github.com/drip-sdk/drip-go/providers"
	"github.com/drip-sdk/drip-go/providers/anthropicmeter"
)

// canned is an in-memory Anthropic: it answers every request with bytes
// recorded once from anthropictest, with no sockets.
type canned struct{ json, sse []byte }

func (c *canned) RoundTrip(req *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(req.Body)
	req.Body.Close()
	b, ct := c.json, "application/json"
	if bytes.Contains(body, []byte(`"stream":true`)) {
		b, ct = c.sse, "text/event-stream; charset=utf-8"
	}
	return &http.Response{StatusCode: 200, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {ct}}, ContentLength: int64(len(b)),
		Body: io.NopCloser(bytes.NewReader(b)), Request: req}, nil
}

func newCanned(b *testing.B) *canned {
	stub := anthropictest.New(b, anthropictest.WithUsage(cacheUsage), anthropictest.WithToolUse("get_weather"),
		anthropictest.WithChunks(strings.Fields(strings.Repeat("lorem ipsum dolor sit amet ", 40))...))
	get := func(body string) []byte {
		resp, err := http.Post(stub.URL()+"/v1/messages", "application/json", strings.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return out
	}
	return &canned{
		json: get(`{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[]}`),
		sse:  get(`{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[],"stream":true}`),
	}
}

var noop = providers.ReporterFunc(func(context.Context, providers.Usage) {})

func benchClient(b *testing.B, via string) anthropic.Client {
	c := newCanned(b)
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

// benchAB times raw and metered calls alternately and reports metered/raw,
// the budget's figure (see internal/abbench).
func benchAB(b *testing.B, raw, metered func() error, block int) {
	abbench.Run(b, raw, metered, abbench.Options{A: "raw", B: "metered", Block: block})
}

func BenchmarkMessagesAB(b *testing.B) {
	raw, metered := benchClient(b, "raw"), benchClient(b, "middleware")
	ctx, p := context.Background(), params("claude-sonnet-4-5")
	call := func(c anthropic.Client) func() error {
		return func() error {
			_, err := c.Messages.New(ctx, p)
			return err
		}
	}
	b.Run("ab", func(b *testing.B) { benchAB(b, call(raw), call(metered), abbench.Block) })
	// The control: raw against raw, the method's own noise.
	b.Run("aa", func(b *testing.B) { abbench.Run(b, call(raw), call(raw), abbench.Options{A: "raw", B: "raw2"}) })
}

func BenchmarkMessagesStreamAB(b *testing.B) {
	raw, metered := benchClient(b, "raw"), benchClient(b, "middleware")
	ctx, p := context.Background(), params("claude-sonnet-4-5")
	drain := func(c anthropic.Client) func() error {
		return func() error {
			s := c.Messages.NewStreaming(ctx, p)
			for s.Next() {
			}
			s.Close()
			return s.Err()
		}
	}
	b.Run("ab", func(b *testing.B) { benchAB(b, drain(raw), drain(metered), 1) }) // a call of a millisecond
}
