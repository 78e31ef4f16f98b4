package dripserver_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/internal/wire"
)

func TestHealth(t *testing.T) {
	srv := driptest.NewServer(t)
	resp, err := http.Get(srv.URL() + "/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h wire.Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || h.Status != "healthy" || time.Since(time.UnixMilli(h.Timestamp)) > time.Minute {
		t.Fatalf("health = %d %+v", resp.StatusCode, h)
	}
}

func TestAuth(t *testing.T) {
	dev := driptest.NewServer(t)
	strict := driptest.NewServer(t, driptest.WithAPIKeys("sk_live_configured1", "pk_live_configured2"))
	tests := []struct {
		name   string
		base   string
		key    string
		path   string
		status int
		code   string
	}{
		{"missing key", dev.BaseURL(), "", "/workflows", 401, "UNAUTHORIZED"},
		{"not sk_ or pk_", dev.BaseURL(), "xk_test_1234567890", "/workflows", 401, "UNAUTHORIZED"},
		{"too short", dev.BaseURL(), "sk_abc", "/workflows", 401, "UNAUTHORIZED"},
		{"dev mode secret", dev.BaseURL(), "sk_test_anything", "/workflows", 200, ""},
		{"dev mode public", dev.BaseURL(), "pk_test_anything", "/workflows", 200, ""},
		{"public key may manage customers", dev.BaseURL(), "pk_test_anything", "/customers", 200, ""},
		{"public key on secret-only route", dev.BaseURL(), "pk_test_anything", "/webhooks", 403, "PUBLIC_KEY_NOT_ALLOWED"},
		{"public key on secret-only subtree", dev.BaseURL(), "pk_test_anything", "/webhooks/x", 403, "PUBLIC_KEY_NOT_ALLOWED"},
		{"secret key on secret-only route", dev.BaseURL(), "sk_test_anything", "/webhooks", 200, ""},
		{"configured key", strict.BaseURL(), "sk_live_configured1", "/workflows", 200, ""},
		{"configured public key", strict.BaseURL(), "pk_live_configured2", "/workflows", 200, ""},
		{"unconfigured key", strict.BaseURL(), "sk_test_anything", "/workflows", 401, "UNAUTHORIZED"},
		{"unknown route still needs a key", dev.BaseURL(), "", "/nope", 401, "UNAUTHORIZED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAPI(t, tt.base, tt.key)
			if tt.code != "" {
				a.fail(tt.status, tt.code, "GET", tt.path, nil)
				return
			}
			a.ok(tt.status, "GET", tt.path, nil, nil)
		})
	}
	if got := strict.APIKey(); got != "sk_live_configured1" {
		t.Errorf("APIKey() = %q, want the first configured key", got)
	}
}

