package runreport_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/runreport"
)

func dec(s string) *drip.Decimal {
	d := drip.MustDecimal(s)
	return &d
}

// lines returns the report's lines, trailing spaces kept: there must be
// none.
func lines(s string) []string { return strings.Split(s, "\n") }

func TestWriteTimelineWaterfall(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tl := &drip.Timeline{
		RunID: "run_1", WorkflowName: "Support Agent", CustomerID: "cus_1", Status: drip.RunFailed,
		ErrorCode: "TOOL", ErrorMessage: "search failed",
		StartedAt: t0, EndedAt: t0.Add(4 * time.Second), Duration: 4 * time.Second,
		Summary: drip.TimelineSummary{TotalEvents: 4, TotalCostUnits: drip.MustDecimal("0.0003605")},
		Events: []drip.TimelineEvent{
			// Out of order on purpose: the child comes before its parent.
			{ID: "e3", ParentEventID: "e1", Type: "tool.error", Outcome: "FAILED", Timestamp: t0.Add(2 * time.Second), Duration: time.Second,
				Metadata: map[string]any{"name": "search", "quantity": 1.0, "units": "errors"}},
			{ID: "e1", Type: "agent.step", Outcome: "SUCCESS", Timestamp: t0, Duration: 4 * time.Second,
				Metadata: map[string]any{"name": "plan", "quantity": 1.0, "units": "steps"}},
			{ID: "e2", ParentEventID: "e1", Type: "llm.completion", Outcome: "SUCCESS", Timestamp: t0, Duration: time.Second,
				CostUnits: dec("0.00036"), Metadata: map[string]any{"model": "gpt-4o-mini", "quantity": 1500.0, "units": "tokens",
					"inputTokens": 1200.0, "outputTokens": 300.0}},
			{ID: "e4", Type: "run.note", Outcome: "SUCCESS", Timestamp: t0.Add(4 * time.Second), CostUnits: dec("0.0000005"),
				Metadata: map[string]any{"quantity": 2.0, "units": ""}},
		},
	}
	var out bytes.Buffer
	if err := runreport.WriteTimeline(&out, tl, runreport.TimelineOptions{BarWidth: 8}); err != nil {
		t.Fatal(err)
	}
	got := lines(out.String())
	want := []string{
		`run run_1  "Support Agent"  FAILED  4 events  4s  cost $0.0003605`,
		`customer cus_1  started 2026-03-01T12:00:00Z`,
		`error TOOL: search failed`,
		``,
		`OFFSET  TIMELINE  DURATION  TYPE                 MODEL/NAME   QUANTITY                        COST`,
		`+0s     ████████  4s        agent.step           plan         1 step`,
		// Children are indented under their parent, siblings by time.
		`+0s     ██······  1s          llm.completion     gpt-4o-mini  1500 tokens (1200 in, 300 out)  $0.00036`,
		`+2s     ····██··  1s          tool.error FAILED  search       1 error`,
		`+4s     ·······▏            run.note                          2 (no unit)                     $0.0000005`,
		``,
		`totals: agent.step 1 step, llm.completion 1500 tokens, tool.error 1 error, run.note 2 (no unit); cost $0.0003605`,
		``,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("timeline:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestMoney(t *testing.T) {
	for in, want := range map[string]string{
		"0": "$0.00", "1.5": "$1.50", "12": "$12.00", "0.000002": "$0.000002", "-2": "-$2.00", "0.0003605": "$0.0003605",
	} {
		if got := runreport.Money(drip.MustDecimal(in)); got != want {
			t.Errorf("Money(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestFetchWalksEveryPage(t *testing.T) {
	srv := driptest.NewServer(t)
	c, err := drip.New(drip.WithAPIKey(srv.APIKey()), drip.WithBaseURL(srv.BaseURL()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cust, err := c.GetOrCreateCustomer(ctx, "pages", nil)
	if err != nil {
		t.Fatal(err)
	}
	// More events than one page of 500 holds.
	events := make([]drip.Event, 0, 501)
	for range 501 {
		events = append(events, drip.Event{Type: "tool.call", Name: "lookup", Quantity: 1, Units: "calls"})
	}
	rec, err := c.RecordRun(ctx, drip.RecordRunParams{CustomerID: cust.ID, Workflow: "pager", Status: drip.RunCompleted, Events: events})
	if err != nil {
		t.Fatal(err)
	}
	tl, err := runreport.Fetch(ctx, c, rec.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if len(tl.Events) != 501 || tl.Summary.TotalEvents != 501 || tl.HasMore || tl.NextCursor != "" {
		t.Fatalf("Fetch: %d events, summary %d, hasMore %v", len(tl.Events), tl.Summary.TotalEvents, tl.HasMore)
	}
	seen := map[string]bool{}
	for _, e := range tl.Events {
		if seen[e.ID] {
			t.Fatalf("event %s twice", e.ID)
		}
		seen[e.ID] = true
	}
}
