package drip

import (
	"context"
	"encoding/json"
	"net/url"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// Contracts are per-customer pricing: while a contract is in effect (ACTIVE
// and between its start and end dates), its price overrides replace the
// pricing plans' unit prices in that customer's charges, its included
// units are free each billing period and its discount comes off every
// usage charge. Every contract call needs a secret (sk_) key, as in both
// official clients.

// ContractStatus is where a contract is in its life.
type ContractStatus string

// Contract statuses.
const (
	ContractActive    ContractStatus = "ACTIVE"
	ContractExpired   ContractStatus = "EXPIRED"
	ContractCancelled ContractStatus = "CANCELLED"
)

// Contract is a customer's negotiated pricing. Nil amounts were not set.
type Contract struct {
	ID         string
	CustomerID string
	Name       string
	Status     ContractStatus
	StartDate  time.Time
	// EndDate is zero for an open-ended contract.
	EndDate time.Time
	Minimum *Decimal
	Maximum *Decimal
	// DiscountPct (0–100) comes off every usage charge.
	DiscountPct     *Decimal
	PrepaidAmount   *Decimal
	PrepaidBalance  *Decimal
	PrepaidRollover bool
	// IncludedUnits, by meter, are free each billing period.
	IncludedUnits map[string]int64
	Metadata      map[string]any
	// Overrides replace the pricing plans' unit prices.
	Overrides []ContractPriceOverride
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ContractPriceOverride is a contract's unit price (USDC) for one meter.
type ContractPriceOverride struct {
	UnitType  string
	UnitPrice Decimal
}

// ContractParams creates a contract. Amounts are in USDC with at most 6
// decimals.
type ContractParams struct {
	// CustomerID, Name and StartDate are required.
	CustomerID string
	Name       string
	StartDate  time.Time
	// EndDate, when set, must be after StartDate.
	EndDate time.Time
	Minimum *Decimal
	Maximum *Decimal
	// DiscountPct is 0–100.
	DiscountPct     *Decimal
	PrepaidAmount   *Decimal
	PrepaidRollover bool
	IncludedUnits   map[string]int64
	Metadata        map[string]any
}

// UpdateContractParams changes a contract; nil fields (zero EndDate) stay
// as they are.
type UpdateContractParams struct {
	Name            *string
	EndDate         time.Time
	Minimum         *Decimal
	Maximum         *Decimal
	DiscountPct     *Decimal
	PrepaidRollover *bool
	IncludedUnits   map[string]int64
	Metadata        map[string]any
}

// ListContractsParams filters ListContracts.
type ListContractsParams struct {
	CustomerID string
	Status     ContractStatus
}

// contractTerms checks the terms create and update share and puts them in
// wire form.
func contractTerms(op string, minimum, maximum, discount *Decimal, units map[string]int64, meta map[string]any) (mn, mx string, pct json.Number, err error) {
	amount := func(field string, d *Decimal) (string, error) {
		if d == nil {
			return "", nil
		}
		return d.String(), checkUSDC(op, field, *d)
	}
	if mn, err = amount("minimumUsdc", minimum); err != nil {
		return
	}
	if mx, err = amount("maximumUsdc", maximum); err != nil {
		return
	}
	if minimum != nil && maximum != nil && maximum.Cmp(*minimum) < 0 {
		err = validationError(op, "maximumUsdc", "maximumUsdc must be >= minimumUsdc")
		return
	}
	if discount != nil {
		if discount.Sign() < 0 || discount.Cmp(MustDecimal("100")) > 0 {
			err = validationError(op, "discountPct", "discountPct must be from 0 to 100")
			return
		}
		pct = json.Number(discount.String())
	}
	for k, v := range units {
		if err = requireIDs(op, "includedUnits", k); err != nil {
			return
		}
		if v < 0 {
			err = validationError(op, "includedUnits."+k, "includedUnits."+k+" must be >= 0")
			return
		}
	}
	err = firstError(checkMetadata(op, "metadata", meta), checkMetadataEncoded(op, "metadata", meta))
	return
}

// isoTime writes a time as Node's Date.toISOString does: UTC with
// milliseconds, the form the official clients send.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// CreateContract creates a contract (POST /contracts; secret key). Like
// CreateSubscription it is not retried once an attempt may have reached
// Drip.
func (c *Client) CreateContract(ctx context.Context, p ContractParams) (*Contract, error) {
	const op = "CreateContract"
	if err := requireIDs(op, "customerId", p.CustomerID, "name", p.Name); err != nil {
		return nil, err
	}
	if p.StartDate.IsZero() {
		return nil, validationError(op, "startDate", "startDate is required")
	}
	if !p.EndDate.IsZero() && !p.EndDate.After(p.StartDate) {
		return nil, validationError(op, "endDate", "endDate must be after startDate")
	}
	mn, mx, pct, err := contractTerms(op, p.Minimum, p.Maximum, p.DiscountPct, p.IncludedUnits, p.Metadata)
	if err != nil {
		return nil, err
	}
	body := wire.CreateContractRequest{CustomerID: p.CustomerID, Name: p.Name, StartDate: isoTime(p.StartDate),
		MinimumUsdc: mn, MaximumUsdc: mx, DiscountPct: pct, IncludedUnits: p.IncludedUnits, Metadata: p.Metadata}
	if !p.EndDate.IsZero() {
		body.EndDate = isoTime(p.EndDate)
	}
	if p.PrepaidAmount != nil {
		if err := checkUSDC(op, "prepaidAmountUsdc", *p.PrepaidAmount); err != nil {
			return nil, err
		}
		body.PrepaidAmountUsdc = p.PrepaidAmount.String()
	}
	if p.PrepaidRollover {
		body.PrepaidRollover = &p.PrepaidRollover
	}
	return c.contractCall(ctx, request{op: op, method: "POST", path: "/contracts", body: &body, noReplay: true})
}

// ListContracts returns the contracts matching p, oldest first
// (GET /contracts; secret key).
func (c *Client) ListContracts(ctx context.Context, p *ListContractsParams) ([]Contract, error) {
	const op = "ListContracts"
	if p == nil {
		p = &ListContractsParams{}
	}
	if err := checkIDs(op, "customerId", p.CustomerID, "status", string(p.Status)); err != nil {
		return nil, err
	}
	path, err := listPath(op, "/contracts", 0, 0, "customerId", p.CustomerID, "status", string(p.Status))
	if err != nil {
		return nil, err
	}
	var out wire.ContractList
	if _, err := c.do(ctx, request{op: op, method: "GET", path: path, out: &out, secret: true}); err != nil {
		return nil, err
	}
	cts := make([]Contract, len(out.Contracts))
	for i := range out.Contracts {
		cts[i] = *contractFromWire(&out.Contracts[i])
	}
	return cts, nil
}

// GetContract returns a contract (GET /contracts/{id}; secret key).
func (c *Client) GetContract(ctx context.Context, id string) (*Contract, error) {
	const op = "GetContract"
	if err := requireID(op, "contractId", id); err != nil {
		return nil, err
	}
	return c.contractCall(ctx, request{op: op, method: "GET", path: contractPath(id, "")})
}

// UpdateContract changes a contract's terms (PATCH /contracts/{id};
// secret key). Its customer and start date cannot change; a cancelled
// contract cannot change at all (409).
func (c *Client) UpdateContract(ctx context.Context, id string, p UpdateContractParams) (*Contract, error) {
	const op = "UpdateContract"
	if err := requireID(op, "contractId", id); err != nil {
		return nil, err
	}
	if p.Name != nil {
		if err := requireIDs(op, "name", *p.Name); err != nil {
			return nil, err
		}
	}
	mn, mx, pct, err := contractTerms(op, p.Minimum, p.Maximum, p.DiscountPct, p.IncludedUnits, p.Metadata)
	if err != nil {
		return nil, err
	}
	body := wire.UpdateContractRequest{Name: p.Name, MinimumUsdc: mn, MaximumUsdc: mx, DiscountPct: pct,
		PrepaidRollover: p.PrepaidRollover, IncludedUnits: p.IncludedUnits, Metadata: p.Metadata}
	if !p.EndDate.IsZero() {
		body.EndDate = isoTime(p.EndDate)
	}
	return c.contractCall(ctx, request{op: op, method: "PATCH", path: contractPath(id, ""), body: &body})
}

// DeleteContract cancels a contract (DELETE /contracts/{id}; secret key):
// it stops applying and stays readable as CANCELLED.
func (c *Client) DeleteContract(ctx context.Context, id string) error {
	const op = "DeleteContract"
	if err := requireID(op, "contractId", id); err != nil {
		return err
	}
	var out wire.ContractDeleteResult
	_, err := c.do(ctx, request{op: op, method: "DELETE", path: contractPath(id, ""), out: &out, secret: true})
	return err
}

// AddContractOverride sets the contract's unit price (USDC, at most 6
// decimals) for a meter, replacing any it had
// (POST /contracts/{id}/overrides; secret key). On the wire the request
// names the price unitPriceUsd and the reply unitPriceUsdc.
func (c *Client) AddContractOverride(ctx context.Context, contractID, unitType string, unitPrice Decimal) (*ContractPriceOverride, error) {
	const op = "AddContractOverride"
	if err := requireIDs(op, "contractId", contractID, "unitType", unitType); err != nil {
		return nil, err
	}
	if err := checkUnitPrice(op, unitPrice); err != nil {
		return nil, err
	}
	body := wire.ContractOverrideRequest{UnitType: unitType, UnitPriceUsd: unitPrice.String()}
	var out wire.ContractOverride
	if _, err := c.do(ctx, request{op: op, method: "POST", path: contractPath(contractID, "/overrides"), body: &body,
		out: &out, secret: true}); err != nil {
		return nil, err
	}
	return &ContractPriceOverride{UnitType: out.UnitType, UnitPrice: parseDecimal(out.UnitPriceUsdc)}, nil
}

// RemoveContractOverride removes the contract's price for a meter
// (DELETE /contracts/{id}/overrides/{unitType}; secret key); the pricing
// plan's price applies again. A meter without an override is a 404.
func (c *Client) RemoveContractOverride(ctx context.Context, contractID, unitType string) error {
	const op = "RemoveContractOverride"
	if err := requireIDs(op, "contractId", contractID, "unitType", unitType); err != nil {
		return err
	}
	var out wire.ContractDeleteResult
	_, err := c.do(ctx, request{op: op, method: "DELETE", path: contractPath(contractID, "/overrides/"+url.PathEscape(unitType)),
		out: &out, secret: true})
	return err
}

func (c *Client) contractCall(ctx context.Context, r request) (*Contract, error) {
	var out wire.Contract
	r.out, r.secret = &out, true
	if _, err := c.do(ctx, r); err != nil {
		return nil, err
	}
	return contractFromWire(&out), nil
}

func contractPath(id, rest string) string { return "/contracts/" + url.PathEscape(id) + rest }
