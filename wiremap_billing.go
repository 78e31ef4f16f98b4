package drip

// The billing shapes' mappings, next to wiremap.go's and checked by the
// same test (wiremap_test.go).

import (
	"strconv"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// parseDecimal reads an amount the API sent as a decimal string. The API
// sends valid decimals; anything else (a server bug) reads as 0 rather
// than failing the whole reply.
func parseDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		return Decimal{}
	}
	return d
}

// parseDecimalPtr is parseDecimal for an optional amount (nil is 0).
func parseDecimalPtr(s *string) Decimal {
	if s == nil {
		return Decimal{}
	}
	return parseDecimal(*s)
}

// floatDecimal is an optional cost the API sends as a JSON number.
func floatDecimal(f *float64) *Decimal {
	if f == nil {
		return nil
	}
	d := DecimalFromFloat(*f)
	return &d
}

func chargeFromWire(w *wire.Charge) Charge {
	q, _ := strconv.ParseFloat(w.UsageEvent.Quantity, 64)
	return Charge{
		ID: w.ID, UsageID: w.UsageID, CustomerID: w.CustomerID,
		Customer: ChargeCustomer{ID: w.Customer.ID, OnchainAddress: w.Customer.OnchainAddress,
			ExternalCustomerID: deref(w.Customer.ExternalCustomerID)},
		Usage:      ChargeUsage{ID: w.UsageEvent.ID, Meter: w.UsageEvent.Type, Quantity: q, Metadata: w.UsageEvent.Metadata},
		AmountUSDC: parseDecimal(w.AmountUsdc), AmountToken: parseDecimal(w.AmountToken),
		TxHash: deref(w.TxHash), BlockNumber: deref(w.BlockNumber), Status: ChargeStatus(w.Status),
		FailureReason: deref(w.FailureReason), CreatedAt: parseTime(w.CreatedAt), ConfirmedAt: parseTimePtr(w.ConfirmedAt),
	}
}

func balanceFromWire(w *wire.Balance) *Balance {
	return &Balance{CustomerID: w.CustomerID, OnchainAddress: w.OnchainAddress, Balance: parseDecimal(w.BalanceUsdc),
		PendingCharges: parseDecimal(w.PendingChargesUsdc), Available: parseDecimal(w.AvailableUsdc),
		LastSyncedAt: parseTimePtr(w.LastSyncedAt)}
}

func spendingCapFromWire(w *wire.SpendingCap) SpendingCap {
	c := SpendingCap{ID: w.ID, Type: SpendingCapType(w.CapType), Limit: parseDecimal(w.LimitValue),
		CurrentUsage: parseDecimal(w.CurrentUsage), PeriodStart: parseTime(w.PeriodStart), IsActive: w.IsActive,
		AutoBlock: w.AutoBlock}
	if w.LastAlertLevel != nil {
		c.LastAlertLevel, _ = strconv.Atoi(*w.LastAlertLevel)
	}
	return c
}

func pricingPlanFromWire(w *wire.PricingPlan) PricingPlan {
	cur := w.Currency
	if cur == "" {
		cur = "USDC"
	}
	return PricingPlan{ID: w.ID, Name: w.Name, UnitType: w.UnitType, UnitPrice: parseDecimal(w.UnitPriceUsd),
		Currency: cur, IsActive: w.IsActive, PricingModel: w.PricingModel, CreatedAt: parseTime(w.CreatedAt),
		UpdatedAt: parseTime(w.UpdatedAt)}
}

func costEstimateFromWire(w *wire.CostEstimate) *CostEstimate {
	e := &CostEstimate{CustomerID: w.CustomerID, PeriodStart: parseTime(w.PeriodStart), PeriodEnd: parseTime(w.PeriodEnd),
		LineItems: make([]CostLineItem, len(w.LineItems)), Subtotal: parseDecimal(w.SubtotalUsdc),
		EstimatedTotal: parseDecimal(w.EstimatedTotalUsdc), Currency: w.Currency, GeneratedAt: parseTime(w.GeneratedAt),
		Notes: w.Notes}
	for i, l := range w.LineItems {
		e.LineItems[i] = CostLineItem{Meter: l.UsageType, Quantity: parseDecimal(l.Quantity), UnitPrice: parseDecimal(l.UnitPrice),
			EstimatedCost: parseDecimal(l.EstimatedCostUsdc), HasPricingPlan: l.HasPricingPlan}
		if l.EventCount != nil {
			e.LineItems[i].EventCount = *l.EventCount
		}
	}
	return e
}
