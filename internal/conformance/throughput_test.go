package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/dripserver"
)

// BenchmarkNodeEmitEvent measures the official Node client recording run
// events into an in-memory dripd, the way it sends them: one request per
// event, 16 in flight. It is the peer figure for the root package's
// BenchmarkTrackerThroughput (same server, same two cores). "default" is the
// client as configured out of the box (its resilience layer rate-limits
// requests); "unthrottled" turns that off; "sequential" awaits each event.
// Each iteration runs the script once; the figures are the script's own
// timings, without node's start-up.
func BenchmarkNodeEmitEvent(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if err := EnsureClient(ctx, NodeDir); err != nil {
		if errors.Is(err, ErrNoNode) {
			b.Skip(err)
		}
		b.Fatal(err)
	}
	store, err := dripserver.OpenStore(":memory:")
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	srv := httptest.NewServer(dripserver.New(store, dripserver.WithAPIKeys(goodKey),
		dripserver.WithLogger(slog.New(slog.DiscardHandler))))
	defer srv.Close()

	const events = 2000
	var r struct{ Default, Unthrottled, Sequential, Events float64 }
	for b.Loop() {
		out, err := RunScript(ctx, NodeDir, "throughput.mjs", "DRIP_BASE_URL="+srv.URL+"/v1",
			"DRIP_API_KEY="+goodKey, "DRIP_API_URL=", "DRIP_EVENTS="+strconv.Itoa(events), "DRIP_INFLIGHT=16")
		if err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
		if err := json.Unmarshal(bytes.TrimSpace(out[bytes.LastIndexByte(bytes.TrimSpace(out), '\n')+1:]), &r); err != nil {
			b.Fatalf("script output %q: %v", out, err)
		}
	}
	b.ReportMetric(r.Default, "default-events/s")
	b.ReportMetric(r.Unthrottled, "unthrottled-events/s")
	b.ReportMetric(r.Sequential, "sequential-events/s")
	stored := 0
	runs, err := store.Runs(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range runs {
		stored += r.EventCount
	}
	if want := b.N * 3 * events; stored != want || int(r.Events) != 3*events {
		b.Fatalf("stored %d events, want %d", stored, want)
	}
}
