// Command langchaingo shows a langchaingo agent metered into Drip end to
// end by one callback handler: each agent execution becomes a run (workflow
// "langchain") with its LLM calls (tokens, model, cost), agent actions, tool
// calls and the chain executions, ended COMPLETED or FAILED with it.
//
//	go run ./examples/langchaingo
//
// It runs offline: with DRIP_BASE_URL (and DRIP_API_URL) unset it records
// into a local dripd started in this process, and with OPENAI_BASE_URL unset
// it talks to a fake OpenAI (package driptest/openaitest) that plays a
// scripted ReAct agent. Point DRIP_BASE_URL/DRIP_API_KEY at Drip and
// OPENAI_BASE_URL/OPENAI_API_KEY at an OpenAI-compatible API to run it for
// real.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tmc/langchaingo/agents"
	"github.com/tmc/langchaingo/chains"
	"github.com/tmc/langchaingo/llms/openai"
	"github.com/tmc/langchaingo/tools"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/driptest/openaitest"
	"github.com/drip-sdk/drip-go/langchaingo"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// orderStatus is an application tool: a plain tools.Tool with no callbacks
// of its own. The handler still times it and names it (from the agent
// action that calls it).
type orderStatus struct{}

func (orderStatus) Name() string        { return "order_status" }
func (orderStatus) Description() string { return "Status of an order, by order number." }
func (orderStatus) Call(_ context.Context, order string) (string, error) {
	return "order " + strings.TrimSpace(order) + " shipped yesterday", nil
}

func run(ctx context.Context, out io.Writer) error {
	// 1. A Drip client and tracker (a local dripd when offline).
	client, local, stop, err := dripClient(ctx, out)
	if err != nil {
		return err
	}
	defer stop()
	tracker := drip.NewTracker(client)
	defer shutdown(tracker) // on an early return; a second Shutdown is harmless
	customer, err := client.GetOrCreateCustomer(ctx, "acme", nil)
	if err != nil {
		return err
	}

	// 2. An OpenAI-compatible endpoint (a scripted fake when offline).
	baseURL, apiKey := os.Getenv("OPENAI_BASE_URL"), os.Getenv("OPENAI_API_KEY")
	if baseURL == "" {
		fake := openaitest.Start(openaitest.WithScript(
			"Thought: I should look the order up.\nAction: order_status\nAction Input: 1042",
			"Thought: and work out the refund.\nAction: calculator\nAction Input: 3*19.99",
			"Thought: I know the answer.\nFinal Answer: Order 1042 shipped yesterday; a refund would be 59.97.",
		))
		defer fake.Close()
		baseURL, apiKey = fake.BaseURL(), "sk-fake"
		fmt.Fprintln(out, "OPENAI_BASE_URL not set: a fake OpenAI playing a scripted agent at", baseURL)
	}

	// 3. The handler: one per customer (or per process, with
	// drip.ContextWithCustomer on each request's ctx). Its HTTPClient meters
	// the OpenAI traffic in step with the callbacks: the model the API
	// answered with, streamed usage and errors, each call counted once.
	h := langchaingo.NewCallbackHandler(customer.ID, langchaingo.WithTracker(tracker))
	llm, err := openai.New(
		openai.WithBaseURL(baseURL), openai.WithToken(apiKey), openai.WithModel("gpt-4o-mini"),
		openai.WithCallback(h), openai.WithHTTPClient(h.HTTPClient(nil)),
	)
	if err != nil {
		return err
	}
	agentTools := []tools.Tool{tools.Calculator{CallbacksHandler: h}, orderStatus{}}
	executor := agents.NewExecutor(
		agents.NewOneShotAgent(llm, agentTools, agents.WithCallbacksHandler(h)),
		agents.WithCallbacksHandler(h), agents.WithMaxIterations(5),
	)

	// 4. Run the agent. No drip code around it: the handler opens a run for
	// the execution and ends it.
	answer, err := chains.Run(ctx, executor, "Where is order 1042, and what is a refund of three items at 19.99?")
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "agent:", answer)

	// 5. Deliver, then show what Drip recorded.
	if err := shutdown(tracker); err != nil {
		return err
	}
	st := tracker.Stats()
	fmt.Fprintf(out, "tracker: %d events delivered, %d dropped, %d failed\n", st.Sent, st.Dropped, st.Failed)
	if local == nil {
		fmt.Fprintf(out, "see the run in the Drip dashboard (workflow %q)\n", langchaingo.DefaultWorkflow)
		return nil
	}
	runs, err := local.Store().Runs(ctx) // the handler opened the run; the local store lists it
	if err != nil {
		return err
	}
	for _, r := range runs {
		if err := printRun(ctx, out, client, r.ID); err != nil {
			return err
		}
	}
	return nil
}

