// Package runreport prints what Drip recorded for a run, for a terminal:
// one line per event with its quantity in its own unit, duration and cost,
// then the totals per event type (tokens and tool calls are different
// things, so they are never added up) and the run's cost.
//
//	err := runreport.Write(ctx, os.Stdout, client, run.ID(), runreport.Options{})
//
// WriteTimeline draws the same run as a waterfall instead: each event's
// offset from the run's start and a bar showing when it ran, nested under
// its parent event, with model, tokens and exact cost:
//
//	tl, err := runreport.Fetch(ctx, client, run.ID())
//	...
//	err = runreport.WriteTimeline(os.Stdout, tl, runreport.TimelineOptions{})
//
// It reads the run through the public client (GetRunTimeline and
// TimelineEvents), so it works against Drip and dripd alike.
package runreport

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	drip "github.com/drip-sdk/drip-go"
)

// Options tunes the report.
type Options struct {
	// Label, when set, is printed after the run id: whose run it is, say.
	Label string
}

// Write prints the run runID to w.
func Write(ctx context.Context, w io.Writer, c *drip.Client, runID string, o Options) error {
	tl, err := c.GetRunTimeline(ctx, runID, nil)
	if err != nil {
		return err
	}
	events := Quantity(float64(tl.Summary.TotalEvents), "events")
	if o.Label != "" {
		fmt.Fprintf(w, "\nrun %s  %-7s %q %s  %s\n", tl.RunID, o.Label, tl.WorkflowName, tl.Status, events)
	} else {
		fmt.Fprintf(w, "\nrun %s  %q  %s  %s\n", tl.RunID, tl.WorkflowName, tl.Status, events)
	}
	if tl.ErrorCode != "" || tl.ErrorMessage != "" {
		fmt.Fprintf(w, "  error %s: %s\n", tl.ErrorCode, tl.ErrorMessage)
	}
	type total struct {
		typ, unit string
		q         float64
	}
	var totals []*total
	byType := map[string]*total{}
	costed := false
	for e, err := range c.TimelineEvents(ctx, runID, 100) {
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
		cost := ""
		if e.CostUnits != nil {
			cost, costed = USD(e.CostUnits.Float64()), true
		}
		line := fmt.Sprintf("  %-15s %-8s %-23s %-30s %6s  %s", e.Type, e.Outcome, Name(e.Metadata), Amount(e.Metadata), Duration(e.Duration), cost)
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
	parts := make([]string, 0, len(totals))
	for _, t := range totals {
		parts = append(parts, t.typ+" "+Quantity(t.q, t.unit))
	}
	cost := "no cost recorded"
	if costed {
		cost = "cost " + USD(tl.Summary.TotalCostUnits.Float64())
	}
	fmt.Fprintf(w, "  totals: %s; %s\n", strings.Join(parts, ", "), cost)
	return nil
}

// Quantity labels q with its unit: "1500 tokens", "1 call".
func Quantity(q float64, unit string) string {
	if unit == "" {
		return fmt.Sprintf("%g (no unit)", q)
	}
	if q == 1 {
		unit = strings.TrimSuffix(unit, "s")
	}
	return fmt.Sprintf("%g %s", q, unit)
}

// Duration rounds d for reading ("730ms", "1.2s"); "" when unknown.
func Duration(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(100 * time.Millisecond).String()
	}
}

// USD formats a cost in US dollars: LLM calls cost fractions of a cent.
func USD(v float64) string { return fmt.Sprintf("$%.6f", v) }
