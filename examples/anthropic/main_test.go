package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

// The example runs offline with no configuration; its output must say what
// was recorded: two run events with cache tokens priced at their own rates
// (123×$3 + 200×$0.30 cache read + 50×$3.75 cache write + 45×$15 per
// million = $0.0012915), count_tokens not recorded, one usage record.
func TestRunsOffline(t *testing.T) {
	t.Setenv("DRIP_BASE_URL", "")
	t.Setenv("DRIP_API_URL", "")
	t.Setenv("ANTHROPIC_API_KEY", "")
	t.Setenv("ANTHROPIC_BASE_URL", "")
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	t.Log("\n" + got)
	for _, want := range []string{
		"message: Hello, world!",
		"stream: Hello, world!",
		"count_tokens: 373 input tokens (not recorded)",
		"tracker: 3 delivered (2 run events, 1 usage record on meter llm_tokens), 0 dropped, 0 failed",
		`"Anthropic Example"  COMPLETED  2 events`,
		"claude-sonnet-4-5-20241022 418 tokens (373 in, 45 out)",
		"$0.001291",
		"totals: llm.completion 836 tokens; cost $0.002583",
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
