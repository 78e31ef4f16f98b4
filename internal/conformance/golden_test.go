package conformance

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
)

// goSteps makes, step by step, the calls conformance.mjs makes with the
// Node client, through drip-go's client.
func goSteps(t *testing.T, c, bad *drip.Client) []goStep {
	ctx := context.Background()
	var cust *drip.Customer
	var run *drip.RunInfo
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	return []goStep{
		{"ping", func() { _, err := c.Ping(ctx); must(err) }},
		{"createCustomer", func() {
			var err error
			cust, err = c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "conf-user-1", Metadata: map[string]any{"plan": "pro"}})
			must(err)
		}},
		{"getCustomer", func() { _, err := c.GetCustomer(ctx, cust.ID); must(err) }},
		{"listCustomers", func() { _, err := c.ListCustomers(ctx, &drip.ListCustomersParams{Limit: 10}); must(err) }},
		{"getOrCreateCustomer.existing", func() { _, err := c.GetOrCreateCustomer(ctx, "conf-user-1", nil); must(err) }},
		{"getOrCreateCustomer.new", func() {
			_, err := c.GetOrCreateCustomer(ctx, "conf-user-2", map[string]any{"source": "conformance"})
			must(err)
		}},
		// Node 0.1.2's default "sync" mode is the visibility-only endpoint.
		{"trackUsage.sync", func() {
			_, err := c.TrackUsage(ctx, drip.UsageParams{CustomerID: cust.ID, Meter: "api_calls", Quantity: 3, Units: "calls", Mode: drip.UsageInternal})
			must(err)
		}},
		{"trackUsage.replay", func() {
			p := drip.UsageParams{CustomerID: cust.ID, Meter: "api_calls", Quantity: 2, IdempotencyKey: "conf-fixed-key", Mode: drip.UsageInternal}
			_, err := c.TrackUsage(ctx, p)
			must(err)
			_, err = c.TrackUsage(ctx, p)
			must(err)
		}},
		{"startRun", func() {
			var err error
			run, err = c.StartRun(ctx, drip.RunParams{CustomerID: cust.ID, Workflow: "conformance-flow", ExternalRunID: "conf-run-1", CorrelationID: "corr-1"})
			must(err)
		}},
		{"startRun.replay", func() {
			_, err := c.StartRun(ctx, drip.RunParams{CustomerID: cust.ID, Workflow: "conformance-flow", ExternalRunID: "conf-run-1"})
			must(err)
		}},
		{"emitEvent", func() {
			_, err := c.EmitEvent(ctx, drip.Event{RunID: run.ID, Type: "llm.call", Quantity: 100, Units: "tokens", CostUnits: 0.002,
				Model: "gpt-4o-mini", InputTokens: 60, OutputTokens: 40})
			must(err)
		}},
		{"emitEventsBatch", func() {
			_, err := c.EmitEventsBatch(ctx, []drip.Event{
				{RunID: run.ID, Type: "tool.call", Quantity: 1},
				{RunID: run.ID, Type: "tool.error", Quantity: 1},
				{RunID: run.ID, Type: "agent.step", Quantity: 2, Units: "steps"},
			})
			must(err)
		}},
		{"endRun", func() { _, err := c.EndRun(ctx, run.ID, drip.EndRunParams{Status: drip.RunCompleted}); must(err) }},
		{"endRun.conflict", func() { c.EndRun(ctx, run.ID, drip.EndRunParams{Status: drip.RunFailed}) }},
		{"getRun", func() { _, err := c.GetRun(ctx, run.ID); must(err) }},
		{"getRunTimeline", func() {
			p, err := c.GetRunTimeline(ctx, run.ID, &drip.TimelineParams{Limit: 2})
			must(err)
			_, err = c.GetRunTimeline(ctx, run.ID, &drip.TimelineParams{Limit: 2, Cursor: p.NextCursor})
			must(err)
		}},
		{"recordRun", func() {
			p := drip.RecordRunParams{CustomerID: cust.ID, Workflow: "conformance-record", Status: drip.RunCompleted, ExternalRunID: "conf-rec-1",
				Events: []drip.Event{{Type: "step.one", Quantity: 1}, {Type: "step.two", CostUnits: 0.5}}}
			_, err := c.RecordRun(ctx, p)
			must(err)
			_, err = c.RecordRun(ctx, p)
			must(err)
		}},
		{"invalidKey", func() { bad.ListWorkflows(ctx) }},
	}
}

type goStep struct {
	label string
	do    func()
}

// extraGoFields are fields drip-go sends that Node 0.1.2 does not, each for
// a documented reason; any other difference fails the test.
var extraGoFields = map[string]string{
	"metadata.totalTokens": "the SDK writes token counts it knows (Event.InputTokens/OutputTokens)",
	"metadata.occurredAt":  "events carry the time they happened; the tracker sends them later",
}

// opaque fields differ by nature (server ids, generated keys): only their
// shape is compared.
var opaque = map[string]bool{"customerId": true, "runId": true, "idempotencyKey": true}

