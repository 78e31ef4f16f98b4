package langchaingo_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/tmc/langchaingo/chains"
	"github.com/tmc/langchaingo/llms/openai"
	"github.com/tmc/langchaingo/prompts"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/driptest/openaitest"
	"github.com/drip-sdk/drip-go/langchaingo"
)

// Meter a langchaingo chain: the chain execution becomes a Drip run with
// the LLM call's exact tokens in it. The example records into a local Drip
// (package dripserver) and calls a fake OpenAI (package driptest/openaitest);
// in your program drip.New() reads DRIP_API_KEY and DRIP_BASE_URL.
func ExampleNewCallbackHandler() {
	ctx := context.Background()
	local, err := driptest.StartLocal(ctx) // a local Drip; your program calls drip.New()
	if err != nil {
		log.Fatal(err)
	}
	defer local.Close()
	client := local.Client
	cust, err := client.GetOrCreateCustomer(ctx, "user_42", nil)
	if err != nil {
		log.Fatal(err)
	}
	fake := openaitest.Start() // answers "Hello, world!" with 11 input and 7 output tokens
	defer fake.Close()

	// Without WithTracker the handler records through the default tracker;
	// then defer drip.Shutdown(ctx) in main.
	tracker := drip.NewTracker(client)
	h := langchaingo.NewCallbackHandler(cust.ID, langchaingo.WithTracker(tracker))
	llm, err := openai.New(openai.WithBaseURL(fake.BaseURL()), openai.WithToken("sk-fake"),
		openai.WithModel("gpt-4o-mini"), openai.WithCallback(h), openai.WithHTTPClient(h.HTTPClient(nil)))
	if err != nil {
		log.Fatal(err)
	}
	chain := chains.NewLLMChain(llm, prompts.NewPromptTemplate("Greet {{.name}}.", []string{"name"}),
		chains.WithCallback(h))
	answer, err := chains.Run(ctx, chain, "Ada")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(answer)

	shutdownCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := tracker.Shutdown(shutdownCtx); err != nil {
		log.Fatal(err)
	}

	// What Drip recorded (the local server's store lists the runs).
	runs, err := local.Store().Runs(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range runs {
		fmt.Println("run:", r.WorkflowName, r.Status)
		events, err := local.Store().Events(ctx, r.ID)
		if err != nil {
			log.Fatal(err)
		}
		for _, e := range events {
			fmt.Printf("  %s: %g %s\n", e.EventType, e.Quantity, e.Units)
		}
	}
	// Output:
	// Hello, world!
	// run: Langchain COMPLETED
	//   llm.completion: 18 tokens
	//   chain.execution: 1 executions
}
