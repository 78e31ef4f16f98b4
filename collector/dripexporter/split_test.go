package dripexporter

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/drip-sdk/drip-go/driptest"
)

// splitTraces is how many traces the split and order test sends: 1,000,
// or 200 under the race detector, which makes dripd ten times slower and
// finds races as well in fewer traces (CI runs the full test without it).
var splitTraces = map[bool]int{false: 1000, true: 200}[raceEnabled]

// fleetTraces is splitTraces agent traces over three customers (given by
// external id, created in each dripd), every tenth with a failed root.
func fleetTraces(custs []string) [][]testSpan {
	out := make([][]testSpan, splitTraces)
	for i := range out {
		n := uint64(i + 1)
		tr := agentTrace(n, custs[i%len(custs)])
		if i%10 == 0 {
			tr[0].failed = "agent gave up"
			tr[0].attrs["error.type"] = "GaveUp"
		}
		out[i] = tr
	}
	return out
}

// snapshot is what dripd holds, with its own ids replaced by the ids the
// spans gave (customers by external id), to compare dripd instances.
type snapshot map[string]string

func snap(t *testing.T, srv *driptest.Server) snapshot {
	t.Helper()
	ext := map[string]string{}
	for _, c := range srv.Customers() {
		ext[c.ID] = c.ExternalCustomerID
	}
	s := snapshot{}
	for _, r := range srv.Runs() {
		if _, dup := s[r.ExternalRunID]; dup {
			t.Fatalf("run %s twice", r.ExternalRunID)
		}
		var evs []string
		keys := map[string]bool{}
		for _, e := range srv.Events(r.ID) {
			if keys[e.IdempotencyKey] {
				t.Fatalf("event %s twice", e.IdempotencyKey)
			}
			keys[e.IdempotencyKey] = true
			md, _ := json.Marshal(e.Metadata)
			cost := -1.0
			if e.CostUnits != nil {
				cost = *e.CostUnits
			}
			evs = append(evs, fmt.Sprintf("%s %s %v %s %v %s %s %v %s", e.IdempotencyKey, e.EventType, e.Quantity, e.Units, cost,
				e.SpanID, e.ParentEventID, e.Timestamp.UnixNano(), md))
		}
		sort.Strings(evs)
		b, _ := json.Marshal(evs)
		s[r.ExternalRunID] = fmt.Sprintf("%s %s %s %s %s %s %s", ext[r.CustomerID], r.WorkflowName, r.Status, r.ErrorCode,
			r.ErrorMessage, r.CorrelationID, b)
	}
	return s
}

func setupFleet(t *testing.T) (*driptest.Server, [][]testSpan) {
	srv, c := newDripd(t)
	var custs []string
	for _, ext := range []string{"acme", "globex", "initech"} {
		custs = append(custs, customer(t, c, ext))
	}
	return srv, fleetTraces(custs)
}

func consume(t *testing.T, exp interface {
	ConsumeTraces(context.Context, ptrace.Traces) error
}, spans ...testSpan) {
	t.Helper()
	if err := exp.ConsumeTraces(context.Background(), traces(spans...)); err != nil {
		t.Fatal(err)
	}
}

func flatten(fleet [][]testSpan) []testSpan {
	var all []testSpan
	for _, tr := range fleet {
		all = append(all, tr...)
	}
	return all
}

func TestSplitAndOrderIndependent(t *testing.T) {
	// One batch.
	srvA, fleet := setupFleet(t)
	expA, _ := startExporter(t, testConfig(srvA))
	consume(t, expA, flatten(fleet)...)
	want := snap(t, srvA)
	if len(want) != splitTraces {
		t.Fatalf("%d runs, want %d", len(want), splitTraces)
	}

	// The same spans (but for dripd's customer ids) in one shuffled order.
	rng := rand.New(rand.NewPCG(18, 1))
	order := rng.Perm(len(flatten(fleet)))
	shuffle := func(fleet [][]testSpan) []testSpan {
		all := flatten(fleet)
		out := make([]testSpan, len(all))
		for i, j := range order {
			out[i] = all[j]
		}
		return out
	}

	// Shuffled single-span batches: children before roots, roots before
	// children, traces interleaved.
	srvB, fleet := setupFleet(t)
	expB, xB := startExporter(t, testConfig(srvB))
	for _, s := range shuffle(fleet) {
		consume(t, expB, s)
	}
	if got := snap(t, srvB); !reflect.DeepEqual(got, want) {
		diff(t, "shuffled single spans", got, want)
	}
	if st := xB.Stats(); st.RunsStarted != int64(splitTraces) || st.RunsEnded != int64(splitTraces) || st.Dropped != 0 {
		t.Errorf("shuffled stats = %+v", st)
	}

	// Two exporter instances behind a trace-id load balancer, each getting
	// its traces' spans shuffled in batches of 1 to 50, and a replay of a
	// tenth of the batches (a retry after a lost reply).
	srvC, fleet := setupFleet(t)
	exps := [2]interface {
		ConsumeTraces(context.Context, ptrace.Traces) error
	}{}
	exps[0], _ = startExporter(t, testConfig(srvC))
	exps[1], _ = startExporter(t, testConfig(srvC))
	var parts [2][]testSpan
	for _, s := range shuffle(fleet) {
		i := tid(s.trace)[15] & 1
		parts[i] = append(parts[i], s)
	}
	if len(parts[0]) == 0 || len(parts[1]) == 0 {
		t.Fatal("the balancer sent everything one way")
	}
	for i, p := range parts {
		for len(p) > 0 {
			n := min(1+rng.IntN(50), len(p))
			consume(t, exps[i], p[:n]...)
			if rng.IntN(10) == 0 {
				consume(t, exps[i], p[:n]...)
			}
			p = p[n:]
		}
	}
	if got := snap(t, srvC); !reflect.DeepEqual(got, want) {
		diff(t, "two instances", got, want)
	}
}

func diff(t *testing.T, name string, got, want snapshot) {
	t.Helper()
	n := 0
	for k, w := range want {
		if g := got[k]; g != w && n < 3 {
			t.Errorf("%s: run %s\n got %s\nwant %s", name, k, g, w)
			n++
		}
	}
	t.Errorf("%s: %d runs, want %d; they differ", name, len(got), len(want))
}
