package drip

import (
	"context"
	"encoding/json"
	"net/url"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// Balance is a customer's USDC balance. Available is Balance minus
// PendingCharges: what the next charges can draw on.
type Balance struct {
	CustomerID     string
	OnchainAddress string
	Balance        Decimal
	PendingCharges Decimal
	Available      Decimal
	// LastSyncedAt is when the balance was last synced on chain; zero if
	// never.
	LastSyncedAt time.Time
}

// GetBalance returns a customer's balance (GET /customers/{id}/balance).
func (c *Client) GetBalance(ctx context.Context, customerID string) (*Balance, error) {
	const op = "GetBalance"
	if err := requireID(op, "customerId", customerID); err != nil {
		return nil, err
	}
	var out wire.Balance
	if _, err := c.do(ctx, request{op: op, method: "GET", path: customerPath(customerID, "/balance"), out: &out}); err != nil {
		return nil, err
	}
	return balanceFromWire(&out), nil
}

// SyncBalance refreshes a customer's balance from the chain and returns it
// (POST /customers/{id}/sync-balance).
func (c *Client) SyncBalance(ctx context.Context, customerID string) (Decimal, error) {
	const op = "SyncBalance"
	if err := requireID(op, "customerId", customerID); err != nil {
		return Decimal{}, err
	}
	var out wire.SyncBalanceResult
	if _, err := c.do(ctx, request{op: op, method: "POST", path: customerPath(customerID, "/sync-balance"),
		body: struct{}{}, out: &out}); err != nil {
		return Decimal{}, err
	}
	return parseDecimal(out.Balance), nil
}

// ProvisionCustomer gives a customer the smart account charges are drawn
// from (POST /customers/{id}/provision) and returns it with its
// OnchainAddress set. Provisioning again is harmless.
func (c *Client) ProvisionCustomer(ctx context.Context, customerID string) (*Customer, error) {
	const op = "ProvisionCustomer"
	if err := requireID(op, "customerId", customerID); err != nil {
		return nil, err
	}
	var out wire.Customer
	if _, err := c.do(ctx, request{op: op, method: "POST", path: customerPath(customerID, "/provision"),
		body: struct{}{}, out: &out}); err != nil {
		return nil, err
	}
	cu := customerFromWire(&out)
	return &cu, nil
}

func customerPath(id, rest string) string { return "/customers/" + url.PathEscape(id) + rest }

// SpendingCapType is the period a spending cap limits.
type SpendingCapType string

// Spending-cap types.
const (
	// CapDaily limits the confirmed charges of a UTC day.
	CapDaily SpendingCapType = "DAILY_CHARGE_LIMIT"
	// CapMonthly limits the confirmed charges of a UTC month.
	CapMonthly SpendingCapType = "MONTHLY_CHARGE_LIMIT"
	// CapSingleCharge limits each single charge.
	CapSingleCharge SpendingCapType = "SINGLE_CHARGE_LIMIT"
)

// SpendingCapParams sets a spending cap.
type SpendingCapParams struct {
	Type SpendingCapType
	// Limit is in USDC and must be > 0.
	Limit Decimal
	// AutoBlock refuses billed usage once the limit is reached (403
	// CUSTOMER_BLOCKED, see ErrCustomerBlocked). nil means true.
	AutoBlock *bool
}

// SpendingCap is a customer's cap with its usage in the current period.
type SpendingCap struct {
	ID           string
	Type         SpendingCapType
	Limit        Decimal
	CurrentUsage Decimal
	PeriodStart  time.Time
	IsActive     bool
	AutoBlock    bool
	// LastAlertLevel is the last alert percentage sent this period (50,
	// 80, 95 or 100), 0 when none.
	LastAlertLevel int
}

// SetSpendingCap sets the customer's cap of p.Type, replacing the one it
// had (PUT /customers/{id}/spending-cap): repeating the call is harmless.
// When the period's usage reaches the limit, Drip sends
// customer.spending.warning at 50, 80 and 95% and customer.spending.blocked
// at 100%, and with AutoBlock refuses further billed usage.
func (c *Client) SetSpendingCap(ctx context.Context, customerID string, p SpendingCapParams) (*SpendingCap, error) {
	const op = "SetSpendingCap"
	if err := requireID(op, "customerId", customerID); err != nil {
		return nil, err
	}
	switch p.Type {
	case CapDaily, CapMonthly, CapSingleCharge:
	default:
		return nil, validationError(op, "capType", "capType must be DAILY_CHARGE_LIMIT, MONTHLY_CHARGE_LIMIT or SINGLE_CHARGE_LIMIT")
	}
	if p.Limit.Sign() <= 0 {
		return nil, validationError(op, "limitValue", "limitValue must be > 0 (USDC)")
	}
	body := wire.SpendingCapRequest{CapType: string(p.Type), LimitValue: json.Number(p.Limit.String()), AutoBlock: p.AutoBlock}
	if body.AutoBlock == nil {
		t := true
		body.AutoBlock = &t
	}
	var out wire.SpendingCap
	if _, err := c.do(ctx, request{op: op, method: "PUT", path: customerPath(customerID, "/spending-cap"), body: &body, out: &out}); err != nil {
		return nil, err
	}
	cp := spendingCapFromWire(&out)
	return &cp, nil
}

// ListSpendingCaps returns a customer's caps
// (GET /customers/{id}/spending-caps).
func (c *Client) ListSpendingCaps(ctx context.Context, customerID string) ([]SpendingCap, error) {
	const op = "ListSpendingCaps"
	if err := requireID(op, "customerId", customerID); err != nil {
		return nil, err
	}
	var out wire.SpendingCapList
	if _, err := c.do(ctx, request{op: op, method: "GET", path: customerPath(customerID, "/spending-caps"), out: &out}); err != nil {
		return nil, err
	}
	caps := make([]SpendingCap, len(out.Caps))
	for i := range out.Caps {
		caps[i] = spendingCapFromWire(&out.Caps[i])
	}
	return caps, nil
}

// RemoveSpendingCap removes a customer's cap
// (DELETE /customers/{id}/spending-caps/{capId}).
func (c *Client) RemoveSpendingCap(ctx context.Context, customerID, capID string) error {
	const op = "RemoveSpendingCap"
	if err := requireID(op, "customerId", customerID); err != nil {
		return err
	}
	if err := requireID(op, "capId", capID); err != nil {
		return err
	}
	var out wire.RemoveSpendingCapResult
	_, err := c.do(ctx, request{op: op, method: "DELETE",
		path: customerPath(customerID, "/spending-caps/"+url.PathEscape(capID)), out: &out})
	return err
}
