package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go"
)

// The README promises this example runs offline with no configuration. Its
// output must show the product working: the free plan's 4th summary and
// globex's request past its cap refused with Drip's codes before the
// handler, each spending alert received once, next to the request that
// caused it, and the books exact.
func TestRunsOffline(t *testing.T) {
	t.Setenv("DRIP_BASE_URL", "")
	t.Setenv("DRIP_API_URL", "")
	t.Setenv("OPENAI_BASE_URL", "")
	t.Setenv("WEBHOOK_URL", "")
	t.Setenv("WEBHOOK_ADDR", "")
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	t.Log("\n" + got)

	// The story, in this order.
	inOrder(t, got,
		"webhook webhook.test: signature verified",
		"webhook test delivery: DELIVERED (HTTP 204)",
		"acme asks for summaries:",
		"#3  POST /v1/summarize -> 200 Hello, world!",
		`#4  POST /v1/summarize -> 403 ENTITLEMENT_DENIED: daily limit of 3 for feature "summaries" exceeded: 3 used, 1 requested`,
		"globex asks for summaries:",
		"#3  POST /v1/summarize -> 200 Hello, world!   (daily cap: 0.03 of 0.05 USDC spent)",
		"webhook customer.spending.warning info      50%: globex has spent 0.03 of its 0.05 USDC DAILY_CHARGE_LIMIT",
		"#4  POST /v1/summarize -> 200 Hello, world!   (daily cap: 0.04 of 0.05 USDC spent)",
		"webhook customer.spending.warning warning   80%: globex has spent 0.04 of its 0.05 USDC DAILY_CHARGE_LIMIT",
		"#5  POST /v1/summarize -> 200 Hello, world!   (daily cap: 0.05 of 0.05 USDC spent)",
		"webhook customer.spending.warning critical  95%: globex has spent 0.05 of its 0.05 USDC DAILY_CHARGE_LIMIT",
		"webhook customer.spending.blocked blocked  100%: globex has spent 0.05 of its 0.05 USDC DAILY_CHARGE_LIMIT",
		"#6  POST /v1/summarize -> 403 CUSTOMER_BLOCKED: customer cust_",
		"is blocked by a spending cap: it has reached its DAILY_CHARGE_LIMIT of 0.05 USDC",
		// Test event and 4 alerts, and nothing else.
		": 5 deliveries, 5 delivered, 0 failed, 0 pending; health HEALTHY",
		"the handler ran 3 times for acme and 5 times for globex",
		"the fake OpenAI answered 8 chat completions",
		"acme (cust_",
		"balance 99.970000 USDC, available 99.970000 USDC",
		"3 charges, 0.030000 USDC in all:",
		"summaries this period (DAILY): 3 used of 3, 0 remaining",
		"summaries  3 in 3 records -> 0.030000 USDC (at 0.01 USDC)",
		"llm_tokens 54 in 3 records -> 0.000000 USDC (no pricing plan: recorded, not billed)",
		"globex (cust_",
		"balance 99.950000 USDC, available 99.950000 USDC",
		"5 charges, 0.050000 USDC in all:",
		"summaries this period (DAILY): 5 used, unlimited",
		"DAILY_CHARGE_LIMIT: 0.050000 of 0.050000 USDC spent, last alert at 100%",
		"summaries  5 in 5 records -> 0.050000 USDC (at 0.01 USDC)",
		"llm_tokens 90 in 5 records -> 0.000000 USDC (no pricing plan: recorded, not billed)",
	)

	// Each alert level exactly once, and no other alert.
	for _, lvl := range []string{"info      50%", "warning   80%", "critical  95%", "blocked  100%"} {
		if n := strings.Count(got, lvl+": globex"); n != 1 {
			t.Errorf("alert %q printed %d times, want once", lvl, n)
		}
	}
	if n := strings.Count(got, "webhook customer.spending."); n != 4 {
		t.Errorf("%d spending alerts printed, want 4", n)
	}
	if n := strings.Count(got, "-> 200 "); n != 8 {
		t.Errorf("%d requests served, want 8 (3 for acme, 5 for globex)", n)
	}
	if n := strings.Count(got, "-> 403 "); n != 2 {
		t.Errorf("%d requests refused, want 2", n)
	}
	// One confirmed charge of exactly 0.01 USDC per request served.
	if n := len(chargeLine.FindAllString(got, -1)); n != 8 {
		t.Errorf("%d charge lines of 0.010000 USDC CONFIRMED, want 8", n)
	}
}

var chargeLine = regexp.MustCompile(`(?m)^    chg_\w+  summaries ×1  0\.010000 USDC  CONFIRMED$`)

// inOrder fails unless every want occurs in got, each after the previous.
func inOrder(t *testing.T, got string, wants ...string) {
	t.Helper()
	rest := got
	for _, want := range wants {
		i := strings.Index(rest, want)
		if i < 0 {
			if strings.Contains(got, want) {
				t.Errorf("output has %q, but out of order", want)
			} else {
				t.Errorf("output lacks %q", want)
			}
			continue
		}
		rest = rest[i+len(want):]
	}
}

// Drip delivers an event again when the endpoint did not answer 2xx (a
// timeout after the handler ran, say), with the same event id: the receiver
// handles it once, and refuses deliveries it cannot verify.
func TestReceiverHandlesEachEventOnce(t *testing.T) {
	const secret = "whsec_example_test"
	rc := &receiver{names: map[string]string{"cust_1": "globex"}, arrived: make(chan struct{}, 1),
		seen: map[string]bool{}, levels: map[string]map[int]bool{}}
	srv := httptest.NewServer(drip.WebhookHandler(secret, rc.handle))
	defer srv.Close()

	body := []byte(`{"id":"evt_1","type":"customer.spending.warning","createdAt":"2025-01-01T00:00:00Z",` +
		`"data":{"customerId":"cust_1","capId":"cap_1","capType":"DAILY_CHARGE_LIMIT","level":"warning","percentage":80,` +
		`"limitValue":"0.05","currentUsage":"0.04","periodStart":"2025-01-01T00:00:00Z"}}`)
	post := func(sig string) int {
		req, _ := http.NewRequest("POST", srv.URL, bytes.NewReader(body))
		req.Header.Set(drip.WebhookSignatureHeader, sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for range 2 {
		if code := post(drip.SignWebhookPayload(body, secret, time.Now())); code != http.StatusNoContent {
			t.Fatalf("signed delivery answered %d, want 204", code)
		}
	}
	if code := post(drip.SignWebhookPayload(body, "whsec_someone_else", time.Now())); code != http.StatusBadRequest {
		t.Fatalf("delivery signed with another secret answered %d, want 400", code)
	}

	var out bytes.Buffer
	rc.print(&out, "")
	want := "webhook customer.spending.warning warning   80%: globex has spent 0.04 of its 0.05 USDC DAILY_CHARGE_LIMIT\n"
	if out.String() != want {
		t.Fatalf("receiver printed\n%q\nwant\n%q", out.String(), want)
	}
	// Waiting stops at the deadline when a level below is missing.
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if err := rc.waitFor(done, "cust_1", 80); err == nil || !strings.Contains(err.Error(), "the 50% alert for globex did not arrive") {
		t.Fatalf("waitFor(80) without the 50%% alert = %v", err)
	}
	if err := rc.waitFor(done, "cust_1", 0); err != nil {
		t.Fatalf("waitFor(0) = %v", err)
	}
}