// TestErrors checks each error the API documents, and that none of them
// wrote anything.
func TestErrors(t *testing.T) {
	srv := driptest.NewServer(t)
	a := newAPI(t, srv.BaseURL(), srv.APIKey())
	cust := a.customer("known")
	run := a.startRun(cust.ID, "wf")
	var ended wire.EndRunResult
	a.ok(200, "PATCH", "/runs/"+run.ID, wire.EndRunRequest{Status: "COMPLETED"}, &ended)
	before := counts(srv)

	big := `{"customerId":"` + cust.ID + `","metadata":{"x":"` + strings.Repeat("a", 6<<20) + `"}}`
	tests := []struct {
		name, method, path string
		body               any
		status             int
		code, field        string
	}{
		{"unknown route", "GET", "/nothing-here", nil, 404, "NOT_FOUND", ""},
		{"unknown method", "DELETE", "/customers", nil, 404, "NOT_FOUND", ""},
		{"unknown customer", "GET", "/customers/cust_nope", nil, 404, "CUSTOMER_NOT_FOUND", ""},
		{"usage for unknown customer", "POST", "/usage", `{"customerId":"cust_nope"}`, 404, "CUSTOMER_NOT_FOUND", ""},
		{"run for unknown customer", "POST", "/runs", `{"customerId":"cust_nope","workflowId":"wf"}`, 404, "CUSTOMER_NOT_FOUND", ""},
		{"record for unknown customer", "POST", "/runs/record", `{"customerId":"cust_nope","workflow":"wf","status":"COMPLETED","events":[]}`, 404, "CUSTOMER_NOT_FOUND", ""},
		{"unknown run", "GET", "/runs/run_nope", nil, 404, "NOT_FOUND", ""},
		{"end unknown run", "PATCH", "/runs/run_nope", `{"status":"COMPLETED"}`, 404, "NOT_FOUND", ""},
		{"timeline of unknown run", "GET", "/runs/run_nope/timeline", nil, 404, "NOT_FOUND", ""},
		{"event for unknown run", "POST", "/run-events", `{"runId":"run_nope","eventType":"a"}`, 404, "NOT_FOUND", ""},
		{"run already ended", "PATCH", "/runs/" + run.ID, `{"status":"FAILED"}`, 409, "RUN_ALREADY_ENDED", ""},
		{"ended run cannot run again", "PATCH", "/runs/" + run.ID, `{"status":"RUNNING"}`, 409, "RUN_ALREADY_ENDED", ""},
		{"body too large", "POST", "/usage", big, 413, "PAYLOAD_TOO_LARGE", ""},
		{"negative quantity", "POST", "/usage", `{"customerId":"` + cust.ID + `","quantity":-1}`, 422, "VALIDATION_ERROR", "quantity"},
		{"huge quantity", "POST", "/usage", `{"customerId":"` + cust.ID + `","quantity":1e999}`, 422, "VALIDATION_ERROR", "quantity"},
		{"quantity of wrong type", "POST", "/usage", `{"customerId":"` + cust.ID + `","quantity":"3"}`, 422, "VALIDATION_ERROR", "quantity"},
		{"metadata of wrong type", "POST", "/usage", `{"customerId":"` + cust.ID + `","metadata":[1]}`, 422, "VALIDATION_ERROR", "metadata"},
		{"malformed JSON", "POST", "/usage", `{"customerId":`, 422, "VALIDATION_ERROR", "body"},
		{"body not an object", "POST", "/usage", `[1,2]`, 422, "VALIDATION_ERROR", "body"},
		{"usage without customer", "POST", "/usage/internal", `{"quantity":1}`, 422, "VALIDATION_ERROR", "customerId"},
		{"customer without ids", "POST", "/customers", `{}`, 422, "VALIDATION_ERROR", "externalCustomerId"},
		{"customer with empty body", "POST", "/customers", ``, 422, "VALIDATION_ERROR", "externalCustomerId"},
		{"workflow without slug", "POST", "/workflows", `{"name":"x"}`, 422, "VALIDATION_ERROR", "slug"},
		{"workflow with bad surface", "POST", "/workflows", `{"name":"x","slug":"x","productSurface":"TV"}`, 422, "VALIDATION_ERROR", "productSurface"},
		{"run without workflow", "POST", "/runs", `{"customerId":"` + cust.ID + `"}`, 422, "VALIDATION_ERROR", "workflowId"},
		{"end without status", "PATCH", "/runs/" + run.ID, ``, 422, "VALIDATION_ERROR", "status"},
		{"end with bad status", "PATCH", "/runs/" + run.ID, `{"status":"DONE"}`, 422, "VALIDATION_ERROR", "status"},
		{"event without type", "POST", "/run-events", `{"runId":"` + run.ID + `"}`, 422, "VALIDATION_ERROR", "eventType"},
		{"event without run", "POST", "/run-events", `{"eventType":"a"}`, 422, "VALIDATION_ERROR", "runId"},
		{"event with negative cost", "POST", "/run-events", `{"runId":"` + run.ID + `","eventType":"a","costUnits":-2}`, 422, "VALIDATION_ERROR", "costUnits"},
		{"batch without events", "POST", "/run-events/batch", `{}`, 422, "VALIDATION_ERROR", "events"},
		{"batch with a bad event writes nothing", "POST", "/run-events/batch",
			`{"events":[{"runId":"` + run.ID + `","eventType":"ok"},{"runId":"` + run.ID + `","eventType":"bad","quantity":-5}]}`,
			422, "VALIDATION_ERROR", "events[1].quantity"},
		{"record without status", "POST", "/runs/record", `{"customerId":"` + cust.ID + `","workflow":"wf","events":[]}`, 422, "VALIDATION_ERROR", "status"},
		{"record with RUNNING", "POST", "/runs/record", `{"customerId":"` + cust.ID + `","workflow":"wf","status":"RUNNING"}`, 422, "VALIDATION_ERROR", "status"},
		{"record event without type", "POST", "/runs/record",
			`{"customerId":"` + cust.ID + `","workflow":"wf","status":"COMPLETED","events":[{"eventType":"a"},{}]}`, 422, "VALIDATION_ERROR", "events[1].eventType"},
		{"customers limit 0", "GET", "/customers?limit=0", nil, 422, "VALIDATION_ERROR", "limit"},
		{"customers limit 101", "GET", "/customers?limit=101", nil, 422, "VALIDATION_ERROR", "limit"},
		{"customers limit not a number", "GET", "/customers?limit=ten", nil, 422, "VALIDATION_ERROR", "limit"},
		{"customers negative offset", "GET", "/customers?offset=-1", nil, 422, "VALIDATION_ERROR", "offset"},
		{"customers bad status", "GET", "/customers?status=GONE", nil, 422, "VALIDATION_ERROR", "status"},
		{"timeline limit 0", "GET", "/runs/" + run.ID + "/timeline?limit=0", nil, 422, "VALIDATION_ERROR", "limit"},
		{"timeline limit 501", "GET", "/runs/" + run.ID + "/timeline?limit=501", nil, 422, "VALIDATION_ERROR", "limit"},
		{"timeline unknown cursor", "GET", "/runs/" + run.ID + "/timeline?cursor=evt_nope", nil, 422, "VALIDATION_ERROR", "cursor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAPI(t, srv.BaseURL(), srv.APIKey())
			e := a.fail(tt.status, tt.code, tt.method, tt.path, tt.body)
			if e.Field != tt.field {
				t.Errorf("field = %q, want %q (%s)", e.Field, tt.field, e.Message)
			}
		})
	}
	t.Run("duplicate customer", func(t *testing.T) {
		e := a.fail(409, "DUPLICATE_CUSTOMER", "POST", "/customers", wire.CreateCustomerRequest{ExternalCustomerID: "known"})
		if e.ExistingCustomerID != cust.ID {
			t.Errorf("existingCustomerId = %q, want %q", e.ExistingCustomerID, cust.ID)
		}
	})
	if after := counts(srv); after != before {
		t.Errorf("failed requests wrote: before %+v, after %+v", before, after)
	}
}

