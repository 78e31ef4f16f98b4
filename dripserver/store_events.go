package dripserver

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

const eventCols = `seq, id, run_id, event_type, quantity, cost_units, idempotency_key, metadata, extra, ts,
	outcome, duration_ms`

// eventExtra holds an event's rarely set text fields, stored together in
// the extra column.
type eventExtra struct {
	Units         string `json:"u,omitempty"`
	Description   string `json:"d,omitempty"`
	CostCurrency  string `json:"c,omitempty"`
	CorrelationID string `json:"r,omitempty"`
	ParentEventID string `json:"p,omitempty"`
	SpanID        string `json:"s,omitempty"`
}

// encodeExtra returns the extra column of e: NULL when all its fields are
// empty, else their JSON text.
func encodeExtra(e *Event) (any, error) {
	x := eventExtra{e.Units, e.Description, e.CostCurrency, e.CorrelationID, e.ParentEventID, e.SpanID}
	if x == (eventExtra{}) {
		return nil, nil
	}
	b, err := json.Marshal(x)
	if err != nil {
		return nil, fmt.Errorf("encode event fields: %w", err)
	}
	return string(b), nil
}

func scanEvent(sc scanner) (Event, error) {
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

// insertEvents inserts events of existing runs, skipping those whose
// idempotency key is already stored (or repeated earlier in events), and
// numbers the inserted ones in their runs (Seq). It returns, per event,
// whether it was inserted.
func (t *txn) insertEvents(events []Event) ([]bool, error) {
	st, err := t.tx.PrepareContext(t.ctx, `INSERT INTO run_events (run_id, seq, id, event_type, quantity,
		cost_units, idempotency_key, metadata, extra, ts, outcome, duration_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT DO NOTHING`)
	if err != nil {
		return nil, fmt.Errorf("dripserver: prepare event insert: %w", err)
	}
	defer st.Close()
	next := map[string]int64{} // next seq, by run
	inserted := make([]bool, len(events))
	for i := range events {
		e := &events[i]
		seq, ok := next[e.RunID]
		if !ok {
			if seq, err = t.runNextSeq(e.RunID); err != nil {
				return nil, err
			}
		}
		meta, err := encodeMeta(e.Metadata)
		if err != nil {
			return nil, err
		}
		extra, err := encodeExtra(e)
		if err != nil {
			return nil, err
		}
		res, err := st.ExecContext(t.ctx, e.RunID, seq, e.ID, e.EventType, e.Quantity, e.CostUnits,
			nullStr(e.IdempotencyKey), meta, extra, e.Timestamp.UnixNano(), e.Outcome, e.DurationMs)
		if err != nil {
			return nil, fmt.Errorf("dripserver: insert event: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, fmt.Errorf("dripserver: insert event: %w", err)
		}
		if n == 0 && e.IdempotencyKey == "" {
			// Only a repeated idempotency key may skip a row.
			return nil, fmt.Errorf("dripserver: insert event: seq %d of run %s is taken", seq, e.RunID)
		}
		if n == 1 {
			inserted[i], e.Seq = true, seq
			seq++
		}
		next[e.RunID] = seq
	}
	return inserted, nil
}

func (t *txn) eventByKey(key string) (Event, error) {
	e, err := scanEvent(t.queryRow(`SELECT `+eventCols+` FROM run_events WHERE idempotency_key = ?`, key))
	if err != nil {
		return Event{}, fmt.Errorf("dripserver: read event by idempotency key: %w", err)
	}
	return e, nil
}

// eventsPage returns up to limit events of a run (all when limit is 0) in
// timeline order, starting after the position (ts, seq) when after is true.
//
// Timeline order is (ts, seq). Events are keyed by (run_id, seq) only,
// which keeps inserts appending even when timestamps arrive out of order; a
// run whose events all arrived in timestamp order (the common case, flagged
// in runs.ts_unordered) is read straight off that key, any other is sorted.
func (t *txn) eventsPage(runID string, after bool, ts, seq int64, limit int) ([]Event, error) {
	var unordered bool
	if err := t.queryRow(`SELECT ts_unordered FROM runs WHERE id = ?`, runID).Scan(&unordered); err != nil &&
		!errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("dripserver: read run %s: %w", runID, err)
	}
	q := `SELECT ` + eventCols + ` FROM run_events WHERE run_id = ?`
	args := []any{runID}
	if unordered {
		if after {
			q += ` AND (ts > ? OR (ts = ? AND seq > ?))`
			args = append(args, ts, ts, seq)
		}
		q += ` ORDER BY ts, seq`
	} else {
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
	var row *sql.Row
	if i := strings.LastIndexByte(cursor, '.'); i > 0 {
		n, perr := strconv.ParseInt(cursor[i+1:], 10, 64)
		if perr != nil {
			return 0, 0, false, nil
		}
		row = t.queryRow(`SELECT ts, seq FROM run_events WHERE seq = ? AND run_id = ? AND id = ?`, n, runID, cursor[:i])
	} else {
		row = t.queryRow(`SELECT ts, seq FROM run_events WHERE run_id = ? AND id = ?`, runID, cursor)
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
