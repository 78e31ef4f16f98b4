package main

import (
	"context"
	"flag"
	"io"
	"strconv"

	drip "github.com/drip-sdk/drip-go"
)

var (
	cmdChargesList = command{name: "charges list", summary: "list charges, newest first", define: defineChargesList}
	cmdBalance     = command{name: "balance", args: "<customer-id>", nargs: 1, summary: "show a customer's USDC balance", define: defineBalance}
)

// chargeJSON is a charge in --json output. Amounts are exact decimal
// strings.
type chargeJSON struct {
	ID            string             `json:"id"`
	UsageID       string             `json:"usageId,omitempty"`
	CustomerID    string             `json:"customerId,omitempty"`
	Customer      *chargeCustomerOut `json:"customer,omitempty"`
	UsageEvent    *chargeUsageOut    `json:"usageEvent,omitempty"`
	AmountUSDC    drip.Decimal       `json:"amountUsdc"`
	AmountToken   drip.Decimal       `json:"amountToken"`
	TxHash        string             `json:"txHash,omitempty"`
	BlockNumber   string             `json:"blockNumber,omitempty"`
	Status        drip.ChargeStatus  `json:"status"`
	FailureReason string             `json:"failureReason,omitempty"`
	CreatedAt     string             `json:"createdAt,omitempty"`
	ConfirmedAt   string             `json:"confirmedAt,omitempty"`
}

type chargeCustomerOut struct {
	ID                 string `json:"id"`
	OnchainAddress     string `json:"onchainAddress,omitempty"`
	ExternalCustomerID string `json:"externalCustomerId,omitempty"`
}

type chargeUsageOut struct {
	ID       string         `json:"id"`
	Type     string         `json:"type"`
	Quantity float64        `json:"quantity"`
	Metadata map[string]any `json:"metadata,omitempty"`
}

func chargeOut(ch *drip.Charge) chargeJSON {
	out := chargeJSON{ID: ch.ID, UsageID: ch.UsageID, CustomerID: ch.CustomerID, AmountUSDC: ch.AmountUSDC,
		AmountToken: ch.AmountToken, TxHash: ch.TxHash, BlockNumber: ch.BlockNumber, Status: ch.Status,
		FailureReason: ch.FailureReason, CreatedAt: timestamp(ch.CreatedAt), ConfirmedAt: timestamp(ch.ConfirmedAt)}
	if ch.Customer.ID != "" {
		out.Customer = &chargeCustomerOut{ID: ch.Customer.ID, OnchainAddress: ch.Customer.OnchainAddress,
			ExternalCustomerID: ch.Customer.ExternalCustomerID}
	}
	if ch.Usage.ID != "" {
		out.UsageEvent = &chargeUsageOut{ID: ch.Usage.ID, Type: ch.Usage.Meter, Quantity: ch.Usage.Quantity, Metadata: ch.Usage.Metadata}
	}
	return out
}

func defineChargesList(fs *flag.FlagSet) runner {
	customer := fs.String("customer", "", "only this customer's charges")
	status := fs.String("status", "", "only charges with this status: PENDING_SETTLEMENT, PENDING, CONFIRMED, FAILED or REFUNDED")
	limit := fs.Int("limit", 100, "show at most this many (pages are fetched as needed)")
	return func(ctx context.Context, a *app, _ []string) error {
		if *limit < 1 {
			return usageErrorf("--limit must be at least 1")
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		ctx, cancel := a.withTimeout(ctx)
		defer cancel()
		out := list[chargeJSON]{Data: []chargeJSON{}}
		p := &drip.ListChargesParams{CustomerID: *customer, Status: drip.ChargeStatus(*status), Limit: min(*limit, 100)}
		for ch, err := range c.Charges(ctx, p) {
			if err != nil {
				return err
			}
			out.Data = append(out.Data, chargeOut(&ch))
			if len(out.Data) == *limit {
				break
			}
		}
		out.Count = len(out.Data)
		return a.emit(out, func(w io.Writer) {
			if out.Count == 0 {
				row(w, "no charges: usage is charged when a pricing plan matches its meter and the customer can be billed")
				return
			}
			row(w, "ID", "CUSTOMER", "METER", "QUANTITY", "AMOUNT (USDC)", "STATUS", "CREATED")
			total := drip.Decimal{}
			for _, ch := range out.Data {
				meter, qty := "-", "-"
				if u := ch.UsageEvent; u != nil {
					meter, qty = u.Type, strconv.FormatFloat(u.Quantity, 'f', -1, 64)
				}
				row(w, ch.ID, dash(ch.CustomerID), meter, qty, ch.AmountUSDC.String(), ch.Status, when(parseTS(ch.CreatedAt)))
				total = total.Add(ch.AmountUSDC)
			}
			row(w, "", "", "", "total", total.String(), "", "")
		})
	}
}

// balanceJSON is the --json output of drip balance, named as the API
// names it.
type balanceJSON struct {
	CustomerID     string       `json:"customerId"`
	OnchainAddress string       `json:"onchainAddress,omitempty"`
	Balance        drip.Decimal `json:"balanceUsdc"`
	PendingCharges drip.Decimal `json:"pendingChargesUsdc"`
	Available      drip.Decimal `json:"availableUsdc"`
	LastSyncedAt   *string      `json:"lastSyncedAt"`
}

func defineBalance(*flag.FlagSet) runner {
	return func(ctx context.Context, a *app, args []string) error {
		c, err := a.client()
		if err != nil {
			return err
		}
		ctx, cancel := a.withTimeout(ctx)
		defer cancel()
		b, err := c.GetBalance(ctx, args[0])
		if err != nil {
			return err
		}
		out := balanceJSON{CustomerID: b.CustomerID, OnchainAddress: b.OnchainAddress, Balance: b.Balance,
			PendingCharges: b.PendingCharges, Available: b.Available}
		if s := timestamp(b.LastSyncedAt); s != "" {
			out.LastSyncedAt = &s
		}
		return a.emit(out, func(w io.Writer) {
			row(w, "customer", out.CustomerID)
			row(w, "onchain address", dash(out.OnchainAddress))
			row(w, "balance", out.Balance.String()+" USDC")
			row(w, "pending charges", out.PendingCharges.String()+" USDC")
			row(w, "available", out.Available.String()+" USDC")
			row(w, "last synced", when(b.LastSyncedAt))
		})
	}
}