// shutdown shuts the tracker down, giving it 10 seconds to deliver what is
// still queued.
func shutdown(t *drip.Tracker) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return t.Shutdown(ctx)
}

// dripClient returns a client for Drip when DRIP_BASE_URL or DRIP_API_URL
// is set (drip.New reads them and DRIP_API_KEY). Otherwise it starts a
// local dripd with an in-memory store, returned as local to read back what
// was recorded, and a client for it; any well-formed key is accepted there.
// stop shuts down what it started.
func dripClient(ctx context.Context, out io.Writer) (client *drip.Client, local *dripserver.Instance, stop func(), err error) {
	if os.Getenv("DRIP_BASE_URL") != "" || os.Getenv("DRIP_API_URL") != "" {
		client, err = drip.New()
		if err != nil {
			return nil, nil, nil, err
		}
		fmt.Fprintln(out, "recording into Drip at", client.BaseURL())
		return client, nil, func() {}, nil
	}
	local, err = dripserver.Start(ctx, "127.0.0.1:0", nil, dripserver.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return nil, nil, nil, err
	}
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		local.Shutdown(ctx)
	}
	client, err = drip.New(drip.WithAPIKey("sk_test_local_dripd"), drip.WithBaseURL(local.BaseURL()))
	if err != nil {
		stop()
		return nil, nil, nil, err
	}
	fmt.Fprintln(out, "DRIP_BASE_URL not set: recording into a local dripd at", local.BaseURL())
	return client, local, stop, nil
}

// printRun prints what Drip recorded for a run: each event with its
// quantity in its own unit, then the totals per event type (tokens and tool
// calls are different things, so they are never added up) and the cost.
func printRun(ctx context.Context, out io.Writer, client *drip.Client, runID string) error {
	tl, err := client.GetRunTimeline(ctx, runID, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nrun %s  %q  %s  %s\n", tl.RunID, tl.WorkflowName, tl.Status, quantity(float64(tl.Summary.TotalEvents), "events"))
	if tl.ErrorCode != "" || tl.ErrorMessage != "" {
		fmt.Fprintf(out, "  error %s: %s\n", tl.ErrorCode, tl.ErrorMessage)
	}
	type total struct {
		typ, unit string
		q         float64
	}
	var totals []*total
	byType := map[string]*total{}
	costed := false
	for e, err := range client.TimelineEvents(ctx, runID, 100) {
		if err != nil {
			return err
		}
		q, _ := e.Metadata["quantity"].(float64)
		unit, _ := e.Metadata["units"].(string)
		if byType[e.Type] == nil {
			byType[e.Type] = &total{typ: e.Type, unit: unit}
			totals = append(totals, byType[e.Type])
		}
		byType[e.Type].q += q
		what, _ := e.Metadata["model"].(string)
		if what == "" {
			what, _ = e.Metadata["name"].(string)
		}
		amount := quantity(q, unit)
		if in, ok := e.Metadata["inputTokens"]; ok {
			amount += fmt.Sprintf(" (%v in, %v out)", in, e.Metadata["outputTokens"])
		}
		cost := ""
		if e.CostUnits != nil {
			cost, costed = usd(*e.CostUnits), true
		}
		line := fmt.Sprintf("  %-15s %-8s %-23s %-30s %6s  %s", e.Type, e.Outcome, what, amount, duration(e.Duration), cost)
		fmt.Fprintln(out, strings.TrimRight(line, " "))
	}
	var parts []string
	for _, t := range totals {
		parts = append(parts, t.typ+" "+quantity(t.q, t.unit))
	}
	cost := "no cost recorded"
	if costed {
		usdTotal, _ := strconv.ParseFloat(tl.Summary.TotalCostUnits, 64)
		cost = "cost " + usd(usdTotal)
	}
	fmt.Fprintf(out, "  totals: %s; %s\n", strings.Join(parts, ", "), cost)
	return nil
}

// quantity labels q with its unit: "1500 tokens", "1 call".
func quantity(q float64, unit string) string {
	if unit == "" {
		return fmt.Sprintf("%g (no unit)", q)
	}
	if q == 1 {
		unit = strings.TrimSuffix(unit, "s")
	}
	return fmt.Sprintf("%g %s", q, unit)
}

// duration rounds d for reading ("730ms", "1.2s"); "" when unknown.
func duration(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(100 * time.Millisecond).String()
	}
}

// usd formats a cost in US dollars; LLM calls cost fractions of a cent.
func usd(v float64) string { return fmt.Sprintf("$%.6f", v) }
