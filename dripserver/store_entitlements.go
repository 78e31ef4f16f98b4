package dripserver

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"

	"github.com/drip-sdk/drip-go/internal/money"
	"github.com/drip-sdk/drip-go/internal/wire"
)

// entPlan is a stored entitlement plan.
type entPlan struct {
	ID, Name, Slug, Description string
	IsDefault, IsActive         bool
	CreatedAt, UpdatedAt        int64
}

// entRule is a stored entitlement rule; LimitValue is exact.
type entRule struct {
	ID, PlanID, FeatureKey, LimitType, Period string
	LimitValue                                *big.Rat
	Unlimited                                 bool
}

const entPlanCols = `id, name, slug, description, is_default, is_active, created_at, updated_at`

func scanEntPlan(sc scanner) (entPlan, error) {
	var p entPlan
	var desc sql.NullString
	if err := sc.Scan(&p.ID, &p.Name, &p.Slug, &desc, &p.IsDefault, &p.IsActive, &p.CreatedAt, &p.UpdatedAt); err != nil {
		return entPlan{}, err
	}
	p.Description = desc.String
	return p, nil
}

func (t *txn) entPlanWhere(cond string, args ...any) (entPlan, bool, error) {
	p, err := scanEntPlan(t.queryRow(`SELECT `+entPlanCols+` FROM entitlement_plans WHERE `+cond, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return entPlan{}, false, nil
	}
	if err != nil {
		return entPlan{}, false, fmt.Errorf("dripserver: read entitlement plan: %w", err)
	}
	return p, true, nil
}

func (t *txn) entPlanByID(id string) (entPlan, bool, error) { return t.entPlanWhere(`id = ?`, id) }

func (t *txn) defaultEntPlan() (entPlan, bool, error) { return t.entPlanWhere(`is_default = 1`) }

func (t *txn) listEntPlans() ([]entPlan, error) {
	rows, err := t.query(`SELECT ` + entPlanCols + ` FROM entitlement_plans ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("dripserver: list entitlement plans: %w", err)
	}
	defer rows.Close()
	plans := []entPlan{}
	for rows.Next() {
		p, err := scanEntPlan(rows)
		if err != nil {
			return nil, fmt.Errorf("dripserver: list entitlement plans: %w", err)
		}
		plans = append(plans, p)
	}
	return plans, rows.Err()
}

// saveEntPlan inserts or updates p; making it the default first clears the
// previous default, so there is at most one.
func (t *txn) saveEntPlan(p entPlan, insert bool) error {
	if p.IsDefault {
		if _, err := t.exec(`UPDATE entitlement_plans SET is_default = 0, updated_at = ? WHERE is_default = 1 AND id <> ?`,
			p.UpdatedAt, p.ID); err != nil {
			return fmt.Errorf("dripserver: clear default entitlement plan: %w", err)
		}
	}
	var err error
	if insert {
		_, err = t.exec(`INSERT INTO entitlement_plans (`+entPlanCols+`) VALUES (?,?,?,?,?,?,?,?)`,
			p.ID, p.Name, p.Slug, nullStr(p.Description), p.IsDefault, p.IsActive, p.CreatedAt, p.UpdatedAt)
	} else {
		_, err = t.exec(`UPDATE entitlement_plans SET name = ?, description = ?, is_default = ?, is_active = ?, updated_at = ? WHERE id = ?`,
			p.Name, nullStr(p.Description), p.IsDefault, p.IsActive, p.UpdatedAt, p.ID)
	}
	if err != nil {
		return fmt.Errorf("dripserver: save entitlement plan: %w", err)
	}
	return nil
}

// deleteEntPlan deletes a plan; its rules and the assignments to it go
// with it (ON DELETE CASCADE).
func (t *txn) deleteEntPlan(id string) (bool, error) {
	res, err := t.exec(`DELETE FROM entitlement_plans WHERE id = ?`, id)
	if err != nil {
		return false, fmt.Errorf("dripserver: delete entitlement plan: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

const entRuleCols = `id, plan_id, feature_key, limit_type, period, limit_value, unlimited`

func scanEntRule(sc scanner) (entRule, error) {
	var r entRule
	var limit string
	if err := sc.Scan(&r.ID, &r.PlanID, &r.FeatureKey, &r.LimitType, &r.Period, &limit, &r.Unlimited); err != nil {
		return entRule{}, err
	}
	v, err := money.Parse(limit)
	if err != nil {
		return entRule{}, fmt.Errorf("stored limit %q: %w", limit, err)
	}
	r.LimitValue = v
	return r, nil
}

func (t *txn) entRuleByID(id string) (entRule, bool, error) {
	r, err := scanEntRule(t.queryRow(`SELECT `+entRuleCols+` FROM entitlement_rules WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return entRule{}, false, nil
	}
	if err != nil {
		return entRule{}, false, fmt.Errorf("dripserver: read entitlement rule: %w", err)
	}
	return r, true, nil
}

func (t *txn) entRules(planID string) ([]entRule, error) {
	rows, err := t.query(`SELECT `+entRuleCols+` FROM entitlement_rules WHERE plan_id = ? ORDER BY seq`, planID)
	if err != nil {
		return nil, fmt.Errorf("dripserver: list entitlement rules: %w", err)
	}
	defer rows.Close()
	rules := []entRule{}
	for rows.Next() {
		r, err := scanEntRule(rows)
		if err != nil {
			return nil, fmt.Errorf("dripserver: list entitlement rules: %w", err)
		}
		rules = append(rules, r)
	}
	return rules, rows.Err()
}

func (t *txn) saveEntRule(r entRule, insert bool, now int64) error {
	var err error
	if insert {
		_, err = t.exec(`INSERT INTO entitlement_rules (`+entRuleCols+`, created_at) VALUES (?,?,?,?,?,?,?,?)`,
			r.ID, r.PlanID, r.FeatureKey, r.LimitType, r.Period, money.Exact(r.LimitValue), r.Unlimited, now)
	} else {
		_, err = t.exec(`UPDATE entitlement_rules SET limit_value = ?, unlimited = ? WHERE id = ?`,
			money.Exact(r.LimitValue), r.Unlimited, r.ID)
	}
	if err != nil {
		return fmt.Errorf("dripserver: save entitlement rule: %w", err)
	}
	return nil
}

func (t *txn) deleteEntRule(id string) (bool, error) {
	res, err := t.exec(`DELETE FROM entitlement_rules WHERE id = ?`, id)
	if err != nil {
		return false, fmt.Errorf("dripserver: delete entitlement rule: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// featureHasRules reports whether any plan has a rule for featureKey: only
// then does usage of that meter need counting.
func (t *txn) featureHasRules(featureKey string) (bool, error) {
	var n int
	err := t.queryRow(`SELECT EXISTS (SELECT 1 FROM entitlement_rules WHERE feature_key = ?)`, featureKey).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("dripserver: read entitlement rules: %w", err)
	}
	return n != 0, nil
}

// entAssignment returns the customer's assigned plan id and overrides.
func (t *txn) entAssignment(customerID string) (planID string, overrides map[string]wire.EntitlementOverride, ok bool, err error) {
	var raw sql.NullString
	err = t.queryRow(`SELECT plan_id, overrides FROM customer_entitlements WHERE customer_id = ?`, customerID).Scan(&planID, &raw)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, false, nil
	}
	if err != nil {
		return "", nil, false, fmt.Errorf("dripserver: read customer entitlement: %w", err)
	}
	if raw.Valid && raw.String != "" {
		if err := json.Unmarshal([]byte(raw.String), &overrides); err != nil {
			return "", nil, false, fmt.Errorf("dripserver: stored overrides: %w", err)
		}
	}
	return planID, overrides, true, nil
}

func (t *txn) assignEnt(customerID, planID string, overrides map[string]wire.EntitlementOverride, now int64) error {
	var raw any
	if len(overrides) > 0 {
		b, err := json.Marshal(overrides)
		if err != nil {
			return fmt.Errorf("dripserver: encode overrides: %w", err)
		}
		raw = string(b)
	}
	_, err := t.exec(`INSERT INTO customer_entitlements (customer_id, plan_id, overrides, assigned_at) VALUES (?,?,?,?)
		ON CONFLICT (customer_id) DO UPDATE SET plan_id = excluded.plan_id, overrides = excluded.overrides,
		assigned_at = excluded.assigned_at`, customerID, planID, raw, now)
	if err != nil {
		return fmt.Errorf("dripserver: assign entitlement plan: %w", err)
	}
	return nil
}

// entUsage returns what the customer has used of featureKey in the period
// that starts at start: the summed quantity (COUNT) and charge amount
// (AMOUNT).
func (t *txn) entUsage(customerID, featureKey, period string, start int64) (count, amount *big.Rat, err error) {
	var c, a string
	err = t.queryRow(`SELECT count_used, amount_used FROM entitlement_counters
		WHERE customer_id = ? AND feature_key = ? AND period = ? AND period_start = ?`,
		customerID, featureKey, period, start).Scan(&c, &a)
	if errors.Is(err, sql.ErrNoRows) {
		return new(big.Rat), new(big.Rat), nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("dripserver: read entitlement counter: %w", err)
	}
	if count, err = money.Parse(c); err != nil {
		return nil, nil, fmt.Errorf("dripserver: stored counter %q: %w", c, err)
	}
	if amount, err = money.Parse(a); err != nil {
		return nil, nil, fmt.Errorf("dripserver: stored counter %q: %w", a, err)
	}
	return count, amount, nil
}

// addEntUsage adds to a counter, exactly.
func (t *txn) addEntUsage(customerID, featureKey, period string, start int64, count, amount *big.Rat) error {
	c, a, err := t.entUsage(customerID, featureKey, period, start)
	if err != nil {
		return err
	}
	c.Add(c, count)
	a.Add(a, amount)
	_, err = t.exec(`INSERT INTO entitlement_counters (customer_id, feature_key, period, period_start, count_used, amount_used)
		VALUES (?,?,?,?,?,?) ON CONFLICT (customer_id, feature_key, period, period_start)
		DO UPDATE SET count_used = excluded.count_used, amount_used = excluded.amount_used`,
		customerID, featureKey, period, start, money.Exact(c), money.Exact(a))
	if err != nil {
		return fmt.Errorf("dripserver: update entitlement counter: %w", err)
	}
	return nil
}
