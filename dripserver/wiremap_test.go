package dripserver_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/internal/wire"
	"github.com/drip-sdk/drip-go/internal/wiretest"
)

// TestWireFieldsStoredAndServed fills every field of each request shape
// with distinct values (internal/wire's JSON tags, by reflection), sends it,
// and checks that dripd stored every value and that its replies leave no
// field unset. A field added to a wire type fails here until dripd's
// decoder and encoder handle it, or the case says why it may not.
//
// Each part below checks one file of internal/wire; every request and reply
// type the parts check is recorded, and the test fails when a type of
// internal/wire is checked by no part (see wireShapesNotServed).
func TestWireFieldsStoredAndServed(t *testing.T) {
	w := &wireCheck{seen: map[string]bool{}}
	parts := []struct {
		name string
		run  func(t *testing.T, w *wireCheck)
	}{
		{"core", coreWireFields},
		{"billing", billingWireFields},
		{"entitlements", entitlementWireFields},
		{"webhooks", webhookWireFields},
		{"events", eventWireFields},
		{"account", accountWireFields},
		{"payments", paymentWireFields},
	}
	ran, passed := 0, true
	for _, p := range parts {
		passed = t.Run(p.name, func(t *testing.T) { ran++; w.t = t; p.run(t, w) }) && passed
	}
	if ran < len(parts) || !passed {
		return // the coverage check needs every part, passing
	}
	checkWireCoverage(t, w)
}

// coreWireFields checks the shapes of internal/wire/wire.go: customers,
// workflows, runs, run events and usage.
func coreWireFields(t *testing.T, w *wireCheck) {
	srv := driptest.NewServer(t)
	a := newAPI(t, srv.BaseURL(), srv.APIKey())

	var cr wire.CreateCustomerRequest
	wiretest.Fill(&cr)
	var cust wire.Customer
	a.ok(201, "POST", "/customers", cr, &cust)
	w.stored("POST /customers stored", &cr, srv.Customers())
	// businessId is the key's business: dripd has one business and leaves
	// it out; onchainAddress is set by the request above.
	w.served("POST /customers reply", &cust, "businessId")

	var wr wire.CreateWorkflowRequest
	wiretest.Fill(&wr)
	wr.ProductSurface = "AGENT"
	var wf wire.Workflow
	a.ok(201, "POST", "/workflows", wr, &wf)
	// metadata is accepted for the official clients and not kept: no
	// reply of the API returns it.
	w.stored("POST /workflows stored", &wr, srv.Workflows(), "metadata")
	// chain is for on-chain workflows, which dripd does not model.
	w.served("POST /workflows reply", &wf, "chain", "metadata")

	parent := a.startRun(cust.ID, "parent")
	var sr wire.StartRunRequest
	wiretest.Fill(&sr)
	sr.CustomerID, sr.WorkflowID, sr.ParentRunID = cust.ID, wf.Slug, parent.ID
	var run wire.StartRunResult
	a.ok(201, "POST", "/runs", sr, &run)
	// workflowId names the workflow by slug; it is stored as the id.
	w.stored("POST /runs stored", &sr, srv.Run(run.ID), "workflowId")
	w.served("POST /runs reply", &run)

	var ev wire.RunEvent
	wiretest.Fill(&ev)
	ev.RunID, ev.CustomerID, ev.WorkflowID, ev.EventType = run.ID, "", "", "llm.completion"
	var evr wire.RunEventResult
	a.ok(201, "POST", "/run-events", ev, &evr)
	// isDuplicate is set only for a replay.
	w.served("POST /run-events reply", &evr, "isDuplicate")
	var batch wire.RunEventBatchRequest
	wiretest.Fill(&batch)
	batch.Events[0].RunID, batch.Events[0].CustomerID, batch.Events[0].WorkflowID = run.ID, "", ""
	var br wire.RunEventBatchResult
	a.ok(200, "POST", "/run-events/batch", batch, &br)
	// customerId/workflowId stand in for runId and are not stored apart.
	w.stored("POST /run-events stored", &ev, srv.Events(run.ID), "customerId", "workflowId")
	w.stored("POST /run-events/batch stored", &batch, srv.Events(run.ID), "events[].customerId", "events[].workflowId")
	// skipped and reason are set only for an event the server skipped,
	// duplicates for a replay.
	w.served("POST /run-events/batch reply", &br, "skipped", "events[].skipped", "events[].reason",
		"duplicates", "events[].isDuplicate")

	var er wire.EndRunRequest
	wiretest.Fill(&er)
	er.Status = "FAILED"
	var end wire.EndRunResult
	a.ok(200, "PATCH", "/runs/"+run.ID, er, &end)
	w.stored("PATCH /runs stored", &er, srv.Run(run.ID))
	w.served("PATCH /runs reply", &end)

	var details wire.RunDetails
	a.ok(200, "GET", "/runs/"+run.ID, nil, &details)
	// dripd's customers have no name.
	w.served("GET /runs reply", &details, "customerName")
	var tl wire.Timeline
	a.ok(200, "GET", "/runs/"+run.ID+"/timeline", nil, &tl)
	// Retries, anomalies and USDC costs are analyses dripd does not make;
	// nextCursor is set only when there is another page.
	// durationMs comes from an event's latencyMs, which these events lack;
	// none of them failed.
	w.served("GET /runs/{id}/timeline reply", &tl, "customerName", "events[].durationMs", "summary.failedEvents",
		"anomalies", "nextCursor", "summary.totalCostUsdc",
		"events[].actionName", "events[].explanation", "events[].retryOfEventId", "events[].retriedByEventId",
		"events[].costUsdc", "events[].isRetry", "events[].retryChain", "summary.retriedEvents", "hasMore")

	var ur wire.UsageRequest
	wiretest.Fill(&ur)
	ur.CustomerID, ur.ExternalCustomerID = cust.ID, ""
	var ures wire.UsageResult
	a.ok(200, "POST", "/usage/internal", ur, &ures)
	// externalCustomerId stands in for customerId.
	w.stored("POST /usage/internal stored", &ur, srv.UsageRecords(), "externalCustomerId")

	var rr wire.RecordRunRequest
	wiretest.Fill(&rr)
	rr.CustomerID, rr.Status = cust.ID, "COMPLETED"
	var rec wire.RecordRunResult
	a.ok(201, "POST", "/runs/record", rr, &rec)
	stored := struct {
		Run    any
		Events any
	}{srv.Run(rec.Run.ID), srv.Events(rec.Run.ID)}
	// workflow names the workflow by slug; it is stored as the id.
	w.stored("POST /runs/record stored", &rr, stored, "workflow")
	// A recorded run has no duration unless its metadata gives its times.
	w.served("POST /runs/record reply", &rec, "events.duplicates", "run.durationMs")

	// The internal path never charges (the reply with a charge is checked
	// with billing) and is never an auto-promotion (mode, autoPromoted,
	// reason); idempotencyKey and pendingEvents belong to the internal
	// batch endpoint's reply; isDuplicate is set only for a replay.
	w.served("POST /usage/internal reply", &ures, "charge", "mode", "autoPromoted", "reason",
		"idempotencyKey", "pendingEvents", "isDuplicate")

	var cl wire.CustomerList
	a.ok(200, "GET", "/customers", nil, &cl)
	w.served("GET /customers reply", &cl, "data[].businessId")
	var wl wire.WorkflowList
	a.ok(200, "GET", "/workflows", nil, &wl)
	// The workflow the parent run created on the fly has no description.
	w.served("GET /workflows reply", &wl, "data[].chain", "data[].metadata", "data[].description")
	var h wire.Health
	newAPI(t, srv.URL(), "").ok(200, "GET", "/health", nil, &h)
	w.served("GET /health reply", &h)

	// dripd never asks to wait (retryAfter) nor numbers its requests
	// (requestId); field names a bad field, existingCustomerId the
	// customer a duplicate create met.
	e := a.fail(409, "DUPLICATE_CUSTOMER", "POST", "/customers", cr)
	w.served("409 reply", &e, "field", "retryAfter", "requestId")
	e = a.fail(422, "VALIDATION_ERROR", "POST", "/customers", `{"externalCustomerId":""}`)
	w.served("422 reply", &e, "existingCustomerId", "retryAfter", "requestId")
}

