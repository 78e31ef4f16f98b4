package dripserver

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// webhook is a stored webhook endpoint.
type webhook struct {
	ID                  string
	URL                 string
	Events              []string
	Description         string
	Filters             *wire.WebhookFilters // nil: no filters
	Secret              string
	IsActive            bool
	HealthStatus        string
	ConsecutiveFailures int
	LastHealthChange    time.Time // zero: never changed
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// subscribes reports whether the endpoint takes events of type typ.
func (h *webhook) subscribes(typ string) bool {
	for _, e := range h.Events {
		if e == typ {
			return true
		}
	}
	return false
}

// Delivery statuses.
const (
	DeliveryPending   = "PENDING"
	DeliveryDelivered = "DELIVERED"
	DeliveryFailed    = "FAILED"
)

// WebhookDelivery is one event queued for, or sent to, one webhook
// endpoint, as Store.WebhookDeliveries returns it.
type WebhookDelivery struct {
	ID        string
	WebhookID string
	EventID   string // shared by the event's deliveries to every endpoint
	EventType string
	// Body is the exact JSON body POSTed (signed at each attempt).
	Body []byte
	// Status is DeliveryPending, DeliveryDelivered or DeliveryFailed.
	Status   string
	Attempts int
	// ResponseCode is the endpoint's HTTP status at the last attempt, 0
	// when none arrived.
	ResponseCode int
	LastError    string
	// NextAttemptAt is when a pending delivery is due (wall clock).
	NextAttemptAt time.Time
	CreatedAt     time.Time
	DeliveredAt   time.Time // zero unless delivered
}

const webhookCols = `id, url, events, description, filters, secret, is_active, health_status,
	consecutive_failures, last_health_change, created_at, updated_at`

func scanWebhook(sc scanner) (webhook, error) {
	var (
		h                webhook
		events           string
		desc, filters    sql.NullString
		active           int
		lastChange       sql.NullInt64
		created, updated int64
	)
	if err := sc.Scan(&h.ID, &h.URL, &events, &desc, &filters, &h.Secret, &active, &h.HealthStatus,
		&h.ConsecutiveFailures, &lastChange, &created, &updated); err != nil {
		return webhook{}, err
	}
	if err := json.Unmarshal([]byte(events), &h.Events); err != nil {
		return webhook{}, fmt.Errorf("webhook %s events: %w", h.ID, err)
	}
	if filters.Valid {
		h.Filters = new(wire.WebhookFilters)
		if err := json.Unmarshal([]byte(filters.String), h.Filters); err != nil {
			return webhook{}, fmt.Errorf("webhook %s filters: %w", h.ID, err)
		}
	}
	h.Description, h.IsActive = desc.String, active != 0
	if lastChange.Valid {
		h.LastHealthChange = nsTime(lastChange.Int64)
	}
	h.CreatedAt, h.UpdatedAt = nsTime(created), nsTime(updated)
	return h, nil
}

func webhookArgs(h webhook) ([]any, error) {
	events, err := json.Marshal(h.Events)
	if err != nil {
		return nil, err
	}
	var filters any
	if h.Filters != nil {
		b, err := json.Marshal(h.Filters)
		if err != nil {
			return nil, err
		}
		filters = string(b)
	}
	var lastChange any
	if !h.LastHealthChange.IsZero() {
		lastChange = h.LastHealthChange.UnixNano()
	}
	return []any{h.ID, h.URL, string(events), nullStr(h.Description), filters, h.Secret, h.IsActive,
		h.HealthStatus, h.ConsecutiveFailures, lastChange, h.CreatedAt.UnixNano(), h.UpdatedAt.UnixNano()}, nil
}

func (t *txn) insertWebhook(h webhook) error {
	args, err := webhookArgs(h)
	if err == nil {
		_, err = t.exec(`INSERT INTO webhooks (`+webhookCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`, args...)
	}
	if err != nil {
		return fmt.Errorf("dripserver: insert webhook: %w", err)
	}
	return nil
}

// saveWebhook writes every field of an existing webhook.
func (t *txn) saveWebhook(h webhook) error {
	args, err := webhookArgs(h)
	if err == nil {
		_, err = t.exec(`UPDATE webhooks SET url = ?, events = ?, description = ?, filters = ?, secret = ?,
			is_active = ?, health_status = ?, consecutive_failures = ?, last_health_change = ?, created_at = ?,
			updated_at = ? WHERE id = ?`, append(args[1:], h.ID)...)
	}
	if err != nil {
		return fmt.Errorf("dripserver: update webhook: %w", err)
	}
	return nil
}

func (t *txn) webhookByID(id string) (webhook, bool, error) {
	h, err := scanWebhook(t.queryRow(`SELECT `+webhookCols+` FROM webhooks WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return webhook{}, false, nil
	}
	if err != nil {
		return webhook{}, false, fmt.Errorf("dripserver: read webhook: %w", err)
	}
	return h, true, nil
}

// listWebhooks returns every webhook in creation order (activeOnly: the
// active ones).
func (t *txn) listWebhooks(activeOnly bool) ([]webhook, error) {
	q := `SELECT ` + webhookCols + ` FROM webhooks`
	if activeOnly {
		q += ` WHERE is_active = 1`
	}
	rows, err := t.query(q + ` ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("dripserver: list webhooks: %w", err)
	}
	defer rows.Close()
	out := []webhook{}
	for rows.Next() {
		h, err := scanWebhook(rows)
		if err != nil {
			return nil, fmt.Errorf("dripserver: list webhooks: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

func (t *txn) countWebhooks() (n int, err error) {
	err = t.queryRow(`SELECT count(*) FROM webhooks`).Scan(&n)
	return n, err
}

// deleteWebhook removes a webhook and, by cascade, its deliveries.
func (t *txn) deleteWebhook(id string) (bool, error) {
	res, err := t.exec(`DELETE FROM webhooks WHERE id = ?`, id)
	if err != nil {
		return false, fmt.Errorf("dripserver: delete webhook: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func (t *txn) webhookStats(id string) (wire.WebhookStats, error) {
	var st wire.WebhookStats
	rows, err := t.query(`SELECT status, count(*) FROM webhook_deliveries WHERE webhook_id = ? GROUP BY status`, id)
	if err != nil {
		return st, fmt.Errorf("dripserver: webhook stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return st, err
		}
		st.Total += n
		switch status {
		case DeliveryPending:
			st.Pending = n
		case DeliveryDelivered:
			st.Delivered = n
		case DeliveryFailed:
			st.Failed = n
		}
	}
	return st, rows.Err()
}

const deliveryCols = `id, webhook_id, event_id, event_type, body, status, attempts, response_code, last_error,
	next_attempt_at, created_at, delivered_at`

func scanDelivery(sc scanner) (WebhookDelivery, error) {
	var (
		d                 WebhookDelivery
		body              string
		code, next, deliv sql.NullInt64
		lastErr           sql.NullString
		created           int64
	)
	if err := sc.Scan(&d.ID, &d.WebhookID, &d.EventID, &d.EventType, &body, &d.Status, &d.Attempts, &code,
		&lastErr, &next, &created, &deliv); err != nil {
		return WebhookDelivery{}, err
	}
	d.Body, d.ResponseCode, d.LastError = []byte(body), int(code.Int64), lastErr.String
	if next.Valid {
		d.NextAttemptAt = nsTime(next.Int64)
	}
	if deliv.Valid {
		d.DeliveredAt = nsTime(deliv.Int64)
	}
	d.CreatedAt = nsTime(created)
	return d, nil
}

func nullNs(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func nullInt(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

func (t *txn) insertDelivery(d WebhookDelivery) error {
	_, err := t.exec(`INSERT INTO webhook_deliveries (`+deliveryCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
		d.ID, d.WebhookID, d.EventID, d.EventType, string(d.Body), d.Status, d.Attempts, nullInt(d.ResponseCode),
		nullStr(d.LastError), nullNs(d.NextAttemptAt), d.CreatedAt.UnixNano(), nullNs(d.DeliveredAt))
	if err != nil {
		return fmt.Errorf("dripserver: insert webhook delivery: %w", err)
	}
	return nil
}

// saveDelivery writes the outcome fields of a delivery.
func (t *txn) saveDelivery(d WebhookDelivery) error {
	_, err := t.exec(`UPDATE webhook_deliveries SET status = ?, attempts = ?, response_code = ?, last_error = ?,
		next_attempt_at = ?, delivered_at = ? WHERE id = ?`,
		d.Status, d.Attempts, nullInt(d.ResponseCode), nullStr(d.LastError), nullNs(d.NextAttemptAt),
		nullNs(d.DeliveredAt), d.ID)
	if err != nil {
		return fmt.Errorf("dripserver: update webhook delivery: %w", err)
	}
	return nil
}

func (t *txn) deliveryByID(id string) (WebhookDelivery, bool, error) {
	d, err := scanDelivery(t.queryRow(`SELECT `+deliveryCols+` FROM webhook_deliveries WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, false, nil
	}
	if err != nil {
		return d, false, fmt.Errorf("dripserver: read webhook delivery: %w", err)
	}
	return d, true, nil
}

// dueDeliveries returns up to limit pending deliveries due at or before
// now (Unix ns), the earliest first.
func (t *txn) dueDeliveries(now int64, limit int) ([]WebhookDelivery, error) {
	return t.deliveriesWhere(`status = 'PENDING' AND next_attempt_at <= ? ORDER BY next_attempt_at, seq LIMIT ?`, now, limit)
}

// nextDue returns when the earliest pending delivery is due, ok false
// when none is pending.
func (t *txn) nextDue() (time.Time, bool, error) {
	var ns sql.NullInt64
	if err := t.queryRow(`SELECT min(next_attempt_at) FROM webhook_deliveries WHERE status = 'PENDING'`).Scan(&ns); err != nil {
		return time.Time{}, false, fmt.Errorf("dripserver: next webhook delivery: %w", err)
	}
	return nsTime(ns.Int64), ns.Valid, nil
}

func (t *txn) deliveriesWhere(cond string, args ...any) ([]WebhookDelivery, error) {
	rows, err := t.query(`SELECT `+deliveryCols+` FROM webhook_deliveries WHERE `+cond, args...)
	if err != nil {
		return nil, fmt.Errorf("dripserver: read webhook deliveries: %w", err)
	}
	defer rows.Close()
	out := []WebhookDelivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("dripserver: read webhook deliveries: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// WebhookDeliveries returns the deliveries of a webhook, oldest first:
// queued, retried, delivered or failed, with their attempts and last
// outcome.
func (s *Store) WebhookDeliveries(ctx context.Context, webhookID string) (ds []WebhookDelivery, err error) {
	err = s.view(ctx, func(t *txn) error {
		ds, err = t.deliveriesWhere(`webhook_id = ? ORDER BY seq`, webhookID)
		return err
	})
	return ds, err
}
