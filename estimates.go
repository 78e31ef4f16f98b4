package drip

import (
	"context"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// CostEstimate prices usage without charging anything.
type CostEstimate struct {
	CustomerID     string
	PeriodStart    time.Time
	PeriodEnd      time.Time
	LineItems      []CostLineItem
	Subtotal       Decimal
	EstimatedTotal Decimal
	// Currency is "USDC".
	Currency    string
	GeneratedAt time.Time
	// Notes say how prices were chosen (missing plans, defaults).
	Notes []string
}

// CostLineItem is one meter of a CostEstimate.
type CostLineItem struct {
	Meter         string
	Quantity      Decimal
	UnitPrice     Decimal
	EstimatedCost Decimal
	// EventCount is the number of usage records priced (from-usage
	// estimates only).
	EventCount int
	// HasPricingPlan is true when the meter has an active pricing plan.
	HasPricingPlan bool
}

// EstimateFromUsageParams prices the usage recorded in a period.
type EstimateFromUsageParams struct {
	// PeriodStart and PeriodEnd bound the period [start, end); required.
	// They go on the wire in milliseconds, as the official clients send
	// them: the start rounded down, the end up.
	PeriodStart, PeriodEnd time.Time
	// CustomerID limits the estimate to one customer.
	CustomerID string
	// Meters limits it to these meters.
	Meters []string
	// DefaultUnitPrice prices meters without a plan.
	DefaultUnitPrice *Decimal
	// CustomPricing overrides plan prices, by meter.
	CustomPricing map[string]Decimal
	// ExcludeCharged leaves out usage that was already charged.
	ExcludeCharged bool
}

// EstimateFromUsage prices recorded usage (POST /cost-estimate/from-usage).
func (c *Client) EstimateFromUsage(ctx context.Context, p EstimateFromUsageParams) (*CostEstimate, error) {
	const op = "EstimateFromUsage"
	if p.PeriodStart.IsZero() {
		return nil, validationError(op, "periodStart", "periodStart is required")
	}
	if !p.PeriodEnd.After(p.PeriodStart) {
		return nil, validationError(op, "periodEnd", "periodEnd must be after periodStart")
	}
	if err := checkIDs(op, "customerId", p.CustomerID); err != nil {
		return nil, err
	}
	for _, m := range p.Meters {
		if err := checkIDs(op, "usageTypes", m); err != nil {
			return nil, err
		}
	}
	if err := checkPrices(op, p.DefaultUnitPrice, p.CustomPricing); err != nil {
		return nil, err
	}
	body := wire.EstimateFromUsageRequest{
		CustomerID:    p.CustomerID,
		PeriodStart:   isoMillis(p.PeriodStart),
		PeriodEnd:     isoMillis(ceilMillis(p.PeriodEnd)),
		UsageTypes:    p.Meters,
		CustomPricing: pricesToWire(p.CustomPricing),
	}
	if p.DefaultUnitPrice != nil {
		body.DefaultUnitPrice = p.DefaultUnitPrice.String()
	}
	if p.ExcludeCharged {
		f := false
		body.IncludeChargedEvents = &f
	}
	return c.estimate(ctx, op, "/cost-estimate/from-usage", &body)
}

// isoMillis writes t as the official clients do (JavaScript's
// toISOString): UTC, milliseconds, "Z".
func isoMillis(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// ceilMillis rounds t up to a whole millisecond, so a period end written
// with isoMillis still covers everything up to t.
func ceilMillis(t time.Time) time.Time {
	if r := t.Truncate(time.Millisecond); !r.Equal(t) {
		return r.Add(time.Millisecond)
	}
	return t
}

// HypotheticalUsage is one meter and quantity to price.
type HypotheticalUsage struct {
	Meter    string
	Quantity float64
	// UnitPrice, when set, prices this item instead of the plan.
	UnitPrice *Decimal
}

// EstimateHypotheticalParams prices usage that has not happened.
type EstimateHypotheticalParams struct {
	Items            []HypotheticalUsage
	DefaultUnitPrice *Decimal
	CustomPricing    map[string]Decimal
}

// EstimateHypothetical prices the given usage
// (POST /cost-estimate/hypothetical).
func (c *Client) EstimateHypothetical(ctx context.Context, p EstimateHypotheticalParams) (*CostEstimate, error) {
	const op = "EstimateHypothetical"
	if len(p.Items) == 0 {
		return nil, validationError(op, "items", "at least one item is required")
	}
	body := wire.EstimateHypotheticalRequest{Items: make([]wire.HypotheticalItem, len(p.Items)),
		CustomPricing: pricesToWire(p.CustomPricing)}
	for i, it := range p.Items {
		if it.Meter == "" {
			return nil, validationError(op, "items.usageType", "every item needs a meter")
		}
		if err := checkIDs(op, "items.usageType", it.Meter); err != nil {
			return nil, err
		}
		if err := checkQuantity(op, "items.quantity", it.Quantity); err != nil {
			return nil, err
		}
		if it.UnitPrice != nil && it.UnitPrice.Sign() < 0 {
			return nil, validationError(op, "items.unitPriceOverride", "unit prices must be >= 0")
		}
		body.Items[i] = wire.HypotheticalItem{UsageType: it.Meter, Quantity: it.Quantity}
		if it.UnitPrice != nil {
			body.Items[i].UnitPriceOverride = it.UnitPrice.String()
		}
	}
	if err := checkPrices(op, p.DefaultUnitPrice, p.CustomPricing); err != nil {
		return nil, err
	}
	if p.DefaultUnitPrice != nil {
		body.DefaultUnitPrice = p.DefaultUnitPrice.String()
	}
	return c.estimate(ctx, op, "/cost-estimate/hypothetical", &body)
}

func (c *Client) estimate(ctx context.Context, op, path string, body any) (*CostEstimate, error) {
	var out wire.CostEstimate
	if _, err := c.do(ctx, request{op: op, method: "POST", path: path, body: body, out: &out}); err != nil {
		return nil, err
	}
	return costEstimateFromWire(&out), nil
}

func checkPrices(op string, def *Decimal, custom map[string]Decimal) error {
	if def != nil && def.Sign() < 0 {
		return validationError(op, "defaultUnitPrice", "defaultUnitPrice must be >= 0")
	}
	for k, v := range custom {
		if v.Sign() < 0 {
			return validationError(op, "customPricing", "customPricing."+k+" must be >= 0")
		}
		if err := checkIDs(op, "customPricing", k); err != nil {
			return err
		}
	}
	return nil
}

func pricesToWire(m map[string]Decimal) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v.String()
	}
	return out
}
