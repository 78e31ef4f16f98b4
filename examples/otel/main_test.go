package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

// The README promises this example runs offline with no configuration; its
// output must say what was recorded, for whom, in units.
func TestRunsOffline(t *testing.T) {
	t.Setenv("DRIP_BASE_URL", "")
	t.Setenv("DRIP_API_URL", "")
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	t.Log("\n" + got)
	for _, want := range []string{
		"-> 502 Bad Gateway",
		"bridge: 3 runs opened, 11 events",
		`acme    "Support Agent" FAILED  3 events`,
		"450 tokens (412 in, 38 out)",
		"totals: agent.finish 1 action, llm.completion 1225 tokens, tool.call 1 call; cost $0.00",
		"totals: agent.error 1 error, llm.completion 450 tokens, tool.error 1 error; cost $0.000075",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if n := strings.Count(got, `"Support Agent" COMPLETED  4 events`); n != 2 {
		t.Errorf("%d completed runs, want 2", n)
	}
	if zeroDuration.MatchString(got) {
		t.Error("output shows a zero duration")
	}
}

// zeroDuration matches "0ms" or "0s" standing alone, not "900ms".
var zeroDuration = regexp.MustCompile(`(^|[^0-9.])0(ms|s)\b`)
