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
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sashabaranov/go-openai"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/driptest/openaitest"
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
	return printRun(ctx, out, dc, chatRun.ID())
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