func compareGoClient(t *testing.T, node *Recorder) {
	store, err := dripserver.OpenStore(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	goRec := NewRecorder(dripserver.New(store, dripserver.WithAPIKeys(goodKey), dripserver.WithLogger(slog.New(slog.DiscardHandler))))
	srv := httptest.NewServer(goRec)
	defer srv.Close()
	c, err := drip.New(drip.WithAPIKey(goodKey), drip.WithBaseURL(srv.URL+"/v1"), drip.WithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	bad, _ := drip.New(drip.WithAPIKey(badKey), drip.WithBaseURL(srv.URL+"/v1"), drip.WithoutRetries())
	for _, s := range goSteps(t, c, bad) {
		goRec.SetLabel(s.label)
		s.do()
	}
	for _, s := range goSteps(t, c, bad) {
		t.Run(s.label, func(t *testing.T) {
			want, got := node.Labeled(s.label), goRec.Labeled(s.label)
			if len(want) != len(got) {
				t.Fatalf("Node sent %d requests, drip-go %d:\nnode %s\ngo   %s", len(want), len(got), describe(want), describe(got))
			}
			for i := range want {
				w, g := want[i], got[i]
				if w.Method != g.Method || !samePath(w.Path, g.Path) || w.Status != g.Status {
					t.Errorf("request %d: node %s %s %d, go %s %s %d", i, w.Method, w.Path, w.Status, g.Method, g.Path, g.Status)
				}
				compareQuery(t, i, w.Query, g.Query)
				if !strings.HasPrefix(g.Header["Content-Type"], "application/json") && w.Header["Content-Type"] != "" {
					t.Errorf("request %d: Content-Type %q", i, g.Header["Content-Type"])
				}
				compareBodies(t, i, w.Body, g.Body)
			}
		})
	}
}

// compareQuery compares query parameters by name; cursors are opaque ids,
// compared by shape.
func compareQuery(t *testing.T, i int, nodeQ, goQ string) {
	t.Helper()
	nq, _ := url.ParseQuery(nodeQ)
	gq, _ := url.ParseQuery(goQ)
	if len(nq) != len(gq) {
		t.Errorf("request %d: query node %q, go %q", i, nodeQ, goQ)
		return
	}
	for k := range nq {
		n, g := nq.Get(k), gq.Get(k)
		if k == "cursor" {
			n, g = keyShape(n), keyShape(g)
		}
		if n != g {
			t.Errorf("request %d: query %s: node %q, go %q", i, k, nq.Get(k), gq.Get(k))
		}
	}
}

func compareBodies(t *testing.T, i int, nodeBody, goBody json.RawMessage) {
	t.Helper()
	if len(nodeBody) == 0 && len(goBody) == 0 {
		return
	}
	nf, err := Fields(nodeBody)
	if err != nil {
		t.Fatal(err)
	}
	gf, err := Fields(goBody)
	if err != nil {
		t.Fatal(err)
	}
	for k, nv := range nf {
		gv, ok := gf[k]
		last := k[strings.LastIndex(k, ".")+1:]
		switch {
		case !ok:
			t.Errorf("request %d: drip-go does not send %s (Node sends %v)", i, k, nv)
		case opaque[last]:
			if keyShape(nv) != keyShape(gv) {
				t.Errorf("request %d: %s shape: node %v, go %v", i, k, nv, gv)
			}
		case nv != gv:
			t.Errorf("request %d: %s: node %#v, go %#v", i, k, nv, gv)
		}
	}
	var extra []string
	for k := range gf {
		if _, ok := nf[k]; ok {
			continue
		}
		if _, ok := extraGoFields[stripIndex(k)]; !ok {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("request %d: drip-go sends fields Node does not: %v", i, extra)
	}
}

// keyShape is a value's prefix up to its first '_' (cust_, run_, evt_,
// track_), or the value itself when it has none.
func keyShape(v any) string {
	s, _ := v.(string)
	if i := strings.IndexByte(s, '_'); i > 0 {
		return s[:i+1]
	}
	return s
}

// stripIndex turns events.3.metadata.x into metadata.x.
func stripIndex(k string) string {
	parts := strings.Split(k, ".")
	if len(parts) > 2 && parts[0] == "events" {
		return strings.Join(parts[2:], ".")
	}
	return k
}

func samePath(a, b string) bool {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	if len(as) != len(bs) {
		return false
	}
	for i := range as {
		if as[i] != bs[i] && !(strings.HasPrefix(as[i], "run_") && strings.HasPrefix(bs[i], "run_")) &&
			!(strings.HasPrefix(as[i], "cust_") && strings.HasPrefix(bs[i], "cust_")) {
			return false
		}
	}
	return true
}

func describe(cs []Call) string {
	var b strings.Builder
	for _, c := range cs {
		b.WriteString(c.Method + " " + c.Path + " " + itoa(c.Status) + "; ")
	}
	return b.String()
}
