package drip

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// PricingPlan prices one meter (unit type): each unit of usage of it costs
// UnitPrice USD, charged in USDC. A unit type has at most one active plan.
type PricingPlan struct {
	ID        string
	Name      string
	UnitType  string
	UnitPrice Decimal
	// Currency is "USDC".
	Currency     string
	IsActive     bool
	PricingModel string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// PricingPlanParams creates a pricing plan.
type PricingPlanParams struct {
	Name string
	// UnitType is the meter the plan prices, as TrackUsage's Meter names it.
	UnitType string
	// UnitPrice is in USD, >= 0, with at most 6 decimals.
	UnitPrice Decimal
	// Inactive creates the plan switched off.
	Inactive bool
	// PricingModel defaults to FLAT (one price per unit).
	PricingModel string
}

// UpdatePricingPlanParams changes a plan; nil fields stay as they are.
type UpdatePricingPlanParams struct {
	Name      *string
	UnitPrice *Decimal
	IsActive  *bool
}

// maxUnitPricePlaces is how many decimals the API takes in a unit price.
const maxUnitPricePlaces = 6

func checkUnitPrice(op string, d Decimal) error {
	if d.Sign() < 0 {
		return validationError(op, "unitPriceUsd", "unitPriceUsd must be >= 0")
	}
	if _, frac, ok := strings.Cut(d.String(), "."); ok && len(frac) > maxUnitPricePlaces {
		return validationError(op, "unitPriceUsd", "unitPriceUsd may have at most 6 decimals, not "+d.String())
	}
	return nil
}

// CreatePricingPlan creates a plan (POST /pricing-plans); it needs a secret
// key. A unit type that already has an active plan is
// ErrDuplicatePricingPlan.
func (c *Client) CreatePricingPlan(ctx context.Context, p PricingPlanParams) (*PricingPlan, error) {
	const op = "CreatePricingPlan"
	if strings.TrimSpace(p.Name) == "" {
		return nil, validationError(op, "name", "name is required")
	}
	if strings.TrimSpace(p.UnitType) == "" {
		return nil, validationError(op, "unitType", "unitType is required")
	}
	if err := checkIDs(op, "name", p.Name, "unitType", p.UnitType, "pricingModel", p.PricingModel); err != nil {
		return nil, err
	}
	if err := checkUnitPrice(op, p.UnitPrice); err != nil {
		return nil, err
	}
	body := wire.CreatePricingPlanRequest{Name: p.Name, UnitType: p.UnitType,
		UnitPriceUsd: json.Number(p.UnitPrice.String()), PricingModel: p.PricingModel}
	if p.Inactive {
		f := false
		body.IsActive = &f
	}
	var out wire.PricingPlan
	if _, err := c.do(ctx, request{op: op, method: "POST", path: "/pricing-plans", body: &body, out: &out, secret: true}); err != nil {
		return nil, err
	}
	pp := pricingPlanFromWire(&out)
	return &pp, nil
}

// UpdatePricingPlan changes a plan (PATCH /pricing-plans/{id}); it needs a
// secret key. Charges already made keep their amounts.
func (c *Client) UpdatePricingPlan(ctx context.Context, id string, p UpdatePricingPlanParams) (*PricingPlan, error) {
	const op = "UpdatePricingPlan"
	if err := requireID(op, "planId", id); err != nil {
		return nil, err
	}
	var body wire.UpdatePricingPlanRequest
	if p.Name != nil {
		if strings.TrimSpace(*p.Name) == "" {
			return nil, validationError(op, "name", "name must not be empty")
		}
		if err := checkIDs(op, "name", *p.Name); err != nil {
			return nil, err
		}
		body.Name = *p.Name
	}
	if p.UnitPrice != nil {
		if err := checkUnitPrice(op, *p.UnitPrice); err != nil {
			return nil, err
		}
		body.UnitPriceUsd = json.Number(p.UnitPrice.String())
	}
	body.IsActive = p.IsActive
	var out wire.PricingPlan
	if _, err := c.do(ctx, request{op: op, method: "PATCH", path: "/pricing-plans/" + url.PathEscape(id), body: &body,
		out: &out, secret: true}); err != nil {
		return nil, err
	}
	pp := pricingPlanFromWire(&out)
	return &pp, nil
}

// DeletePricingPlan deactivates a plan (DELETE /pricing-plans/{id}); it
// needs a secret key. The plan stays readable; usage of its unit type is
// no longer charged until another plan is active.
func (c *Client) DeletePricingPlan(ctx context.Context, id string) error {
	const op = "DeletePricingPlan"
	if err := requireID(op, "planId", id); err != nil {
		return err
	}
	var out wire.DeletePricingPlanResult
	_, err := c.do(ctx, request{op: op, method: "DELETE", path: "/pricing-plans/" + url.PathEscape(id), out: &out, secret: true})
	return err
}

// GetPricingPlan returns a plan by id (GET /pricing-plans/{id}).
func (c *Client) GetPricingPlan(ctx context.Context, id string) (*PricingPlan, error) {
	const op = "GetPricingPlan"
	if err := requireID(op, "planId", id); err != nil {
		return nil, err
	}
	return c.getPlan(ctx, op, "/pricing-plans/"+url.PathEscape(id))
}

// GetPricingPlanByType returns the active plan of a unit type
// (GET /pricing-plans/by-type/{unitType}); none is ErrNotFound.
func (c *Client) GetPricingPlanByType(ctx context.Context, unitType string) (*PricingPlan, error) {
	const op = "GetPricingPlanByType"
	if err := requireID(op, "unitType", unitType); err != nil {
		return nil, err
	}
	return c.getPlan(ctx, op, "/pricing-plans/by-type/"+url.PathEscape(unitType))
}

func (c *Client) getPlan(ctx context.Context, op, path string) (*PricingPlan, error) {
	var out wire.PricingPlan
	if _, err := c.do(ctx, request{op: op, method: "GET", path: path, out: &out}); err != nil {
		return nil, err
	}
	pp := pricingPlanFromWire(&out)
	return &pp, nil
}

// ListPricingPlans returns every plan, active or not (GET /pricing-plans).
func (c *Client) ListPricingPlans(ctx context.Context) ([]PricingPlan, error) {
	var out wire.PricingPlanList
	if _, err := c.do(ctx, request{op: "ListPricingPlans", method: "GET", path: "/pricing-plans", out: &out}); err != nil {
		return nil, err
	}
	ps := make([]PricingPlan, len(out.Data))
	for i := range out.Data {
		ps[i] = pricingPlanFromWire(&out.Data[i])
	}
	return ps, nil
}

// PricedMeter is a pricing plan seen as a meter usage can be tracked against.
type PricedMeter struct {
	ID        string // the plan's id
	Name      string
	Meter     string // the unit type: TrackUsage's Meter
	UnitPrice Decimal
	IsActive  bool
}

// ListMeters returns the meters the pricing plans define, as the official
// clients' listMeters does (GET /pricing-plans).
func (c *Client) ListMeters(ctx context.Context) ([]PricedMeter, error) {
	ps, err := c.ListPricingPlans(ctx)
	if err != nil {
		if e, ok := AsError(err); ok {
			e.Op = "ListMeters"
		}
		return nil, err
	}
	ms := make([]PricedMeter, len(ps))
	for i, p := range ps {
		ms[i] = PricedMeter{ID: p.ID, Name: p.Name, Meter: p.UnitType, UnitPrice: p.UnitPrice, IsActive: p.IsActive}
	}
	return ms, nil
}
