package main

import (
	"context"
	"strings"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
)

// recordRun records a run with the SDK's tracker, as an app would: an LLM
// call (priced by the tracker) and two tool calls.
func recordRun(t *testing.T, srv *driptest.Server) (runID, customerID string) {
	t.Helper()
	ctx := context.Background()
	c := sdk(t, srv)
	cust, err := c.GetOrCreateCustomer(ctx, "runs-cli", nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := drip.NewTracker(c, drip.WithoutSelfMetrics())
	_, run := tr.Start(ctx, drip.RunParams{CustomerID: cust.ID, Workflow: "report-agent"})
	run.LLMCall("gpt-4o-mini", 1200, 300, 900*time.Millisecond)
	run.ToolCall("search", 1500*time.Millisecond, nil)
	run.ToolCall("search", 20*time.Millisecond, nil)
	run.End(drip.RunCompleted)
	if err := tr.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if run.ID() == "" {
		t.Fatal("the run has no id after Shutdown")
	}
	return run.ID(), cust.ID
}

func TestRunsTimelineJSON(t *testing.T) {
	srv := driptest.NewServer(t)
	runID, custID := recordRun(t, srv)

	var tl timelineJSON
	decodeJSON(t, ok(t, envFor(srv), "runs", "timeline", runID, "--json"), &tl)
	stored := srv.Events(runID)
	run := srv.Run(runID)
	if tl.RunID != runID || tl.CustomerID != custID || tl.Status != drip.RunCompleted || tl.WorkflowName != run.WorkflowName ||
		tl.Summary.TotalEvents != 3 || len(tl.Events) != len(stored) || tl.StartedAt == "" || tl.EndedAt == "" {
		t.Fatalf("timeline --json = %+v\nrun = %+v, %d events stored", tl, run, len(stored))
	}
	if tl.Summary.TotalCostUnits.String() != "0.00036" || tl.Summary.ByType["tool.call"] != 2 {
		t.Errorf("summary = %+v", tl.Summary)
	}
	byID := map[string]eventJSON{}
	for _, e := range tl.Events {
		byID[e.ID] = e
	}
	for _, s := range stored {
		e, found := byID[s.ID]
		if !found {
			t.Errorf("timeline --json lacks event %s", s.ID)
			continue
		}
		if e.EventType != s.EventType || e.Outcome != s.Outcome || e.Metadata["quantity"] != s.Quantity {
			t.Errorf("event %s: got %+v, stored %+v", s.ID, e, s)
		}
		switch {
		case s.CostUnits == nil && e.CostUnits != nil:
			t.Errorf("event %s: cost %v, stored none", s.ID, e.CostUnits)
		case s.CostUnits != nil && (e.CostUnits == nil || e.CostUnits.Float64() != *s.CostUnits):
			t.Errorf("event %s: cost %v, stored %v", s.ID, e.CostUnits, *s.CostUnits)
		}
		if s.DurationMs != nil && (e.DurationMs == nil || *e.DurationMs != *s.DurationMs) {
			t.Errorf("event %s: durationMs %v, stored %d", s.ID, e.DurationMs, *s.DurationMs)
		}
		if e.EventType == "llm.completion" && (e.Metadata["model"] != "gpt-4o-mini" || e.Metadata["inputTokens"] != 1200.0 ||
			e.CostUnits == nil || e.CostUnits.String() != "0.00036") {
			t.Errorf("LLM event = %+v", e)
		}
	}

	table := ok(t, envFor(srv), "runs", "timeline", runID).stdout
	wantLines(t, "runs timeline", table,
		`"Report Agent" COMPLETED 3 events cost $0.00036`,
		"ID TIMESTAMP DURATION TYPE OUTCOME MODEL/NAME QUANTITY COST",
		"900ms llm.completion SUCCESS gpt-4o-mini 1500 tokens (1200 in, 300 out) $0.00036",
		"1.5s tool.call SUCCESS search 1 call -")
}

func TestRunsShow(t *testing.T) {
	srv := driptest.NewServer(t)
	runID, custID := recordRun(t, srv)

	var r runJSON
	decodeJSON(t, ok(t, envFor(srv), "runs", "show", "--json", runID), &r)
	s := srv.Run(runID)
	if r.ID != runID || r.CustomerID != custID || r.WorkflowID != s.WorkflowID || r.WorkflowName != s.WorkflowName ||
		string(r.Status) != s.Status || r.EventCount != s.EventCount || r.TotalCostUnits.Float64() != s.TotalCostUnits ||
		r.TotalCostUnits.String() != "0.00036" || r.StartedAt == "" || r.EndedAt == "" {
		t.Errorf("runs show --json = %+v\nstored = %+v", r, s)
	}

	out := ok(t, envFor(srv), "runs", "show", runID).stdout
	wantLines(t, "runs show", out,
		"run "+runID+` "Report Agent" COMPLETED 3 events`,
		"customer "+custID,
		"OFFSET TIMELINE DURATION TYPE MODEL/NAME QUANTITY COST",
		"llm.completion gpt-4o-mini 1500 tokens (1200 in, 300 out) $0.00036",
		"1.5s tool.call search 1 call",
		"20ms tool.call search 1 call",
		"totals: llm.completion 1500 tokens, tool.call 2 calls; cost $0.00036")
	// One line per event, each with an offset and a bar.
	bars := 0
	for l := range strings.SplitSeq(out, "\n") {
		if strings.HasPrefix(l, "+") && strings.ContainsAny(l, "█▏") {
			bars++
		}
	}
	if bars != 3 {
		t.Errorf("runs show drew %d event lines with a bar, want 3:\n%s", bars, out)
	}
}
