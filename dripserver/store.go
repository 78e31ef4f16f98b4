package dripserver

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver (pure Go, no cgo)
)

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
}

// OpenStore opens (creating it if needed) the SQLite database at path and
// brings its schema up to date. path ":memory:" (or "") gives a private
// in-memory database that lives until Close.
func OpenStore(path string) (*Store, error) {
	s := &Store{path: path}
	if path == "" || path == ":memory:" {
		// Every connection to :memory: is a separate database, so the store
		// keeps exactly one connection and never lets it expire.
		db, err := sql.Open("sqlite", "file::memory:?_foreign_keys=1&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("dripserver: open in-memory store: %w", err)
		}
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		s.w, s.r = db, db
	} else {
		dsn := "file:" + escapePath(path) + "?_busy_timeout=10000&_journal_mode=WAL&_synchronous=NORMAL&_foreign_keys=1"
		// IMMEDIATE takes the write lock at BEGIN, so a transaction never
		// fails to upgrade from a read lock halfway through.
		w, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("dripserver: open store %s: %w", path, err)
		}
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		w.SetConnMaxLifetime(0)
		r, err := sql.Open("sqlite", dsn+"&_query_only=1")
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("dripserver: open store %s: %w", path, err)
		}
		r.SetMaxOpenConns(4)
		r.SetMaxIdleConns(4)
		s.w, s.r = w, r
	}
	if err := s.migrate(context.Background()); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
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
	if s.r != nil && s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	return errors.Join(errs...)
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
	t := &txn{tx: tx, ctx: ctx}
	if err := fn(t); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("dripserver: commit: %w", err)
	}
	for _, f := range t.committed {
		f()
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
	return fn(&txn{tx: tx, ctx: ctx})
}

// txn is one transaction, with the context of the request it serves. The
// store_*.go files hold its methods, one file per resource.
type txn struct {
	tx  *sql.Tx
	ctx context.Context
	// committed run after a write transaction commits (never after a
	// rollback): e.g. waking the webhook worker for what it queued.
	committed []func()
}

// afterCommit runs f once t has committed.
func (t *txn) afterCommit(f func()) { t.committed = append(t.committed, f) }

func (t *txn) exec(query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(t.ctx, query, args...)
}

func (t *txn) query(query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(t.ctx, query, args...)
}

func (t *txn) queryRow(query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(t.ctx, query, args...)
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(...any) error }

// nullStr stores "" as NULL.
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nsTime reads a stored time (Unix nanoseconds).
func nsTime(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// encodeMeta returns the stored form of metadata: JSON object text, or NULL
// when empty.
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
