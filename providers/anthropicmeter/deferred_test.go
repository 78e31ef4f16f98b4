package anthropicmeter_test

import (
	"bytes"
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/drip-sdk/drip-go/driptest/anthropictest"
	"github.com/drip-sdk/drip-go/providers"
	"github.com/drip-sdk/drip-go/providers/anthropicmeter"
)

// TestDeferredReadsAsAtOnce: a call handed to a DeferredReporter and read
// later, on another goroutine, reports what a Reporter that reads it at
// once is given, including the request's model when the reply names none.
func TestDeferredReadsAsAtOnce(t *testing.T) {
	noModel := func(b []byte) []byte {
		return bytes.Replace(b, []byte(`"model":"claude-haiku-4-5`+anthropictest.DefaultModelSuffix+`",`), nil, 1)
	}
	for _, tc := range []struct {
		name   string
		opts   []anthropictest.Option
		stream bool
		model  string // the model reported
	}{
		{"reply", []anthropictest.Option{anthropictest.WithUsage(cacheUsage), anthropictest.WithToolUse("lookup")}, false,
			"claude-haiku-4-5" + anthropictest.DefaultModelSuffix},
		{"stream", []anthropictest.Option{anthropictest.WithUsage(cacheUsage), anthropictest.WithToolUse("lookup")}, true,
			"claude-haiku-4-5" + anthropictest.DefaultModelSuffix},
		{"reply without model", []anthropictest.Option{anthropictest.WithReplyFilter(noModel)}, false, "claude-haiku-4-5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// run makes the call, reporting to rep (rec itself, or rec as
			// a plain Reporter), and returns the usage rec kept.
			run := func(rec *recorder, rep providers.Reporter) providers.Usage {
				stub := anthropictest.New(t, tc.opts...)
				clock := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
				tick := func() time.Time { clock = clock.Add(time.Millisecond); return clock }
				client := anthropic.NewClient(option.WithBaseURL(stub.URL()), option.WithAPIKey("sk-ant-test"), option.WithMaxRetries(0),
					option.WithHTTPClient(anthropicmeter.NewHTTPClient(nil, rep, anthropicmeter.WithClock(tick))))
				if tc.stream {
					s := client.Messages.NewStreaming(context.Background(), params("claude-haiku-4-5"))
					for s.Next() {
					}
					if err := s.Close(); err != nil {
						t.Fatal(err)
					}
				} else if _, err := client.Messages.New(context.Background(), params("claude-haiku-4-5")); err != nil {
					t.Fatal(err)
				}
				return rec.One(t)
			}
			atOnce, deferred := &recorder{}, &recorder{}
			now, later := run(atOnce, atOnce.Plain()), run(deferred, deferred)
			if later.ResolvedModel() != tc.model || later.Total() == 0 {
				t.Fatalf("read later: %+v", later)
			}
			if !reflect.DeepEqual(later, now) {
				t.Fatalf("read later:\n%+v\nread at once:\n%+v", later, now)
			}
		})
	}
}

// The in-memory Anthropic the benchmarks run against answers as the stub
// does, streaming or not, and the meter reads it exactly.
func TestReplayAnswersAsTheStub(t *testing.T) {
	rec := &recorder{}
	client := anthropic.NewClient(option.WithBaseURL("http://anthropic.invalid"), option.WithAPIKey("k"), option.WithMaxRetries(0),
		option.WithHTTPClient(anthropicmeter.NewHTTPClient(&http.Client{Transport: anthropictest.Replay(t, anthropictest.WithUsage(cacheUsage))}, rec)))
	msg, err := client.Messages.New(context.Background(), params("claude-sonnet-4-5"))
	if err != nil || msg.Content[0].Text != strings.Join(anthropictest.DefaultChunks, "") {
		t.Fatal(msg, err)
	}
	s := client.Messages.NewStreaming(context.Background(), params("claude-sonnet-4-5"))
	for s.Next() {
	}
	if err := s.Close(); err != nil || s.Err() != nil {
		t.Fatal(err, s.Err())
	}
	us := rec.All()
	if len(us) != 2 || us[0].Streamed || !us[1].Streamed {
		t.Fatalf("%+v", us)
	}
	for _, u := range us {
		if err := exact(u, cacheUsage, "claude-sonnet-4-5"+anthropictest.DefaultModelSuffix); err != nil {
			t.Fatal(err)
		}
	}
}
