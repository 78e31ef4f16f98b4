package dripserver

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"
)

// maxTopCustomers is how many customers an Overview ranks.
const maxTopCustomers = 10

// Overview sums what was recorded in q's window, with series bucketed by
// q.Bucket (at least a minute), in one read transaction of five
// aggregate queries.
func (s *Store) Overview(ctx context.Context, q OverviewQuery) (o Overview, err error) {
	q.Bucket = max(q.Bucket, time.Minute)
	o.OverviewQuery = q
	o.CustomerDisplay = map[string]string{}
	bucket := int64(q.Bucket)
	from, to := q.From.UnixNano(), q.To.UnixNano()
	at := func(b int64) time.Time { return nsTime(b) }
	custs := map[string]*CustomerTotals{}
	cust := func(id string, ext sql.NullString) *CustomerTotals {
		c := custs[id]
		if c == nil {
			c = &CustomerTotals{CustomerID: id, ExternalCustomerID: ext.String}
			custs[id] = c
			if ext.Valid {
				o.CustomerDisplay[id] = ext.String
			}
		}
		return c
	}
	err = s.view(ctx, func(t *txn) error {
		// Events by bucket and model: totals, per-model figures, the cost
		// and token series.
		models := map[string]*ModelTotals{}
		err := t.each(func(sc scanner) error {
			var b, n, failed, in, out int64
			var model string
			var cost float64
			if err := sc.Scan(&b, &model, &n, &failed, &in, &out, &cost); err != nil {
				return err
			}
			o.Events += int(n)
			o.FailedEvents += int(failed)
			o.InputTokens += in
			o.OutputTokens += out
			o.Cost += cost
			m := models[model]
			if m == nil {
				m = &ModelTotals{Model: model}
				models[model] = m
			}
			m.Events += int(n)
			m.InputTokens += in
			m.OutputTokens += out
			m.Cost += cost
			if cost != 0 {
				o.CostByModel = append(o.CostByModel, Point{At: at(b), Key: model, Value: cost})
			}
			if in+out != 0 {
				o.TokensByModel = append(o.TokensByModel, Point{At: at(b), Key: model, Value: float64(in + out)})
				o.InputTokensAt = addPoint(o.InputTokensAt, at(b), float64(in))
				o.OutputTokensAt = addPoint(o.OutputTokensAt, at(b), float64(out))
			}
			return nil
		}, `SELECT (ts / ?) * ? AS b, coalesce(json_extract(metadata, '$.model'), '') AS model, count(*),
			sum(outcome = 'FAILED'),
			coalesce(sum(json_extract(metadata, '$.inputTokens')), 0),
			coalesce(sum(json_extract(metadata, '$.outputTokens')), 0),
			coalesce(sum(cost_units), 0)
			FROM run_events WHERE ts >= ? AND ts < ? GROUP BY b, model ORDER BY b, model`,
			bucket, bucket, from, to)
		if err != nil {
			return fmt.Errorf("dripserver: overview events: %w", err)
		}
		for _, m := range models {
			o.ByModel = append(o.ByModel, *m)
		}
		slices.SortFunc(o.ByModel, func(a, b ModelTotals) int {
			return cmp.Or(cmp.Compare(b.Cost, a.Cost), cmp.Compare(b.InputTokens+b.OutputTokens, a.InputTokens+a.OutputTokens),
				cmp.Compare(a.Model, b.Model))
		})

		// Events by bucket and customer.
		err = t.each(func(sc scanner) error {
			var b, n, tokens int64
			var id string
			var ext sql.NullString
			var cost float64
			if err := sc.Scan(&b, &id, &ext, &n, &tokens, &cost); err != nil {
				return err
			}
			c := cust(id, ext)
			c.Events += int(n)
			c.Tokens += tokens
			c.Cost += cost
			if cost != 0 {
				o.CostByCustomer = append(o.CostByCustomer, Point{At: at(b), Key: id, Value: cost})
			}
			return nil
		}, `SELECT (e.ts / ?) * ? AS b, r.customer_id, c.external_id, count(*),
			coalesce(sum(json_extract(e.metadata, '$.inputTokens')), 0) + coalesce(sum(json_extract(e.metadata, '$.outputTokens')), 0),
			coalesce(sum(e.cost_units), 0)
			FROM run_events e JOIN runs r ON r.id = e.run_id JOIN customers c ON c.id = r.customer_id
			WHERE e.ts >= ? AND e.ts < ? GROUP BY b, r.customer_id ORDER BY b, r.customer_id`,
			bucket, bucket, from, to)
		if err != nil {
			return fmt.Errorf("dripserver: overview customers: %w", err)
		}

		// Usage by bucket, meter and customer.
		meters := map[string]*MeterTotals{}
		err = t.each(func(sc scanner) error {
			var b, n int64
			var meter, id string
			var ext sql.NullString
			var qty float64
			if err := sc.Scan(&b, &meter, &id, &ext, &n, &qty); err != nil {
				return err
			}
			o.UsageRecords += int(n)
			m := meters[meter]
			if m == nil {
				m = &MeterTotals{Meter: meter}
				meters[meter] = m
			}
			m.Records += int(n)
			m.Quantity += qty
			cust(id, ext).UsageQuantity += qty
			o.UsageByMeter = addKeyed(o.UsageByMeter, at(b), meter, qty)
			return nil
		}, `SELECT (u.created_at / ?) * ? AS b, u.usage_type, u.customer_id, c.external_id, count(*), sum(u.quantity)
			FROM usage_events u JOIN customers c ON c.id = u.customer_id
			WHERE u.created_at >= ? AND u.created_at < ? GROUP BY b, u.usage_type, u.customer_id
			ORDER BY b, u.usage_type`, bucket, bucket, from, to)
		if err != nil {
			return fmt.Errorf("dripserver: overview usage: %w", err)
		}
		for _, m := range meters {
			o.ByMeter = append(o.ByMeter, *m)
		}
		slices.SortFunc(o.ByMeter, func(a, b MeterTotals) int {
			return cmp.Or(cmp.Compare(b.Quantity, a.Quantity), cmp.Compare(a.Meter, b.Meter))
		})

		// Runs by customer.
		err = t.each(func(sc scanner) error {
			var id string
			var ext sql.NullString
			var n, ended, failed int
			if err := sc.Scan(&id, &ext, &n, &ended, &failed); err != nil {
				return err
			}
			o.Runs += n
			o.EndedRuns += ended
			o.FailedRuns += failed
			cust(id, ext).Runs += n
			return nil
		}, `SELECT r.customer_id, c.external_id, count(*), sum(r.ended_at IS NOT NULL), sum(r.status = 'FAILED')
			FROM runs r JOIN customers c ON c.id = r.customer_id
			WHERE r.started_at >= ? AND r.started_at < ? GROUP BY r.customer_id`, from, to)
		if err != nil {
			return fmt.Errorf("dripserver: overview runs: %w", err)
		}

		// Charges are decimal strings; their sum is for display only.
		err = t.queryRow(`SELECT coalesce(sum(CAST(amount AS REAL)), 0) FROM charges
			WHERE status = ? AND created_at >= ? AND created_at < ?`, ChargeConfirmed, from, to).Scan(&o.Charged)
		if err != nil {
			return fmt.Errorf("dripserver: overview charges: %w", err)
		}
		return nil
	})
	for _, c := range custs {
		o.TopCustomers = append(o.TopCustomers, *c)
	}
	slices.SortFunc(o.TopCustomers, func(a, b CustomerTotals) int {
		return cmp.Or(cmp.Compare(b.Cost, a.Cost), cmp.Compare(b.Tokens, a.Tokens),
			cmp.Compare(b.UsageQuantity, a.UsageQuantity), cmp.Compare(b.Runs, a.Runs), cmp.Compare(a.CustomerID, b.CustomerID))
	})
	if len(o.TopCustomers) > maxTopCustomers {
		o.TopCustomers = o.TopCustomers[:maxTopCustomers]
	}
	return o, err
}

// addPoint adds v to the unkeyed point at t (the last one, since rows come
// in bucket order) or appends one.
func addPoint(ps []Point, t time.Time, v float64) []Point { return addKeyed(ps, t, "", v) }

// addKeyed adds v to the point (t, key) among those of bucket t at the end
// of ps, or appends one.
func addKeyed(ps []Point, t time.Time, key string, v float64) []Point {
	for i := len(ps) - 1; i >= 0 && ps[i].At.Equal(t); i-- {
		if ps[i].Key == key {
			ps[i].Value += v
			return ps
		}
	}
	return append(ps, Point{At: t, Key: key, Value: v})
}

// each runs query and calls fn for each row.
func (t *txn) each(fn func(scanner) error, query string, args ...any) error {
	rows, err := t.query(query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
