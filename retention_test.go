package drip_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"
	"unsafe"
	"weak"

	drip "github.com/drip-sdk/drip-go"
)

// Once delivered, a record is the tracker's no more. A service keeps runs
// open for hours, starts child runs under them and records usage beside
// them; none of that may keep the records already sent reachable. Each
// record carries a metadata string of its own; a weak pointer to its bytes
// says whether anything still reaches it.
func TestDeliveredRecordsAreReleased(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	// Only Flush delivers, so what each delivery takes is known.
	tr := newTracker(t, c, drip.WithBatchTimeout(time.Hour))
	cust := createCustomer(t, c, "released")
	ctx, run := tr.Start(ctxT(t), drip.RunParams{CustomerID: cust, Workflow: "released"})

	// The first delivery takes the run's start, its child's (which waits
	// for the run's id) and more records than the later ones, which fit
	// in the room the first left in the exporter's lists.
	rounds := []int{5, 1, 1}
	var sent []map[string]weak.Pointer[byte]
	want := int64(0)
	for i, n := range rounds {
		sent = append(sent, recordTagged(t, ctx, tr, run, cust, fmt.Sprint("round ", i), n))
		if err := tr.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		want += int64(2*n + 1) // n events, n usage records, the child's event
	}
	if st := tr.Stats(); st.Sent != want {
		t.Fatalf("sent %d records, want %d", st.Sent, want)
	}
	runtime.GC()
	for _, round := range sent[:len(sent)-1] {
		for tag, p := range round {
			if p.Value() != nil {
				t.Errorf("%s is still reachable after its delivery and a later one", tag)
			}
		}
	}
}

// recordTagged records n events of run, n usage records and a child run of
// run with one event, ended, each with a metadata tag made here, and
// returns weak pointers to the tags' bytes by name. A tag is 16 bytes or
// more: smaller ones share their memory block with others (the
// allocator's tiny blocks).
//
//go:noinline
func recordTagged(t *testing.T, ctx context.Context, tr *drip.Tracker, run *drip.Run, cust, round string, n int) map[string]weak.Pointer[byte] {
	t.Helper()
	out := map[string]weak.Pointer[byte]{}
	tag := func(name string) string {
		s := fmt.Sprintf("%s, %s, of this test", round, name)
		out[fmt.Sprint(round, ": ", name)] = weak.Make(unsafe.StringData(s))
		return s
	}
	for i := range n {
		if err := run.Emit(drip.Event{Type: "tool.call", Name: "lookup",
			Metadata: map[string]any{"tag": tag(fmt.Sprint("event ", i))}}); err != nil {
			t.Fatal(err)
		}
		if err := tr.TrackUsage(ctx, drip.UsageParams{CustomerID: cust, Meter: "api_calls", Quantity: 1,
			Metadata: map[string]any{"tag": tag(fmt.Sprint("usage ", i))}}); err != nil {
			t.Fatal(err)
		}
	}
	_, child := tr.Start(ctx, drip.RunParams{CustomerID: cust, Workflow: "child",
		Metadata: map[string]any{"tag": tag("child run")}})
	if err := child.Emit(drip.Event{Type: "tool.call", Name: "lookup"}); err != nil {
		t.Fatal(err)
	}
	if err := child.End(drip.RunCompleted); err != nil {
		t.Fatal(err)
	}
	return out
}
