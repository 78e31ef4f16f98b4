// Command quickstart shows the Drip client end to end: a customer, metered
// usage, a recorded run with LLM and tool events, and its timeline.
//
//	go run ./examples/quickstart
//
// With no DRIP_BASE_URL it starts an embedded dripd, so it needs no account,
// no API key and no network. Point it at Drip with DRIP_API_KEY and
// DRIP_BASE_URL.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/internal/devenv"
	"github.com/drip-sdk/drip-go/providers/pricing"
)

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	client, stop, err := devenv.Client(ctx, os.Stdout)
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
	fmt.Printf("customer %s (external id %s)\n", cust.ID, cust.ExternalCustomerID)

	// Metered usage: one call, retried safely with a single idempotency key.
	usage, err := client.TrackUsage(ctx, drip.UsageParams{
		CustomerID: cust.ID, Meter: "api_calls", Quantity: 1,
		Metadata: map[string]any{"route": "/v1/summarize"},
	})
	if err != nil {
		return err
	}
	fmt.Printf("usage recorded: %s (duplicate: %v)\n", usage.UsageEventID, usage.IsDuplicate)

	// A finished agent run with its events, in one call.
	cost, _ := pricing.Default().Cost("gpt-4o-mini", 1200, 0, 300)
	rec, err := client.RecordRun(ctx, drip.RecordRunParams{
		CustomerID: cust.ID,
		Workflow:   "research-agent",
		Status:     drip.RunCompleted,
		Events: []drip.Event{
			{Type: drip.EventLLMCompletion, Model: "gpt-4o-mini", InputTokens: 1200, OutputTokens: 300,
				Duration: 900 * time.Millisecond, CostUnits: cost},
			{Type: drip.EventToolCall, Name: "web_search", Duration: 350 * time.Millisecond, Quantity: 1, Units: "calls"},
			{Type: drip.EventLLMCompletion, Model: "gpt-4o-mini", InputTokens: 1800, OutputTokens: 420,
				Duration: 1200 * time.Millisecond},
		},
	})
	if err != nil {
		return err
	}
	fmt.Println(rec.Summary)
	return devenv.PrintTimeline(ctx, os.Stdout, client, rec.RunID)
}
