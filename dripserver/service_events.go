package dripserver

import (
	"context"
	"fmt"
	"maps"
	"math"
	"strings"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// batchItem is the outcome of one event of a write.
type batchItem struct {
	event     Event
	duplicate bool
	skipped   string // reason; "" when the event was stored or was a duplicate
}

// emitEvents stores run events in one transaction. Events of unknown runs
// and events without a runId are skipped with a reason rather than failing
// the batch; when strict is set (the single-event route) an unknown run is a
// 404 instead.
func (s *service) emitEvents(ctx context.Context, in []wire.RunEvent, strict bool) ([]batchItem, error) {
	now := s.now()
	items := make([]batchItem, len(in))
	for i := range in {
		if in[i].RunID == "" {
			// Drip leaves events without a run undocumented; dripd does not
			// guess a run for them.
			items[i] = batchItem{event: Event{EventType: in[i].EventType}, skipped: "runId required"}
			continue
		}
		items[i].event = eventFromWire(&in[i], newID(prefixEvent), now)
	}
	err := s.store.update(ctx, func(t *txn) error {
		known := map[string]bool{} // one lookup per distinct run
		var events []Event
		var pos []int // index in items of events[j]
		for i := range items {
			if items[i].skipped != "" {
				continue
			}
			e := items[i].event
			ok, seen := known[e.RunID]
			if !seen {
				var err error
				if ok, err = t.runExists(e.RunID); err != nil {
					return err
				}
				known[e.RunID] = ok
			}
			if !ok {
				if strict {
					return errNotFound("run %q not found", e.RunID)
				}
				items[i].skipped = "run not found"
				continue
			}
			events = append(events, e)
			pos = append(pos, i)
		}
		if err := insertEvents(t, events, pos, items); err != nil {
			return err
		}
		s.announceEvents(t, items)
		return nil
	})
	return items, err
}

// insertEvents stores events (already checked to belong to existing runs),
// records each one's outcome in items[pos[j]], and adds the new ones to
// their runs' totals.
func insertEvents(t *txn, events []Event, pos []int, items []batchItem) error {
	if len(events) == 0 {
		return nil
	}
	inserted, err := t.insertEvents(events)
	if err != nil {
		return err
	}
	deltas := map[string]*runDelta{}
	for j, e := range events {
		if !inserted[j] {
			// Only a repeated idempotency key makes an insert a no-op.
			orig, err := t.eventByKey(e.IdempotencyKey)
			if err != nil {
				return err
			}
			items[pos[j]] = batchItem{event: orig, duplicate: true}
			continue
		}
		items[pos[j]] = batchItem{event: e}
		d := deltas[e.RunID]
		if d == nil {
			d = &runDelta{}
			deltas[e.RunID] = d
		}
		d.add(e)
	}
	for runID, d := range deltas {
		if err := t.addToRun(runID, *d); err != nil {
			return err
		}
	}
	return nil
}

// eventFromWire builds the stored event with the given id; now is the
// arrival time. It reads back the facts the SDK puts in metadata: when the
// event happened (occurredAt), how long it took (latencyMs) and whether it
// failed (status).
func eventFromWire(in *wire.RunEvent, id string, now time.Time) Event {
	e := Event{
		ID:             id,
		RunID:          in.RunID,
		EventType:      in.EventType,
		Quantity:       1,
		Units:          in.Units,
		Description:    in.Description,
		CostUnits:      in.CostUnits,
		CostCurrency:   in.CostCurrency,
		CorrelationID:  in.CorrelationID,
		ParentEventID:  in.ParentEventID,
		SpanID:         in.SpanID,
		IdempotencyKey: in.IdempotencyKey,
		Metadata:       in.Metadata,
		Timestamp:      now,
		Outcome:        OutcomeSuccess,
	}
	if in.Quantity != nil {
		e.Quantity = *in.Quantity
	}
	if strings.HasSuffix(e.EventType, ".error") {
		e.Outcome = OutcomeFailed
	}
	if v, ok := in.Metadata[wire.MetaOccurredAt].(string); ok {
		if ts, err := time.Parse(time.RFC3339Nano, v); err == nil && ts.Year() > 1970 && ts.Year() < 2200 {
			e.Timestamp = ts.UTC()
		}
	}
	// The bound keeps the rounded value inside an int64.
	if ms, ok := in.Metadata[wire.MetaLatencyMs].(float64); ok && ms >= 0 && ms < math.MaxInt32*1000.0 {
		d := int64(math.Round(ms))
		e.DurationMs = &d
	}
	switch in.Metadata[wire.MetaStatus] {
	case "error":
		e.Outcome = OutcomeFailed
	case "success":
		e.Outcome = OutcomeSuccess
	}
	return e
}

// recordOutcome is what POST /runs/record did.
type recordOutcome struct {
	run        Run
	existed    bool // found by externalRunId: a replay or a continuation
	created    int
	duplicates int
}

// recordRun creates (or, by externalRunId, finds) a run, stores its events
// and ends it, all in one transaction. With an externalRunId each event gets
// the key <externalRunId>:<eventType>:<index> (the clients' fallback keys),
// so a replay counts its events as duplicates.
func (s *service) recordRun(ctx context.Context, req wire.RecordRunRequest) (out recordOutcome, err error) {
	now := s.now()
	events := make([]Event, len(req.Events))
	// The caller's times, when it sent them: occurredAt is when the run
	// started, endedAt when it ended.
	started, runMeta := clientTime(req.Metadata, now)
	var endMeta map[string]any
	if v, ok := runMeta[wire.MetaEndedAt]; ok {
		runMeta = maps.Clone(runMeta)
		delete(runMeta, wire.MetaEndedAt)
		endMeta = map[string]any{wire.MetaOccurredAt: v}
	}
	for i, re := range req.Events {
		in := wire.RunEvent{EventType: re.EventType, Quantity: re.Quantity, Units: re.Units,
			Description: re.Description, CostUnits: re.CostUnits, Metadata: re.Metadata}
		if req.ExternalRunID != "" {
			in.IdempotencyKey = fmt.Sprintf("%s:%s:%d", req.ExternalRunID, re.EventType, i)
		}
		events[i] = eventFromWire(&in, newID(prefixEvent), now)
		if events[i].Timestamp.Before(started) {
			started = events[i].Timestamp
		}
	}
	err = s.store.update(ctx, func(t *txn) error {
		c, err := t.resolveCustomer(req.CustomerID)
		if err != nil {
			return err
		}
		var r Run
		found := false
		if req.ExternalRunID != "" {
			r, found, err = t.runByExternalID(c.ID, req.ExternalRunID)
			if err != nil {
				return err
			}
			out.existed = found
			if found && r.Ended() && r.Status != req.Status {
				return s.finish(t, &r, req.Status, "", "", nil) // the 409
			}
		}
		if !found {
			w, err := s.ensureWorkflow(t, req.Workflow)
			if err != nil {
				return err
			}
			r = Run{ID: newID(prefixRun), CustomerID: c.ID, WorkflowID: w.ID, WorkflowName: w.Name,
				Status: StatusRunning, ExternalRunID: req.ExternalRunID, CorrelationID: req.CorrelationID,
				Metadata: runMeta, StartedAt: started}
			if err := t.insertRun(r); err != nil {
				return err
			}
			s.announceRunStarted(t, r)
		}
		items := make([]batchItem, len(events))
		pos := make([]int, len(events))
		for i := range events {
			events[i].RunID = r.ID
			pos[i] = i
		}
		if err := insertEvents(t, events, pos, items); err != nil {
			return err
		}
		s.announceEvents(t, items)
		for _, it := range items {
			if it.duplicate {
				out.duplicates++
			} else {
				out.created++
			}
		}
		if err := s.finish(t, &r, req.Status, req.ErrorMessage, req.ErrorCode, endMeta); err != nil {
			return err
		}
		out.run, _, err = t.runByID(r.ID)
		return err
	})
	return out, err
}
