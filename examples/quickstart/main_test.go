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
		"recording into a local dripd",
		"usage: 1 on meter api_calls",
		"tracker: 3 events delivered, 0 dropped, 0 failed",
		"COMPLETED  3 events",
		"1500 tokens (1200 in, 300 out)  900ms  $0.000360",
		"tool.call       SUCCESS  web_search              1 call",
		"2220 tokens (1800 in, 420 out)   1.2s  $0.000522",
		"totals: llm.completion 3720 tokens, tool.call 1 call; cost $0.000882",
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