type tally struct{ customers, workflows, usage, runs, events int }

func counts(srv *driptest.Server) tally {
	n := tally{customers: len(srv.Customers()), workflows: len(srv.Workflows()), usage: len(srv.UsageRecords())}
	for _, r := range srv.Runs() {
		n.runs++
		n.events += len(srv.Events(r.ID))
	}
	return n
}

// TestIdempotentReplay sends every write twice and checks the second is
// answered as a replay and stores nothing new.
func TestIdempotentReplay(t *testing.T) {
	srv := driptest.NewServer(t)
	a := newAPI(t, srv.BaseURL(), srv.APIKey())
	cust := a.customer("replay-user")
	run := a.startRun(cust.ID, "replay-flow")

	t.Run("POST /customers", func(t *testing.T) {
		e := a.fail(409, "DUPLICATE_CUSTOMER", "POST", "/customers", wire.CreateCustomerRequest{ExternalCustomerID: "replay-user"})
		if e.ExistingCustomerID != cust.ID {
			t.Fatalf("existingCustomerId = %q", e.ExistingCustomerID)
		}
	})
	t.Run("usage endpoints share one key space", func(t *testing.T) {
		body := wire.UsageRequest{CustomerID: cust.ID, UsageType: "tokens", Quantity: f64(7), IdempotencyKey: "usage-key-1"}
		var first wire.UsageResult
		a.ok(200, "POST", "/usage", body, &first)
		if first.IsDuplicate || first.UsageEventID == "" {
			t.Fatalf("first write = %+v", first)
		}
		for _, ep := range []struct {
			path   string
			status int
		}{{"/usage", 200}, {"/usage/async", 202}, {"/usage/internal", 200}, {"/usage/internal/batch", 202}} {
			var again wire.UsageResult
			a.ok(ep.status, "POST", ep.path, body, &again)
			if !again.IsDuplicate || again.UsageEventID != first.UsageEventID {
				t.Errorf("%s replay = %+v, want isDuplicate with %s", ep.path, again, first.UsageEventID)
			}
		}
		if n := len(srv.UsageRecords()); n != 1 {
			t.Fatalf("%d usage records, want 1", n)
		}
	})
	t.Run("POST /workflows", func(t *testing.T) {
		var w1, w2 wire.Workflow
		req := wire.CreateWorkflowRequest{Name: "Summarise", Slug: "summarise", ProductSurface: "AGENT"}
		a.ok(201, "POST", "/workflows", req, &w1)
		a.ok(200, "POST", "/workflows", req, &w2)
		if w1.ID != w2.ID || w2.ProductSurface != "AGENT" {
			t.Fatalf("replay = %+v, first %+v", w2, w1)
		}
	})
	t.Run("POST /runs by externalRunId", func(t *testing.T) {
		req := wire.StartRunRequest{CustomerID: cust.ID, WorkflowID: "replay-flow", ExternalRunID: "ext-1"}
		var r1, r2 wire.StartRunResult
		a.ok(201, "POST", "/runs", req, &r1)
		a.ok(200, "POST", "/runs", req, &r2)
		if r1.ID != r2.ID {
			t.Fatalf("replay started run %s, first %s", r2.ID, r1.ID)
		}
	})
	t.Run("POST /run-events", func(t *testing.T) {
		ev := wire.RunEvent{RunID: run.ID, EventType: "llm.call", Quantity: f64(3), IdempotencyKey: "evt-key-1"}
		var e1, e2 wire.RunEventResult
		a.ok(201, "POST", "/run-events", ev, &e1)
		a.ok(200, "POST", "/run-events", ev, &e2)
		if !e2.IsDuplicate || e2.ID != e1.ID || e1.IsDuplicate {
			t.Fatalf("first %+v, replay %+v", e1, e2)
		}
	})
	t.Run("POST /run-events/batch", func(t *testing.T) {
		batch := wire.RunEventBatchRequest{Events: []wire.RunEvent{
			{RunID: run.ID, EventType: "a", IdempotencyKey: "b-1"},
			{RunID: run.ID, EventType: "b", IdempotencyKey: "b-2"},
			{RunID: run.ID, EventType: "a", IdempotencyKey: "b-1"}, // repeated inside the batch
		}}
		var r1, r2 wire.RunEventBatchResult
		a.ok(200, "POST", "/run-events/batch", batch, &r1)
		if r1.Created != 2 || r1.Duplicates != 1 || r1.Events[2].ID != r1.Events[0].ID {
			t.Fatalf("first batch = %+v", r1)
		}
		a.ok(200, "POST", "/run-events/batch", batch, &r2)
		if r2.Created != 0 || r2.Duplicates != 3 || r2.Events[1].ID != r1.Events[1].ID {
			t.Fatalf("replayed batch = %+v", r2)
		}
	})
	t.Run("PATCH /runs/{id}", func(t *testing.T) {
		end := wire.EndRunRequest{Status: "FAILED", ErrorMessage: "boom", ErrorCode: "E1"}
		var e1, e2 wire.EndRunResult
		a.ok(200, "PATCH", "/runs/"+run.ID, end, &e1)
		a.ok(200, "PATCH", "/runs/"+run.ID, wire.EndRunRequest{Status: "FAILED", ErrorMessage: "other"}, &e2)
		if e1 != e2 && (e1.EndedAt != e2.EndedAt || *e1.DurationMs != *e2.DurationMs) {
			t.Fatalf("replay changed the run: %+v then %+v", e1, e2)
		}
		if r := srv.Run(run.ID); r.ErrorMessage != "boom" || r.Status != "FAILED" {
			t.Fatalf("run after replay = %+v", r)
		}
	})
	t.Run("POST /runs/record by externalRunId", func(t *testing.T) {
		req := wire.RecordRunRequest{CustomerID: cust.ID, Workflow: "nightly", Status: "COMPLETED", ExternalRunID: "rec-1",
			Events: []wire.RecordRunEvent{{EventType: "step"}, {EventType: "step", CostUnits: f64(0.25)}}}
		var r1, r2 wire.RecordRunResult
		a.ok(201, "POST", "/runs/record", req, &r1)
		a.ok(200, "POST", "/runs/record", req, &r2)
		if r1.Run.ID != r2.Run.ID || r2.Events.Created != 0 || r2.Events.Duplicates != 2 || *r2.TotalCostUnits != "0.25" {
			t.Fatalf("first %+v, replay %+v", r1, r2)
		}
		if evs := srv.Events(r1.Run.ID); len(evs) != 2 || evs[0].IdempotencyKey != "rec-1:step:0" {
			t.Fatalf("events = %+v", evs)
		}
		req.Status = "FAILED"
		a.fail(409, "RUN_ALREADY_ENDED", "POST", "/runs/record", req)
	})
}

