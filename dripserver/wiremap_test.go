package dripserver_test

import (
	"slices"
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
func TestWireFieldsStoredAndServed(t *testing.T) {
	srv := driptest.NewServer(t)
	a := newAPI(t, srv.BaseURL(), srv.APIKey())

	var cr wire.CreateCustomerRequest
	wiretest.Fill(&cr)
	var cust wire.Customer
	a.ok(201, "POST", "/customers", cr, &cust)
	check(t, "POST /customers stored", wiretest.Lost(&cr, srv.Customers()))
	// businessId is the key's business: dripd has one business and leaves
	// it out; onchainAddress is set by the request above.
	check(t, "POST /customers reply", wiretest.Zero(&cust, "businessId"))

	var wr wire.CreateWorkflowRequest
	wiretest.Fill(&wr)
	wr.ProductSurface = "AGENT"
	var wf wire.Workflow
	a.ok(201, "POST", "/workflows", wr, &wf)
	// metadata is accepted for the official clients and not kept: no
	// reply of the API returns it.
	check(t, "POST /workflows stored", wiretest.Lost(&wr, srv.Workflows(), "metadata"))
	// chain is for on-chain workflows, which dripd does not model.
	check(t, "POST /workflows reply", wiretest.Zero(&wf, "chain", "metadata"))

	parent := a.startRun(cust.ID, "parent")
	var sr wire.StartRunRequest
	wiretest.Fill(&sr)
	sr.CustomerID, sr.WorkflowID, sr.ParentRunID = cust.ID, wf.Slug, parent.ID
	var run wire.StartRunResult
	a.ok(201, "POST", "/runs", sr, &run)
	// workflowId names the workflow by slug; it is stored as the id.
	check(t, "POST /runs stored", wiretest.Lost(&sr, srv.Run(run.ID), "workflowId"))
	check(t, "POST /runs reply", wiretest.Zero(&run))

	var ev wire.RunEvent
	wiretest.Fill(&ev)
	ev.RunID, ev.CustomerID, ev.WorkflowID, ev.EventType = run.ID, "", "", "llm.completion"
	a.ok(201, "POST", "/run-events", ev, nil)
	var batch wire.RunEventBatchRequest
	wiretest.Fill(&batch)
	batch.Events[0].RunID, batch.Events[0].CustomerID, batch.Events[0].WorkflowID = run.ID, "", ""
	var br wire.RunEventBatchResult
	a.ok(200, "POST", "/run-events/batch", batch, &br)
	// customerId/workflowId stand in for runId and are not stored apart.
	check(t, "POST /run-events stored", wiretest.Lost(&ev, srv.Events(run.ID), "customerId", "workflowId"))
	check(t, "POST /run-events/batch stored", wiretest.Lost(&batch, srv.Events(run.ID), "events[].customerId", "events[].workflowId"))
	// skipped and reason are set only for an event the server skipped,
	// duplicates for a replay.
	check(t, "POST /run-events/batch reply", wiretest.Zero(&br, "skipped", "events[].skipped", "events[].reason",
		"duplicates", "events[].isDuplicate"))

	var er wire.EndRunRequest
	wiretest.Fill(&er)
	er.Status = "FAILED"
	var end wire.EndRunResult
	a.ok(200, "PATCH", "/runs/"+run.ID, er, &end)
	check(t, "PATCH /runs stored", wiretest.Lost(&er, srv.Run(run.ID)))
	check(t, "PATCH /runs reply", wiretest.Zero(&end))

	var details wire.RunDetails
	a.ok(200, "GET", "/runs/"+run.ID, nil, &details)
	// dripd's customers have no name.
	check(t, "GET /runs reply", wiretest.Zero(&details, "customerName"))
	var tl wire.Timeline
	a.ok(200, "GET", "/runs/"+run.ID+"/timeline", nil, &tl)
	// Retries, anomalies and USDC costs are analyses dripd does not make;
	// nextCursor is set only when there is another page.
	// durationMs comes from an event's latencyMs, which these events lack;
	// none of them failed.
	check(t, "GET /runs/{id}/timeline reply", wiretest.Zero(&tl, "customerName", "events[].durationMs", "summary.failedEvents",
		"anomalies", "nextCursor", "summary.totalCostUsdc",
		"events[].actionName", "events[].explanation", "events[].retryOfEventId", "events[].retriedByEventId",
		"events[].costUsdc", "events[].isRetry", "events[].retryChain", "summary.retriedEvents", "hasMore"))

	var ur wire.UsageRequest
	wiretest.Fill(&ur)
	ur.CustomerID, ur.ExternalCustomerID = cust.ID, ""
	var ures wire.UsageResult
	a.ok(200, "POST", "/usage/internal", ur, &ures)
	// externalCustomerId stands in for customerId.
	check(t, "POST /usage/internal stored", wiretest.Lost(&ur, srv.UsageRecords(), "externalCustomerId"))

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
	check(t, "POST /runs/record stored", wiretest.Lost(&rr, stored, "workflow"))
	// A recorded run has no duration unless its metadata gives its times.
	check(t, "POST /runs/record reply", wiretest.Zero(&rec, "events.duplicates", "run.durationMs"))
}

func check(t *testing.T, what string, paths []string) {
	t.Helper()
	if len(paths) > 0 {
		slices.Sort(paths)
		t.Errorf("%s: fields not handled: %v", what, paths)
	}
}
