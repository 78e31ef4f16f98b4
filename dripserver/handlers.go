package dripserver

import (
	"fmt"
	"math"
	"net/http"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// Handlers decode (which also enforces valid UTF-8 and the limits of
// limits.go on every field), check what each route requires, call the
// service and map the result to the wire. They never touch SQL.

var (
	productSurfaces  = []string{"API", "RPC", "WEBHOOK", "AGENT", "PIPELINE", "CUSTOM"}
	customerStatuses = []string{"ACTIVE", "LOW_BALANCE", "PAUSED"}
	endStatuses      = []string{StatusRunning, StatusCompleted, StatusFailed, StatusCancelled, StatusTimeout}
	recordStatuses   = []string{StatusCompleted, StatusFailed, StatusCancelled, StatusTimeout}
)

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, s.log, err)
}

// --- customers

func (s *Server) createCustomer(w http.ResponseWriter, r *http.Request) {
	var req wire.CreateCustomerRequest
	err := decode(r, &req)
	if err == nil && req.ExternalCustomerID == "" && req.OnchainAddress == "" {
		err = errValidation("externalCustomerId", "externalCustomerId or onchainAddress is required")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.svc.createCustomer(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, customerWire(c))
}

func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request) {
	c, err := s.svc.getCustomer(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, customerWire(c))
}

// listCustomers answers {data, count}; count is the number of customers
// matching the filter, so a caller can page with offset.
func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request) {
	limit, err := queryInt(r, "limit", 100, 1, 100)
	offset, err2 := queryInt(r, "offset", 0, 0, math.MaxInt)
	status := r.URL.Query().Get("status")
	var err3 error
	if status != "" {
		err3 = oneOf("status", status, customerStatuses...)
	}
	if err := firstErr(err, err2, err3); err != nil {
		s.fail(w, r, err)
		return
	}
	cs, total, err := s.svc.listCustomers(r.Context(), status, limit, offset)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := wire.CustomerList{Data: make([]wire.Customer, len(cs)), Count: total}
	for i, c := range cs {
		out.Data[i] = customerWire(c)
	}
	writeJSON(w, http.StatusOK, out)
}

// --- usage

// usage serves the four usage endpoints: they share one body and differ in
// their replies (see usageReply).
func (s *Server) usage(endpoint string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req wire.UsageRequest
		err := decode(r, &req)
		if err == nil && req.CustomerID == "" && req.ExternalCustomerID == "" {
			err = errValidation("customerId", "customerId or externalCustomerId is required")
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if req.UsageType == "" {
			req.UsageType = "generic"
		}
		if req.Quantity == nil {
			one := 1.0
			req.Quantity = &one
		}
		out, err := s.svc.trackUsage(r.Context(), endpoint, req)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		status, reply := usageReply(endpoint, out)
		writeJSON(w, status, reply)
	}
}

// usageReply builds the reply of a usage endpoint. /usage and /usage/async
// carry the charge when an active pricing plan priced the usage (confirmed
// at once, or FAILED with a reason when the balance did not cover it),
// charge null when no plan matched, and auto-promote to the internal path
// (mode "internal", charge null, a reason) for a customer that cannot be
// billed, as Drip does.
func usageReply(endpoint string, out usageOutcome) (int, wire.UsageResult) {
	rec := out.record
	qty := rec.Quantity
	yes := true
	res := wire.UsageResult{Success: true, UsageEventID: rec.ID, IsDuplicate: out.duplicate}
	internal := func() {
		res.CustomerID, res.UsageType, res.Quantity, res.IsInternal = rec.CustomerID, rec.UsageType, &qty, &yes
	}
	switch endpoint {
	case endpointUsage, endpointUsageAsync:
		status := http.StatusOK
		if endpoint == endpointUsageAsync {
			status = http.StatusAccepted
		}
		if ch := out.charge; ch != nil {
			res.Charge = &wire.UsageCharge{ID: ch.ID, AmountUsdc: ch.Amount, AmountToken: tokenUnits(ch.Amount),
				Status: ch.Status, FailureReason: strPtr(ch.FailureReason)}
			if ch.Status == ChargeConfirmed {
				tx := devTxHash(ch.ID)
				res.Charge.TxHash = &tx
				res.Message = "Usage recorded and charged " + ch.Amount + " USDC"
			} else {
				res.Message = "Usage recorded; the charge failed: " + ch.FailureReason
			}
			return status, res
		}
		if billable(endpoint, out.customer) {
			res.Message = "Usage recorded; no active pricing plan for usageType " + rec.UsageType + ", so nothing was charged"
			return status, res
		}
		internal()
		res.Mode, res.AutoPromoted = "internal", &yes
		res.Reason = "customer has no onchain address"
		if out.customer.IsInternal {
			res.Reason = "customer is internal"
		}
		res.Message = "Usage recorded for visibility (auto-promoted to internal: " + res.Reason + ")"
		return status, res
	case endpointUsageInternalBatch:
		internal()
		res.IsInternal = nil
		res.IdempotencyKey = rec.IdempotencyKey
		pending := 0 // dripd persists at once; nothing is left pending
		res.PendingEvents = &pending
		res.Message = "Usage accepted and persisted"
		return http.StatusAccepted, res
	default:
		internal()
		res.Message = "Usage recorded"
		return http.StatusOK, res
	}
}

