package drip_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"

	"github.com/sashabaranov/go-openai"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/driptest/openaitest"
)

// Bill a streamed LLM reply: each chunk is added to the meter as it
// arrives, and one usage call bills the whole reply when the stream ends,
// also when it is cut short (what was delivered is billed).
func ExampleNewStreamMeter() {
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
	fake := openaitest.Start() // a fake OpenAI streaming "Hello", ", ", "world", "!"
	defer fake.Close()
	cfg := openai.DefaultConfig("sk-fake")
	cfg.BaseURL = fake.BaseURL()
	oai := openai.NewClientWithConfig(cfg)

	meter, err := drip.NewStreamMeter(dc, drip.StreamMeterParams{
		CustomerID: cust.ID, Meter: "output_tokens", Units: "tokens",
		IdempotencyKey: "req_7f3a", // your request's id: a replayed request bills once
	})
	if err != nil {
		log.Fatal(err)
	}
	stream, err := oai.CreateChatCompletionStream(ctx, openai.ChatCompletionRequest{
		Model:    openai.GPT4oMini,
		Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "Hi"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer stream.Close()
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			log.Print(err) // cut short: still bill what arrived
			break
		}
		for _, ch := range chunk.Choices {
			if ch.Delta.Content != "" {
				fmt.Print(ch.Delta.Content)
				meter.Accumulate(1) // a token per chunk; count with a tokenizer for exact numbers
			}
		}
	}
	fmt.Println()

	res, err := meter.Flush(ctx) // one POST /usage for the whole reply
	if err != nil {
		log.Fatal(err) // the total is kept: Flush again later
	}
	fmt.Printf("billed %v tokens in one call (key %s)\n", res.Quantity, res.IdempotencyKey)
	// Output:
	// Hello, world!
	// billed 4 tokens in one call (key req_7f3a_flush_0)
}

// Run a call you pay for and bill what it used: the quantity comes from
// its result, and nothing is billed when it fails.
func ExampleMeter() {
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
	oai := openai.NewClientWithConfig(cfg)

	resp, usage, err := drip.Meter(ctx, dc,
		drip.UsageParams{CustomerID: cust.ID, Meter: "llm_tokens", Units: "tokens"},
		func(ctx context.Context) (openai.ChatCompletionResponse, error) {
			return oai.CreateChatCompletion(ctx, openai.ChatCompletionRequest{
				Model:    openai.GPT4oMini,
				Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "Hi"}},
			})
		},
		func(r openai.ChatCompletionResponse) float64 { return float64(r.Usage.TotalTokens) })
	if err != nil {
		// resp is still the provider's reply when only the usage call failed.
		log.Fatal(err)
	}
	fmt.Println(resp.Choices[0].Message.Content)

	recs, err := local.Store().UsageRecords(ctx) // what Drip recorded
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("billed", recs[0].Quantity, recs[0].Units, "success:", usage.Success)
	// Output:
	// Hello, world!
	// billed 18 tokens success: true
}
