package dashboard_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/dripserver/dashboard"
)

const testKey = "sk_test_dashboard_secret_0042"

// env is an in-process dripd with the dashboard, and an SDK client for it.
type env struct {
	inst   *dripserver.Instance
	client *drip.Client
	hc     *http.Client // follows no redirects, keeps no cookies
}

// newEnv starts dripd on 127.0.0.1 with the dashboard mounted.
func newEnv(t *testing.T, opts ...dripserver.Option) *env {
	t.Helper()
	opts = append([]dripserver.Option{dripserver.WithLogger(slog.New(slog.DiscardHandler)),
		dripserver.WithUI(dashboard.New)}, opts...)
	inst, err := dripserver.Start(context.Background(), "127.0.0.1:0", nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := inst.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	client, err := drip.New(drip.WithAPIKey(testKey), drip.WithBaseURL(inst.BaseURL()))
	if err != nil {
		t.Fatal(err)
	}
	return &env{inst: inst, client: client, hc: &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// get fetches a path of the dashboard with optional cookies and returns
// the status, the body and the response.
func (e *env) get(t *testing.T, path string, cookies ...*http.Cookie) (int, string, *http.Response) {
	t.Helper()
	req, _ := http.NewRequest("GET", e.inst.URL()+path, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, string(b), resp
}

// wantEvent is an event of the recorded run as its timeline row must
// show it, in the row's order.
type wantEvent struct {
	typ, label string
	depth      int
	in, out    string // token cells
	cost       string // cost cell
	failed     bool
}

// recording is what record sent.
type recording struct {
	runID, failedRunID string
	events             []wantEvent
	customer           string // external id
	inputTokens        int64
	outputTokens       int64
	cost               float64
	eventCount         int
	usageRecords       int
}

// record sends, through the SDK's client and tracker, an agent run with nested LLM
// and tool calls (tokens, costs, one failed tool call), a failed run for
// another customer, and two usage records.
func record(t *testing.T, e *env) recording {
	t.Helper()
	ctx := context.Background()
	tr := drip.NewTracker(e.client, drip.WithoutSelfMetrics(),
		drip.WithTrackerLogger(slog.New(slog.DiscardHandler)))
	defer tr.Shutdown(ctx)
	for _, ext := range []string{"acme-corp", "globex"} {
		if _, err := e.client.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: ext}); err != nil {
			t.Fatal(err)
		}
	}
	// The agent run goes through the client, so it can say when it
	// started and ended (occurredAt, as the tracker sends it for runs it
	// ships later): 3.2 s of nested calls that ended a moment ago.
	t0 := time.Now().Add(-5 * time.Second).UTC()
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	occurred := func(t time.Time) map[string]any { return map[string]any{"occurredAt": t.Format(time.RFC3339Nano)} }
	info, err := e.client.StartRun(ctx, drip.RunParams{CustomerID: "acme-corp", Workflow: "research-agent",
		Metadata: map[string]any{"env": "test", "occurredAt": at(0).Format(time.RFC3339Nano)}})
	if err != nil {
		t.Fatal(err)
	}
	events := []drip.Event{
		{Type: drip.EventAgentAction, Name: "plan", SpanID: "s-root", Timestamp: at(50), Duration: ms(3100)},
		{Type: drip.EventLLMCompletion, Model: "gpt-4o-mini", InputTokens: 1200, OutputTokens: 300,
			CostUnits: 0.00036, SpanID: "s-llm1", ParentEventID: "s-root", Timestamp: at(100), Duration: ms(900)},
		{Type: drip.EventToolCall, Name: "web_search", SpanID: "s-tool", ParentEventID: "s-root",
			Timestamp: at(1050), Duration: ms(350)},
		{Type: drip.EventLLMCompletion, Model: "gpt-4o", InputTokens: 800, OutputTokens: 150,
			CostUnits: 0.0035, SpanID: "s-llm2", ParentEventID: "s-tool", Timestamp: at(1100), Duration: ms(200)},
		{Type: drip.EventToolError, Name: "fetch_page", Status: drip.StatusError, SpanID: "s-err",
			ParentEventID: "s-root", Timestamp: at(1500), Duration: ms(100)},
		{Type: drip.EventLLMCompletion, Model: "gpt-4o-mini", InputTokens: 1800, OutputTokens: 420,
			CostUnits: 0.000522, SpanID: "s-llm3", ParentEventID: "s-root", Timestamp: at(1700), Duration: ms(1200)},
	}
	for i := range events {
		events[i].RunID = info.ID
	}
	if _, err := e.client.EmitEventsBatch(ctx, events); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.EndRun(ctx, info.ID, drip.EndRunParams{Status: drip.RunCompleted, Metadata: occurred(at(3200))}); err != nil {
		t.Fatal(err)
	}

	// The failed run and the usage go through the tracker, as an
	// instrumented app sends them.
	_, failed := tr.Start(ctx, drip.RunParams{CustomerID: "globex", Workflow: "summarize"})
	if err := failed.Emit(drip.Event{Type: drip.EventLLMError, Model: "gpt-4o", Status: drip.StatusError,
		Timestamp: at(500)}); err != nil {
		t.Fatal(err)
	}
	if err := failed.End(drip.RunFailed); err != nil {
		t.Fatal(err)
	}
	for _, u := range []drip.UsageParams{
		{ExternalCustomerID: "acme-corp", Meter: "api_calls", Quantity: 3},
		{ExternalCustomerID: "globex", Meter: "documents", Quantity: 12},
	} {
		if err := tr.TrackUsage(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if failed.ID() == "" {
		t.Fatal("the tracker's run has no id after Flush")
	}
	return recording{
		runID: info.ID, failedRunID: failed.ID(), customer: "acme-corp",
		events: []wantEvent{
			{typ: "agent.action", label: "plan", depth: 0, in: "—", out: "—", cost: "—"},
			{typ: "llm.completion", label: "gpt-4o-mini", depth: 1, in: "1,200", out: "300", cost: "$0.00036"},
			{typ: "tool.call", label: "web_search", depth: 1, in: "—", out: "—", cost: "—"},
			{typ: "llm.completion", label: "gpt-4o", depth: 2, in: "800", out: "150", cost: "$0.0035"},
			{typ: "tool.error", label: "fetch_page", depth: 1, in: "—", out: "—", cost: "—", failed: true},
			{typ: "llm.completion", label: "gpt-4o-mini", depth: 1, in: "1,800", out: "420", cost: "$0.000522"},
		},
		inputTokens: 3800, outputTokens: 870, cost: 0.00036 + 0.0035 + 0.000522,
		eventCount: 7, usageRecords: 2,
	}
}
