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
	"os"
	"strings"
	"time"

	"github.com/tmc/langchaingo/agents"
	"github.com/tmc/langchaingo/chains"
	"github.com/tmc/langchaingo/llms/openai"
	"github.com/tmc/langchaingo/tools"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/driptest/openaitest"
	"github.com/drip-sdk/drip-go/langchaingo"
	"github.com/drip-sdk/drip-go/runreport"
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
		if err := runreport.Write(ctx, out, client, r.ID, runreport.Options{}); err != nil {
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
func dripClient(ctx context.Context, out io.Writer) (client *drip.Client, local *driptest.Local, stop func(), err error) {
	if os.Getenv("DRIP_BASE_URL") != "" || os.Getenv("DRIP_API_URL") != "" {
		client, err = drip.New()
		if err != nil {
			return nil, nil, nil, err
		}
		fmt.Fprintln(out, "recording into Drip at", client.BaseURL())
		return client, nil, func() {}, nil
	}
	if local, err = driptest.StartLocal(ctx); err != nil {
		return nil, nil, nil, err
	}
	fmt.Fprintln(out, "DRIP_BASE_URL not set: recording into a local dripd at", local.BaseURL())
	return local.Client, local, func() { local.Close() }, nil
}
