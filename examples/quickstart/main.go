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
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
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

	return printRun(ctx, out, client, agentRun.ID())
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
	local, err := dripserver.Start(ctx, "127.0.0.1:0", nil, dripserver.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return nil, nil, err
	}
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		local.Shutdown(ctx)
	}
	client, err = drip.New(drip.WithAPIKey("sk_test_local_dripd"), drip.WithBaseURL(local.BaseURL()))
	if err != nil {
		stop()
		return nil, nil, err
	}
	fmt.Fprintln(out, "DRIP_BASE_URL not set: recording into a local dripd at", local.BaseURL())
	return client, stop, nil
}

// printRun prints what Drip recorded for a run: each event with its
// quantity in its own unit, then the totals per event type (tokens and tool
// calls are different things, so they are never added up) and the cost.
func printRun(ctx context.Context, out io.Writer, client *drip.Client, runID string) error {
	tl, err := client.GetRunTimeline(ctx, runID, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nrun %s  %q  %s  %s\n", tl.RunID, tl.WorkflowName, tl.Status, quantity(float64(tl.Summary.TotalEvents), "events"))
	if tl.ErrorCode != "" || tl.ErrorMessage != "" {
		fmt.Fprintf(out, "  error %s: %s\n", tl.ErrorCode, tl.ErrorMessage)
	}
	type total struct {
		typ, unit string
		q         float64
	}
	var totals []*total
	byType := map[string]*total{}
	costed := false
	for e, err := range client.TimelineEvents(ctx, runID, 100) {
		if err != nil {
			return err
		}
		q, _ := e.Metadata["quantity"].(float64)
		unit, _ := e.Metadata["units"].(string)
		if byType[e.Type] == nil {
			byType[e.Type] = &total{typ: e.Type, unit: unit}
			totals = append(totals, byType[e.Type])
		}
		byType[e.Type].q += q
		what, _ := e.Metadata["model"].(string)
		if what == "" {
			what, _ = e.Metadata["name"].(string)
		}
		amount := quantity(q, unit)
		if in, ok := e.Metadata["inputTokens"]; ok {
			amount += fmt.Sprintf(" (%v in, %v out)", in, e.Metadata["outputTokens"])
		}
		cost := ""
		if e.CostUnits != nil {
			cost, costed = usd(*e.CostUnits), true
		}
		line := fmt.Sprintf("  %-15s %-8s %-23s %-30s %6s  %s", e.Type, e.Outcome, what, amount, duration(e.Duration), cost)
		fmt.Fprintln(out, strings.TrimRight(line, " "))
	}
	var parts []string
	for _, t := range totals {
		parts = append(parts, t.typ+" "+quantity(t.q, t.unit))
	}
	cost := "no cost recorded"
	if costed {
		usdTotal, _ := strconv.ParseFloat(tl.Summary.TotalCostUnits, 64)
		cost = "cost " + usd(usdTotal)
	}
	fmt.Fprintf(out, "  totals: %s; %s\n", strings.Join(parts, ", "), cost)
	return nil
}

// quantity labels q with its unit: "1500 tokens", "1 call".
func quantity(q float64, unit string) string {
	if unit == "" {
		return fmt.Sprintf("%g (no unit)", q)
	}
	if q == 1 {
		unit = strings.TrimSuffix(unit, "s")
	}
	return fmt.Sprintf("%g %s", q, unit)
}

// duration rounds d for reading ("730ms", "1.2s"); "" when unknown.
func duration(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(100 * time.Millisecond).String()
	}
}

// usd formats a cost in US dollars; LLM calls cost fractions of a cent.
func usd(v float64) string { return fmt.Sprintf("$%.6f", v) }
