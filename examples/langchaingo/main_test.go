package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

// TestExampleRunsOffline runs the example against its local dripd and fake
// OpenAI, and checks what it says Drip recorded.
func TestExampleRunsOffline(t *testing.T) {
	for _, k := range []string{"DRIP_BASE_URL", "DRIP_API_URL", "OPENAI_BASE_URL"} {
		t.Setenv(k, "")
	}
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	t.Log("\n" + got)
	for _, want := range []string{
		"agent: Order 1042 shipped yesterday; a refund would be 59.97.",
		"tracker: 12 events delivered, 0 dropped, 0 failed",
		`"Langchain"  COMPLETED  12 events`,
		"18 tokens (11 in, 7 out)",
		"tool.call       SUCCESS  order_status            1 call",
		"totals: llm.completion 54 tokens,",
		"tool.call 2 calls",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if zeroDuration.MatchString(got) {
		t.Error("output shows a zero duration")
	}
}

// zeroDuration matches "0ms" or "0s" standing alone, not "900ms".
var zeroDuration = regexp.MustCompile(`(^|[^0-9.])0(ms|s)\b`)
