package dripserver

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
)

// Account management: checkout sessions (money into a customer's
// balance), withdrawals (money out of the business's settlement balance),
// portal sessions (a customer's read-only billing page) and payload
// mappings with ingest (third-party payloads turned into usage).
//
// Each resource is a row holding its JSON document plus the columns
// lookups need; the documents are dripd's own model types below, never
// wire shapes, so the wire can change without a migration.

// schemaPayments is the account-management migration (payments.go).
const schemaPayments = `
CREATE TABLE checkout_sessions (
	seq INTEGER PRIMARY KEY,
	id  TEXT NOT NULL UNIQUE,
	doc TEXT NOT NULL
);
CREATE TABLE withdrawals (
	seq             INTEGER PRIMARY KEY,
	id              TEXT NOT NULL UNIQUE,
	idempotency_key TEXT NOT NULL UNIQUE,
	status          TEXT NOT NULL,
	doc             TEXT NOT NULL
);
CREATE TABLE portal_sessions (
	seq   INTEGER PRIMARY KEY,
	id    TEXT NOT NULL UNIQUE,
	token TEXT NOT NULL UNIQUE,
	doc   TEXT NOT NULL
);
CREATE TABLE payload_mappings (
	seq         INTEGER PRIMARY KEY,
	id          TEXT NOT NULL UNIQUE,
	source_name TEXT NOT NULL UNIQUE,
	doc         TEXT NOT NULL
);
CREATE TABLE payload_mapping_versions (
	seq        INTEGER PRIMARY KEY,
	mapping_id TEXT NOT NULL,
	version    INTEGER NOT NULL,
	doc        TEXT NOT NULL,
	UNIQUE (mapping_id, version)
);
`

// paymentRoutes registers the checkout, withdrawal, portal and payload-mapping routes and the two
// browser pages (checkout and portal) on dripd's origin, outside /v1 and
// without an API key: the customer's browser opens them. Checkout and
// ingest work with a public key; withdrawals, portal sessions and
// payload-mapping management need a secret one.
func (s *Server) paymentRoutes(m *http.ServeMux, api, secret routeFunc) {
	api("POST /v1/checkout", s.createCheckout)
	m.HandleFunc("GET /checkout/{id}", s.checkoutPage)
	m.HandleFunc("POST /checkout/{id}", s.checkoutSubmit)

	secret("POST /v1/withdrawals", s.createWithdrawal)
	secret("GET /v1/withdrawals", s.listWithdrawals)
	secret("GET /v1/withdrawals/fee-estimate", s.withdrawalFeeEstimate)
	secret("DELETE /v1/withdrawals/{id}", s.cancelWithdrawal)

	secret("POST /v1/portal-sessions", s.createPortalSession)
	secret("DELETE /v1/portal-sessions/{id}", s.revokePortalSession)
	m.HandleFunc("GET /portal/{token}", s.portalPage)

	secret("POST /v1/payload-mappings", s.createPayloadMapping)
	secret("GET /v1/payload-mappings", s.listPayloadMappings)
	secret("GET /v1/payload-mappings/{id}", s.getPayloadMapping)
	secret("PATCH /v1/payload-mappings/{id}", s.updatePayloadMapping)
	secret("DELETE /v1/payload-mappings/{id}", s.deletePayloadMapping)
	secret("GET /v1/payload-mappings/{id}/versions", s.listPayloadMappingVersions)
	secret("POST /v1/payload-mappings/{id}/dry-run", s.dryRunPayloadMapping)
	api("POST /v1/ingest/{sourceName}", s.ingest)
}

// ID prefixes of account resources.
const (
	prefixCheckout   = "cs_"
	prefixWithdrawal = "wd_"
	prefixPortal     = "ps_"
	prefixMapping    = "pm_"
	prefixMappingVer = "pmv_"
	prefixTxn        = "txn_"
)

// Account error codes.
const (
	CodeInsufficientBalance      = "INSUFFICIENT_BALANCE"
	CodeWithdrawalNotCancellable = "WITHDRAWAL_NOT_CANCELLABLE"
	CodeMappingFailed            = "MAPPING_FAILED"
	CodePayloadMappingNotFound   = "PAYLOAD_MAPPING_NOT_FOUND"
	CodePayloadMappingInactive   = "PAYLOAD_MAPPING_INACTIVE"
	CodeDuplicateSourceName      = "DUPLICATE_SOURCE_NAME"
)

// Webhook event types account management sends.
const (
	eventWithdrawalCreated    = "withdrawal.created"
	eventWithdrawalCompleted  = "withdrawal.completed"
	eventWithdrawalFailed     = "withdrawal.failed"
	eventTransactionConfirmed = "transaction.confirmed"
	eventDepositConfirmed     = "customer.deposit.confirmed"
)

// --- documents

// putDoc inserts or replaces the row id of table with v as its document
// and the given extra columns (name, value pairs).
func (t *txn) putDoc(table, id string, v any, cols ...any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("dripserver: encode %s: %w", table, err)
	}
	names, marks, args := "id, doc", "?, ?", []any{id, string(b)}
	set := "doc = excluded.doc"
	for i := 0; i+1 < len(cols); i += 2 {
		n := cols[i].(string)
		names += ", " + n
		marks += ", ?"
		args = append(args, cols[i+1])
		set += ", " + n + " = excluded." + n
	}
	_, err = t.exec(`INSERT INTO `+table+` (`+names+`) VALUES (`+marks+`) ON CONFLICT(id) DO UPDATE SET `+set, args...)
	if err != nil {
		return fmt.Errorf("dripserver: write %s: %w", table, err)
	}
	return nil
}

// getDoc reads the document of the row of table matching cond into v.
func (t *txn) getDoc(table, cond string, v any, args ...any) (bool, error) {
	var doc string
	err := t.queryRow(`SELECT doc FROM `+table+` WHERE `+cond, args...).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("dripserver: read %s: %w", table, err)
	}
	if err := json.Unmarshal([]byte(doc), v); err != nil {
		return false, fmt.Errorf("dripserver: decode %s: %w", table, err)
	}
	return true, nil
}

// listDocs decodes the documents of the rows of table that tail (a WHERE,
// ORDER BY and LIMIT clause, any of them optional) selects, in order.
func listDocs[T any](t *txn, table, tail string, args ...any) ([]T, error) {
	rows, err := t.query(`SELECT doc FROM `+table+` `+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("dripserver: list %s: %w", table, err)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, fmt.Errorf("dripserver: list %s: %w", table, err)
		}
		var v T
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			return nil, fmt.Errorf("dripserver: decode %s: %w", table, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func ratZero() *big.Rat { return new(big.Rat) }
