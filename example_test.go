package drip_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http/httptest"
	"time"

	"github.com/sashabaranov/go-openai"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/driptest/openaitest"
	"github.com/drip-sdk/drip-go/providers/pricing"
)

// The examples record into a local Drip (dripd, package dripserver) so they
// run anywhere; in your program drip.New() reads DRIP_API_KEY and
// DRIP_BASE_URL and needs no options.

// Record usage for a customer. A retry with the same idempotency key is
// recognised as a duplicate and counted once.
func ExampleNew() {
	ctx := context.Background()
	local, err := dripserver.Start(ctx, "127.0.0.1:0", nil, dripserver.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		log.Fatal(err)
	}
	defer local.Shutdown(ctx)

	client, err := drip.New(drip.WithAPIKey("sk_test_example_key"), drip.WithBaseURL(local.BaseURL()))
	if err != nil {
		log.Fatal(err)
	}
	cust, err := client.GetOrCreateCustomer(ctx, "user_42", nil)
	if err != nil {
		log.Fatal(err)
	}
	for range 2 { // the same logical call, sent twice
		res, err := client.TrackUsage(ctx, drip.UsageParams{
			CustomerID: cust.ID, Meter: "api_calls", Quantity: 1, IdempotencyKey: "req_7f3a",
		})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("recorded for", cust.ExternalCustomerID, "duplicate:", res.IsDuplicate)
	}
	// Output:
	// recorded for user_42 duplicate: false
	// recorded for user_42 duplicate: true
}

// Record an agent run in the background: the calls on the run only
// enqueue, and Shutdown delivers everything before the program exits.
func ExampleTracker_Start() {
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

	tracker := drip.NewTracker(client)
	runCtx, run := tracker.Start(ctx, drip.RunParams{CustomerID: cust.ID, Workflow: "support-agent"})
	_ = runCtx // pass it on: WrapOpenAI, langchaingo and otelbridge record into its run
	run.LLMCall("gpt-4o-mini", 812, 164, 730*time.Millisecond)
	run.ToolCall("search", 120*time.Millisecond, nil)
	run.Emit(drip.Event{Type: drip.EventRetrieverQuery, Name: "kb", Quantity: 3, Units: "documents"})
	run.End(drip.RunCompleted)

	shutdownCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := tracker.Shutdown(shutdownCtx); err != nil {
		log.Fatal(err) // says what was not delivered
	}

	tl, err := client.GetRunTimeline(ctx, run.ID(), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tl.WorkflowName, tl.Status)
	for _, e := range tl.Events {
		fmt.Printf("%s: %v %v", e.Type, e.Metadata["quantity"], e.Metadata["units"])
		if e.Duration > 0 {
			fmt.Printf(", %v", e.Duration)
		}
		if e.CostUnits != nil { // the tracker prices LLM calls
			fmt.Printf(", $%s", e.CostUnits.StringFixed(6))
		}
		fmt.Println()
	}
	// Output:
	// Support Agent COMPLETED
	// llm.completion: 976 tokens, 730ms, $0.000220
	// tool.call: 1 calls, 120ms
	// retriever.query: 3 documents
}

// Meter a go-openai client: inside a run each call is an llm.completion
// event with the provider's token counts; outside, llm_tokens usage for the
// customer.
func ExampleWrapOpenAI() {
	ctx := context.Background()
	local, err := driptest.StartLocal(ctx) // a local Drip; your program calls drip.New()
	if err != nil {
		log.Fatal(err)
	}
	defer local.Close()
	dc := local.Client
	cust, err := dc.GetOrCreateCustomer(ctx, "user_42", nil)
	if err != nil {
		log.Fatal(err)
	}
	fake := openaitest.Start() // a fake OpenAI: "Hello, world!", 11 input and 7 output tokens
	defer fake.Close()
	cfg := openai.DefaultConfig("sk-fake")
	cfg.BaseURL = fake.BaseURL()

	// With no WithOpenAITracker the default tracker records; then
	// defer drip.Shutdown(ctx) in main.
	tracker := drip.NewTracker(dc)
	client := drip.WrapOpenAI(openai.NewClientWithConfig(cfg), cust.ID, drip.WithOpenAITracker(tracker))

	runCtx, run := tracker.Start(ctx, drip.RunParams{CustomerID: cust.ID, Workflow: "chat"})
	resp, err := client.CreateChatCompletion(runCtx, openai.ChatCompletionRequest{
		Model:    openai.GPT4oMini,
		Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "Hi"}},
	})
	if err != nil {
		run.Fail(err)
		log.Fatal(err)
	}
	run.End(drip.RunCompleted)
	fmt.Println(resp.Choices[0].Message.Content)

	shutdownCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := tracker.Shutdown(shutdownCtx); err != nil {
		log.Fatal(err)
	}
	tl, err := dc.GetRunTimeline(ctx, run.ID(), nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range tl.Events {
		fmt.Printf("%s: %v, %v input and %v output tokens\n", e.Type, e.Metadata["model"],
			e.Metadata["inputTokens"], e.Metadata["outputTokens"])
	}
	// Output:
	// Hello, world!
	// llm.completion: gpt-4o-mini-2024-07-18, 11 input and 7 output tokens
}

// A webhook endpoint: deliveries whose X-Drip-Signature does not verify
// get 400 and never reach the function.
func ExampleWebhookHandler() {
	secret := "whsec_example" // as Drip returned it when the webhook was created
	h := drip.WebhookHandler(secret, func(ctx context.Context, e drip.WebhookEvent) error {
		if e.Type == drip.WebhookCustomerSpendingWarning {
			var alert struct {
				CustomerID string `json:"customerId"`
				Level      string `json:"level"`
			}
			if err := e.DecodeData(&alert); err != nil {
				return err
			}
			fmt.Println("spending", alert.Level, "for", alert.CustomerID)
		}
		return nil
	})

	// What Drip sends, signed as Drip signs it.
	body := []byte(`{"type":"customer.spending.warning","data":{"customerId":"cus_1","level":"warning"}}`)
	req := httptest.NewRequest("POST", "/webhooks/drip", bytes.NewReader(body))
	req.Header.Set(drip.WebhookSignatureHeader, drip.SignWebhookPayload(body, secret, time.Now()))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// spending warning for cus_1
	// 204
}

// Cost prices an event's counts the way the tracker prices LLM events.
func ExampleEvent_Cost() {
	e := drip.Event{Type: drip.EventLLMCompletion, Model: "claude-sonnet-4-5-20250929",
		InputTokens: 1000, CacheCreationInputTokens: 200, OutputTokens: 100, WebSearches: 1}
	usd, ok := e.Cost(pricing.Default())
	fmt.Printf("$%.5f %v\n", usd, ok)
	// Output: $0.01465 true
}
