package dripserver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver (pure Go, no cgo)
)

// pageSize is the page size of a new database file.
const pageSize = 8192

// Store persists dripd's state in SQLite. It is safe for concurrent use.
//
// All writes go through one connection, so SQLite never answers SQLITE_BUSY
// to a writer. Reads use their own pool when the database is a file (WAL
// lets them run beside the writer). A write method returns only after its
// transaction committed: with WAL and synchronous=NORMAL that survives a
// crash of the process (not a power cut).
type Store struct {
	path string
	w    *sql.DB // the single writer connection
	r    *sql.DB // readers; the same pool as w for :memory:

	// The checkpointer copies the WAL into the database file off the write
	// path, so a commit never waits for a checkpoint's fsync.
	ckpt     *sql.DB
	stopCkpt chan struct{}
	ckptDone chan struct{}

	insUsage     *sql.Stmt
	usageByKey   *sql.Stmt
	eventIDByKey *sql.Stmt
	runByID      *sql.Stmt
	custByID     *sql.Stmt
	custByExtID  *sql.Stmt
	addToRun     *sql.Stmt
	runNextSeq   *sql.Stmt
	eventIDBySeq *sql.Stmt
}

// OpenStore opens (creating it if needed) the SQLite database at path and
// brings its schema up to date. path ":memory:" (or "") gives a private
// in-memory database that lives until Close.
func OpenStore(path string) (*Store, error) {
	s := &Store{path: path}
	if path == "" || path == ":memory:" {
		// Every connection to :memory: is a separate database, so the store
		// keeps exactly one connection and never lets it expire.
		db, err := sql.Open("sqlite", "file::memory:?_pragma=foreign_keys(1)&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("dripserver: open in-memory store: %w", err)
		}
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		s.w, s.r = db, db
	} else {
		q := url.Values{}
		// Only a new database takes the page size; an existing one keeps its
		// own. Bigger pages mean fewer WAL frames (two write calls each) and
		// fewer B-tree splits per batch.
		q.Add("_pragma", "page_size("+strconv.Itoa(pageSize)+")")
		q.Add("_pragma", "busy_timeout(10000)")
		// _journal_mode runs after the _pragma list, which the driver sorts
		// by name: as a _pragma, journal_mode(WAL) would fix the page size
		// before page_size ran.
		q.Add("_journal_mode", "WAL")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Add("_pragma", "foreign_keys(1)")
		// Statement journals and sorting (timelines of unordered runs)
		// stay in memory: that avoids write syscalls that buy nothing.
		q.Add("_pragma", "temp_store(MEMORY)")
		// Reads come from a memory map of the file, and the page cache is
		// kept small (4 MiB, still far more than a batch dirties): at the
		// end of every write transaction that split a B-tree page, SQLite
		// walks the whole page cache (the page number it swaps pages
		// through lies past the end of the file), which with a 64 MiB
		// cache cost a tenth of the writer's time.
		q.Add("_pragma", "cache_size(-4096)")
		q.Add("_pragma", "mmap_size(268435456)")
		base := "file:" + escapePath(path) + "?"
		// The writer still checkpoints by itself if the WAL passes ~80 MiB,
		// in case the checkpointer falls behind.
		w, err := sql.Open("sqlite", base+q.Encode()+"&_pragma=wal_autocheckpoint("+strconv.Itoa(80<<20/pageSize)+")&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("dripserver: open store %s: %w", path, err)
		}
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		w.SetConnMaxLifetime(0)
		r, err := sql.Open("sqlite", base+q.Encode()+"&_pragma=query_only(1)")
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("dripserver: open store %s: %w", path, err)
		}
		r.SetMaxOpenConns(4)
		r.SetMaxIdleConns(4)
		ck, err := sql.Open("sqlite", base+q.Encode())
		if err != nil {
			w.Close()
			r.Close()
			return nil, fmt.Errorf("dripserver: open store %s: %w", path, err)
		}
		ck.SetMaxOpenConns(1)
		s.w, s.r, s.ckpt = w, r, ck
	}
	if err := s.migrate(context.Background()); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.prepare(); err != nil {
		s.Close()
		return nil, err
	}
	if s.ckpt != nil {
		s.stopCkpt, s.ckptDone = make(chan struct{}), make(chan struct{})
		go s.checkpointLoop()
	}
	return s, nil
}

