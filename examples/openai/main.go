// Command openai meters a go-openai client with one line, drip.WrapOpenAI:
// a chat completion and a streamed one inside a run, and a call outside any
// run recorded as the customer's usage.
//
//	go run ./examples/openai
//
// With OPENAI_API_KEY set it calls OpenAI (model gpt-4o-mini); without it, a
// fake OpenAI-compatible server started in this process (package
// driptest/openaitest), which answers "Hello, world!" and reports 11 input
// and 7 output tokens. With DRIP_BASE_URL (or DRIP_API_URL) and DRIP_API_KEY
// set it records into Drip; without them, into a local dripd started in this
// process. With neither set it needs no network.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/sashabaranov/go-openai"

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
	cust, err := dc.GetOrCreateCustomer(ctx, "openai-example-user", nil)
	if err != nil {
		return err
	}
	tracker := drip.NewTracker(dc)
	defer shutdown(tracker) // on an early return; a second Shutdown is harmless

	var raw *openai.Client
	if key := os.Getenv("OPENAI_API_KEY"); key != "" {
		raw = openai.NewClient(key)
		fmt.Fprintln(out, "calling OpenAI")
	} else {
		fake := openaitest.Start()
		defer fake.Close()
		cfg := openai.DefaultConfig("sk-fake")
		cfg.BaseURL = fake.BaseURL()
		raw = openai.NewClientWithConfig(cfg)
		fmt.Fprintln(out, "OPENAI_API_KEY not set: calling a fake OpenAI at", fake.BaseURL())
	}

	// The one line.
	client := drip.WrapOpenAI(raw, cust.ID, drip.WithOpenAITracker(tracker))

	req := openai.ChatCompletionRequest{
		Model:    openai.GPT4oMini,
		Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: "Say hello in five words."}},
	}
	// Inside a run: each call is an llm.completion event of the run.
	runCtx, chatRun := tracker.Start(ctx, drip.RunParams{CustomerID: cust.ID, Workflow: "openai-example"})
	resp, err := client.CreateChatCompletion(runCtx, req)
	if err != nil {
		chatRun.Fail(err)
		return err
	}
	fmt.Fprintln(out, "completion:", resp.Choices[0].Message.Content)

	stream, err := client.CreateChatCompletionStream(runCtx, req)
	if err != nil {
		chatRun.Fail(err)
		return err
	}
	fmt.Fprint(out, "stream: ")
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			stream.Close()
			chatRun.Fail(err)
			return err
		}
		fmt.Fprint(out, chunk.Choices[0].Delta.Content) // no usage-only chunk to trip over
	}
	fmt.Fprintln(out)
	stream.Close()
	chatRun.End(drip.RunCompleted)

	// Outside a run: usage on the llm_tokens meter for the wrap's customer.
	if _, err := client.CreateChatCompletion(ctx, req); err != nil {
		return err
	}

	if err := shutdown(tracker); err != nil {
		return err
	}
	st := tracker.Stats()
	fmt.Fprintf(out, "tracker: %d delivered (2 run events, 1 usage record on meter %s), %d dropped, %d failed\n",
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
