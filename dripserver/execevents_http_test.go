package dripserver_test

import (
	"context"
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/internal/wire"
)

// The execution-event routes as the official clients see them: empty lists
// are [] not null, filters are checked, unknown ids are 404, and the
// events survive a restart (they are the stored run events).
func TestExecutionEventRoutes(t *testing.T) {
	quiet := dripserver.WithLogger(slog.New(slog.DiscardHandler))
	path := t.TempDir() + "/drip.db"
	store, err := dripserver.OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := dripserver.Start(context.Background(), "127.0.0.1:0", store, quiet)
	if err != nil {
		t.Fatal(err)
	}
	a := newAPI(t, inst.BaseURL(), driptest.DefaultAPIKey)
	c := a.customer("ev_user")
	run := a.startRun(c.ID, "ev-flow")
	var root, child wire.RunEventResult
	a.ok(201, "POST", "/run-events", wire.RunEvent{RunID: run.ID, EventType: "agent.action", IdempotencyKey: "k1"}, &root)
	a.ok(201, "POST", "/run-events", wire.RunEvent{RunID: run.ID, EventType: "tool.call", ParentEventID: root.ID,
		IdempotencyKey: "k2", Description: "look it up"}, &child)

	var tr wire.EventTrace
	a.ok(200, "GET", "/events/"+child.ID+"/trace", nil, &tr)
	if tr.EventID != child.ID || len(tr.Ancestors) != 1 || tr.Ancestors[0].ID != root.ID ||
		tr.Children == nil || tr.RetryChain == nil {
		t.Fatalf("trace = %+v", tr)
	}
	var ev wire.ExecutionEvent
	a.ok(200, "GET", "/events/"+child.ID, nil, &ev)
	if ev.CustomerID != c.ID || ev.RunID != run.ID || ev.Explanation == nil || *ev.Explanation != "look it up" ||
		ev.ParentEventID != root.ID || ev.Outcome != "SUCCESS" || ev.CreatedAt == "" {
		t.Fatalf("event = %+v", ev)
	}

	for _, q := range []string{"limit=0", "limit=101", "limit=x", "offset=-1"} {
		a.fail(422, "VALIDATION_ERROR", "GET", "/events?"+q, nil)
	}
	a.fail(404, "NOT_FOUND", "GET", "/events/evt_nope", nil)
	a.fail(404, "NOT_FOUND", "GET", "/events/evt_nope/trace", nil)

	var none wire.ExecutionEventList
	a.ok(200, "GET", "/events?runId="+url.QueryEscape("run_nope"), nil, &none)
	if none.Data == nil || none.Total != 0 || none.Limit != 100 {
		t.Fatalf("empty list = %+v; want data [] and total 0", none)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := inst.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	store.Close()
	store, err = dripserver.OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	inst, err = dripserver.Start(context.Background(), "127.0.0.1:0", store, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Shutdown(context.Background())
	a = newAPI(t, inst.BaseURL(), driptest.DefaultAPIKey)
	var page wire.ExecutionEventList
	a.ok(200, "GET", "/events?customerId=ev_user&limit=1&offset=1", nil, &page)
	if page.Total != 2 || len(page.Data) != 1 || page.Data[0].ID != child.ID || page.Offset != 1 {
		t.Fatalf("after restart: %+v", page)
	}
}
