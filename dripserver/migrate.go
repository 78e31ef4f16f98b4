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
	// 2: run events are stored clustered by run, in a WITHOUT ROWID table
	// keyed (run_id, seq), where seq now numbers the events of each run
	// (runs.next_seq is the next one). It replaces the rowid table and its
	// timeline index (run_id, ts, seq), which cost a second B-tree insert per
	// event and, when timestamps arrived out of order, scattered those
	// inserts over the whole index (a dirty page, and a WAL frame, per
	// event). Now an insert appends to its run. Timeline order (ts, seq)
	// comes straight from the key for runs whose events arrived in timestamp
	// order (ts_unordered = 0, kept up to date with last_ts on every
	// insert), and from a sort otherwise. Existing runs with events keep
	// their seq values and are conservatively marked unordered.
	`
CREATE TABLE run_events_v2 (
	run_id          TEXT NOT NULL,
	seq             INTEGER NOT NULL,
	id              TEXT NOT NULL,
	event_type      TEXT NOT NULL,
	quantity        REAL NOT NULL,
	cost_units      REAL,
	idempotency_key TEXT,
	metadata        TEXT,
	extra           TEXT,
	ts              INTEGER NOT NULL,
	outcome         TEXT NOT NULL,
	duration_ms     INTEGER,
	PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
INSERT INTO run_events_v2 (run_id, seq, id, event_type, quantity, cost_units, idempotency_key, metadata, extra,
	ts, outcome, duration_ms)
	SELECT run_id, seq, id, event_type, quantity, cost_units, idempotency_key, metadata, extra, ts, outcome,
	duration_ms FROM run_events;
DROP TABLE run_events;
ALTER TABLE run_events_v2 RENAME TO run_events;
CREATE UNIQUE INDEX run_events_key ON run_events(idempotency_key) WHERE idempotency_key IS NOT NULL;
ALTER TABLE runs ADD COLUMN next_seq INTEGER NOT NULL DEFAULT 1;
ALTER TABLE runs ADD COLUMN last_ts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN ts_unordered INTEGER NOT NULL DEFAULT 0;
UPDATE runs SET ts_unordered = 1,
	next_seq = (SELECT max(seq) + 1 FROM run_events WHERE run_id = runs.id),
	last_ts = (SELECT max(ts) FROM run_events WHERE run_id = runs.id)
	WHERE EXISTS (SELECT 1 FROM run_events WHERE run_id = runs.id);
`,
	schemaBilling,      // 3: billing.go
	schemaEntitlements, // 4: entitlements.go
	schemaWebhooks,     // 5: webhooks.go
	schemaEvents,       // 6: execevents.go
	schemaViews,        // 7: views.go
	schemaAccount,      // 8: account.go (subscriptions, contracts, plan changes)
	schemaPayments,     // 9: payments.go (checkout, withdrawals, portal sessions, payload mappings)
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
