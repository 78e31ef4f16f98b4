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
	"log/slog"
	"math/rand/v2"
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
	return printRun(ctx, out, client, agentRun.ID())
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
