package anthropictest

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/drip-sdk/drip-go/internal/memhttp"
)

// Replay returns an in-memory Anthropic, for benchmarks: an
// http.RoundTripper answering every request with the reply a Server made
// with opts gave once to a Messages request, streamed when the request
// asks for a stream ("stream":true), without sockets.
func Replay(tb testing.TB, opts ...Option) http.RoundTripper {
	tb.Helper()
	s := New(tb, opts...)
	defer s.Close()
	get := func(body string) []byte {
		resp, err := http.Post(s.URL()+"/v1/messages", "application/json", strings.NewReader(body))
		if err != nil {
			tb.Fatal(err)
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			tb.Fatalf("recording the reply: %d %v", resp.StatusCode, err)
		}
		return out
	}
	return &replay{
		json: get(`{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[]}`),
		sse:  get(`{"model":"claude-sonnet-4-5","max_tokens":256,"messages":[],"stream":true}`),
	}
}

type replay struct{ json, sse []byte }

func (r *replay) RoundTrip(req *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(req.Body)
	req.Body.Close()
	b, ct := r.json, "application/json"
	if bytes.Contains(body, []byte(`"stream":true`)) {
		b, ct = r.sse, "text/event-stream; charset=utf-8"
	}
	return memhttp.Reply(req, ct, b), nil
}
