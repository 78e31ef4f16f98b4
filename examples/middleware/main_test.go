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
	t.Setenv("OPENAI_BASE_URL", "")
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	t.Log("\n" + got)
	for _, want := range []string{
		"-> 400 ",
		"CUSTOMER_RESOLUTION_FAILED",
		"tracker: 13 delivered (usage records and run events), 0 dropped, 0 failed",
		"globex  1 on api_calls  route GET /v1/items/{id}, status 200",
		"18 tokens (11 in, 7 out)",
		"totals: llm.completion 18 tokens, http.request 1 request; cost $0.000006",
		"totals: http.request 1 request; no cost recorded",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// Four billed requests: the retry with the same Idempotency-Key and the
	// health check are not billed, the spoofed X-Customer-Id is ignored.
	if n := strings.Count(got, " on api_calls "); n != 4 {
		t.Errorf("%d usage records, want 4", n)
	}
	if n := strings.Count(got, "acme    1 on api_calls"); n != 2 {
		t.Errorf("%d usage records for acme, want 2", n)
	}
	if n := strings.Count(got, "\nrun run_"); n != 5 {
		t.Errorf("%d runs, want 5", n)
	}
	if zeroDuration.MatchString(got) {
		t.Error("output shows a zero duration")
	}
}

// zeroDuration matches "0ms" or "0s" standing alone, not "900ms".
var zeroDuration = regexp.MustCompile(`(^|[^0-9.])0(ms|s)\b`)
