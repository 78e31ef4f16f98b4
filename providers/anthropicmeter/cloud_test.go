package anthropicmeter_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/drip-sdk/drip-go/driptest/anthropictest"
	"github.com/drip-sdk/drip-go/providers/anthropicmeter"
)

// oneByte makes every reply body read one byte at a time, so each
// event-stream message arrives split across reads.
type oneByte struct{ base http.RoundTripper }

func (o oneByte) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := o.base.RoundTrip(req)
	if err == nil {
		resp.Body = struct {
			io.Reader
			io.Closer
		}{iotest.OneByteReader(resp.Body), resp.Body}
	}
	return resp, err
}

// bedrockStream posts a Bedrock streaming call for model through the
// meter (none when rec is nil) and returns what the caller read.
func bedrockStream(t *testing.T, stub *anthropictest.Server, rec *recorder, model string, opts ...anthropicmeter.Option) ([]byte, error) {
	t.Helper()
	client := &http.Client{Transport: oneByte{http.DefaultTransport}}
	if rec != nil {
		client = anthropicmeter.NewHTTPClient(client, rec, opts...)
	}
	resp, err := client.Post(stub.URL()+"/model/"+model+"/invoke-with-response-stream", "application/json",
		strings.NewReader(`{"anthropic_version":"bedrock-2023-05-31","max_tokens":256,"messages":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/vnd.amazon.eventstream" {
		t.Fatalf("Content-Type %q", ct)
	}
	return io.ReadAll(resp.Body)
}

// A Bedrock stream is metered from its event-stream messages, each read
// whole however the reads split it, and passed through byte for byte.
func TestBedrockEventStreamSplitReads(t *testing.T) {
	stub := anthropictest.New(t, anthropictest.WithUsage(cacheUsage), anthropictest.WithToolUse("lookup"))
	rec := &recorder{}
	const model = "anthropic.claude-haiku-4-5-20251001-v1:0"
	got, err := bedrockStream(t, stub, rec, model)
	if err != nil {
		t.Fatal(err)
	}
	// The same first call to another stub, unmetered.
	other := anthropictest.New(t, anthropictest.WithUsage(cacheUsage), anthropictest.WithToolUse("lookup"))
	direct, err := bedrockStream(t, other, nil, model)
	if err != nil || string(got) != string(direct) {
		t.Fatalf("the stream changed passing through the meter (%v)", err)
	}
	u := rec.One(t)
	if u.InputTokens != int64(cacheUsage.Prompt()) || u.OutputTokens != int64(cacheUsage.Output) ||
		u.CachedInputTokens != int64(cacheUsage.CacheRead) || u.CacheCreationInputTokens != int64(cacheUsage.CacheWrite) ||
		u.Model != model || u.Provider != anthropicmeter.ProviderBedrock || !u.Streamed || u.Estimated || u.Err != nil ||
		len(u.ToolNames) != 1 || u.ToolNames[0] != "lookup" {
		t.Fatalf("usage %+v", u)
	}
}

// A Bedrock stream cut mid-way is reported with what it said, its output
// estimated, and the read error.
func TestBedrockEventStreamCut(t *testing.T) {
	stub := anthropictest.New(t)
	rec := &recorder{}
	if _, err := bedrockStream(t, stub, rec, "cut-2"); err == nil {
		t.Fatal("the cut stream read to its end")
	}
	u := rec.One(t)
	if u.Err == nil || !u.Estimated || u.InputTokens != int64(anthropictest.DefaultUsage.Input) || u.OutputTokens == 0 ||
		u.Provider != anthropicmeter.ProviderBedrock {
		t.Fatalf("usage %+v", u)
	}
}

// A provider named with WithProvider is recorded for a cloud's call too,
// even when it is ProviderAnthropic.
func TestCloudProviderNamed(t *testing.T) {
	stub := anthropictest.New(t)
	for _, name := range []string{"acme", anthropicmeter.ProviderAnthropic} {
		rec := &recorder{}
		if _, err := bedrockStream(t, stub, rec, "anthropic.claude-haiku-4-5-20251001-v1:0", anthropicmeter.WithProvider(name)); err != nil {
			t.Fatal(err)
		}
		if u := rec.One(t); u.Provider != name || u.OutputTokens != int64(anthropictest.DefaultUsage.Output) {
			t.Fatalf("usage %+v, want provider %q", u, name)
		}
	}
}
