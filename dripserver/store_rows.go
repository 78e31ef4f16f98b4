package dripserver

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// This file maps rows to the model types and back. Only the service layer
// calls it, always inside a txn.

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nsTime(ns int64) time.Time { return time.Unix(0, ns).UTC() }

func encodeMeta(m map[string]any) (any, error) {
	if len(m) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode metadata: %w", err)
	}
	return string(b), nil
}

func decodeMeta(s sql.NullString) map[string]any {
	if !s.Valid || s.String == "" {
		return nil
	}
	var m map[string]any
	if json.Unmarshal([]byte(s.String), &m) != nil {
		return nil
	}
	return m
}

// --- customers

const customerCols = `id, external_id, onchain_address, is_internal, status, metadata, created_at, updated_at`

func scanCustomer(sc interface{ Scan(...any) error }) (Customer, error) {
	var (
		c            Customer
		ext, addr    sql.NullString
		meta         sql.NullString
		created, upd int64
		internal     int
	)
	if err := sc.Scan(&c.ID, &ext, &addr, &internal, &c.Status, &meta, &created, &upd); err != nil {
		return Customer{}, err
	}
	c.ExternalCustomerID, c.OnchainAddress = ext.String, addr.String
	c.IsInternal = internal != 0
	c.Metadata = decodeMeta(meta)
	c.CreatedAt, c.UpdatedAt = nsTime(created), nsTime(upd)
	return c, nil
}

// customerWhere returns the customer matching the condition, or ok false.
func (t *txn) customerWhere(cond string, arg any) (Customer, bool, error) {
	var row *sql.Row
	switch {
	// The prepared statements belong to the writer's pool.
	case t.write && cond == `id = ?`:
		row = t.stmt(t.s.custByID).QueryRowContext(t.ctx, arg)
	case t.write && cond == `external_id = ?`:
		row = t.stmt(t.s.custByExtID).QueryRowContext(t.ctx, arg)
	default:
		row = t.queryRow(`SELECT `+customerCols+` FROM customers WHERE `+cond, arg)
	}
	c, err := scanCustomer(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Customer{}, false, nil
	}
	if err != nil {
		return Customer{}, false, fmt.Errorf("dripserver: read customer: %w", err)
	}
	return c, true, nil
}

func (t *txn) insertCustomer(c Customer) error {
	meta, err := encodeMeta(c.Metadata)
	if err != nil {
		return err
	}
	internal := 0
	if c.IsInternal {
		internal = 1
	}
	_, err = t.exec(`INSERT INTO customers (`+customerCols+`) VALUES (?,?,?,?,?,?,?,?)`,
		c.ID, nullStr(c.ExternalCustomerID), nullStr(c.OnchainAddress), internal, c.Status, meta,
		c.CreatedAt.UnixNano(), c.UpdatedAt.UnixNano())
	if err != nil {
		return fmt.Errorf("dripserver: insert customer: %w", err)
	}
	return nil
}

func (t *txn) listCustomers(status string, limit, offset int) ([]Customer, int, error) {
	where, args := "", []any{}
	if status != "" {
		where, args = " WHERE status = ?", append(args, status)
	}
	var total int
	if err := t.queryRow(`SELECT count(*) FROM customers`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("dripserver: count customers: %w", err)
	}
	rows, err := t.query(`SELECT `+customerCols+` FROM customers`+where+` ORDER BY seq LIMIT ? OFFSET ?`,
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("dripserver: list customers: %w", err)
	}
	defer rows.Close()
	out := []Customer{}
	for rows.Next() {
		c, err := scanCustomer(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("dripserver: list customers: %w", err)
		}
		out = append(out, c)
	}
	return out, total, rows.Err()
}

// --- workflows

const workflowCols = `id, slug, name, product_surface, description, metadata, created_at`

func scanWorkflow(sc interface{ Scan(...any) error }) (Workflow, error) {
	var (
		w          Workflow
		desc, meta sql.NullString
		created    int64
	)
	if err := sc.Scan(&w.ID, &w.Slug, &w.Name, &w.ProductSurface, &desc, &meta, &created); err != nil {
		return Workflow{}, err
	}
	w.Description, w.Metadata, w.CreatedAt = desc.String, decodeMeta(meta), nsTime(created)
	return w, nil
}

