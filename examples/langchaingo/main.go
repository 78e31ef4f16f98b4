// Command langchaingo shows a langchaingo agent metered into Drip end to
// end by one callback handler: each agent execution becomes a run (workflow
// "langchain") with its LLM calls (tokens, model, cost), agent actions, tool
// calls and the chain executions, ended COMPLETED or FAILED with it.
//
// It runs offline: with DRIP_BASE_URL unset it starts an in-process dripd,
// and with OPENAI_BASE_URL unset a local OpenAI-compatible stub that plays a
// scripted ReAct agent. Point DRIP_BASE_URL/DRIP_API_KEY at Drip and
// OPENAI_BASE_URL/OPENAI_API_KEY at an OpenAI-compatible API to run it for
// real.
//
//	go run ./examples/langchaingo
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/tmc/langchaingo/agents"
	"github.com/tmc/langchaingo/chains"
	"github.com/tmc/langchaingo/llms/openai"
	"github.com/tmc/langchaingo/tools"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest/openaitest"
	"github.com/drip-sdk/drip-go/internal/devenv"
	"github.com/drip-sdk/drip-go/langchaingo"
)

func main() {
	if err := run(context.Background()); err != nil {
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

func run(ctx context.Context) error {
	// 1. A Drip client and tracker (an embedded dripd when offline).
	env, err := devenv.Start(ctx, os.Stdout)
	if err != nil {
		return err
	}
	defer env.Close()
	client, inst := env.Client, env.Local
	tracker := drip.NewTracker(client)
	defer tracker.Shutdown(context.Background())
	customer, err := client.GetOrCreateCustomer(ctx, "acme", nil)
	if err != nil {
		return err
	}

	// 2. An OpenAI-compatible endpoint (a scripted local stub when offline).
	baseURL, apiKey := os.Getenv("OPENAI_BASE_URL"), os.Getenv("OPENAI_API_KEY")
	if baseURL == "" {
		stub := openaitest.Start(openaitest.WithScript(
			"Thought: I should look the order up.\nAction: order_status\nAction Input: 1042",
			"Thought: and work out the refund.\nAction: calculator\nAction Input: 3*19.99",
			"Thought: I know the answer.\nFinal Answer: Order 1042 shipped yesterday; a refund would be 59.97.",
		))
		defer stub.Close()
		baseURL, apiKey = stub.BaseURL(), "sk-offline"
		fmt.Println("offline: a scripted OpenAI-compatible stub at", baseURL)
	}

	// 3. The handler: one per customer (or per process, with
	// drip.ContextWithCustomer on each request's ctx). Its HTTPClient meters the
	// OpenAI traffic in step with the callbacks: the model the API answered
	// with, streamed usage and errors, each call counted once.
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
	fmt.Println("agent:", answer)

	// 5. Deliver, then show what Drip recorded.
	if err := tracker.Flush(ctx); err != nil {
		return err
	}
	st := tracker.Stats()
	fmt.Printf("tracker: sent %d, dropped %d\n", st.Sent, st.Dropped)
	if inst == nil {
		fmt.Println("see the run in the Drip dashboard (workflow", langchaingo.DefaultWorkflow+")")
		return nil
	}
	runs, err := inst.Store().Runs(ctx)
	if err != nil {
		return err
	}
	for _, r := range runs {
		fmt.Printf("\nrun %s  %s  %d events  %g units  $%.6f\n", r.ID, r.Status, r.EventCount, r.TotalQuantity, r.TotalCostUnits)
		events, err := inst.Store().Events(ctx, r.ID)
		if err != nil {
			return err
		}
		for _, e := range events {
			line := fmt.Sprintf("  %-16s %4g %-10s", e.EventType, e.Quantity, e.Units)
			for _, k := range []string{"name", "model", "inputTokens", "outputTokens", "latencyMs"} {
				if v, ok := e.Metadata[k]; ok {
					line += fmt.Sprintf(" %s=%v", k, v)
				}
			}
			fmt.Println(line)
		}
	}
	return nil
}
