package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The example runs offline with no configuration, and its output — read
// back from the local dripd — says what was recorded.
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
		"response: Hello, world!",
		"tracker: 4 delivered (3 run events, 1 usage record on meter llm_tokens), 0 dropped, 0 failed",
		`"Openai Go Example"  COMPLETED  3 events`,
		"totals: llm.completion 54 tokens; cost $0.000017",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// Each of the three calls, the stream included, recorded the stub's
	// exact usage and a price for the model that answered.
	if n := strings.Count(got, "llm.completion  SUCCESS  gpt-4o-mini-2024-07-18  18 tokens (11 in, 7 out)"); n != 3 {
		t.Errorf("%d exact llm.completion lines, want 3", n)
	}
}