func TestUsage(t *testing.T) {
	srv := driptest.NewServer(t)
	a := newAPI(t, srv.BaseURL(), srv.APIKey())
	var payer wire.Customer
	a.ok(201, "POST", "/customers", wire.CreateCustomerRequest{ExternalCustomerID: "payer", OnchainAddress: "0xabc"}, &payer)
	plain := a.customer("plain")

	t.Run("billing with an onchain address and no pricing plan charges nothing", func(t *testing.T) {
		var res wire.UsageResult
		a.ok(200, "POST", "/usage", wire.UsageRequest{CustomerID: payer.ID, UsageType: "api_calls"}, &res)
		if res.Charge != nil || res.Mode != "" || res.AutoPromoted != nil || res.Message == "" {
			t.Fatalf("reply = %+v", res)
		}
	})
	t.Run("billing with a pricing plan charges quantity × unit price", func(t *testing.T) {
		a.ok(201, "POST", "/pricing-plans", map[string]any{"name": "Calls", "unitType": "calls", "unitPriceUsd": 0.25}, nil)
		var res wire.UsageResult
		a.ok(200, "POST", "/usage", wire.UsageRequest{CustomerID: payer.ID, UsageType: "calls", Quantity: f64(3)}, &res)
		if res.Charge == nil || res.Charge.AmountUsdc != "0.750000" || res.Charge.AmountToken != "750000" ||
			res.Charge.Status != "CONFIRMED" || res.Charge.TxHash == nil || res.Mode != "" {
			t.Fatalf("reply = %+v", res)
		}
		var async wire.UsageResult
		a.ok(202, "POST", "/usage/async", wire.UsageRequest{CustomerID: payer.ID, UsageType: "calls"}, &async)
		if async.Charge == nil || async.Charge.Status != "CONFIRMED" || async.Charge.AmountUsdc != "0.250000" || async.Message == "" {
			t.Fatalf("async reply = %+v", async)
		}
	})
	t.Run("billing without an address auto-promotes", func(t *testing.T) {
		var res wire.UsageResult
		a.ok(200, "POST", "/usage", wire.UsageRequest{CustomerID: plain.ID}, &res)
		if res.Charge != nil || res.Mode != "internal" || res.AutoPromoted == nil || !*res.AutoPromoted || res.Reason == "" {
			t.Fatalf("reply = %+v", res)
		}
	})
	t.Run("defaults and internal replies", func(t *testing.T) {
		var res wire.UsageResult
		a.ok(200, "POST", "/usage/internal", wire.UsageRequest{CustomerID: plain.ID}, &res)
		if res.UsageType != "generic" || res.Quantity == nil || *res.Quantity != 1 || res.IsInternal == nil || !*res.IsInternal {
			t.Fatalf("reply = %+v", res)
		}
		var batch wire.UsageResult
		a.ok(202, "POST", "/usage/internal/batch", wire.UsageRequest{CustomerID: plain.ID, IdempotencyKey: "k", Quantity: f64(0)}, &batch)
		if batch.PendingEvents == nil || batch.IdempotencyKey != "k" || *batch.Quantity != 0 {
			t.Fatalf("batch reply = %+v", batch)
		}
	})
	t.Run("externalCustomerId provisions an internal customer once", func(t *testing.T) {
		for i := range 2 {
			var res wire.UsageResult
			a.ok(200, "POST", "/usage/internal", wire.UsageRequest{ExternalCustomerID: "new-user", Quantity: f64(2)}, &res)
			if i == 1 {
				var c wire.Customer
				a.ok(200, "GET", "/customers/"+res.CustomerID, nil, &c)
				if !c.IsInternal || c.ExternalCustomerID == nil || *c.ExternalCustomerID != "new-user" {
					t.Fatalf("provisioned customer = %+v", c)
				}
			}
		}
		n := 0
		for _, c := range srv.Customers() {
			if c.ExternalCustomerID == "new-user" {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d customers for new-user, want 1", n)
		}
	})
	t.Run("customerId may be the external id", func(t *testing.T) {
		var res wire.UsageResult
		a.ok(200, "POST", "/usage/internal", wire.UsageRequest{CustomerID: "plain", Quantity: f64(5)}, &res)
		if res.CustomerID != plain.ID {
			t.Fatalf("customerId = %s, want %s", res.CustomerID, plain.ID)
		}
	})
}

func TestCustomersPagination(t *testing.T) {
	srv := driptest.NewServer(t)
	a := newAPI(t, srv.BaseURL(), srv.APIKey())
	for i := range 7 {
		a.customer(fmt.Sprintf("user-%d", i))
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"user-0", "user-1", "user-2", "user-3", "user-4", "user-5", "user-6"}},
		{"?limit=1", []string{"user-0"}},
		{"?limit=3&offset=3", []string{"user-3", "user-4", "user-5"}},
		{"?limit=100&offset=6", []string{"user-6"}},
		{"?offset=7", nil},
		{"?offset=1000", nil},
		{"?status=ACTIVE&limit=2", []string{"user-0", "user-1"}},
		{"?status=PAUSED", nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			var list wire.CustomerList
			a.ok(200, "GET", "/customers"+tt.query, nil, &list)
			var got []string
			for _, c := range list.Data {
				got = append(got, *c.ExternalCustomerID)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) || list.Data == nil {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			wantCount := 7
			if strings.Contains(tt.query, "PAUSED") {
				wantCount = 0
			}
			if list.Count != wantCount {
				t.Fatalf("count = %d, want %d", list.Count, wantCount)
			}
		})
	}
}

