package dripserver

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// customerMatch selects a customer column by Drip id or externalCustomerId.
func customerMatch(col string) string {
	return col + ` IN (SELECT id FROM customers WHERE id = ? OR external_id = ?)`
}

// qualify prefixes each column of a column list with a table alias.
func qualify(alias, cols string) string {
	fields := strings.Split(cols, ",")
	for i, f := range fields {
		fields[i] = alias + "." + strings.TrimSpace(f)
	}
	return strings.Join(fields, ", ")
}

func whereSQL(where []string) string {
	if len(where) == 0 {
		return ""
	}
	return ` WHERE ` + strings.Join(where, ` AND `)
}

// QueryRuns returns a page of the runs q selects, latest started first, and
// how many it selects in all.
func (s *Store) QueryRuns(ctx context.Context, q RunQuery) (rows []RunRow, total int, err error) {
	var where []string
	var args []any
	if q.Customer != "" {
		where, args = append(where, customerMatch("r.customer_id")), append(args, q.Customer, q.Customer)
	}
	if q.Workflow != "" {
		where, args = append(where, `(w.id = ? OR w.slug = ?)`), append(args, q.Workflow, q.Workflow)
	}
	if q.Status != "" {
		where, args = append(where, `r.status = ?`), append(args, q.Status)
	}
	where, args = timeRange(where, args, "r.started_at", q.From, q.To)
	cond := whereSQL(where)
	err = s.view(ctx, func(t *txn) error {
		if err := t.queryRow(`SELECT count(*)`+runFrom+cond, args...).Scan(&total); err != nil {
			return fmt.Errorf("dripserver: count runs: %w", err)
		}
		// Tokens are summed for the page's runs only, each over its own
		// events (the events table is keyed by run).
		res, err := t.query(`WITH page AS (SELECT r.seq`+runFrom+cond+`
			ORDER BY r.started_at DESC, r.seq DESC LIMIT ? OFFSET ?)
			SELECT `+runCols+`, c.external_id,
				(SELECT coalesce(sum(json_extract(e.metadata, '$.inputTokens')), 0) FROM run_events e WHERE e.run_id = r.id),
				(SELECT coalesce(sum(json_extract(e.metadata, '$.outputTokens')), 0) FROM run_events e WHERE e.run_id = r.id)
			FROM page p JOIN runs r ON r.seq = p.seq JOIN workflows w ON w.id = r.workflow_id
			JOIN customers c ON c.id = r.customer_id
			ORDER BY r.started_at DESC, r.seq DESC`, append(args, clampLimit(q.Limit), max(q.Offset, 0))...)
		if err != nil {
			return fmt.Errorf("dripserver: list runs: %w", err)
		}
		defer res.Close()
		rows = []RunRow{}
		for res.Next() {
			var row RunRow
			var ext sql.NullString
			sc := withExtra{sc: res, extra: []any{&ext, &row.InputTokens, &row.OutputTokens}}
			if row.Run, err = scanRun(sc); err != nil {
				return fmt.Errorf("dripserver: list runs: %w", err)
			}
			row.ExternalCustomerID = ext.String
			rows = append(rows, row)
		}
		return res.Err()
	})
	return rows, total, err
}

// withExtra scans a row's columns past those of a scan function: its
// extra destinations are appended to the ones the function passes.
type withExtra struct {
	sc    scanner
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.sc.Scan(append(dest, w.extra...)...) }