// checkpointInterval is how often the checkpointer runs.
const checkpointInterval = 200 * time.Millisecond

func (s *Store) checkpointLoop() {
	defer close(s.ckptDone)
	t := time.NewTicker(checkpointInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stopCkpt:
			return
		case <-t.C:
			// PASSIVE never blocks the writer; an error (say, busy) just
			// waits for the next tick.
			_, _ = s.ckpt.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
		}
	}
}

// escapePath keeps a file path intact inside a file: URI ('?' and '#' would
// otherwise start the query or fragment).
func escapePath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// Path returns the path the store was opened with.
func (s *Store) Path() string { return s.path }

// Close closes the database. Writes that already returned are on disk.
func (s *Store) Close() error {
	var errs []error
	if s.stopCkpt != nil {
		close(s.stopCkpt)
		<-s.ckptDone
	}
	if s.ckpt != nil {
		errs = append(errs, s.ckpt.Close())
	}
	for _, st := range []*sql.Stmt{s.insUsage, s.usageByKey, s.eventIDByKey, s.runByID, s.custByID,
		s.custByExtID, s.addToRun, s.runNextSeq, s.eventIDBySeq} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	if s.r != nil && s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	return errors.Join(errs...)
}

func (s *Store) prepare() error {
	stmts := []struct {
		dst   **sql.Stmt
		query string
	}{
		{&s.insUsage, `INSERT INTO usage_events (id, customer_id, usage_type, quantity, units, description,
			metadata, idempotency_key, endpoint, charge_id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)`},
		{&s.usageByKey, `SELECT ` + usageCols + ` FROM usage_events WHERE idempotency_key = ?`},
		{&s.eventIDByKey, `SELECT id FROM run_events WHERE idempotency_key = ?`},
		{&s.runByID, `SELECT 1 FROM runs WHERE id = ?`},
		{&s.custByID, `SELECT ` + customerCols + ` FROM customers WHERE id = ?`},
		{&s.custByExtID, `SELECT ` + customerCols + ` FROM customers WHERE external_id = ?`},
		{&s.addToRun, addToRunSQL},
		{&s.runNextSeq, `SELECT next_seq FROM runs WHERE id = ?`},
		{&s.eventIDBySeq, `SELECT id FROM run_events WHERE run_id = ? AND seq = ?`},
	}
	for _, st := range stmts {
		p, err := s.w.Prepare(st.query)
		if err != nil {
			return fmt.Errorf("dripserver: prepare statement: %w", err)
		}
		*st.dst = p
	}
	return nil
}

// update runs fn in one write transaction: everything fn did is committed
// together, or nothing is.
func (s *Store) update(ctx context.Context, fn func(*txn) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("dripserver: begin: %w", err)
	}
	// Also rolls back when fn panics, so the single writer is never left
	// inside a transaction.
	defer tx.Rollback()
	if err := fn(&txn{Tx: tx, s: s, ctx: ctx, write: true}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("dripserver: commit: %w", err)
	}
	return nil
}

// view runs fn in one read transaction, so multi-query reads (a timeline page
// and its summary) see one snapshot.
func (s *Store) view(ctx context.Context, fn func(*txn) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("dripserver: begin read: %w", err)
	}
	defer tx.Rollback()
	return fn(&txn{Tx: tx, s: s, ctx: ctx})
}

// txn is a transaction plus the store's prepared statements.
type txn struct {
	*sql.Tx
	s     *Store
	ctx   context.Context
	write bool // an update transaction, on the writer connection
}

func (t *txn) exec(query string, args ...any) (sql.Result, error) {
	return t.ExecContext(t.ctx, query, args...)
}

func (t *txn) query(query string, args ...any) (*sql.Rows, error) {
	return t.QueryContext(t.ctx, query, args...)
}

func (t *txn) queryRow(query string, args ...any) *sql.Row {
	return t.QueryRowContext(t.ctx, query, args...)
}

func (t *txn) stmt(st *sql.Stmt) *sql.Stmt { return t.StmtContext(t.ctx, st) }
