package dripserver

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// PricingPlan is a stored pricing plan. UnitPrice is an exact decimal.
type PricingPlan struct {
	ID           string
	Name         string
	UnitType     string
	UnitPrice    string
	PricingModel string
	IsActive     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Charge is a stored charge with the usage record and customer it belongs
// to. Amount has the 6 decimals of USDC.
type Charge struct {
	ID            string
	UsageID       string
	CustomerID    string
	Amount        string
	Status        string // CONFIRMED or FAILED: dripd settles at once
	FailureReason string
	CreatedAt     time.Time
	ConfirmedAt   time.Time // zero unless CONFIRMED
	Seq           int64     // serves as the dev block number

	// From the customer and the usage record.
	OnchainAddress     string
	ExternalCustomerID string
	UsageType          string
	Quantity           float64
	Metadata           map[string]any
}

// SpendingCap is a stored spending cap. CurrentUsage counts the confirmed
// charges of the period starting at PeriodStart (for SINGLE_CHARGE_LIMIT,
// the last confirmed charge); LastAlertLevel is 0 when no alert was sent
// this period.
type SpendingCap struct {
	ID             string
	CustomerID     string
	CapType        string
	Limit          string
	AutoBlock      bool
	PeriodStart    time.Time
	CurrentUsage   string
	LastAlertLevel int
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// balance is a customer's stored balance.
type balance struct {
	Balance, Pending string
	LowNotified      bool
	LastSyncedAt     time.Time
}

// Charge status values dripd uses.
const (
	ChargeConfirmed = "CONFIRMED"
	ChargeFailed    = "FAILED"
)

var chargeStatuses = []string{"PENDING_SETTLEMENT", "PENDING", ChargeConfirmed, ChargeFailed, "REFUNDED"}

// --- pricing plans

const planCols = `id, name, unit_type, unit_price, pricing_model, is_active, created_at, updated_at`

func scanPlan(sc scanner) (PricingPlan, error) {
	var (
		p            PricingPlan
		active       int
		created, upd int64
	)
	if err := sc.Scan(&p.ID, &p.Name, &p.UnitType, &p.UnitPrice, &p.PricingModel, &active, &created, &upd); err != nil {
		return PricingPlan{}, err
	}
	p.IsActive = active != 0
	p.CreatedAt, p.UpdatedAt = nsTime(created), nsTime(upd)
	return p, nil
}

func (t *txn) planWhere(cond string, arg any) (PricingPlan, bool, error) {
	p, err := scanPlan(t.queryRow(`SELECT `+planCols+` FROM pricing_plans WHERE `+cond, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return PricingPlan{}, false, nil
	}
	if err != nil {
		return PricingPlan{}, false, fmt.Errorf("dripserver: read pricing plan: %w", err)
	}
	return p, true, nil
}

func (t *txn) planByID(id string) (PricingPlan, bool, error) { return t.planWhere(`id = ?`, id) }

func (t *txn) activePlanByType(unitType string) (PricingPlan, bool, error) {
	return t.planWhere(`unit_type = ? AND is_active = 1`, unitType)
}

func (t *txn) insertPlan(p PricingPlan) error {
	_, err := t.exec(`INSERT INTO pricing_plans (`+planCols+`) VALUES (?,?,?,?,?,?,?,?)`,
		p.ID, p.Name, p.UnitType, p.UnitPrice, p.PricingModel, p.IsActive, p.CreatedAt.UnixNano(), p.UpdatedAt.UnixNano())
	if err != nil {
		return fmt.Errorf("dripserver: insert pricing plan: %w", err)
	}
	return nil
}

func (t *txn) updatePlan(p PricingPlan) error {
	_, err := t.exec(`UPDATE pricing_plans SET name = ?, unit_price = ?, pricing_model = ?, is_active = ?, updated_at = ?
		WHERE id = ?`, p.Name, p.UnitPrice, p.PricingModel, p.IsActive, p.UpdatedAt.UnixNano(), p.ID)
	if err != nil {
		return fmt.Errorf("dripserver: update pricing plan: %w", err)
	}
	return nil
}

func (t *txn) listPlans() ([]PricingPlan, error) {
	rows, err := t.query(`SELECT ` + planCols + ` FROM pricing_plans ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("dripserver: list pricing plans: %w", err)
	}
	defer rows.Close()
	out := []PricingPlan{}
	for rows.Next() {
		p, err := scanPlan(rows)
		if err != nil {
			return nil, fmt.Errorf("dripserver: list pricing plans: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// --- balances

func (t *txn) balanceOf(customerID string) (balance, bool, error) {
	var (
		b      balance
		low    int
		synced sql.NullInt64
	)
	err := t.queryRow(`SELECT balance, pending, low_notified, last_synced_at FROM balances WHERE customer_id = ?`,
		customerID).Scan(&b.Balance, &b.Pending, &low, &synced)
	if errors.Is(err, sql.ErrNoRows) {
		return balance{}, false, nil
	}
	if err != nil {
		return balance{}, false, fmt.Errorf("dripserver: read balance: %w", err)
	}
	b.LowNotified = low != 0
	if synced.Valid {
		b.LastSyncedAt = nsTime(synced.Int64)
	}
	return b, true, nil
}

func (t *txn) putBalance(customerID string, b balance) error {
	var synced any
	if !b.LastSyncedAt.IsZero() {
		synced = b.LastSyncedAt.UnixNano()
	}
	_, err := t.exec(`INSERT INTO balances (customer_id, balance, pending, low_notified, last_synced_at) VALUES (?,?,?,?,?)
		ON CONFLICT (customer_id) DO UPDATE SET balance = excluded.balance, pending = excluded.pending,
		low_notified = excluded.low_notified, last_synced_at = excluded.last_synced_at`,
		customerID, b.Balance, b.Pending, b.LowNotified, synced)
	if err != nil {
		return fmt.Errorf("dripserver: write balance: %w", err)
	}
	return nil
}

func (t *txn) setCustomerBilling(id, onchainAddress, status string, now time.Time) error {
	_, err := t.exec(`UPDATE customers SET onchain_address = ?, status = ?, updated_at = ? WHERE id = ?`,
		nullStr(onchainAddress), status, now.UnixNano(), id)
	if err != nil {
		return fmt.Errorf("dripserver: update customer: %w", err)
	}
	return nil
}

// --- charges

const chargeCols = `c.seq, c.id, c.usage_id, c.customer_id, c.amount, c.status, c.failure_reason, c.created_at,
	c.confirmed_at, cu.onchain_address, cu.external_id, u.usage_type, u.quantity, u.metadata`

const chargeFrom = ` FROM charges c JOIN customers cu ON cu.id = c.customer_id
	LEFT JOIN usage_events u ON u.id = c.usage_id`

func scanCharge(sc scanner) (Charge, error) {
	var (
		c                 Charge
		reason, addr, ext sql.NullString
		utype, meta       sql.NullString
		qty               sql.NullFloat64
		created           int64
		confirmed         sql.NullInt64
	)
	err := sc.Scan(&c.Seq, &c.ID, &c.UsageID, &c.CustomerID, &c.Amount, &c.Status, &reason, &created, &confirmed,
		&addr, &ext, &utype, &qty, &meta)
	if err != nil {
		return Charge{}, err
	}
	c.FailureReason, c.OnchainAddress, c.ExternalCustomerID = reason.String, addr.String, ext.String
	c.UsageType, c.Quantity, c.Metadata = utype.String, qty.Float64, decodeMeta(meta)
	c.CreatedAt = nsTime(created)
	if confirmed.Valid {
		c.ConfirmedAt = nsTime(confirmed.Int64)
	}
	return c, nil
}

func (t *txn) insertCharge(c Charge) error {
	var confirmed any
	if !c.ConfirmedAt.IsZero() {
		confirmed = c.ConfirmedAt.UnixNano()
	}
	_, err := t.exec(`INSERT INTO charges (id, usage_id, customer_id, amount, status, failure_reason, created_at, confirmed_at)
		VALUES (?,?,?,?,?,?,?,?)`, c.ID, c.UsageID, c.CustomerID, c.Amount, c.Status, nullStr(c.FailureReason),
		c.CreatedAt.UnixNano(), confirmed)
	if err != nil {
		return fmt.Errorf("dripserver: insert charge: %w", err)
	}
	return nil
}

func (t *txn) chargeByID(id string) (Charge, bool, error) {
	c, err := scanCharge(t.queryRow(`SELECT `+chargeCols+chargeFrom+` WHERE c.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Charge{}, false, nil
	}
	if err != nil {
		return Charge{}, false, fmt.Errorf("dripserver: read charge: %w", err)
	}
	return c, true, nil
}

// listCharges returns a page of charges, newest first (limit -1: all), and
// how many match.
func (t *txn) listCharges(customerID, status string, limit, offset int) ([]Charge, int, error) {
	var conds []string
	var args []any
	if customerID != "" {
		conds, args = append(conds, "c.customer_id = ?"), append(args, customerID)
	}
	if status != "" {
		conds, args = append(conds, "c.status = ?"), append(args, status)
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	var total int
	if err := t.queryRow(`SELECT count(*) FROM charges c`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("dripserver: count charges: %w", err)
	}
	rows, err := t.query(`SELECT `+chargeCols+chargeFrom+where+` ORDER BY c.seq DESC LIMIT ? OFFSET ?`,
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("dripserver: list charges: %w", err)
	}
	defer rows.Close()
	out := []Charge{}
	for rows.Next() {
		c, err := scanCharge(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("dripserver: list charges: %w", err)
		}
		out = append(out, c)
	}
	return out, total, rows.Err()
}

// confirmedAmountsSince returns the amounts of a customer's confirmed
// charges since from.
func (t *txn) confirmedAmountsSince(customerID string, from time.Time) ([]string, error) {
	rows, err := t.query(`SELECT amount FROM charges WHERE customer_id = ? AND status = ? AND confirmed_at >= ?`,
		customerID, ChargeConfirmed, from.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("dripserver: sum charges: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, fmt.Errorf("dripserver: sum charges: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// --- spending caps

const capCols = `id, customer_id, cap_type, limit_value, auto_block, period_start, current_usage, last_alert_level,
	created_at, updated_at`

func scanCap(sc scanner) (SpendingCap, error) {
	var (
		c                    SpendingCap
		auto                 int
		period, created, upd int64
		level                sql.NullInt64
	)
	if err := sc.Scan(&c.ID, &c.CustomerID, &c.CapType, &c.Limit, &auto, &period, &c.CurrentUsage, &level,
		&created, &upd); err != nil {
		return SpendingCap{}, err
	}
	c.AutoBlock = auto != 0
	c.PeriodStart, c.CreatedAt, c.UpdatedAt = nsTime(period), nsTime(created), nsTime(upd)
	c.LastAlertLevel = int(level.Int64)
	return c, nil
}

func (t *txn) capsOf(customerID string) ([]SpendingCap, error) {
	rows, err := t.query(`SELECT `+capCols+` FROM spending_caps WHERE customer_id = ? ORDER BY seq`, customerID)
	if err != nil {
		return nil, fmt.Errorf("dripserver: list spending caps: %w", err)
	}
	defer rows.Close()
	out := []SpendingCap{}
	for rows.Next() {
		c, err := scanCap(rows)
		if err != nil {
			return nil, fmt.Errorf("dripserver: list spending caps: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// putCap inserts or replaces the customer's cap of c.CapType.
func (t *txn) putCap(c SpendingCap) error {
	var level any
	if c.LastAlertLevel > 0 {
		level = c.LastAlertLevel
	}
	_, err := t.exec(`INSERT INTO spending_caps (`+capCols+`) VALUES (?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (customer_id, cap_type) DO UPDATE SET limit_value = excluded.limit_value,
		auto_block = excluded.auto_block, period_start = excluded.period_start,
		current_usage = excluded.current_usage, last_alert_level = excluded.last_alert_level,
		updated_at = excluded.updated_at`,
		c.ID, c.CustomerID, c.CapType, c.Limit, c.AutoBlock, c.PeriodStart.UnixNano(), c.CurrentUsage, level,
		c.CreatedAt.UnixNano(), c.UpdatedAt.UnixNano())
	if err != nil {
		return fmt.Errorf("dripserver: write spending cap: %w", err)
	}
	return nil
}

func (t *txn) deleteCap(customerID, capID string) (bool, error) {
	res, err := t.exec(`DELETE FROM spending_caps WHERE customer_id = ? AND id = ?`, customerID, capID)
	if err != nil {
		return false, fmt.Errorf("dripserver: delete spending cap: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// --- usage sums for estimates

// usageRow is what a cost estimate needs of a usage record.
type usageRow struct {
	usageType string
	quantity  float64
	charged   bool
}

func (t *txn) usageBetween(customerID string, from, to time.Time) ([]usageRow, error) {
	q := `SELECT usage_type, quantity, charge_id IS NOT NULL FROM usage_events WHERE created_at >= ? AND created_at < ?`
	args := []any{from.UnixNano(), to.UnixNano()}
	if customerID != "" {
		q, args = q+` AND customer_id = ?`, append(args, customerID)
	}
	rows, err := t.query(q+` ORDER BY seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("dripserver: read usage: %w", err)
	}
	defer rows.Close()
	var out []usageRow
	for rows.Next() {
		var u usageRow
		if err := rows.Scan(&u.usageType, &u.quantity, &u.charged); err != nil {
			return nil, fmt.Errorf("dripserver: read usage: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// --- read helpers for tests and tools

// Charges returns all charges, oldest first.
func (s *Store) Charges(ctx context.Context) (cs []Charge, err error) {
	err = s.view(ctx, func(t *txn) error {
		cs, _, err = t.listCharges("", "", -1, 0)
		return err
	})
	for i, j := 0, len(cs)-1; i < j; i, j = i+1, j-1 {
		cs[i], cs[j] = cs[j], cs[i]
	}
	return cs, err
}

// SpendingCaps returns a customer's spending caps as stored (a period that
// has ended is reset only by the next charge).
func (s *Store) SpendingCaps(ctx context.Context, customerID string) (cs []SpendingCap, err error) {
	err = s.view(ctx, func(t *txn) error {
		cs, err = t.capsOf(customerID)
		return err
	})
	return cs, err
}
