package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/dripserver"
)

const (
	goodKey = "sk_test_conformance_0001"
	badKey  = "sk_test_not_configured_0002"
	// publicKey is dripd's public key, for the key-scoping steps.
	publicKey = "pk_test_conformance_0003"
)

// TestNodeClient runs the official Node client against dripd and checks
// both what it got back (in the script) and what it sent (here).
func TestNodeClient(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if err := EnsureClient(ctx, NodeDir); err != nil {
		if errors.Is(err, ErrNoNode) && os.Getenv("CI") != "true" {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	rec, origin := startDripd(t)
	out, err := RunScript(ctx, NodeDir, "conformance.mjs",
		"DRIP_BASE_URL="+origin+"/v1", "DRIP_API_KEY="+goodKey, "DRIP_BAD_KEY="+badKey, "DRIP_API_URL=")
	t.Logf("node output:\n%s", out)
	if err != nil {
		t.Fatal(err)
	}
	writeCapture(t, rec, "")
	checkCaptures(t, rec)
	t.Run("golden", func(t *testing.T) { compareGoClient(t, rec, goSteps) })
}

// startDripd starts dripd on a memory store behind a Recorder, with a
// secret and a public key, delivering webhooks until the test ends, and
// returns the recorder and the origin URL (the API is under /v1).
func startDripd(t *testing.T) (*Recorder, string) {
	t.Helper()
	store, err := dripserver.OpenStore(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	d := dripserver.New(store, dripserver.WithAPIKeys(goodKey, publicKey),
		dripserver.WithLogger(slog.New(slog.DiscardHandler)))
	rec := NewRecorder(d)
	srv := httptest.NewServer(rec)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("webhook delivery: %v", err)
		}
		srv.Close()
		store.Close()
	})
	return rec, srv.URL
}

// writeCapture writes the captured requests to $CONFORMANCE_CAPTURE, with
// suffix before its extension, when that is set.
func writeCapture(t *testing.T, rec *Recorder, suffix string) {
	path := os.Getenv("CONFORMANCE_CAPTURE")
	if path == "" {
		return
	}
	if suffix != "" {
		ext := filepath.Ext(path)
		path = strings.TrimSuffix(path, ext) + suffix + ext
	}
	raw, _ := json.MarshalIndent(rec.Calls(), "", "  ")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkCaptures pins what @drip-sdk/node 0.1.2 sends, so a change in the
// client (or in the capture) shows up here first.
func checkCaptures(t *testing.T, rec *Recorder) {
	checkCalls(t, rec, []captureCheck{
		{"ping", []string{"GET /health 200"}, nil},
		{"createCustomer", []string{"POST /v1/customers 201"},
			map[string]any{"externalCustomerId": "conf-user-1", "metadata.plan": "pro"}},
		{"getOrCreateCustomer.existing", []string{"POST /v1/customers 409", "GET /v1/customers/* 200"}, nil},
		{"trackUsage.sync", []string{"POST /v1/usage/internal 200"},
			map[string]any{"usageType": "api_calls", "quantity": json.Number("3"), "units": "calls", "idempotencyKey": "track_*"}},
		{"trackUsage.batch", []string{"POST /v1/usage/internal/batch 202"},
			map[string]any{"usageType": "tokens", "quantity": json.Number("1500")}},
		{"startRun", []string{"POST /v1/runs 201"},
			map[string]any{"workflowId": "conformance-flow", "externalRunId": "conf-run-1", "correlationId": "corr-1"}},
		{"startRun.replay", []string{"POST /v1/runs 200"}, nil},
		{"emitEvent", []string{"POST /v1/run-events 201"},
			map[string]any{"eventType": "llm.call", "costUnits": json.Number("0.002"), "idempotencyKey": "evt_*", "metadata.model": "gpt-4o-mini"}},
		{"emitEventsBatch", []string{"POST /v1/run-events/batch 200"},
			map[string]any{"events.0.eventType": "tool.call", "events.0.idempotencyKey": "evt_*", "events.2.units": "steps"}},
		{"endRun", []string{"PATCH /v1/runs/* 200"}, map[string]any{"status": "COMPLETED"}},
		{"endRun.conflict", []string{"PATCH /v1/runs/* 409"}, nil},
		{"getRunTimeline", []string{"GET /v1/runs/*/timeline 200", "GET /v1/runs/*/timeline 200"}, nil},
		{"recordRun", []string{"POST /v1/runs/record 201", "POST /v1/runs/record 200"},
			map[string]any{"workflow": "conformance-record", "events.1.costUnits": json.Number("0.5")}},
		{"invalidKey", []string{"GET /v1/workflows 401"}, nil},
	})
}

// captureCheck is what one labelled step must have sent: "METHOD path
// status" per request (a * in the path stands for one segment), and fields
// of the first request's body (a value ending in * is a prefix).
type captureCheck struct {
	label  string
	calls  []string
	fields map[string]any
}

func checkCalls(t *testing.T, rec *Recorder, tests []captureCheck) {
	t.Helper()
	for _, c := range rec.Calls() {
		if _, ok := c.Header["Authorization"]; ok {
			t.Errorf("%s %s: Authorization was captured", c.Method, c.Path)
		}
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			calls := rec.Labeled(tt.label)
			if len(calls) != len(tt.calls) {
				t.Fatalf("%d requests, want %d: %+v", len(calls), len(tt.calls), calls)
			}
			for i, c := range calls {
				want := strings.Fields(tt.calls[i])
				if c.Method != want[0] || !match(want[1], c.Path) || want[2] != itoa(c.Status) {
					t.Errorf("request %d = %s %s %d, want %s", i, c.Method, c.Path, c.Status, tt.calls[i])
				}
				if c.Path != "/health" && !strings.HasPrefix(c.Header["Content-Type"], "application/json") {
					t.Errorf("request %d: Content-Type %q", i, c.Header["Content-Type"])
				}
			}
			if len(calls) == 0 {
				return
			}
			got, err := Fields(calls[0].Body)
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range tt.fields {
				if s, ok := want.(string); ok && strings.HasSuffix(s, "*") {
					if g, _ := got[k].(string); !strings.HasPrefix(g, strings.TrimSuffix(s, "*")) {
						t.Errorf("%s = %v, want %s", k, got[k], s)
					}
					continue
				}
				if got[k] != want {
					t.Errorf("%s = %#v, want %#v", k, got[k], want)
				}
			}
		})
	}
}

// match compares a path with a pattern in which * stands for one segment.
func match(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if ps[i] != "*" && ps[i] != xs[i] {
			return false
		}
	}
	return true
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestFields(t *testing.T) {
	got, err := Fields(json.RawMessage(`{"a":{"b":[1,{"c":"x"}],"e":{}},"d":null}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a.b.0": json.Number("1"), "a.b.1.c": "x", "d": nil}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	if _, ok := got["a.e"]; !ok || len(got) != 4 {
		t.Errorf("Fields = %v", got)
	}
}