func TestRunTimeline(t *testing.T) {
	srv := driptest.NewServer(t)
	a := newAPI(t, srv.BaseURL(), srv.APIKey())
	cust := a.customer("tl")
	run := a.startRun("tl", "research-agent_v2") // the external id resolves
	if run.WorkflowName != "Research Agent V2" || run.CustomerID != cust.ID || run.Status != "RUNNING" {
		t.Fatalf("run = %+v", run)
	}
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	// Sent out of order; the timeline orders by occurredAt, then arrival.
	var events []wire.RunEvent
	for i := range 25 {
		at := base.Add(time.Duration(24-i) * time.Second)
		meta := map[string]any{wire.MetaOccurredAt: at.Format(time.RFC3339Nano), wire.MetaModel: "gpt-4o",
			wire.MetaInputTokens: i, wire.MetaLatencyMs: 100 + i, wire.MetaName: fmt.Sprintf("call-%d", i)}
		typ := "llm.completion"
		if i%5 == 0 {
			meta[wire.MetaStatus] = "error"
		}
		if i == 24 {
			typ = "tool.error"
		}
		events = append(events, wire.RunEvent{RunID: run.ID, EventType: typ, Quantity: f64(float64(i)),
			Units: "tokens", CostUnits: f64(0.1), IdempotencyKey: fmt.Sprintf("tl-%d", i), Metadata: meta})
	}
	a.ok(200, "POST", "/run-events/batch", wire.RunEventBatchRequest{Events: events}, nil)
	// Two events at the same instant keep their arrival order.
	same := base.Add(-time.Hour).Format(time.RFC3339Nano)
	for _, typ := range []string{"tie.first", "tie.second"} {
		a.ok(201, "POST", "/run-events", wire.RunEvent{RunID: run.ID, EventType: typ,
			Metadata: map[string]any{wire.MetaOccurredAt: same, wire.MetaStatus: "success"}}, nil)
	}

	var pages []wire.Timeline
	cursor := ""
	for {
		var tl wire.Timeline
		path := "/runs/" + run.ID + "/timeline?limit=10"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		a.ok(200, "GET", path, nil, &tl)
		pages = append(pages, tl)
		if !tl.HasMore {
			if tl.NextCursor != nil {
				t.Fatalf("last page has nextCursor %q", *tl.NextCursor)
			}
			break
		}
		cursor = *tl.NextCursor
	}
	if len(pages) != 3 || len(pages[0].Events) != 10 || len(pages[2].Events) != 7 {
		t.Fatalf("pages: %d", len(pages))
	}
	var all []wire.TimelineEvent
	for _, p := range pages {
		all = append(all, p.Events...)
		s := p.Summary // the whole run on every page
		if s.TotalEvents != 27 || s.ByType["llm.completion"] != 24 || s.ByOutcome["FAILED"] != 6 || s.FailedEvents != 6 ||
			s.TotalQuantity != "302" || s.TotalCostUnits != "2.5" {
			t.Fatalf("summary = %+v", s)
		}
	}
	t.Run("a bare event id works as a cursor", func(t *testing.T) {
		var tl wire.Timeline
		a.ok(200, "GET", "/runs/"+run.ID+"/timeline?limit=1&cursor="+all[9].ID, nil, &tl)
		if len(tl.Events) != 1 || tl.Events[0].ID != all[10].ID || !tl.HasMore {
			t.Fatalf("page after %s = %+v", all[9].ID, tl.Events)
		}
	})
	t.Run("a cursor of another run is refused", func(t *testing.T) {
		other := a.startRun(cust.ID, "other")
		a.fail(422, "VALIDATION_ERROR", "GET", "/runs/"+other.ID+"/timeline?cursor="+*pages[0].NextCursor, nil)
		a.fail(422, "VALIDATION_ERROR", "GET", "/runs/"+run.ID+"/timeline?cursor="+all[0].ID+".x", nil)
	})
	if all[0].EventType != "tie.first" || all[1].EventType != "tie.second" {
		t.Fatalf("tie order: %s, %s", all[0].EventType, all[1].EventType)
	}
	for i := 2; i < len(all); i++ {
		if all[i].Timestamp < all[i-1].Timestamp {
			t.Fatalf("event %d out of order: %s after %s", i, all[i].Timestamp, all[i-1].Timestamp)
		}
	}
	last := all[len(all)-1] // i == 0: latest occurredAt, status error
	if last.Outcome != "FAILED" || *last.DurationMs != 100 || last.Timestamp != "2026-03-01T12:00:24.000Z" ||
		last.Metadata[wire.MetaModel] != "gpt-4o" || last.Metadata[wire.MetaUsageType] != "llm.completion" ||
		last.Metadata[wire.MetaQuantity] != 0.0 || last.Metadata[wire.MetaUnits] != "tokens" || *last.ActionName != "call-0" ||
		*last.CostUnits != 0.1 {
		t.Fatalf("last event = %+v", last)
	}
	if first := all[2]; first.EventType != "tool.error" || first.Outcome != "FAILED" {
		t.Fatalf("earliest event = %+v", first)
	}

	var details wire.RunDetails
	a.ok(200, "GET", "/runs/"+run.ID, nil, &details)
	if details.Totals.EventCount != 27 || details.Totals.TotalQuantity != "302" || details.Totals.TotalCostUnits != "2.5" ||
		details.Links.Timeline == "" || details.EndedAt != nil || details.StartedAt == nil {
		t.Fatalf("details = %+v", details)
	}

	// RUNNING on a running run is a no-op; then the run ends once.
	var e wire.EndRunResult
	a.ok(200, "PATCH", "/runs/"+run.ID, wire.EndRunRequest{Status: "RUNNING"}, &e)
	if e.Status != "RUNNING" || e.DurationMs != nil {
		t.Fatalf("RUNNING no-op = %+v", e)
	}
	a.ok(200, "PATCH", "/runs/"+run.ID, wire.EndRunRequest{Status: "COMPLETED", Metadata: map[string]any{"k": "v"}}, &e)
	if e.Status != "COMPLETED" || e.EndedAt == "" || e.DurationMs == nil || e.EventCount != 27 || *e.TotalCostUnits != "2.5" {
		t.Fatalf("end = %+v", e)
	}
	if r := srv.Run(run.ID); r.Metadata["k"] != "v" || !r.Ended() {
		t.Fatalf("stored run = %+v", r)
	}
}

func TestBatchSkips(t *testing.T) {
	srv := driptest.NewServer(t)
	a := newAPI(t, srv.BaseURL(), srv.APIKey())
	c := a.customer("skips")
	run := a.startRun(c.ID, "wf")
	var res wire.RunEventBatchResult
	a.ok(200, "POST", "/run-events/batch", `{"events":[
		{"runId":"`+run.ID+`","eventType":"kept"},
		{"runId":"run_missing","eventType":"orphan"},
		{"customerId":"`+c.ID+`","workflowId":"wf","eventType":"runless"}]}`, &res)
	if res.Created != 1 || res.Skipped != 2 || res.Events[1].Reason != "run not found" || res.Events[2].Reason != "runId required" ||
		!res.Events[1].Skipped || res.Events[0].Skipped {
		t.Fatalf("batch = %+v", res)
	}
	var empty wire.RunEventBatchResult
	a.ok(200, "POST", "/run-events/batch", `{"events":[]}`, &empty)
	if !empty.Success || empty.Events == nil {
		t.Fatalf("empty batch = %+v", empty)
	}
}
