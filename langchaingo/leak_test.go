package langchaingo

import (
	"context"
	"testing"
	"time"

	"github.com/tmc/langchaingo/llms"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
)

func newTestTracker(t *testing.T) (*drip.Tracker, *driptest.Server, string) {
	t.Helper()
	ds := driptest.NewServer(t)
	c, err := drip.New(drip.WithAPIKey(ds.APIKey()), drip.WithBaseURL(ds.BaseURL()))
	if err != nil {
		t.Fatal(err)
	}
	tr := drip.NewTracker(c, drip.WithoutSelfMetrics())
	t.Cleanup(func() { _ = tr.Shutdown(context.Background()) })
	cu, err := c.GetOrCreateCustomer(context.Background(), "acme", nil)
	if err != nil {
		t.Fatal(err)
	}
	return tr, ds, cu.ID
}

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// TestNoLeak: 10,000 starts without ends (providers that never call the end
// callback, cancelled calls) leave no growth in handler state.
func TestNoLeak(t *testing.T) {
	tr, ds, cust := newTestTracker(t)
	const n = 10000

	t.Run("cancelled contexts", func(t *testing.T) {
		h := NewCallbackHandler(cust, WithTracker(tr))
		peak := 0
		for i := 0; i < n; i++ {
			ctx, cancel := context.WithCancel(context.Background())
			h.HandleLLMGenerateContentStart(ctx, nil)
			h.HandleToolStart(ctx, "")
			h.HandleRetrieverStart(ctx, "")
			cancel()
			peak = max(peak, h.stateSize())
		}
		if peak > minSweepLen+1 {
			t.Fatalf("state grew to %d entries", peak)
		}
		h.sweep()
		if got := h.stateSize(); got != 0 {
			t.Fatalf("%d entries left after a sweep", got)
		}
	})

	t.Run("one shared context", func(t *testing.T) {
		h := NewCallbackHandler(cust, WithTracker(tr))
		ctx := context.Background()
		for i := 0; i < n; i++ {
			h.HandleLLMGenerateContentStart(ctx, nil) // anthropic: no end, ever
			h.HandleRetrieverStart(ctx, "")
		}
		h.mu.Lock()
		e := h.entries[ctx]
		size, llm, retr := len(h.entries), len(e.llm), len(e.retr)
		h.mu.Unlock()
		if size != 1 || llm > maxPendingLLM || retr > maxPendingRetr {
			t.Fatalf("entries %d, pending llm %d, retrievals %d", size, llm, retr)
		}
	})

	t.Run("live contexts expire after the TTL", func(t *testing.T) {
		clk := &fakeClock{t: time.Unix(1700000000, 0)}
		h := NewCallbackHandler(cust, WithTracker(tr), WithStateTTL(time.Second))
		h.now = clk.now
		h.lastSweep = clk.t
		ctxs := make([]context.Context, n) // kept alive: never done
		peak := 0
		for i := range ctxs {
			ctxs[i] = context.WithValue(context.Background(), struct{}{}, i)
			h.HandleLLMGenerateContentStart(ctxs[i], nil)
			clk.t = clk.t.Add(time.Millisecond)
			peak = max(peak, h.stateSize())
		}
		if peak > 2*minSweepLen {
			t.Fatalf("state grew to %d entries", peak)
		}
		clk.t = clk.t.Add(2 * time.Second)
		h.sweep()
		if got := h.stateSize(); got != 0 {
			t.Fatalf("%d entries left after the TTL", got)
		}
	})

	t.Run("double and nil ends", func(t *testing.T) {
		h := NewCallbackHandler(cust, WithTracker(tr))
		ctx := context.Background()
		for i := 0; i < n; i++ {
			// No tokens: nothing to send, only state to keep or not.
			res := &llms.ContentResponse{Choices: []*llms.ContentChoice{{GenerationInfo: map[string]any{"PromptTokens": 0}}}}
			h.HandleLLMGenerateContentStart(ctx, nil)
			h.HandleLLMGenerateContentEnd(ctx, nil)
			h.HandleLLMGenerateContentEnd(ctx, res)
			h.HandleLLMGenerateContentEnd(ctx, res)
			h.HandleToolEnd(ctx, "")
			h.HandleChainEnd(ctx, nil)
			h.HandleRetrieverEnd(ctx, "", nil)
		}
		if got := h.stateSize(); got != 0 {
			t.Fatalf("%d entries left", got)
		}
	})

	t.Run("abandoned executions end their runs", func(t *testing.T) {
		h := NewCallbackHandler(cust, WithTracker(tr), WithWorkflow("abandoned"))
		clk := &fakeClock{t: time.Now()}
		h.now = clk.now
		for i := 0; i < 50; i++ {
			ctx, cancel := context.WithCancel(context.Background())
			h.HandleChainStart(ctx, nil)
			cancel()
		}
		clk.t = clk.t.Add(2 * doneGrace)
		h.sweep()
		if got := h.stateSize(); got != 0 {
			t.Fatalf("%d entries left", got)
		}
		if err := tr.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		for _, r := range ds.Runs() {
			if r.Status == "RUNNING" {
				t.Fatalf("run %s left RUNNING", r.ID)
			}
		}
	})
}

// A context type that cannot be a map key is recorded without per-call
// state, never a panic.
type sliceCtx struct {
	context.Context
	tags []string
}

func TestUncomparableContext(t *testing.T) {
	tr, _, cust := newTestTracker(t)
	h := NewCallbackHandler(cust, WithTracker(tr))
	ctx := sliceCtx{Context: context.Background(), tags: []string{"a"}}
	res := &llms.ContentResponse{Choices: []*llms.ContentChoice{{GenerationInfo: map[string]any{"PromptTokens": 1}}}}
	h.HandleChainStart(ctx, nil)
	h.HandleLLMGenerateContentStart(ctx, nil)
	h.HandleLLMGenerateContentEnd(ctx, res)
	h.HandleToolStart(ctx, "")
	h.HandleToolEnd(ctx, "")
	h.HandleRetrieverStart(ctx, "")
	h.HandleRetrieverEnd(ctx, "", nil)
	h.HandleChainEnd(ctx, nil)
	if h.stateSize() != 0 {
		t.Fatal("state kept for an uncomparable ctx")
	}
}
