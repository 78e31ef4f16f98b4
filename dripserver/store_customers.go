package dripserver

import (
	"database/sql"
	"errors"
	"fmt"
)

const customerCols = `id, external_id, onchain_address, is_internal, status, metadata, created_at, updated_at`

func scanCustomer(sc scanner) (Customer, error) {
	var (
		c            Customer
		ext, addr    sql.NullString
		meta         sql.NullString
		created, upd int64
		internal     int
	)
	if err := sc.Scan(&c.ID, &ext, &addr, &internal, &c.Status, &meta, &created, &upd); err != nil {
		return Customer{}, err
	}
	c.ExternalCustomerID, c.OnchainAddress = ext.String, addr.String
	c.IsInternal = internal != 0
	c.Metadata = decodeMeta(meta)
	c.CreatedAt, c.UpdatedAt = nsTime(created), nsTime(upd)
	return c, nil
}

func (t *txn) customerByID(id string) (Customer, bool, error) {
	return t.customerWhere(`id = ?`, id)
}

func (t *txn) customerByExternalID(ext string) (Customer, bool, error) {
	return t.customerWhere(`external_id = ?`, ext)
}

func (t *txn) customerByOnchainAddress(addr string) (Customer, bool, error) {
	return t.customerWhere(`onchain_address = ?`, addr)
}

// customerWhere returns the customer matching cond, or ok false.
func (t *txn) customerWhere(cond string, arg any) (Customer, bool, error) {
	c, err := scanCustomer(t.queryRow(`SELECT `+customerCols+` FROM customers WHERE `+cond, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return Customer{}, false, nil
	}
	if err != nil {
		return Customer{}, false, fmt.Errorf("dripserver: read customer: %w", err)
	}
	return c, true, nil
}

func (t *txn) insertCustomer(c Customer) error {
	meta, err := encodeMeta(c.Metadata)
	if err != nil {
		return err
	}
	_, err = t.exec(`INSERT INTO customers (`+customerCols+`) VALUES (?,?,?,?,?,?,?,?)`,
		c.ID, nullStr(c.ExternalCustomerID), nullStr(c.OnchainAddress), c.IsInternal, c.Status, meta,
		c.CreatedAt.UnixNano(), c.UpdatedAt.UnixNano())
	if err != nil {
		return fmt.Errorf("dripserver: insert customer: %w", err)
	}
	return nil
}

// listCustomers returns a page of customers in creation order (limit -1:
// all) and how many match status ("" for any).
func (t *txn) listCustomers(status string, limit, offset int) ([]Customer, int, error) {
	where, args := "", []any{}
	if status != "" {
		where, args = " WHERE status = ?", append(args, status)
	}
	var total int
	if err := t.queryRow(`SELECT count(*) FROM customers`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("dripserver: count customers: %w", err)
	}
	rows, err := t.query(`SELECT `+customerCols+` FROM customers`+where+` ORDER BY seq LIMIT ? OFFSET ?`,
		append(args, limit, offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("dripserver: list customers: %w", err)
	}
	defer rows.Close()
	out := []Customer{}
	for rows.Next() {
		c, err := scanCustomer(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("dripserver: list customers: %w", err)
		}
		out = append(out, c)
	}
	return out, total, rows.Err()
}
