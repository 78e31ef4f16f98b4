package dripserver

// Execution events: GET /events, /events/{id}, /events/{id}/trace.
//
// They read the run events the runs recorded (POST /run-events, the batch
// and /runs/record), each with its run's customer: no table of their own,
// so nothing is written twice. Links between events follow the ids the
// callers sent:
//
//   - An event's parent is the event its parentEventId names, in the same
//     run: by event id, or else by span id. The SDK's tracker emits events
//     asynchronously and never learns their ids, so callers (the OTel
//     bridge, for one) link events through span ids they chose.
//   - Ancestors follow parents up from the event to the root and are
//     listed root first. A chain that loops stops where it would repeat.
//   - Children are the events of the run whose parent is this event.
//   - The retry chain links attempts of one operation: an event whose
//     metadata names, under retryOfEventId, an earlier attempt (event id
//     or span id, same run) retries it. The chain is every event linked to
//     this one that way, directly or not, in timeline order, this event
//     included; [] when nothing links to or from it.
//
// Lists are in timeline order (timestamp, then arrival). Reading an event
// by id scans the events table: the table is keyed by run for fast
// appends, and dripd keeps it so rather than index every event id.

import (
	"context"
	"math"
	"net/http"
	"unicode/utf8"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// schemaEvents is migration 6. Execution events read run_events and runs;
// they need no schema of their own.
const schemaEvents = `SELECT 1;`

// eventRoutes registers the execution-event routes. They are reads that a
// public key may make.
func (s *Server) eventRoutes(api, secret routeFunc) {
	api("GET /v1/events", s.listExecEvents)
	api("GET /v1/events/{id}", s.getExecEvent)
	api("GET /v1/events/{id}/trace", s.getEventTrace)
}

// execEvent is a stored run event with its run's customer.
type execEvent struct {
	Event
	CustomerID string
}

// execEventFilter selects GET /events; empty fields match everything.
type execEventFilter struct {
	customerID string // a Drip id or an externalCustomerId
	runID      string
	eventType  string
	outcome    string
	limit      int
	offset     int
}

// --- handlers

func (s *Server) listExecEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := execEventFilter{customerID: q.Get("customerId"), runID: q.Get("runId"),
		eventType: q.Get("eventType"), outcome: q.Get("outcome")}
	var err, err2 error
	f.limit, err = queryInt(r, "limit", 100, 1, 100)
	f.offset, err2 = queryInt(r, "offset", 0, 0, math.MaxInt32)
	if err := firstErr(err, err2, queryIDs("customerId", f.customerID, "runId", f.runID,
		"eventType", f.eventType, "outcome", f.outcome)); err != nil {
		s.fail(w, r, err)
		return
	}
	evs, total, err := s.svc.listExecEvents(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := wire.ExecutionEventList{Data: execEventsWire(evs), Total: total, Limit: f.limit, Offset: f.offset}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getExecEvent(w http.ResponseWriter, r *http.Request) {
	e, err := s.svc.getExecEvent(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, execEventWire(e))
}

func (s *Server) getEventTrace(w http.ResponseWriter, r *http.Request) {
	tr, err := s.svc.eventTrace(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.EventTrace{EventID: tr.event.ID, Ancestors: execEventsWire(tr.ancestors),
		Children: execEventsWire(tr.children), RetryChain: execEventsWire(tr.retries)})
}

// queryIDs bounds query filters like the ids of a body: at most
// MaxIDLength characters of valid UTF-8.
func queryIDs(kv ...string) error {
	for i := 0; i+1 < len(kv); i += 2 {
		if !utf8.ValidString(kv[i+1]) {
			return errValidation(kv[i], "%s is not valid UTF-8", kv[i])
		}
		if err := maxLen(kv[i], kv[i+1], MaxIDLength); err != nil {
			return err
		}
	}
	return nil
}

// --- wire

func execEventWire(e execEvent) wire.ExecutionEvent {
	q := e.Quantity
	return wire.ExecutionEvent{
		ID:            e.ID,
		CustomerID:    e.CustomerID,
		RunID:         e.RunID,
		EventType:     e.EventType,
		Outcome:       e.Outcome,
		Explanation:   strPtr(e.Description),
		CreatedAt:     formatTime(e.Timestamp),
		Metadata:      e.Metadata,
		ParentEventID: e.ParentEventID,
		SpanID:        e.SpanID,
		Quantity:      &q,
		Units:         e.Units,
	}
}

// execEventsWire renders a list; never null, so clients can range over it.
func execEventsWire(evs []execEvent) []wire.ExecutionEvent {
	out := make([]wire.ExecutionEvent, len(evs))
	for i, e := range evs {
		out[i] = execEventWire(e)
	}
	return out
}

// --- service

func (s *service) listExecEvents(ctx context.Context, f execEventFilter) (evs []execEvent, total int, err error) {
	err = s.store.view(ctx, func(t *txn) error {
		evs, total, err = t.listExecEvents(f)
		return err
	})
	return evs, total, err
}

func (s *service) getExecEvent(ctx context.Context, id string) (e execEvent, err error) {
	err = s.store.view(ctx, func(t *txn) error {
		e, err = t.execEventByID(id)
		return err
	})
	return e, err
}

// eventTrace is an event with its links; see the file comment.
type eventTrace struct {
	event     execEvent
	ancestors []execEvent
	children  []execEvent
	retries   []execEvent
}

func (s *service) eventTrace(ctx context.Context, id string) (tr eventTrace, err error) {
	err = s.store.view(ctx, func(t *txn) error {
		if tr.event, err = t.execEventByID(id); err != nil {
			return err
		}
		run, err := t.eventsPage(tr.event.RunID, false, 0, 0, 0)
		if err != nil {
			return err
		}
		tr.ancestors, tr.children, tr.retries = traceRun(run, tr.event.ID)
		for _, l := range [][]execEvent{tr.ancestors, tr.children, tr.retries} {
			for i := range l {
				l[i].CustomerID = tr.event.CustomerID
			}
		}
		return nil
	})
	return tr, err
}

// traceRun finds the ancestors (root first), children and retry chain of
// the event id among run, the events of its run in timeline order.
func traceRun(run []Event, id string) (ancestors, children, retries []execEvent) {
	byID := make(map[string]int, len(run))
	bySpan := map[string]int{}
	self := -1
	for i, e := range run {
		byID[e.ID] = i
		if e.SpanID != "" {
			if _, dup := bySpan[e.SpanID]; !dup {
				bySpan[e.SpanID] = i
			}
		}
		if e.ID == id {
			self = i
		}
	}
	ancestors, children, retries = []execEvent{}, []execEvent{}, []execEvent{}
	if self < 0 {
		return
	}
	// resolve finds the event ref names, by id first, then by span id.
	resolve := func(ref string) (int, bool) {
		if ref == "" {
			return 0, false
		}
		if i, ok := byID[ref]; ok {
			return i, true
		}
		i, ok := bySpan[ref]
		return i, ok
	}

	seen := map[int]bool{self: true}
	for i, ok := resolve(run[self].ParentEventID); ok && !seen[i]; i, ok = resolve(run[i].ParentEventID) {
		seen[i] = true
		ancestors = append(ancestors, execEvent{Event: run[i]})
	}
	for l, r := 0, len(ancestors)-1; l < r; l, r = l+1, r-1 {
		ancestors[l], ancestors[r] = ancestors[r], ancestors[l]
	}

	// Retry links as an undirected graph: the chain is self's component.
	links := map[int][]int{}
	for i, e := range run {
		ref, _ := e.Metadata[wire.MetaRetryOfEventID].(string)
		if j, ok := resolve(ref); ok && j != i {
			links[i] = append(links[i], j)
			links[j] = append(links[j], i)
		}
	}
	inChain := map[int]bool{}
	if len(links[self]) > 0 {
		inChain[self] = true
		for stack := []int{self}; len(stack) > 0; {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, j := range links[i] {
				if !inChain[j] {
					inChain[j] = true
					stack = append(stack, j)
				}
			}
		}
	}

	for i, e := range run {
		if p, ok := resolve(e.ParentEventID); ok && p == self && i != self {
			children = append(children, execEvent{Event: e})
		}
		if inChain[i] {
			retries = append(retries, execEvent{Event: e})
		}
	}
	return ancestors, children, retries
}

// --- store

// execEventCols are eventCols of run_events e, then the run's customer.
const execEventCols = `e.seq, e.id, e.run_id, e.event_type, e.quantity, e.cost_units, e.idempotency_key, e.metadata,
	e.extra, e.ts, e.outcome, e.duration_ms, r.customer_id`

const execEventFrom = ` FROM run_events e JOIN runs r ON r.id = e.run_id`

// withCustomer scans an event row followed by its run's customer id.
type withCustomer struct {
	sc   scanner
	cust *string
}

func (w withCustomer) Scan(dest ...any) error { return w.sc.Scan(append(dest, w.cust)...) }

func scanExecEvent(sc scanner) (execEvent, error) {
	var x execEvent
	e, err := scanEvent(withCustomer{sc, &x.CustomerID})
	x.Event = e
	return x, err
}

func (t *txn) execEventByID(id string) (execEvent, error) {
	rows, err := t.query(`SELECT `+execEventCols+execEventFrom+` WHERE e.id = ? LIMIT 1`, id)
	if err != nil {
		return execEvent{}, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return execEvent{}, err
		}
		return execEvent{}, errNotFound("event %q not found", id)
	}
	return scanExecEvent(rows)
}

// listExecEvents returns one page of the events f selects, in timeline
// order across runs (timestamp, then run, then arrival), and how many
// events it selects in all.
func (t *txn) listExecEvents(f execEventFilter) ([]execEvent, int, error) {
	where := ` WHERE 1=1`
	var args []any
	if f.customerID != "" {
		where += ` AND r.customer_id IN (?, (SELECT id FROM customers WHERE external_id = ?))`
		args = append(args, f.customerID, f.customerID)
	}
	for _, c := range []struct{ col, v string }{
		{"e.run_id", f.runID}, {"e.event_type", f.eventType}, {"e.outcome", f.outcome},
	} {
		if c.v != "" {
			where += ` AND ` + c.col + ` = ?`
			args = append(args, c.v)
		}
	}
	var total int
	if err := t.queryRow(`SELECT count(*)`+execEventFrom+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := t.query(`SELECT `+execEventCols+execEventFrom+where+` ORDER BY e.ts, r.seq, e.seq LIMIT ? OFFSET ?`,
		append(args, f.limit, f.offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []execEvent{}
	for rows.Next() {
		e, err := scanExecEvent(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}
