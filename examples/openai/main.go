// Command openai meters a go-openai client with one line, drip.WrapOpenAI:
// a chat completion and a streamed one inside a run, and a call outside any
// run recorded as the customer's usage.
//
//	go run ./examples/openai
//
// With OPENAI_API_KEY unset it talks to a local OpenAI-compatible stub, and
// with DRIP_BASE_URL unset to an embedded dripd: no network needed. Set
// OPENAI_API_KEY to call OpenAI for real (model gpt-4o-mini).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/sashabaranov/go-openai"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest/openaitest"
	"github.com/drip-sdk/drip-go/internal/devenv"
)

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	dc, stop, err := devenv.Client(ctx, os.Stdout)
	if err != nil {
		return err
	}
	defer stop()
	cust, err := dc.GetOrCreateCustomer(ctx, "openai-example-user", nil)
	if err != nil {
		return err
	}
	tracker := drip.NewTracker(dc)

	var raw *openai.Client
	if key := os.Getenv("OPENAI_API_KEY"); key != "" {
		raw = openai.NewClient(key)
		fmt.Println("calling OpenAI")
	} else {
		stub := openaitest.Start()
		defer stub.Close()
		cfg := openai.DefaultConfig("sk-stub")
		cfg.BaseURL = stub.BaseURL()
		raw = openai.NewClientWithConfig(cfg)
		fmt.Println("OPENAI_API_KEY not set: calling a local OpenAI-compatible stub at", stub.BaseURL())
	}

	// The one line.
	client := drip.WrapOpenAI(raw, cust.ID, drip.WithOpenAITracker(tracker))

	req := openai.ChatCompletionRequest{
		Model:    openai.GPT4oMini,
		Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "Say hello in five words."}},
	}
	ctx, run := tracker.Start(ctx, drip.RunParams{CustomerID: cust.ID, Workflow: "openai-example"})
	resp, err := client.CreateChatCompletion(ctx, req)
	if err != nil {
		return err
	}
	fmt.Println("completion:", resp.Choices[0].Message.Content)

	stream, err := client.CreateChatCompletionStream(ctx, req)
	if err != nil {
		return err
	}
	fmt.Print("stream: ")
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		fmt.Print(chunk.Choices[0].Delta.Content) // no usage-only chunk to trip over
	}
	fmt.Println()
	stream.Close()
	run.End(drip.RunCompleted)

	// Outside a run: usage on the llm_tokens meter for the customer.
	if _, err := client.CreateChatCompletion(context.Background(), req); err != nil {
		return err
	}

	if err := tracker.Shutdown(ctx); err != nil {
		return err
	}
	if err := devenv.PrintTimeline(ctx, os.Stdout, dc, run.ID()); err != nil {
		return err
	}
	fmt.Println("usage outside the run was recorded on meter", drip.DefaultLLMMeter)
	return nil
}