// wireCheck runs the checks of TestWireFieldsStoredAndServed and records
// the internal/wire types they covered.
type wireCheck struct {
	t    *testing.T
	seen map[string]bool
}

// stored checks that every value of the request req reached got (what
// dripd stored, or a reply showing it), but for the paths in ok.
func (w *wireCheck) stored(what string, req, got any, ok ...string) {
	w.t.Helper()
	w.record(reflect.TypeOf(req))
	w.report(what, wiretest.Lost(req, got, ok...))
}

// served checks that the reply dripd sent leaves no field unset, but for
// the paths in ok.
func (w *wireCheck) served(what string, reply any, ok ...string) {
	w.t.Helper()
	w.record(reflect.TypeOf(reply))
	w.report(what, wiretest.Zero(reply, ok...))
}

func (w *wireCheck) report(what string, paths []string) {
	w.t.Helper()
	if len(paths) > 0 {
		slices.Sort(paths)
		w.t.Errorf("%s: fields not handled: %v", what, paths)
	}
}

// wirePkg is internal/wire's import path.
var wirePkg = reflect.TypeFor[wire.Error]().PkgPath()

// record marks t and every internal/wire struct type reachable from its
// fields as checked: the checks walk every field from there.
func (w *wireCheck) record(t reflect.Type) {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		w.record(t.Elem())
	case reflect.Struct:
		if t.PkgPath() != wirePkg || w.seen[t.Name()] {
			return
		}
		w.seen[t.Name()] = true
		for i := range t.NumField() {
			w.record(t.Field(i).Type)
		}
	}
}

// wireShapesNotServed are the internal/wire types no part of
// TestWireFieldsStoredAndServed checks, each with the reason.
var wireShapesNotServed = map[string]string{}

// checkWireCoverage fails for every struct type of internal/wire (any of
// its files) that no check recorded and wireShapesNotServed does not
// excuse.
func checkWireCoverage(t *testing.T, w *wireCheck) {
	t.Helper()
	names := wireTypeNames(t)
	for _, name := range names {
		if !w.seen[name] && wireShapesNotServed[name] == "" {
			t.Errorf("wire.%s is checked by no part of TestWireFieldsStoredAndServed", name)
		}
	}
	for name := range wireShapesNotServed {
		if !slices.Contains(names, name) {
			t.Errorf("wireShapesNotServed names wire.%s, which no longer exists", name)
		} else if w.seen[name] {
			t.Errorf("wire.%s is in wireShapesNotServed but a part checks it: drop the entry", name)
		}
	}
}

// wireTypeNames lists the exported struct types of every non-test file of
// internal/wire.
func wireTypeNames(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "internal", "wire", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var names []string
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, s := range g.Specs {
				if ts, ok := s.(*ast.TypeSpec); ok && ts.Name.IsExported() {
					if _, ok := ts.Type.(*ast.StructType); ok {
						names = append(names, ts.Name.Name)
					}
				}
			}
		}
	}
	if len(names) == 0 {
		t.Fatal("no wire types found")
	}
	return names
}
