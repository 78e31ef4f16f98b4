// Command agent records a simulated agent loop into one Drip run through the
// background tracker: each step's LLM call and tool call is an event, the
// caller never waits on the network, and Shutdown delivers everything.
//
//	go run ./examples/agent
//
// With DRIP_BASE_URL (or DRIP_API_URL) and DRIP_API_KEY set it records into
// Drip; without them, into a local dripd started in this process.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"time"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/runreport"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

var tools = []string{"web_search", "read_page", "calculator"}

func run(ctx context.Context, out io.Writer) error {
	client, stop, err := dripClient(ctx, out)
	if err != nil {
		return err
	}
	defer stop()
	cust, err := client.GetOrCreateCustomer(ctx, "agent-example-user", nil)
	if err != nil {
		return err
	}

	tracker := drip.NewTracker(client)
	defer shutdown(tracker) // on an early return; a second Shutdown is harmless
	ctx, agentRun := tracker.Start(ctx, drip.RunParams{CustomerID: cust.ID, Workflow: "research-agent"})
	if err := agent(ctx); err != nil {
		agentRun.Fail(err)
	} else {
		agentRun.End(drip.RunCompleted)
	}

	// Shutdown delivers everything queued, within its deadline; nothing is
	// lost at exit.
	if err := shutdown(tracker); err != nil {
		return err
	}
	st := tracker.Stats()
	fmt.Fprintf(out, "tracker: %d events delivered, %d dropped, %d failed\n", st.Sent, st.Dropped, st.Failed)
	return runreport.Write(ctx, out, client, agentRun.ID(), runreport.Options{})
}

// agent stands in for an agent loop: each step the model decides what to do
// next and a tool runs. It finds its run in ctx, as integrations do.
func agent(ctx context.Context) error {
	run := drip.RunFromContext(ctx)
	for step := range 4 {
		in, out := int64(600+200*step), int64(80+rand.N(60))
		run.LLMCall("gpt-4o-mini", in, out, time.Duration(300+rand.N(400))*time.Millisecond)
		tool := tools[step%len(tools)]
		var err error
		if step == 2 {
			err = errors.New("division by zero") // a failed tool call; the agent carries on
		}
		run.ToolCall(tool, time.Duration(50+rand.N(200))*time.Millisecond, err)
	}
	return run.LLMCall("gpt-4o-mini", 1500, 350, 1100*time.Millisecond) // the final answer
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