// workflowByIDOrSlug finds a workflow whose id or slug is ref.
func (t *txn) workflowByIDOrSlug(ref string) (Workflow, bool, error) {
	w, err := scanWorkflow(t.queryRow(`SELECT `+workflowCols+` FROM workflows WHERE id = ?1 OR slug = ?1
		ORDER BY id = ?1 DESC LIMIT 1`, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return Workflow{}, false, nil
	}
	if err != nil {
		return Workflow{}, false, fmt.Errorf("dripserver: read workflow: %w", err)
	}
	return w, true, nil
}

func (t *txn) insertWorkflow(w Workflow) error {
	meta, err := encodeMeta(w.Metadata)
	if err != nil {
		return err
	}
	_, err = t.exec(`INSERT INTO workflows (`+workflowCols+`) VALUES (?,?,?,?,?,?,?)`,
		w.ID, w.Slug, w.Name, w.ProductSurface, nullStr(w.Description), meta, w.CreatedAt.UnixNano())
	if err != nil {
		return fmt.Errorf("dripserver: insert workflow: %w", err)
	}
	return nil
}

func (t *txn) listWorkflows() ([]Workflow, error) {
	rows, err := t.query(`SELECT ` + workflowCols + ` FROM workflows ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("dripserver: list workflows: %w", err)
	}
	defer rows.Close()
	out := []Workflow{}
	for rows.Next() {
		w, err := scanWorkflow(rows)
		if err != nil {
			return nil, fmt.Errorf("dripserver: list workflows: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// --- runs

const runCols = `r.id, r.customer_id, r.workflow_id, w.name, r.status, r.external_run_id, r.correlation_id,
	r.parent_run_id, r.error_message, r.error_code, r.metadata, r.started_at, r.ended_at, r.event_count,
	r.total_quantity, r.total_cost_units, r.cost_events`

const runFrom = ` FROM runs r JOIN workflows w ON w.id = r.workflow_id`

func scanRun(sc interface{ Scan(...any) error }) (Run, error) {
	var (
		r                                    Run
		ext, corr, parent, emsg, ecode, meta sql.NullString
		started                              int64
		ended                                sql.NullInt64
		costEvents                           int
	)
	err := sc.Scan(&r.ID, &r.CustomerID, &r.WorkflowID, &r.WorkflowName, &r.Status, &ext, &corr, &parent,
		&emsg, &ecode, &meta, &started, &ended, &r.EventCount, &r.TotalQuantity, &r.TotalCostUnits, &costEvents)
	if err != nil {
		return Run{}, err
	}
	r.ExternalRunID, r.CorrelationID, r.ParentRunID = ext.String, corr.String, parent.String
	r.ErrorMessage, r.ErrorCode = emsg.String, ecode.String
	r.Metadata = decodeMeta(meta)
	r.StartedAt = nsTime(started)
	if ended.Valid {
		r.EndedAt = nsTime(ended.Int64)
	}
	r.HasCost = costEvents > 0
	return r, nil
}

func (t *txn) runWhere(cond string, args ...any) (Run, bool, error) {
	r, err := scanRun(t.queryRow(`SELECT `+runCols+runFrom+` WHERE `+cond, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, false, nil
	}
	if err != nil {
		return Run{}, false, fmt.Errorf("dripserver: read run: %w", err)
	}
	return r, true, nil
}

func (t *txn) insertRun(r Run) error {
	meta, err := encodeMeta(r.Metadata)
	if err != nil {
		return err
	}
	var ended any
	if !r.EndedAt.IsZero() {
		ended = r.EndedAt.UnixNano()
	}
	_, err = t.exec(`INSERT INTO runs (id, customer_id, workflow_id, status, external_run_id, correlation_id,
		parent_run_id, error_message, error_code, metadata, started_at, ended_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
		r.ID, r.CustomerID, r.WorkflowID, r.Status, nullStr(r.ExternalRunID), nullStr(r.CorrelationID),
		nullStr(r.ParentRunID), nullStr(r.ErrorMessage), nullStr(r.ErrorCode), meta, r.StartedAt.UnixNano(), ended)
	if err != nil {
		return fmt.Errorf("dripserver: insert run: %w", err)
	}
	return nil
}

// endRun writes the terminal state of a run.
func (t *txn) endRun(r Run) error {
	meta, err := encodeMeta(r.Metadata)
	if err != nil {
		return err
	}
	_, err = t.exec(`UPDATE runs SET status = ?, error_message = ?, error_code = ?, metadata = ?, ended_at = ?
		WHERE id = ?`, r.Status, nullStr(r.ErrorMessage), nullStr(r.ErrorCode), meta, r.EndedAt.UnixNano(), r.ID)
	if err != nil {
		return fmt.Errorf("dripserver: end run %s: %w", r.ID, err)
	}
	return nil
}

// runDelta is what a write adds to a run's totals.
type runDelta struct {
	events     int
	quantity   float64
	cost       float64
	costEvents int

	// Timestamps of the new events, in insertion (seq) order: the first,
	// the largest, and whether any came before an earlier one.
	firstTS, maxTS int64
	unordered      bool

	nextSeq int64 // one past the largest seq inserted
}

const addToRunSQL = `UPDATE runs SET event_count = event_count + ?, total_quantity = total_quantity + ?,
	total_cost_units = total_cost_units + ?, cost_events = cost_events + ?,
	ts_unordered = (ts_unordered OR ? OR ? < last_ts), last_ts = max(last_ts, ?),
	next_seq = max(next_seq, ?) WHERE id = ?`

// addToRun adds d to the run's totals and keeps its timeline order flag:
// a run stays ts_ordered while every event's timestamp is at least the one
// of the event inserted before it, so that seq order is timeline order.
// (SET expressions see the row as it was before the UPDATE.)
func (t *txn) addToRun(runID string, d runDelta) error {
	unordered := 0
	if d.unordered {
		unordered = 1
	}
	_, err := t.stmt(t.s.addToRun).ExecContext(t.ctx, d.events, d.quantity, d.cost, d.costEvents, unordered, d.firstTS, d.maxTS, d.nextSeq, runID)
	if err != nil {
		return fmt.Errorf("dripserver: update run %s totals: %w", runID, err)
	}
	return nil
}

func (t *txn) listRuns() ([]Run, error) {
	rows, err := t.query(`SELECT ` + runCols + runFrom + ` ORDER BY r.seq`)
	if err != nil {
		return nil, fmt.Errorf("dripserver: list runs: %w", err)
	}
	defer rows.Close()
	out := []Run{}
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("dripserver: list runs: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// --- run events

const eventCols = `seq, id, run_id, event_type, quantity, cost_units, idempotency_key, metadata, extra, ts,
	outcome, duration_ms`

// eventExtra holds an event's rarely set text fields, stored as one column.
type eventExtra struct {
	Units         string `json:"u,omitempty"`
	Description   string `json:"d,omitempty"`
	CostCurrency  string `json:"c,omitempty"`
	CorrelationID string `json:"r,omitempty"`
	ParentEventID string `json:"p,omitempty"`
	SpanID        string `json:"s,omitempty"`
}

// encodedEvent is an event's JSON columns (string or nil), encoded before
// the transaction.
type encodedEvent struct{ meta, extra any }

// encodeExtra returns the extra column of e: nil, or the JSON text of its
// eventExtra (as encoding/json writes it).
func encodeExtra(e *Event) any {
	x := eventExtra{e.Units, e.Description, e.CostCurrency, e.CorrelationID, e.ParentEventID, e.SpanID}
	if x == (eventExtra{}) {
		return nil
	}
	return string(appendExtra(nil, &x))
}

func appendExtra(b []byte, x *eventExtra) []byte {
	b = append(b, '{')
	first := true
	for _, f := range [...]struct {
		key string
		val string
	}{{"u", x.Units}, {"d", x.Description}, {"c", x.CostCurrency}, {"r", x.CorrelationID},
		{"p", x.ParentEventID}, {"s", x.SpanID}} {
		if f.val == "" {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, f.key...)
		b = append(b, '"', ':')
		b = appendJSONString(b, f.val)
	}
	return append(b, '}')
}

// extraCache encodes the extra columns of a batch, whose events mostly
// share them, once per distinct value.
type extraCache struct {
	x    eventExtra
	text any
	ok   bool
}

func (c *extraCache) encode(e *Event) any {
	x := eventExtra{e.Units, e.Description, e.CostCurrency, e.CorrelationID, e.ParentEventID, e.SpanID}
	if c.ok && x == c.x {
		return c.text
	}
	c.x, c.text, c.ok = x, encodeExtra(e), true
	return c.text
}

func scanEvent(sc interface{ Scan(...any) error }) (Event, error) {
	var (
		e           Event
		cost        sql.NullFloat64
		key         sql.NullString
		meta, extra sql.NullString
		ts          int64
		duration    sql.NullInt64
	)
	err := sc.Scan(&e.Seq, &e.ID, &e.RunID, &e.EventType, &e.Quantity, &cost, &key, &meta, &extra, &ts,
		&e.Outcome, &duration)
	if err != nil {
		return Event{}, err
	}
	if extra.Valid {
		var x eventExtra
		_ = json.Unmarshal([]byte(extra.String), &x)
		e.Units, e.Description, e.CostCurrency = x.Units, x.Description, x.CostCurrency
		e.CorrelationID, e.ParentEventID, e.SpanID = x.CorrelationID, x.ParentEventID, x.SpanID
	}
	if cost.Valid {
		e.CostUnits = &cost.Float64
	}
	if duration.Valid {
		e.DurationMs = &duration.Int64
	}
	e.IdempotencyKey = key.String
	e.Metadata = decodeMeta(meta)
	e.Timestamp = nsTime(ts)
	return e, nil
}

const insertEventSQL = `INSERT INTO run_events (run_id, seq, id, event_type, quantity, cost_units,
	idempotency_key, metadata, extra, ts, outcome, duration_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)
	ON CONFLICT DO NOTHING`

// insertEvents inserts events, skipping those whose idempotency key is
// already stored (or repeated earlier in events), and numbers the inserted
// ones in their runs (Seq). It returns, per event, whether it was inserted.
// encs holds each event's encoded JSON columns.
func (t *txn) insertEvents(events []Event, encs []encodedEvent) ([]bool, error) {
	st, err := t.PrepareContext(t.ctx, insertEventSQL)
	if err != nil {
		return nil, fmt.Errorf("dripserver: prepare event insert: %w", err)
	}
	defer st.Close()
	next := map[string]int64{}
	inserted := make([]bool, len(events))
	for i := range events {
		e := &events[i]
		seq, ok := next[e.RunID]
		if !ok {
			if err := t.queryRow(`SELECT next_seq FROM runs WHERE id = ?`, e.RunID).Scan(&seq); err != nil {
				return nil, fmt.Errorf("dripserver: read run %s: %w", e.RunID, err)
			}
		}
		e.Seq = seq
		res, err := st.ExecContext(t.ctx, e.RunID, seq, e.ID, e.EventType, e.Quantity, e.CostUnits,
			nullStr(e.IdempotencyKey), encs[i].meta, encs[i].extra, e.Timestamp.UnixNano(), e.Outcome, e.DurationMs)
		if err != nil {
			return nil, fmt.Errorf("dripserver: insert event: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, fmt.Errorf("dripserver: insert event: %w", err)
		}
		if n == 0 && e.IdempotencyKey == "" {
			// Only a repeated key may skip a row.
			return nil, fmt.Errorf("dripserver: insert event: seq %d of run %s is taken", seq, e.RunID)
		}
		inserted[i] = n == 1
		if inserted[i] {
			seq++
		}
		next[e.RunID] = seq
	}
	return inserted, nil
}

// runExists reports whether a run with this id exists.
func (t *txn) runExists(id string) (bool, error) {
	var one int
	err := t.stmt(t.s.runByID).QueryRowContext(t.ctx, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("dripserver: read run: %w", err)
	}
	return true, nil
}

func (t *txn) eventIDByKey(key string) (string, error) {
	var id string
	if err := t.stmt(t.s.eventIDByKey).QueryRowContext(t.ctx, key).Scan(&id); err != nil {
		return "", fmt.Errorf("dripserver: read event by idempotency key: %w", err)
	}
	return id, nil
}

func (t *txn) eventByKey(key string) (Event, error) {
	e, err := scanEvent(t.queryRow(`SELECT `+eventCols+` FROM run_events WHERE idempotency_key = ?`, key))
	if err != nil {
		return Event{}, fmt.Errorf("dripserver: read event by idempotency key: %w", err)
	}
	return e, nil
}

// eventsPage returns up to limit events of a run in timeline order, starting
// after the position (ts, seq) when after is true.
//
// Timeline order is (ts, seq). Events are indexed by (run_id, seq) only,
// which keeps inserts appending even when timestamps arrive out of order; a
// run whose events all arrived in timestamp order (the common case, flagged
// in runs.ts_unordered) is read straight off that index, any other is
// sorted.
func (t *txn) eventsPage(runID string, after bool, ts, seq int64, limit int) ([]Event, error) {
	var unordered bool
	if err := t.queryRow(`SELECT ts_unordered FROM runs WHERE id = ?`, runID).Scan(&unordered); err != nil &&
		!errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("dripserver: read run %s: %w", runID, err)
	}
	q := `SELECT ` + eventCols + ` FROM run_events WHERE run_id = ?`
	args := []any{runID}
	switch {
	case unordered:
		if after {
			q += ` AND (ts > ? OR (ts = ? AND seq > ?))`
			args = append(args, ts, ts, seq)
		}
		q += ` ORDER BY ts, seq`
	default:
		if after {
			q += ` AND seq > ?`
			args = append(args, seq)
		}
		q += ` ORDER BY seq`
	}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("dripserver: read events of run %s: %w", runID, err)
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("dripserver: read events of run %s: %w", runID, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// eventPosition finds the timeline position of the event a cursor names.
// A cursor is "<eventID>.<seq>" (what dripd hands out: found through the
// primary key) or a bare event id (found by scanning the run's events).
func (t *txn) eventPosition(runID, cursor string) (ts, seq int64, ok bool, err error) {
	id := cursor
	var row *sql.Row
	if i := strings.LastIndexByte(cursor, '.'); i > 0 {
		n, perr := strconv.ParseInt(cursor[i+1:], 10, 64)
		if perr != nil {
			return 0, 0, false, nil
		}
		id = cursor[:i]
		row = t.queryRow(`SELECT ts, seq FROM run_events WHERE seq = ? AND run_id = ? AND id = ?`, n, runID, id)
	} else {
		row = t.queryRow(`SELECT ts, seq FROM run_events WHERE run_id = ? AND id = ?`, runID, id)
	}
	err = row.Scan(&ts, &seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, fmt.Errorf("dripserver: read cursor event: %w", err)
	}
	return ts, seq, true, nil
}

// eventCursor is the cursor that points after e.
func eventCursor(e Event) string { return e.ID + "." + strconv.FormatInt(e.Seq, 10) }

// runSummary aggregates all events of a run.
type runSummary struct {
	total     int
	byType    map[string]int
	byOutcome map[string]int
	failed    int
}

func (t *txn) summarize(runID string) (runSummary, error) {
	sum := runSummary{byType: map[string]int{}, byOutcome: map[string]int{}}
	rows, err := t.query(`SELECT event_type, outcome, count(*) FROM run_events WHERE run_id = ?
		GROUP BY event_type, outcome`, runID)
	if err != nil {
		return sum, fmt.Errorf("dripserver: summarize run %s: %w", runID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var typ, outcome string
		var n int
		if err := rows.Scan(&typ, &outcome, &n); err != nil {
			return sum, fmt.Errorf("dripserver: summarize run %s: %w", runID, err)
		}
		sum.total += n
		sum.byType[typ] += n
		sum.byOutcome[outcome] += n
		if outcome == OutcomeFailed {
			sum.failed += n
		}
	}
	return sum, rows.Err()
}

// --- usage

const usageCols = `id, customer_id, usage_type, quantity, units, description, metadata, idempotency_key,
	endpoint, charge_id, created_at`

func scanUsage(sc interface{ Scan(...any) error }) (UsageRecord, error) {
	var (
		u                   UsageRecord
		meta, key, chargeID sql.NullString
		created             int64
	)
	err := sc.Scan(&u.ID, &u.CustomerID, &u.UsageType, &u.Quantity, &u.Units, &u.Description, &meta, &key,
		&u.Endpoint, &chargeID, &created)
	if err != nil {
		return UsageRecord{}, err
	}
	u.Metadata, u.IdempotencyKey, u.ChargeID = decodeMeta(meta), key.String, chargeID.String
	u.CreatedAt = nsTime(created)
	return u, nil
}

func (t *txn) usageByKey(key string) (UsageRecord, bool, error) {
	u, err := scanUsage(t.stmt(t.s.usageByKey).QueryRowContext(t.ctx, key))
	if errors.Is(err, sql.ErrNoRows) {
		return UsageRecord{}, false, nil
	}
	if err != nil {
		return UsageRecord{}, false, fmt.Errorf("dripserver: read usage by idempotency key: %w", err)
	}
	return u, true, nil
}

func (t *txn) insertUsage(u UsageRecord) error {
	meta, err := encodeMeta(u.Metadata)
	if err != nil {
		return err
	}
	_, err = t.stmt(t.s.insUsage).ExecContext(t.ctx, u.ID, u.CustomerID, u.UsageType, u.Quantity, u.Units,
		u.Description, meta, nullStr(u.IdempotencyKey), u.Endpoint, nullStr(u.ChargeID), u.CreatedAt.UnixNano())
	if err != nil {
		return fmt.Errorf("dripserver: insert usage: %w", err)
	}
	return nil
}

func (t *txn) listUsage() ([]UsageRecord, error) {
	rows, err := t.query(`SELECT ` + usageCols + ` FROM usage_events ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("dripserver: list usage: %w", err)
	}
	defer rows.Close()
	out := []UsageRecord{}
	for rows.Next() {
		u, err := scanUsage(rows)
		if err != nil {
			return nil, fmt.Errorf("dripserver: list usage: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
