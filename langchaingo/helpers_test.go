package langchaingo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tmc/langchaingo/llms/openai"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/driptest/openaitest"
	"github.com/drip-sdk/drip-go/langchaingo"
	"github.com/drip-sdk/drip-go/providers/pricing"
)

// secret is put in every prompt, tool input and query; it must never reach
// Drip.
const secret = "SECRET-PROMPT-TEXT"

const model = "gpt-4o-mini"

type env struct {
	drip    *driptest.Server
	stub    *openaitest.Server
	client  *drip.Client
	tracker *drip.Tracker
	cust    string
	h       *langchaingo.CallbackHandler
}

func newEnv(t *testing.T, stubOpts ...openaitest.Option) *env {
	t.Helper()
	ds := driptest.NewServer(t)
	c, err := drip.New(drip.WithAPIKey(ds.APIKey()), drip.WithBaseURL(ds.BaseURL()))
	if err != nil {
		t.Fatal(err)
	}
	tr := drip.NewTracker(c, drip.WithoutSelfMetrics())
	t.Cleanup(func() { _ = tr.Shutdown(context.Background()) })
	cu, err := c.GetOrCreateCustomer(ctxT(t), "acme", nil)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{drip: ds, stub: openaitest.New(t, stubOpts...), client: c, tracker: tr, cust: cu.ID}
	e.h = langchaingo.NewCallbackHandler(e.cust, langchaingo.WithTracker(tr), langchaingo.WithModelLabel(model))
	return e
}

// llm is a real langchaingo OpenAI LLM talking to the stub.
func (e *env) llm(t *testing.T, opts ...openai.Option) *openai.LLM {
	t.Helper()
	base := []openai.Option{openai.WithToken("sk-test"), openai.WithBaseURL(e.stub.BaseURL()), openai.WithModel(model)}
	l, err := openai.New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func (e *env) flush(t *testing.T) {
	t.Helper()
	if err := e.tracker.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

// run starts a drip run of the caller's own.
func (e *env) run(t *testing.T) (context.Context, *drip.Run) {
	return e.tracker.Start(ctxT(t), drip.RunParams{CustomerID: e.cust, Workflow: "mine"})
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// timeline renders a run's events, one line each, with the fields the
// tests pin: type, name, quantity, units, model and token counts.
func (e *env) timeline(t *testing.T, runID string) []string {
	t.Helper()
	var lines []string
	for _, ev := range e.drip.Events(runID) {
		b, _ := json.Marshal(ev.Metadata)
		if strings.Contains(string(b), secret) || strings.Contains(ev.Description, secret) {
			t.Errorf("event %s leaks content: %s", ev.EventType, b)
		}
		for _, k := range []string{"prompt", "input", "output", "query", "errorMessage"} {
			if _, ok := ev.Metadata[k]; ok {
				t.Errorf("event %s has metadata %q", ev.EventType, k)
			}
		}
		s := fmt.Sprintf("%s q=%g %s", ev.EventType, ev.Quantity, ev.Units)
		for _, k := range []string{"name", "model", "inputTokens", "outputTokens", "cachedInputTokens", "reasoningTokens", "errorType", "actionCount", "documentCount", "depth"} {
			if v, ok := ev.Metadata[k]; ok {
				s += fmt.Sprintf(" %s=%v", k, v)
			}
		}
		lines = append(lines, s)
	}
	return lines
}

func assertLines(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("timeline:\n  got:\n    %s\n  want:\n    %s", strings.Join(got, "\n    "), strings.Join(want, "\n    "))
	}
}

// llmLine is the llm.completion line of one stub call (default usage).
func llmLine(m string) string {
	return "llm.completion q=18 tokens model=" + m + " inputTokens=11 outputTokens=7 cachedInputTokens=3 reasoningTokens=2"
}

// onlyRun returns the single run driptest holds.
func (e *env) onlyRun(t *testing.T) driptest.Run {
	t.Helper()
	runs := e.drip.Runs()
	if len(runs) != 1 {
		t.Fatalf("%d runs, want 1: %+v", len(runs), runs)
	}
	return runs[0]
}

func cost(m string, in, cached, out int64) float64 {
	c, _ := pricing.Default().Cost(m, in, cached, out)
	return c
}