// RunEvents returns up to limit events of a run in timeline order, and
// whether it has more.
func (s *Store) RunEvents(ctx context.Context, runID string, limit int) (es []Event, more bool, err error) {
	err = s.view(ctx, func(t *txn) error {
		es, err = t.eventsPage(runID, false, 0, 0, limit+1)
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("dripserver: events of run %s: %w", runID, err)
	}
	if len(es) > limit {
		es, more = es[:limit], true
	}
	return es, more, nil
}

// QueryUsage returns a page of the usage records q selects, latest first,
// and how many it selects in all.
func (s *Store) QueryUsage(ctx context.Context, q UsageQuery) (rows []UsageRow, total int, err error) {
	var where []string
	var args []any
	if q.Customer != "" {
		where, args = append(where, customerMatch("u.customer_id")), append(args, q.Customer, q.Customer)
	}
	if q.UsageType != "" {
		where, args = append(where, `u.usage_type = ?`), append(args, q.UsageType)
	}
	where, args = timeRange(where, args, "u.created_at", q.From, q.To)
	cond := whereSQL(where)
	cols := qualify("u", usageCols)
	err = s.view(ctx, func(t *txn) error {
		if err := t.queryRow(`SELECT count(*) FROM usage_events u`+cond, args...).Scan(&total); err != nil {
			return fmt.Errorf("dripserver: count usage: %w", err)
		}
		res, err := t.query(`SELECT `+cols+`, c.external_id FROM usage_events u JOIN customers c ON c.id = u.customer_id`+
			cond+` ORDER BY u.created_at DESC, u.seq DESC LIMIT ? OFFSET ?`,
			append(args, clampLimit(q.Limit), max(q.Offset, 0))...)
		if err != nil {
			return fmt.Errorf("dripserver: list usage: %w", err)
		}
		defer res.Close()
		rows = []UsageRow{}
		for res.Next() {
			var row UsageRow
			var ext sql.NullString
			if row.UsageRecord, err = scanUsage(withExtra{sc: res, extra: []any{&ext}}); err != nil {
				return fmt.Errorf("dripserver: list usage: %w", err)
			}
			row.ExternalCustomerID = ext.String
			rows = append(rows, row)
		}
		return res.Err()
	})
	return rows, total, err
}

// QueryCustomers returns a page of customers, most recently created first,
// with their activity, and how many there are.
func (s *Store) QueryCustomers(ctx context.Context, limit, offset int) (rows []CustomerRow, total int, err error) {
	err = s.view(ctx, func(t *txn) error {
		if err := t.queryRow(`SELECT count(*) FROM customers`).Scan(&total); err != nil {
			return fmt.Errorf("dripserver: count customers: %w", err)
		}
		res, err := t.query(`SELECT `+customerCols+`,
				(SELECT count(*) FROM runs r WHERE r.customer_id = c.id),
				(SELECT coalesce(sum(r.total_cost_units), 0) FROM runs r WHERE r.customer_id = c.id),
				(SELECT count(*) FROM usage_events u WHERE u.customer_id = c.id),
				(SELECT balance FROM balances b WHERE b.customer_id = c.id),
				max(coalesce((SELECT max(started_at) FROM runs r WHERE r.customer_id = c.id), 0),
					coalesce((SELECT max(created_at) FROM usage_events u WHERE u.customer_id = c.id), 0))
			FROM customers c ORDER BY c.seq DESC LIMIT ? OFFSET ?`, clampLimit(limit), max(offset, 0))
		if err != nil {
			return fmt.Errorf("dripserver: list customers: %w", err)
		}
		defer res.Close()
		rows = []CustomerRow{}
		for res.Next() {
			var row CustomerRow
			var bal sql.NullString
			var last int64
			sc := withExtra{sc: res, extra: []any{&row.Runs, &row.Cost, &row.UsageRecords, &bal, &last}}
			if row.Customer, err = scanCustomer(sc); err != nil {
				return fmt.Errorf("dripserver: list customers: %w", err)
			}
			row.Balance = bal.String
			if last > 0 {
				row.LastActive = nsTime(last)
			}
			rows = append(rows, row)
		}
		return res.Err()
	})
	return rows, total, err
}

// Account returns a customer's balance, spending caps and entitlements
// (usage counted in the period that contains now), found by Drip id or
// externalCustomerId; ok is false when there is no such customer.
func (s *Store) Account(ctx context.Context, ref string, now time.Time) (a CustomerAccount, ok bool, err error) {
	err = s.view(ctx, func(t *txn) error {
		c, err := t.resolveCustomer(ref)
		if err != nil {
			if _, isAPI := asAPIError(err); isAPI { // not found
				return nil
			}
			return err
		}
		ok, a.Customer = true, c
		b, has, err := t.balanceOf(c.ID)
		if err != nil {
			return err
		}
		if has {
			a.Balance, a.Pending = b.Balance, b.Pending
		}
		if a.Caps, err = t.capsOf(c.ID); err != nil {
			return err
		}
		if _, planned, err := t.customerEnt(c.ID); err != nil || !planned {
			return err
		}
		ent, err := customerEntWire(t, c.ID, now)
		if err != nil {
			return err
		}
		a.Plan = ent.PlanName
		for _, r := range ent.Rules {
			u := ent.Usage[r.FeatureKey]
			use := EntitlementUse{Feature: r.FeatureKey, LimitType: r.LimitType, Period: r.Period, Used: string(u.Used)}
			if u.Limit != minusOne {
				use.Limit, use.Remaining = string(u.Limit), string(u.Remaining)
			}
			a.Entitlements = append(a.Entitlements, use)
		}
		return nil
	})
	return a, ok, err
}

// RecentDeliveries returns the latest webhook deliveries of every
// endpoint, newest first, at most limit (default 50, at most 500).
func (s *Store) RecentDeliveries(ctx context.Context, limit int) (rows []DeliveryRow, err error) {
	cols := qualify("d", deliveryCols)
	err = s.view(ctx, func(t *txn) error {
		res, err := t.query(`SELECT `+cols+`, h.url FROM webhook_deliveries d JOIN webhooks h ON h.id = d.webhook_id
			ORDER BY d.seq DESC LIMIT ?`, clampLimit(limit))
		if err != nil {
			return fmt.Errorf("dripserver: list webhook deliveries: %w", err)
		}
		defer res.Close()
		rows = []DeliveryRow{}
		for res.Next() {
			var row DeliveryRow
			if row.WebhookDelivery, err = scanDelivery(withExtra{sc: res, extra: []any{&row.URL}}); err != nil {
				return fmt.Errorf("dripserver: list webhook deliveries: %w", err)
			}
			rows = append(rows, row)
		}
		return res.Err()
	})
	return rows, err
}
