package dripserver

import (
	"database/sql"
	"errors"
	"fmt"
)

const usageCols = `id, customer_id, usage_type, quantity, units, description, metadata, idempotency_key,
	endpoint, charge_id, created_at`

func scanUsage(sc scanner) (UsageRecord, error) {
	var (
		u                   UsageRecord
		meta, key, chargeID sql.NullString
		created             int64
	)
	err := sc.Scan(&u.ID, &u.CustomerID, &u.UsageType, &u.Quantity, &u.Units, &u.Description, &meta, &key,
		&u.Endpoint, &chargeID, &created)
	if err != nil {
		return UsageRecord{}, err
	}
	u.Metadata, u.IdempotencyKey, u.ChargeID = decodeMeta(meta), key.String, chargeID.String
	u.CreatedAt = nsTime(created)
	return u, nil
}

func (t *txn) usageByKey(key string) (UsageRecord, bool, error) {
	u, err := scanUsage(t.queryRow(`SELECT `+usageCols+` FROM usage_events WHERE idempotency_key = ?`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return UsageRecord{}, false, nil
	}
	if err != nil {
		return UsageRecord{}, false, fmt.Errorf("dripserver: read usage by idempotency key: %w", err)
	}
	return u, true, nil
}

func (t *txn) insertUsage(u UsageRecord) error {
	meta, err := encodeMeta(u.Metadata)
	if err != nil {
		return err
	}
	_, err = t.exec(`INSERT INTO usage_events (`+usageCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
		u.ID, u.CustomerID, u.UsageType, u.Quantity, u.Units, u.Description, meta, nullStr(u.IdempotencyKey),
		u.Endpoint, nullStr(u.ChargeID), u.CreatedAt.UnixNano())
	if err != nil {
		return fmt.Errorf("dripserver: insert usage: %w", err)
	}
	return nil
}

func (t *txn) listUsage() ([]UsageRecord, error) {
	rows, err := t.query(`SELECT ` + usageCols + ` FROM usage_events ORDER BY seq`)
	if err != nil {
		return nil, fmt.Errorf("dripserver: list usage: %w", err)
	}
	defer rows.Close()
	out := []UsageRecord{}
	for rows.Next() {
		u, err := scanUsage(rows)
		if err != nil {
			return nil, fmt.Errorf("dripserver: list usage: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
