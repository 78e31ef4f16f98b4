package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

// The README promises this example runs offline with no configuration; its
// output must say what was recorded, in units.
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
		"tracker: 9 events delivered, 0 dropped, 0 failed",
		`"Research Agent"  COMPLETED  9 events`,
		"tool.error      FAILED   calculator              1 error",
		" tokens, tool.call 3 calls, tool.error 1 error; cost $0.00",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if n := strings.Count(got, "llm.completion  SUCCESS  gpt-4o-mini"); n != 5 {
		t.Errorf("%d LLM calls printed, want 5", n)
	}
	if zeroDuration.MatchString(got) {
		t.Error("output shows a zero duration")
	}
}

// zeroDuration matches "0ms" or "0s" standing alone, not "900ms".
var zeroDuration = regexp.MustCompile(`(^|[^0-9.])0(ms|s)\b`)
