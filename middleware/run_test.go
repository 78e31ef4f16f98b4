package middleware_test

import (
	"io"
	"net/http"
	"testing"

	goopenai "github.com/sashabaranov/go-openai"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest/openaitest"
	"github.com/drip-sdk/drip-go/middleware"
)

func TestStartRunWithOpenAI(t *testing.T) {
	e := newEnv(t)
	stub := openaitest.New(t)
	cfg := goopenai.DefaultConfig("sk-openai-test")
	cfg.BaseURL = stub.BaseURL()
	// One wrapped client for the whole app, with a fallback customer that
	// must never be used: inside a request the run decides.
	llm := drip.WrapOpenAI(goopenai.NewClientWithConfig(cfg), "fallback-never-used", drip.WithOpenAITracker(e.tracker))

	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/{model}", func(w http.ResponseWriter, r *http.Request) {
		info := middleware.FromContext(r.Context())
		if info.Run == nil || drip.RunFromContext(r.Context()) != info.Run {
			t.Error("the run is not in the request context")
		}
		resp, err := llm.CreateChatCompletion(r.Context(), goopenai.ChatCompletionRequest{
			Model:    r.PathValue("model"),
			Messages: []goopenai.ChatCompletionMessage{{Role: "user", Content: "hi"}},
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		_, _ = io.WriteString(w, resp.Choices[0].Message.Content)
	})
	// The middleware wraps the whole mux and still names the run after
	// the route that will match.
	url := serve(t, middleware.Wrap(mux, middleware.Config{
		Meter: "api_calls", CustomerResolver: resolveTenant, Tracker: e.tracker, StartRun: true,
	}))

	if r := do(t, "POST", url+"/v1/chat/gpt-4o-mini", "tok-acme"); r.status != 200 || r.body != stub.Text() {
		t.Fatalf("reply = %+v", r)
	}
	e.flush(t)
	runs := e.drip.Runs()
	if len(runs) != 1 {
		t.Fatalf("runs = %+v, want 1", runs)
	}
	run := runs[0]
	if run.CustomerID != e.ids["acme"] || run.Status != "COMPLETED" {
		t.Errorf("run = %+v", run)
	}
	if wf := e.drip.Workflows(); len(wf) != 1 || wf[0].Slug != "post-v1-chat-model" {
		t.Errorf("workflows = %+v, want post-v1-chat-model", wf)
	}
	events := e.drip.Events(run.ID)
	types := map[string]int{}
	for _, ev := range events {
		types[ev.EventType]++
		if ev.EventType == drip.EventLLMCompletion {
			u := stub.Usage()
			if ev.Metadata["inputTokens"] != float64(u.Prompt) || ev.Metadata["outputTokens"] != float64(u.Completion) {
				t.Errorf("llm event metadata = %v, want the stub's %+v", ev.Metadata, u)
			}
		}
	}
	if types[drip.EventLLMCompletion] != 1 || types[drip.EventHTTPRequest] != 1 {
		t.Errorf("event types = %v, want one llm.completion and one http.request", types)
	}
	// The LLM call went into the run, not to usage of anyone; the request
	// itself is one api_calls record.
	recs := e.drip.UsageRecords()
	if len(recs) != 1 || recs[0].UsageType != "api_calls" || recs[0].CustomerID != e.ids["acme"] {
		t.Errorf("usage = %+v, want only the api_calls record", recs)
	}
}

func TestStartRunFailures(t *testing.T) {
	e := newEnv(t)
	type boom struct{ msg string }
	mux := http.NewServeMux()
	mux.HandleFunc("GET /unavailable", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	mux.HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) {
		panic(boom{"kaboom"})
	})
	metered := middleware.Wrap(mux, middleware.Config{
		Meter: "api_calls", CustomerResolver: resolveTenant, Tracker: e.tracker, StartRun: true, Workflow: "api",
	})
	// An outer recoverer proves the panic is re-raised unchanged.
	recovered := make(chan any, 1)
	outer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				recovered <- p
				w.WriteHeader(http.StatusInternalServerError)
			}
		}()
		metered.ServeHTTP(w, r)
	})
	url := serve(t, outer)

	if r := do(t, "GET", url+"/unavailable", "tok-acme"); r.status != 503 {
		t.Fatalf("status = %d", r.status)
	}
	if r := do(t, "GET", url+"/panic", "tok-globex"); r.status != 500 {
		t.Fatalf("status = %d", r.status)
	}
	if p := <-recovered; p != (boom{"kaboom"}) {
		t.Errorf("recovered %v, want the handler's panic value", p)
	}
	e.flush(t)
	byCustomer := map[string]drip.RunStatus{}
	codes := map[string]string{}
	for _, r := range e.drip.Runs() {
		byCustomer[r.CustomerID] = drip.RunStatus(r.Status)
		codes[r.CustomerID] = r.ErrorCode
		if r.WorkflowName == "" {
			t.Errorf("run %s has no workflow", r.ID)
		}
	}
	if byCustomer[e.ids["acme"]] != drip.RunFailed || codes[e.ids["acme"]] != "HTTP_503" {
		t.Errorf("5xx run: %s %s", byCustomer[e.ids["acme"]], codes[e.ids["acme"]])
	}
	if byCustomer[e.ids["globex"]] != drip.RunFailed || codes[e.ids["globex"]] != "PANIC" {
		t.Errorf("panic run: %s %s", byCustomer[e.ids["globex"]], codes[e.ids["globex"]])
	}
	if recs := e.drip.UsageRecords(); len(recs) != 0 {
		t.Errorf("failed requests were billed: %+v", recs)
	}
}

func TestStartRunRetriedRequest(t *testing.T) {
	e := newEnv(t)
	attempts := 0
	url := serve(t, middleware.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if attempts++; attempts == 1 {
			w.WriteHeader(http.StatusServiceUnavailable) // the first attempt fails
		}
	}), middleware.Config{
		Meter: "api_calls", CustomerResolver: resolveTenant, Tracker: e.tracker, StartRun: true,
	}))
	do(t, "POST", url+"/job", "tok-acme", "Idempotency-Key: job-1")
	e.flush(t)
	do(t, "POST", url+"/job", "tok-acme", "Idempotency-Key: job-1") // the client retries
	do(t, "POST", url+"/job", "tok-acme", "Idempotency-Key: job-1") // and once more
	e.flush(t)
	// One run per attempt, grouped by a correlation id; the retry's run
	// is not stuck with the first attempt's failure.
	runs := e.drip.Runs()
	if len(runs) != 3 || runs[0].Status != "FAILED" || runs[1].Status != "COMPLETED" || runs[2].Status != "COMPLETED" {
		t.Fatalf("runs = %+v", runs)
	}
	if runs[0].CorrelationID == "" || runs[0].CorrelationID != runs[1].CorrelationID || runs[1].CorrelationID != runs[2].CorrelationID {
		t.Errorf("correlation ids %q %q %q, want one shared id", runs[0].CorrelationID, runs[1].CorrelationID, runs[2].CorrelationID)
	}
	// Billed once: the failed attempt is not billed, the two successes share a key.
	if n := len(e.drip.UsageRecords()); n != 1 {
		t.Errorf("%d usage records, want 1", n)
	}
}
