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

func TestWrite(t *testing.T) {
	srv := driptest.NewServer(t)
	c, err := drip.New(drip.WithAPIKey(srv.APIKey()), drip.WithBaseURL(srv.BaseURL()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cust, err := c.GetOrCreateCustomer(ctx, "report", nil)
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
	var out bytes.Buffer
	if err := runreport.Write(ctx, &out, c, run.ID(), runreport.Options{Label: "acme"}); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		`acme    "Report Agent" COMPLETED  3 events`,
		"llm.completion  SUCCESS  gpt-4o-mini             1500 tokens (1200 in, 300 out)  900ms  $0.000360",
		"tool.call       SUCCESS  search                  1 call                           1.5s",
		// Tokens and calls are totalled apart, never added up.
		"totals: llm.completion 1500 tokens, tool.call 2 calls; cost $0.000360",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
}

func TestFormats(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{runreport.Quantity(1, "calls"), "1 call"},
		{runreport.Quantity(2, "calls"), "2 calls"},
		{runreport.Quantity(3, ""), "3 (no unit)"},
		{runreport.Duration(0), ""},
		{runreport.Duration(730400 * time.Microsecond), "730ms"},
		{runreport.Duration(1234 * time.Millisecond), "1.2s"},
		{runreport.USD(0.00036), "$0.000360"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
