package dripserver

import (
	"database/sql"
	"errors"
	"fmt"
)

const runCols = `r.id, r.customer_id, r.workflow_id, w.name, r.status, r.external_run_id, r.correlation_id,
	r.parent_run_id, r.error_message, r.error_code, r.metadata, r.started_at, r.ended_at, r.event_count,
	r.total_quantity, r.total_cost_units, r.cost_events`

const runFrom = ` FROM runs r JOIN workflows w ON w.id = r.workflow_id`

func scanRun(sc scanner) (Run, error) {
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

func (t *txn) runByID(id string) (Run, bool, error) {
	return t.runWhere(`r.id = ?`, id)
}

// runByExternalID finds a customer's run by the client's externalRunId.
func (t *txn) runByExternalID(customerID, ext string) (Run, bool, error) {
	return t.runWhere(`r.customer_id = ? AND r.external_run_id = ?`, customerID, ext)
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

// runExists reports whether a run with this id exists.
func (t *txn) runExists(id string) (bool, error) {
	var one int
	err := t.queryRow(`SELECT 1 FROM runs WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("dripserver: read run: %w", err)
	}
	return true, nil
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

// add counts e, the next event inserted into the run.
func (d *runDelta) add(e Event) {
	ts := e.Timestamp.UnixNano()
	if d.events == 0 {
		d.firstTS, d.maxTS = ts, ts
	} else if ts < d.maxTS {
		d.unordered = true
	}
	d.maxTS = max(d.maxTS, ts)
	d.nextSeq = max(d.nextSeq, e.Seq+1)
	d.events++
	d.quantity += e.Quantity
	if e.CostUnits != nil {
		d.cost += *e.CostUnits
		d.costEvents++
	}
}

// addToRun adds d to the run's totals and keeps its timeline order flag:
// a run stays ordered (ts_unordered 0) while every event's timestamp is at
// least the one of the event inserted before it, so that seq order is
// timeline order. (SET expressions see the row as it was before the UPDATE.)
func (t *txn) addToRun(runID string, d runDelta) error {
	_, err := t.exec(`UPDATE runs SET event_count = event_count + ?, total_quantity = total_quantity + ?,
		total_cost_units = total_cost_units + ?, cost_events = cost_events + ?,
		ts_unordered = (ts_unordered OR ? OR ? < last_ts), last_ts = max(last_ts, ?),
		next_seq = max(next_seq, ?) WHERE id = ?`,
		d.events, d.quantity, d.cost, d.costEvents, d.unordered, d.firstTS, d.maxTS, d.nextSeq, runID)
	if err != nil {
		return fmt.Errorf("dripserver: update run %s totals: %w", runID, err)
	}
	return nil
}

// runNextSeq is the seq the next event inserted into the run takes.
func (t *txn) runNextSeq(runID string) (int64, error) {
	var n int64
	if err := t.queryRow(`SELECT next_seq FROM runs WHERE id = ?`, runID).Scan(&n); err != nil {
		return 0, fmt.Errorf("dripserver: read run %s: %w", runID, err)
	}
	return n, nil
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
