// Command anthropic meters anthropic-sdk-go with one line,
// option.WithHTTPClient(drip.AnthropicHTTPClient(…)): a message and a
// streamed one inside a run (with prompt-cache reads and writes, priced at
// their own rates), a token count that is not billed, and a call outside
// any run recorded as the customer's usage.
//
//	go run ./examples/anthropic
//
// With ANTHROPIC_API_KEY or ANTHROPIC_BASE_URL set it calls that Anthropic
// endpoint (anthropic-sdk-go reads both); with neither, a fake Anthropic
// started in this process (package driptest/anthropictest), which answers "Hello,
// world!" and reports 123 input tokens, 200 read from and 50 written to the
// prompt cache, and 45 output tokens. With DRIP_BASE_URL (or DRIP_API_URL)
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

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/driptest/anthropictest"
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
	cust, err := dc.GetOrCreateCustomer(ctx, "anthropic-example-user", nil)
	if err != nil {
		return err
	}
	tracker := drip.NewTracker(dc)
	defer shutdown(tracker) // on an early return; a second Shutdown is harmless

	var opts []option.RequestOption
	if os.Getenv("ANTHROPIC_API_KEY") != "" || os.Getenv("ANTHROPIC_BASE_URL") != "" {
		fmt.Fprintln(out, "calling Anthropic") // the SDK reads the key and ANTHROPIC_BASE_URL
	} else {
		fake := anthropictest.Start(anthropictest.WithUsage(anthropictest.Usage{Input: 123, Output: 45, CacheRead: 200, CacheWrite: 50}))
		defer fake.Close()
		opts = append(opts, option.WithBaseURL(fake.URL()), option.WithAPIKey("sk-ant-fake"))
		fmt.Fprintln(out, "ANTHROPIC_BASE_URL not set: calling a fake Anthropic at", fake.URL())
	}

	// The one line.
	opts = append(opts, option.WithHTTPClient(drip.AnthropicHTTPClient(cust.ID, drip.WithAnthropicTracker(tracker))))
	client := anthropic.NewClient(opts...)

	params := anthropic.MessageNewParams{
		Model:     anthropic.ModelClaudeSonnet4_5,
		MaxTokens: 256,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Say hello in five words."))},
	}
	// Inside a run: each call is an llm.completion event of the run.
	runCtx, chatRun := tracker.Start(ctx, drip.RunParams{CustomerID: cust.ID, Workflow: "anthropic-example"})
	msg, err := client.Messages.New(runCtx, params)
	if err != nil {
		chatRun.Fail(err)
		return err
	}
	fmt.Fprintln(out, "message:", msg.Content[0].Text)

	stream := client.Messages.NewStreaming(runCtx, params)
	fmt.Fprint(out, "stream: ")
	for stream.Next() {
		if d, ok := stream.Current().AsAny().(anthropic.ContentBlockDeltaEvent); ok {
			fmt.Fprint(out, d.Delta.Text)
		}
	}
	fmt.Fprintln(out)
	if err := stream.Err(); err != nil {
		stream.Close()
		chatRun.Fail(err)
		return err
	}
	stream.Close()

	// Counting tokens is not a model call: nothing is recorded.
	n, err := client.Messages.CountTokens(runCtx, anthropic.MessageCountTokensParams{Model: params.Model, Messages: params.Messages})
	if err != nil {
		chatRun.Fail(err)
		return err
	}
	fmt.Fprintln(out, "count_tokens:", n.InputTokens, "input tokens (not recorded)")
	chatRun.End(drip.RunCompleted)

	// Outside a run: usage on the llm_tokens meter for the client's customer.
	if _, err := client.Messages.New(ctx, params); err != nil {
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
