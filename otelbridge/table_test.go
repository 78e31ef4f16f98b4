package otelbridge

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/internal/genaimap"
)

func sid(shardByte, n byte) trace.SpanID { return trace.SpanID{n, 0, 0, 0, 0, 0, 0, shardByte} }

func TestTableEvictsStaleRunsWhenFull(t *testing.T) {
	srv := driptest.NewServer(t)
	c, err := drip.New(drip.WithAPIKey(srv.APIKey()), drip.WithBaseURL(srv.BaseURL()))
	if err != nil {
		t.Fatal(err)
	}
	tr := drip.NewTracker(c, drip.WithoutSelfMetrics())
	defer tr.Shutdown(context.Background())
	cu, err := c.GetOrCreateCustomer(context.Background(), "acme", nil)
	if err != nil {
		t.Fatal(err)
	}
	p := NewSpanProcessor(tr, WithMaxTrackedSpans(2*shardCount), WithMaxRunAge(time.Millisecond)) // 2 per shard
	_, run := tr.Start(context.Background(), drip.RunParams{CustomerID: cu.ID, Workflow: "leak"})
	leaked := &scope{run: run, owned: true, born: time.Now()}
	tid := trace.TraceID{9}
	if !p.track(spanContext(tid, sid(5, 1)), entry{sc: leaked, root: true}) ||
		!p.track(spanContext(tid, sid(5, 2)), entry{sc: leaked}) {
		t.Fatal("track failed on an empty table")
	}
	time.Sleep(5 * time.Millisecond)

	fresh := &scope{run: run, born: time.Now()}
	if !p.track(spanContext(trace.TraceID{10}, sid(5, 3)), entry{sc: fresh}) {
		t.Fatal("full shard did not evict stale spans")
	}
	if s := p.Stats(); s.Evicted != 2 || s.Tracked != 1 {
		t.Fatalf("stats = %+v", s)
	}
	// Same span id, other trace: refused rather than mixed up.
	if p.track(spanContext(trace.TraceID{11}, sid(5, 3)), entry{sc: fresh}) {
		t.Fatal("a span id of another trace replaced a tracked span")
	}
	if _, ok := p.spans.get(spanContext(trace.TraceID{11}, sid(5, 3))); ok {
		t.Fatal("lookup matched a span of another trace")
	}
	if err := tr.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := srv.Run(run.ID())
	if got.Status != dripserver.StatusTimeout || got.ErrorCode != "SPAN_NOT_ENDED" {
		t.Fatalf("evicted root's run = %+v, want TIMEOUT", got)
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"GET /chat":                 "get_chat",
		"Support Agent":             "support_agent",
		"  --x--  ":                 "--x--",
		"POST /v1/chat/completions": "post_v1_chat_completions",
		"日本":                        "",
		strings.Repeat("a", 100):    strings.Repeat("a", 64),
	} {
		if got := genaimap.Slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTableEvictsSpansOfEndedRunsWhenFull(t *testing.T) {
	var tab spanTable
	tab.init(shardCount, time.Hour) // one span per shard
	sc := &scope{owned: true, born: time.Now()}
	tid := trace.TraceID{7}
	if ok, _ := tab.put(sid(3, 1), entry{trace: tid, sc: sc}); !ok {
		t.Fatal("put")
	}
	if ok, _ := tab.put(sid(3, 2), entry{trace: tid, sc: sc}); ok {
		t.Fatal("a full shard took a span of a live run")
	}
	sc.ended.Store(true) // its root ended; the child outlives it
	tab.shards[3].lastSweep = time.Time{}
	if ok, _ := tab.put(sid(3, 2), entry{trace: tid, sc: &scope{born: time.Now()}}); !ok {
		t.Fatal("the span of an ended run was not evicted")
	}
	if _, ok := tab.get(spanContext(tid, sid(3, 1))); ok {
		t.Fatal("evicted span still found")
	}
	if tab.evicted.Load() != 1 || tab.len() != 1 {
		t.Fatalf("evicted %d, len %d", tab.evicted.Load(), tab.len())
	}
}

// mayHold reports whether spans of trace tid may be tracked: false is
// certain, true may be a bucket shared with another trace.
func (t *spanTable) mayHold(tid trace.TraceID) bool { return t.traces[bucket(tid)].Load() != 0 }
