// Command openai-go meters the official OpenAI Go SDK
// (github.com/openai/openai-go/v3) with one option,
// option.WithMiddleware(drip.OpenAIMiddleware(customerID)): a chat
// completion, a streamed one and a Responses API call inside a run, and an
// embedding outside any run recorded as the customer's usage.
//
//	go run ./examples/openai-go
//
// With OPENAI_API_KEY set it calls OpenAI (models gpt-4o-mini and
// text-embedding-3-small); without it, a fake OpenAI-compatible server
// started in this process (package driptest/openaitest), which answers
// "Hello, world!" and reports 11 input tokens (3 of them cached) and 7
// output tokens (2 of them reasoning). With DRIP_BASE_URL (or DRIP_API_URL)
// and DRIP_API_KEY set it records into Drip; without them, into a local
// dripd started in this process. With neither set it needs no network.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/driptest/openaitest"
	"github.com/drip-sdk/drip-go/runreport"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, out io.Writer) error {
	dc, stop, err := dripClient(ctx, out)
	if err != nil {
		return err
	}
	defer stop()
	cust, err := dc.GetOrCreateCustomer(ctx, "openai-go-example-user", nil)
	if err != nil {
		return err
	}
	tracker := drip.NewTracker(dc)
	defer shutdown(tracker) // on an early return; a second Shutdown is harmless

	opts := []option.RequestOption{
		// The one line.
		option.WithMiddleware(drip.OpenAIMiddleware(cust.ID, drip.WithOpenAITracker(tracker))),
	}
	if os.Getenv("OPENAI_API_KEY") != "" {
		fmt.Fprintln(out, "calling OpenAI") // the SDK reads the key itself
	} else {
		fake := openaitest.Start()
		defer fake.Close()
		opts = append(opts, option.WithBaseURL(fake.BaseURL()), option.WithAPIKey("sk-fake"))
		fmt.Fprintln(out, "OPENAI_API_KEY not set: calling a fake OpenAI at", fake.BaseURL())
	}
	client := openai.NewClient(opts...)

	chat := openai.ChatCompletionNewParams{
		Model:    openai.ChatModelGPT4oMini,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Say hello in five words.")},
	}
	// Inside a run: each call is an llm.completion event of the run.
	runCtx, chatRun := tracker.Start(ctx, drip.RunParams{CustomerID: cust.ID, Workflow: "openai-go-example"})
	resp, err := client.Chat.Completions.New(runCtx, chat)
	if err != nil {
		chatRun.Fail(err)
		return err
	}
	fmt.Fprintln(out, "completion:", resp.Choices[0].Message.Content)

	stream := client.Chat.Completions.NewStreaming(runCtx, chat)
	fmt.Fprint(out, "stream: ")
	for stream.Next() {
		// The meter asked for the stream's usage and hides the usage-only
		// chunk that brings, so every chunk has a choice, as without it.
		fmt.Fprint(out, stream.Current().Choices[0].Delta.Content)
	}
	fmt.Fprintln(out)
	if err := stream.Err(); err != nil {
		chatRun.Fail(err)
		return err
	}
	stream.Close()

	r, err := client.Responses.New(runCtx, responses.ResponseNewParams{
		Model: openai.ChatModelGPT4oMini,
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Say hello in five words.")},
	})
	if err != nil {
		chatRun.Fail(err)
		return err
	}
	fmt.Fprintln(out, "response:", r.OutputText())
	chatRun.End(drip.RunCompleted)

	// Outside a run: usage on the llm_tokens meter for the middleware's
	// customer.
	if _, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{
		Model: openai.EmbeddingModelTextEmbedding3Small,
		Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("hello")},
	}); err != nil {
		return err
	}

	if err := shutdown(tracker); err != nil {
		return err
	}
	st := tracker.Stats()
	fmt.Fprintf(out, "tracker: %d delivered (3 run events, 1 usage record on meter %s), %d dropped, %d failed\n",
		st.Sent, drip.DefaultLLMMeter, st.Dropped, st.Failed)
	return runreport.Write(ctx, out, dc, chatRun.ID(), runreport.Options{})
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
// local dripd with an in-memory store and returns a client for it; any
// well-formed key is accepted there. stop shuts down what it started.
func dripClient(ctx context.Context, out io.Writer) (client *drip.Client, stop func(), err error) {
	if os.Getenv("DRIP_BASE_URL") != "" || os.Getenv("DRIP_API_URL") != "" {
		client, err = drip.New()
		if err != nil {
			return nil, nil, err
		}
		fmt.Fprintln(out, "recording into Drip at", client.BaseURL())
		return client, func() {}, nil
	}
	local, err := driptest.StartLocal(ctx)
	if err != nil {
		return nil, nil, err
	}
	fmt.Fprintln(out, "DRIP_BASE_URL not set: recording into a local dripd at", local.BaseURL())
	return local.Client, func() { local.Close() }, nil
}