// --- workflows

func (s *Server) listWorkflows(w http.ResponseWriter, r *http.Request) {
	ws, err := s.svc.listWorkflows(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := wire.WorkflowList{Data: make([]wire.Workflow, len(ws)), Count: len(ws)}
	for i, wf := range ws {
		out.Data[i] = workflowWire(wf)
	}
	writeJSON(w, http.StatusOK, out)
}

// createWorkflow answers 201 for a new workflow and 200 with the existing
// one when the slug is taken, so retries are safe.
func (s *Server) createWorkflow(w http.ResponseWriter, r *http.Request) {
	var req wire.CreateWorkflowRequest
	err := decode(r, &req)
	if err = firstErr(err, required("name", req.Name), required("slug", req.Slug)); err == nil && req.ProductSurface != "" {
		err = oneOf("productSurface", req.ProductSurface, productSurfaces...)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	wf, created, err := s.svc.createWorkflow(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, createdStatus(created), workflowWire(wf))
}

func createdStatus(created bool) int {
	if created {
		return http.StatusCreated
	}
	return http.StatusOK
}

// --- runs

func (s *Server) startRun(w http.ResponseWriter, r *http.Request) {
	var req wire.StartRunRequest
	err := decode(r, &req)
	if err = firstErr(err, required("customerId", req.CustomerID), required("workflowId", req.WorkflowID)); err != nil {
		s.fail(w, r, err)
		return
	}
	run, created, err := s.svc.startRun(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, createdStatus(created), startRunWire(run))
}

func (s *Server) endRun(w http.ResponseWriter, r *http.Request) {
	var req wire.EndRunRequest
	err := decode(r, &req)
	if err == nil {
		if err = required("status", req.Status); err == nil {
			err = oneOf("status", req.Status, endStatuses...)
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	run, err := s.svc.endRun(r.Context(), r.PathValue("id"), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, endRunWire(run))
}

func (s *Server) getRun(w http.ResponseWriter, r *http.Request) {
	run, err := s.svc.getRun(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, runDetailsWire(run))
}

func (s *Server) getTimeline(w http.ResponseWriter, r *http.Request) {
	limit, err := queryInt(r, "limit", 100, 1, 500)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.svc.timeline(r.Context(), r.PathValue("id"), limit, r.URL.Query().Get("cursor"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, timelineWire(p))
}

func (s *Server) recordRun(w http.ResponseWriter, r *http.Request) {
	var req wire.RecordRunRequest
	err := decode(r, &req)
	if err == nil {
		err = firstErr(required("customerId", req.CustomerID), required("workflow", req.Workflow),
			required("status", req.Status))
	}
	if err == nil {
		err = oneOf("status", req.Status, recordStatuses...)
	}
	for i := 0; err == nil && i < len(req.Events); i++ {
		err = required(fieldAt("events", i, "eventType"), req.Events[i].EventType)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.svc.recordRun(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	run := out.run
	icon := "○"
	switch run.Status {
	case StatusCompleted:
		icon = "✓"
	case StatusFailed:
		icon = "✗"
	}
	dur := durationMs(run)
	writeJSON(w, createdStatus(!out.existed), wire.RecordRunResult{
		Run: wire.RecordRunRun{ID: run.ID, WorkflowID: run.WorkflowID, WorkflowName: run.WorkflowName,
			Status: run.Status, DurationMs: dur},
		Events:         wire.RecordRunEvents{Created: out.created, Duplicates: out.duplicates},
		TotalCostUnits: costTotal(run),
		Summary:        fmt.Sprintf("%s %s: %d events recorded (%dms)", icon, run.WorkflowName, out.created, *dur),
	})
}

// --- run events

func (s *Server) emitEvent(w http.ResponseWriter, r *http.Request) {
	var req wire.RunEvent
	err := decode(r, &req)
	if err = firstErr(err, required("runId", req.RunID), required("eventType", req.EventType)); err != nil {
		s.fail(w, r, err)
		return
	}
	items, err := s.svc.emitEvents(r.Context(), []wire.RunEvent{req}, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	it := items[0]
	writeJSON(w, createdStatus(!it.duplicate), runEventWire(it.event, it.duplicate))
}

// emitEventsBatch stores a batch in one transaction. An invalid event
// (malformed, no eventType, over a limit, invalid UTF-8) fails the whole
// batch with 422 naming events[i].<field>, and nothing is written: a client
// can fix or drop that event and resend the rest under the same keys.
// Events of unknown runs and events without a runId are skipped with a
// reason.
func (s *Server) emitEventsBatch(w http.ResponseWriter, r *http.Request) {
	var req wire.RunEventBatchRequest
	err := decode(r, &req)
	if err == nil && req.Events == nil {
		err = errValidation("events", "events is required")
	}
	for i := 0; err == nil && i < len(req.Events); i++ {
		err = required(fieldAt("events", i, "eventType"), req.Events[i].EventType)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items, err := s.svc.emitEvents(r.Context(), req.Events, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, batchResultWire(items))
}
