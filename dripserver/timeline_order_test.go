package dripserver

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// pagedEvents reads a run's timeline in pages of 2 through eventsPage and
// cursors, as GET /timeline does.
func pagedEvents(t *testing.T, st *Store, runID string) []Event {
	t.Helper()
	var out []Event
	var ts, seq int64
	after := false
	for {
		var page []Event
		err := st.view(context.Background(), func(tx *txn) error {
			var err error
			page, err = tx.eventsPage(runID, after, ts, seq, 2)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page...)
		if len(page) < 2 {
			return out
		}
		last := page[len(page)-1]
		ts, seq, after = last.Timestamp.UnixNano(), last.Seq, true
	}
}

func checkTimeline(t *testing.T, st *Store, runID string, wantUnordered bool, wantN int) {
	t.Helper()
	all, err := st.Events(context.Background(), runID)
	if err != nil {
		t.Fatal(err)
	}
	sorted := slices.Clone(all)
	slices.SortFunc(sorted, func(a, b Event) int {
		if c := a.Timestamp.Compare(b.Timestamp); c != 0 {
			return c
		}
		return int(a.Seq - b.Seq)
	})
	if len(all) != wantN {
		t.Fatalf("%d events, want %d", len(all), wantN)
	}
	paged := pagedEvents(t, st, runID)
	for i := range sorted {
		if all[i].ID != sorted[i].ID || paged[i].ID != sorted[i].ID {
			t.Fatalf("event %d: all %s paged %s, want %s", i, all[i].ID, paged[i].ID, sorted[i].ID)
		}
	}
	var unordered bool
	if err := st.r.QueryRow(`SELECT ts_unordered FROM runs WHERE id = ?`, runID).Scan(&unordered); err != nil {
		t.Fatal(err)
	}
	if unordered != wantUnordered {
		t.Fatalf("ts_unordered = %v, want %v", unordered, wantUnordered)
	}
}

// TestTimelineOrderFlag checks that a run is read in seq order only while
// its events arrived in timestamp order, and sorted once they did not.
func TestTimelineOrderFlag(t *testing.T) {
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	st, svc := testService(t, filepath.Join(t.TempDir(), "t.db"), func() time.Time { return base.Add(time.Hour) })
	ctx := context.Background()
	c := svc.mustCustomer(t, "c")
	newRun := func() string { return svc.mustRun(t, c.ID, "wf").ID }
	n := 0
	emit := func(runID string, offsets ...int) {
		t.Helper()
		evs := make([]wire.RunEvent, len(offsets))
		for i, off := range offsets {
			key := fmt.Sprintf("k%d", n)
			if off < 0 { // a repeat of the previous key, with an older timestamp
				key, off = fmt.Sprintf("k%d", n-1), -off
			} else {
				n++
			}
			evs[i] = wire.RunEvent{RunID: runID, EventType: "e", IdempotencyKey: key, Metadata: map[string]any{
				wire.MetaOccurredAt: base.Add(time.Duration(off) * time.Second).Format(time.RFC3339Nano)}}
		}
		if _, err := svc.emitEvents(ctx, evs, false); err != nil {
			t.Fatal(err)
		}
	}
	r1 := newRun()
	emit(r1, 1, 2, 2, 3)
	checkTimeline(t, st, r1, false, 4)
	emit(r1, 3, 5)
	emit(r1, -1) // a duplicate: not stored, so it cannot disorder the run
	checkTimeline(t, st, r1, false, 6)
	emit(r1, 4) // before the last one
	checkTimeline(t, st, r1, true, 7)
	emit(r1, 9, 0)
	checkTimeline(t, st, r1, true, 9)

	r2 := newRun()
	emit(r2, 5, 4) // out of order within one batch
	checkTimeline(t, st, r2, true, 2)

	r3 := newRun() // events of another run do not matter
	emit(r3, 100)
	emit(r1, 1)
	emit(r3, 101, 150)
	checkTimeline(t, st, r3, false, 3)

	// 300 events, ordered, in one batch.
	r4 := newRun()
	offs := make([]int, 300)
	for i := range offs {
		offs[i] = 1000 + i/2
	}
	emit(r4, offs...)
	checkTimeline(t, st, r4, false, 300)
}

// TestMigrationKeepsTimeline opens a database written at schema version 1
// and checks that its timelines still read in order.
func TestMigrationKeepsTimeline(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano()
	stmts := []string{migrations[0], `PRAGMA user_version = 1`,
		`INSERT INTO customers (id, status, created_at, updated_at) VALUES ('cust_1', 'ACTIVE', 0, 0)`,
		`INSERT INTO workflows (id, slug, name, product_surface, created_at) VALUES ('wf_1', 'wf', 'Wf', 'CUSTOM', 0)`,
		`INSERT INTO runs (id, customer_id, workflow_id, status, started_at, event_count) VALUES ('run_1', 'cust_1', 'wf_1', 'RUNNING', 0, 3)`,
		`INSERT INTO runs (id, customer_id, workflow_id, status, started_at) VALUES ('run_2', 'cust_1', 'wf_1', 'RUNNING', 0)`,
	}
	for i, off := range []int64{3, 1, 2} {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO run_events (id, run_id, event_type, quantity, ts, outcome)
			VALUES ('evt_%d', 'run_1', 'e', 1, %d, 'SUCCESS')`, i, base+off))
	}
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	db.Close()
	st, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	checkTimeline(t, st, "run_1", true, 3)
	checkTimeline(t, st, "run_2", false, 0)
	var v int
	if err := st.r.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil || v != len(migrations) {
		t.Fatalf("user_version %d (%v)", v, err)
	}
}
