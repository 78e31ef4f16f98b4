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
	t.Setenv("OPENAI_API_KEY", "")
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	t.Log("\n" + got)
	for _, want := range []string{
		"completion: Hello, world!",
		"stream: Hello, world!",
		"tracker: 3 delivered (2 run events, 1 usage record on meter llm_tokens), 0 dropped, 0 failed",
		`"Openai Example"  COMPLETED  2 events`,
		"18 tokens (11 in, 7 out)",
		"totals: llm.completion 36 tokens; cost $0.0000",
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
