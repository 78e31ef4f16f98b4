// Command quickstart shows drip-go end to end: a customer, metered usage,
// an agent run recorded in the background by a tracker, and what Drip
// recorded for it.
//
//	go run ./examples/quickstart
//
// With DRIP_BASE_URL (or DRIP_API_URL) and DRIP_API_KEY set it records into
// Drip. Without them it starts a local Drip-compatible server (dripd) in this
// process, with an in-memory store, so it needs no account, no API key and
// no network.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
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

func run(ctx context.Context, out io.Writer) error {
	client, stop, err := dripClient(ctx, out)
	if err != nil {
		return err
	}
	defer stop()

	if _, err := client.Ping(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}

	// Customers are keyed by your own id; GetOrCreate is safe to repeat.
	cust, err := client.GetOrCreateCustomer(ctx, "quickstart-user-1", map[string]any{"plan": "pro"})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "customer %s (your id: %s)\n", cust.ID, cust.ExternalCustomerID)

	// Metered usage, synchronously: one call, retried safely under a single
	// idempotency key.
	usage, err := client.TrackUsage(ctx, drip.UsageParams{
		CustomerID: cust.ID, Meter: "api_calls", Quantity: 1,
		Metadata: map[string]any{"route": "/v1/summarize"},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "usage: 1 on meter api_calls, recorded as %s\n", usage.UsageEventID)

	// An agent run, recorded in the background: the calls below only
	// enqueue; the tracker prices the LLM calls, batches and delivers.
	tracker := drip.NewTracker(client)
	defer shutdown(tracker) // on an early return; a second Shutdown is harmless
	_, agentRun := tracker.Start(ctx, drip.RunParams{CustomerID: cust.ID, Workflow: "research-agent"})
	agentRun.LLMCall("gpt-4o-mini", 1200, 300, 900*time.Millisecond)
	agentRun.ToolCall("web_search", 350*time.Millisecond, nil)
	agentRun.LLMCall("gpt-4o-mini", 1800, 420, 1200*time.Millisecond)
	agentRun.End(drip.RunCompleted)

	// Shutdown delivers everything queued, within its deadline.
	if err := shutdown(tracker); err != nil {
		return err
	}
	st := tracker.Stats()
	fmt.Fprintf(out, "tracker: %d events delivered, %d dropped, %d failed\n", st.Sent, st.Dropped, st.Failed)

	return runreport.Write(ctx, out, client, agentRun.ID(), runreport.Options{})
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
