package dripserver

import (
	"slices"
	"testing"
)

func traceIDs(evs []execEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

// Links are whatever callers sent: a parent chain that loops stops before
// it repeats, an event naming itself is neither its own parent nor its own
// retry, and a reference to no event of the run links nothing.
func TestTraceRunOddLinks(t *testing.T) {
	run := []Event{
		{ID: "evt_a", ParentEventID: "evt_c"},
		{ID: "evt_b", ParentEventID: "evt_a", SpanID: "s_b"},
		{ID: "evt_c", ParentEventID: "s_b"}, // a → c → b → a
		{ID: "evt_d", ParentEventID: "evt_d", Metadata: map[string]any{"retryOfEventId": "evt_d"}},
		{ID: "evt_e", ParentEventID: "evt_elsewhere", Metadata: map[string]any{"retryOfEventId": 7}},
		{ID: "evt_f", Metadata: map[string]any{"retryOfEventId": "evt_e"}},
		{ID: "evt_g", Metadata: map[string]any{"retryOfEventId": "evt_e"}},
	}
	anc, children, retries := traceRun(run, "evt_a")
	if !slices.Equal(traceIDs(anc), []string{"evt_b", "evt_c"}) || !slices.Equal(traceIDs(children), []string{"evt_b"}) || len(retries) != 0 {
		t.Fatalf("loop: ancestors %v, children %v, retries %v", traceIDs(anc), traceIDs(children), traceIDs(retries))
	}
	anc, children, retries = traceRun(run, "evt_d")
	if len(anc) != 0 || len(children) != 0 || len(retries) != 0 {
		t.Fatalf("self links: ancestors %v, children %v, retries %v", traceIDs(anc), traceIDs(children), traceIDs(retries))
	}
	// Two retries of one attempt form one chain, whichever member is traced.
	for _, id := range []string{"evt_e", "evt_g"} {
		anc, _, retries = traceRun(run, id)
		if len(anc) != 0 || !slices.Equal(traceIDs(retries), []string{"evt_e", "evt_f", "evt_g"}) {
			t.Fatalf("%s: ancestors %v, retries %v", id, traceIDs(anc), traceIDs(retries))
		}
	}
}
