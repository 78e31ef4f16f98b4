package dripserver

import (
	"context"
	"fmt"
)

// migrations are applied in order; migration i brings the schema to
// PRAGMA user_version i+1. Append new ones; never edit a released one.
// Times are Unix nanoseconds (UTC); JSON columns hold object text or NULL.
var migrations = []string{
	`
CREATE TABLE customers (
	seq             INTEGER PRIMARY KEY,
	id              TEXT NOT NULL UNIQUE,
	external_id     TEXT UNIQUE,
	onchain_address TEXT UNIQUE,
	is_internal     INTEGER NOT NULL DEFAULT 0,
	status          TEXT NOT NULL,
	metadata        TEXT,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
);
CREATE TABLE workflows (
	seq             INTEGER PRIMARY KEY,
	id              TEXT NOT NULL UNIQUE,
	slug            TEXT NOT NULL UNIQUE,
	name            TEXT NOT NULL,
	product_surface TEXT NOT NULL,
	description     TEXT,
	metadata        TEXT,
	created_at      INTEGER NOT NULL
);
CREATE TABLE runs (
	seq              INTEGER PRIMARY KEY,
	id               TEXT NOT NULL UNIQUE,
	customer_id      TEXT NOT NULL REFERENCES customers(id),
	workflow_id      TEXT NOT NULL REFERENCES workflows(id),
	status           TEXT NOT NULL,
	external_run_id  TEXT,
	correlation_id   TEXT,
	parent_run_id    TEXT,
	error_message    TEXT,
	error_code       TEXT,
	metadata         TEXT,
	started_at       INTEGER NOT NULL,
	ended_at         INTEGER,
	event_count      INTEGER NOT NULL DEFAULT 0,
	total_quantity   REAL NOT NULL DEFAULT 0,
	total_cost_units REAL NOT NULL DEFAULT 0,
	cost_events      INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX runs_external ON runs(customer_id, external_run_id) WHERE external_run_id IS NOT NULL;
CREATE TABLE run_events (
	seq             INTEGER PRIMARY KEY,
	id              TEXT NOT NULL,
	run_id          TEXT NOT NULL,
	event_type      TEXT NOT NULL,
	quantity        REAL NOT NULL,
	cost_units      REAL,
	idempotency_key TEXT,
	metadata        TEXT,
	-- units, description, costCurrency, correlationId, parentEventId and
	-- spanId as one JSON object (NULL when all are empty): fewer columns
	-- to bind make batch inserts markedly faster.
	extra           TEXT,
	ts              INTEGER NOT NULL,
	outcome         TEXT NOT NULL,
	duration_ms     INTEGER
);
-- Idempotency keys are unique per business; dripd serves one business.
CREATE UNIQUE INDEX run_events_key ON run_events(idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX run_events_timeline ON run_events(run_id, ts, seq);
CREATE TABLE usage_events (
	seq             INTEGER PRIMARY KEY,
	id              TEXT NOT NULL UNIQUE,
	customer_id     TEXT NOT NULL REFERENCES customers(id),
	usage_type      TEXT NOT NULL,
	quantity        REAL NOT NULL,
	units           TEXT NOT NULL,
	description     TEXT NOT NULL,
	metadata        TEXT,
	idempotency_key TEXT,
	endpoint        TEXT NOT NULL,
	charge_id       TEXT,
	created_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX usage_events_key ON usage_events(idempotency_key) WHERE idempotency_key IS NOT NULL;
`,
}

// migrate applies the migrations the database has not seen yet, each in its
// own transaction together with the version bump.
func (s *Store) migrate(ctx context.Context) error {
	var version int
	if err := s.w.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return fmt.Errorf("dripserver: read schema version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("dripserver: database schema version %d is newer than this dripd (%d)", version, len(migrations))
	}
	for v := version; v < len(migrations); v++ {
		err := s.update(ctx, func(t *txn) error {
			if _, err := t.exec(migrations[v]); err != nil {
				return err
			}
			_, err := t.exec(fmt.Sprintf(`PRAGMA user_version = %d`, v+1))
			return err
		})
		if err != nil {
			return fmt.Errorf("dripserver: migrate schema to version %d: %w", v+1, err)
		}
	}
	return nil
}
