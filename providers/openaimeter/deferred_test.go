package openaimeter_test

import (
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/sashabaranov/go-openai"

	"github.com/drip-sdk/drip-go/driptest/openaitest"
	"github.com/drip-sdk/drip-go/providers"
	"github.com/drip-sdk/drip-go/providers/openaimeter"
)

// TestDeferredReadsAsAtOnce: a call handed to a DeferredReporter and read
// later, on another goroutine, reports what a plain Reporter is given at
// once, for replies, streams (long ones metered in parts as they pass
// included), estimates, tool calls and error events.
func TestDeferredReadsAsAtOnce(t *testing.T) {
	long := make([]string, 400) // ~100 KB of chunks: pending is metered in parts
	for i := range long {
		long[i] = strings.Repeat("x", 40) + " "
	}
	stream := func(c *openai.Client, model string) error {
		s, err := c.CreateChatCompletionStream(context.Background(), chatRequest(model))
		if err != nil {
			return err
		}
		defer s.Close()
		for {
			if _, err := s.Recv(); err != nil {
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
		}
	}
	chat := func(c *openai.Client, model string) error {
		_, err := c.CreateChatCompletion(context.Background(), chatRequest(model))
		return err
	}
	for _, tc := range []struct {
		name  string
		opts  []openaitest.Option
		model string
		call  func(*openai.Client, string) error
		check func(*testing.T, providers.Usage)
	}{
		{"chat", []openaitest.Option{openaitest.WithToolCalls("lookup")}, "gpt-4o-mini", chat, func(t *testing.T, u providers.Usage) {
			wantTokens(t, u)
			if u.ToolCalls != 1 || u.ToolNames[0] != "lookup" {
				t.Errorf("tools %d %v", u.ToolCalls, u.ToolNames)
			}
		}},
		{"chat without usage", []openaitest.Option{openaitest.WithoutUsage()}, "gpt-4o-mini", chat, func(t *testing.T, u providers.Usage) {
			if !u.Estimated || u.InputTokens != 5 {
				t.Errorf("usage %+v", u)
			}
		}},
		{"stream", []openaitest.Option{openaitest.WithToolCalls("lookup")}, "gpt-4o-mini", stream, func(t *testing.T, u providers.Usage) {
			wantTokens(t, u)
			if !u.Streamed || u.ToolCalls != 1 {
				t.Errorf("usage %+v", u)
			}
		}},
		{"long stream", []openaitest.Option{openaitest.WithChunks(long...)}, "gpt-4o-mini", stream, wantTokens},
		{"long stream without usage", []openaitest.Option{openaitest.WithChunks(long...), openaitest.WithoutUsage()}, "gpt-4o-mini", stream,
			func(t *testing.T, u providers.Usage) {
				// 400 deltas of 41 bytes: 16,400 bytes, 4,100 tokens.
				if !u.Estimated || u.OutputTokens != 4100 {
					t.Errorf("usage %+v", u)
				}
			}},
		{"stream error event", nil, "stream-error", stream, func(t *testing.T, u providers.Usage) {
			var apiErr *openai.APIError
			if !errors.As(u.Err, &apiErr) || u.ErrorType != "server_error" || !u.Estimated || u.InputTokens != 5 {
				t.Errorf("usage %+v", u)
			}
		}},
		{"stream cut", nil, "cut-3", stream, func(t *testing.T, u providers.Usage) {
			if u.Err == nil || !u.Estimated {
				t.Errorf("usage %+v", u)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := func(r providers.Reporter) {
				stub := openaitest.New(t, tc.opts...)
				cfg := openai.DefaultConfig("test-key")
				cfg.BaseURL = stub.BaseURL()
				cfg.HTTPClient = openaimeter.NewHTTPClient(nil, r, openaimeter.WithClock(tick()))
				_ = tc.call(openai.NewClientWithConfig(cfg), tc.model)
			}
			now, later := &capture{}, &capture{}
			run(now.Plain())
			run(later)
			want := now.One(t)
			got := later.One(t)
			tc.check(t, got)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("read later:\n%+v\nread at once:\n%+v", got, want)
			}
		})
	}
}
