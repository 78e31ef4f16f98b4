package main

import (
	"context"
	"flag"
	"io"

	drip "github.com/drip-sdk/drip-go"
)

var cmdUsageTrack = command{
	name:    "usage track",
	summary: "record usage for a customer (billed when a pricing plan matches the meter, unless --mode internal)",
	define:  defineUsageTrack,
}

// usageModes maps --mode to the SDK's modes.
var usageModes = map[string]drip.UsageMode{"sync": drip.UsageSync, "async": drip.UsageAsync, "internal": drip.UsageInternal}

// usageJSON is the --json output of drip usage track.
type usageJSON struct {
	Success        bool        `json:"success"`
	UsageEventID   string      `json:"usageEventId,omitempty"`
	IsDuplicate    bool        `json:"isDuplicate"`
	CustomerID     string      `json:"customerId,omitempty"`
	Mode           string      `json:"mode,omitempty"`
	AutoPromoted   bool        `json:"autoPromoted,omitempty"`
	Reason         string      `json:"reason,omitempty"`
	Message        string      `json:"message,omitempty"`
	IdempotencyKey string      `json:"idempotencyKey"`
	Charge         *chargeJSON `json:"charge"`
}

func defineUsageTrack(fs *flag.FlagSet) runner {
	customer := fs.String("customer", "", "the Drip customer id")
	ext := fs.String("external-id", "", "your id for the customer, instead of --customer (Drip provisions an unknown one)")
	meter := fs.String("meter", "", "the meter (usage type), e.g. llm_tokens")
	quantity := fs.Float64("quantity", 0, "how much was used")
	mode := fs.String("mode", "sync", "sync (record and bill), async (queue billing) or internal (record, never bill)")
	key := fs.String("idempotency-key", "", "makes the call safe to repeat: the same key is recorded once (generated when empty)")
	units := fs.String("units", "", "a label for the quantity, e.g. tokens")
	desc := fs.String("description", "", "a short description")
	md := metadataFlag{}
	fs.Var(md, "metadata", "key=value to attach (repeatable); operational context only, never prompts or PII")
	return func(ctx context.Context, a *app, _ []string) error {
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		switch {
		case (*customer == "") == (*ext == ""):
			return usageErrorf("usage track needs exactly one of --customer and --external-id")
		case *meter == "":
			return usageErrorf("usage track needs --meter")
		case !given["quantity"]:
			return usageErrorf("usage track needs --quantity")
		}
		m, ok := usageModes[*mode]
		if !ok {
			return usageErrorf("--mode must be sync, async or internal, not %q", *mode)
		}
		c, err := a.client()
		if err != nil {
			return err
		}
		ctx, cancel := a.withTimeout(ctx)
		defer cancel()
		p := drip.UsageParams{CustomerID: *customer, ExternalCustomerID: *ext, Meter: *meter, Quantity: *quantity,
			Units: *units, Description: *desc, IdempotencyKey: *key, Mode: m}
		if len(md) > 0 {
			p.Metadata = md
		}
		res, err := c.TrackUsage(ctx, p)
		if err != nil {
			return err
		}
		out := usageJSON{Success: res.Success, UsageEventID: res.UsageEventID, IsDuplicate: res.IsDuplicate,
			CustomerID: res.CustomerID, Mode: res.Mode, AutoPromoted: res.AutoPromoted, Reason: res.Reason,
			Message: res.Message, IdempotencyKey: res.IdempotencyKey}
		if res.Charge != nil {
			ch := chargeOut(res.Charge)
			out.Charge = &ch
		}
		return a.emit(out, func(w io.Writer) {
			row(w, "usage event", dash(out.UsageEventID))
			if out.IsDuplicate {
				row(w, "duplicate", "yes: this idempotency key was already recorded; nothing was counted twice")
			}
			row(w, "idempotency key", out.IdempotencyKey)
			if out.Mode != "" {
				mode := out.Mode
				if out.AutoPromoted {
					mode += " (auto-promoted: " + out.Reason + ")"
				}
				row(w, "mode", mode)
			}
			if ch := out.Charge; ch != nil {
				row(w, "charge", ch.ID+"  "+ch.AmountUSDC.String()+" USDC  "+string(ch.Status))
				if ch.FailureReason != "" {
					row(w, "charge failed", ch.FailureReason)
				}
			} else {
				row(w, "charge", "none (no pricing plan for this meter, or not billed)")
			}
		})
	}
}
