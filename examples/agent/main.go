// Command agent records a simulated agent loop into one Drip run through the
// background tracker: each step's LLM call and tool call is an event, the
// caller never waits on the network, and Shutdown delivers everything.
//
//	go run ./examples/agent
//
// With no DRIP_BASE_URL it starts an embedded dripd.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"time"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/internal/devenv"
)

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

var tools = []string{"web_search", "read_page", "calculator"}

func run(ctx context.Context) error {
	client, stop, err := devenv.Client(ctx, os.Stdout)
	if err != nil {
		return err
	}
	defer stop()
	cust, err := client.GetOrCreateCustomer(ctx, "agent-example-user", nil)
	if err != nil {
		return err
	}

	tracker := drip.NewTracker(client)
	ctx, run := tracker.Start(ctx, drip.RunParams{CustomerID: cust.ID, Workflow: "research-agent"})

	for step := range 4 {
		// The model decides what to do next…
		in, out := int64(600+200*step), int64(80+rand.N(60))
		run.LLMCall("gpt-4o-mini", in, out, time.Duration(300+rand.N(400))*time.Millisecond)
		// …and a tool runs.
		tool := tools[step%len(tools)]
		var err error
		if step == 2 {
			err = errors.New("page returned 404")
		}
		run.ToolCall(tool, time.Duration(50+rand.N(200))*time.Millisecond, err)
	}
	run.LLMCall("gpt-4o-mini", 1500, 350, 1100*time.Millisecond) // the final answer
	run.End(drip.RunCompleted)

	// Shutdown flushes the queue; nothing is lost at exit.
	if err := tracker.Shutdown(ctx); err != nil {
		return err
	}
	st := tracker.Stats()
	fmt.Printf("tracker: %d events sent, %d dropped, %d failed\n", st.Sent, st.Dropped, st.Failed)
	return devenv.PrintTimeline(ctx, os.Stdout, client, run.ID())
}
