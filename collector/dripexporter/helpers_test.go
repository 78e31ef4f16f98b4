package dripexporter

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
)

// t0 is when the test spans start.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func tid(n uint64) pcommon.TraceID {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], 0xd1e0_0000_0000_0000|n)
	binary.BigEndian.PutUint64(b[8:], n*0x9e3779b97f4a7c15+1)
	return b
}

func sid(trace uint64, n uint64) pcommon.SpanID {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], trace<<16|n+1)
	return b
}

// testSpan describes one span to put in a batch.
type testSpan struct {
	trace, id, parent uint64 // parent 0: root
	name              string
	attrs             map[string]any
	resource          map[string]any
	failed            string // status message of a failed span
}

// traces builds a batch with one resource per span (as spans from many
// services arrive).
func traces(spans ...testSpan) ptrace.Traces {
	td := ptrace.NewTraces()
	for _, s := range spans {
		appendSpan(td, s)
	}
	return td
}

func appendSpan(td ptrace.Traces, s testSpan) {
	rs := td.ResourceSpans().AppendEmpty()
	_ = rs.Resource().Attributes().FromRaw(merge(map[string]any{"service.name": "svc"}, s.resource))
	sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetTraceID(tid(s.trace))
	sp.SetSpanID(sid(s.trace, s.id))
	if s.parent != 0 {
		sp.SetParentSpanID(sid(s.trace, s.parent))
	}
	sp.SetName(s.name)
	start := t0.Add(time.Duration(s.id) * time.Millisecond)
	sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	sp.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(1500 * time.Millisecond)))
	if err := sp.Attributes().FromRaw(s.attrs); err != nil {
		panic(err)
	}
	if s.failed != "" {
		sp.Status().SetCode(ptrace.StatusCodeError)
		sp.Status().SetMessage(s.failed)
	}
}

func merge(a, b map[string]any) map[string]any {
	for k, v := range b {
		a[k] = v
	}
	return a
}

// agentTrace is one agent run as OpenLIT and OpenInference instrument it:
// the customer on the root span only, prompts as attributes.
func agentTrace(n uint64, customer string) []testSpan {
	return []testSpan{
		{trace: n, id: 1, name: "support agent", attrs: map[string]any{
			"drip.customer_id": customer, "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "Support Agent"}},
		{trace: n, id: 2, parent: 1, name: "chat gpt-4o-mini", attrs: map[string]any{ // OpenLIT
			"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
			"gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
			"gen_ai.usage.input_tokens": int64(100 + n), "gen_ai.usage.output_tokens": int64(20),
			"gen_ai.usage.cache_read.input_tokens": int64(40), "gen_ai.usage.cache_creation.input_tokens": int64(8),
			"openai.response.service_tier": "flex",
			"gen_ai.input.messages":        `[{"role":"user","content":"SECRET PROMPT"}]`}},
		{trace: n, id: 3, parent: 1, name: "ChatCompletion", attrs: map[string]any{ // OpenInference
			"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o-2024-08-06", "llm.system": "openai",
			"llm.invocation_parameters": `{"model":"gpt-4o"}`,
			"llm.token_count.prompt":    int64(300), "llm.token_count.completion": int64(50),
			"llm.token_count.prompt_details.cache_read":    int64(100),
			"llm.token_count.completion_details.reasoning": int64(10),
			"input.value": "SECRET PROMPT", "llm.output_messages.0.message.content": "SECRET ANSWER"}},
		{trace: n, id: 4, parent: 1, name: "execute_tool search", attrs: map[string]any{
			"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search"}},
	}
}

func newDripd(t testing.TB) (*driptest.Server, *drip.Client) {
	t.Helper()
	srv := driptest.NewServer(t)
	c, err := drip.New(drip.WithAPIKey(srv.APIKey()), drip.WithBaseURL(srv.BaseURL()))
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func customer(t testing.TB, c *drip.Client, ext string) string {
	t.Helper()
	cu, err := c.GetOrCreateCustomer(context.Background(), ext, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cu.ID
}

func testConfig(srv *driptest.Server) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoint, cfg.APIKey = srv.BaseURL(), configopaque.String(srv.APIKey())
	cfg.TimeoutConfig.Timeout = 2 * time.Minute // a loaded CI machine under -race
	return cfg
}
