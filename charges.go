package drip

import (
	"context"
	"iter"
	"net/url"
	"strings"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// ChargeStatus is where a charge is in settlement.
type ChargeStatus string

// Charge statuses.
const (
	ChargePendingSettlement ChargeStatus = "PENDING_SETTLEMENT"
	ChargePending           ChargeStatus = "PENDING"
	ChargeConfirmed         ChargeStatus = "CONFIRMED"
	ChargeFailed            ChargeStatus = "FAILED"
	ChargeRefunded          ChargeStatus = "REFUNDED"
)

// Charge is what a billed usage record cost. TrackUsage's reply fills the
// fields the usage reply carries; GetCharge and ListCharges fill them all.
type Charge struct {
	ID         string
	UsageID    string
	CustomerID string
	// Customer is the charged customer as the charge records it.
	Customer ChargeCustomer
	// Usage is the usage record the charge bills.
	Usage ChargeUsage
	// AmountUSDC is the charge in USDC (6 decimals); AmountToken the same
	// amount in the token's base units.
	AmountUSDC  Decimal
	AmountToken Decimal
	TxHash      string
	BlockNumber string
	Status      ChargeStatus
	// FailureReason says why a FAILED charge failed (e.g. insufficient
	// balance).
	FailureReason string
	CreatedAt     time.Time
	ConfirmedAt   time.Time
}

// ChargeCustomer is the customer of a charge.
type ChargeCustomer struct {
	ID                 string
	OnchainAddress     string
	ExternalCustomerID string
}

// ChargeUsage is the usage record of a charge.
type ChargeUsage struct {
	ID       string
	Meter    string
	Quantity float64
	Metadata map[string]any
}

// ListChargesParams filters and pages ListCharges.
type ListChargesParams struct {
	CustomerID string
	Status     ChargeStatus
	// Limit is 1–100 (server default 100).
	Limit  int
	Offset int
}

// ChargeList is one page of charges, newest first.
type ChargeList struct {
	Charges []Charge
	// Count is the number of charges matching the filter.
	Count int
}

// ListCharges returns one page of charges (GET /charges). Use Charges to
// walk every page.
func (c *Client) ListCharges(ctx context.Context, p *ListChargesParams) (*ChargeList, error) {
	const op = "ListCharges"
	if p == nil {
		p = &ListChargesParams{}
	}
	if err := checkIDs(op, "customerId", p.CustomerID, "status", string(p.Status)); err != nil {
		return nil, err
	}
	path, err := listPath(op, "/charges", p.Limit, p.Offset, "customerId", p.CustomerID, "status", string(p.Status))
	if err != nil {
		return nil, err
	}
	var out wire.ChargeList
	if _, err := c.do(ctx, request{op: op, method: "GET", path: path, out: &out}); err != nil {
		return nil, err
	}
	l := &ChargeList{Charges: make([]Charge, len(out.Data)), Count: out.Count}
	for i := range out.Data {
		l.Charges[i] = chargeFromWire(&out.Data[i])
	}
	return l, nil
}

// Charges iterates over every charge matching p, page by page. Iteration
// stops at the first error, which is yielded.
func (c *Client) Charges(ctx context.Context, p *ListChargesParams) iter.Seq2[Charge, error] {
	q := ListChargesParams{}
	if p != nil {
		q = *p
	}
	return offsetPages(q.Limit, q.Offset, func(limit, offset int) ([]Charge, int, error) {
		q.Limit, q.Offset = limit, offset
		page, err := c.ListCharges(ctx, &q)
		if err != nil {
			return nil, 0, err
		}
		return page.Charges, -1, nil
	})
}

// GetCharge returns a charge by id (GET /charges/{id}).
func (c *Client) GetCharge(ctx context.Context, id string) (*Charge, error) {
	const op = "GetCharge"
	if err := requireID(op, "chargeId", id); err != nil {
		return nil, err
	}
	var out wire.Charge
	if _, err := c.do(ctx, request{op: op, method: "GET", path: "/charges/" + url.PathEscape(id), out: &out}); err != nil {
		return nil, err
	}
	ch := chargeFromWire(&out)
	return &ch, nil
}

// requireID is the VALIDATION_ERROR for a missing or malformed id.
func requireID(op, field, id string) error {
	if strings.TrimSpace(id) == "" {
		return validationError(op, field, field+" is required")
	}
	return checkIDs(op, field, id)
}
