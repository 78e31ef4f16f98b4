package drip

import (
	"context"
	"strings"
)

// UsageMode picks the usage endpoint.
type UsageMode int

const (
	// UsageSync (the default) records usage and bills it when a pricing
	// plan matches the meter: POST /usage. The reply carries the charge.
	UsageSync UsageMode = iota
	// UsageAsync queues billed usage and returns at once (202):
	// POST /usage/async. Subscribe to charge webhooks for the outcome.
	UsageAsync
	// UsageInternal records usage for visibility only and never bills:
	// POST /usage/internal.
	UsageInternal
)

func (m UsageMode) path() string {
	switch m {
	case UsageAsync:
		return "/usage/async"
	case UsageInternal:
		return "/usage/internal"
	}
	return "/usage"
}

// UsageParams describes metered usage for one customer.
//
// Limits (see limits.go), checked before anything is queued or sent:
// CustomerID, ExternalCustomerID, Meter, Units and IdempotencyKey at most
// MaxIDLength bytes, Description at most MaxDescriptionLength, all valid
// UTF-8; Quantity at most MaxQuantity; Metadata at most MaxMetadataKeys
// keys and MaxMetadataBytes as JSON.
type UsageParams struct {
	// CustomerID is the Drip customer id. Either it or ExternalCustomerID
	// is required; an unknown ExternalCustomerID is provisioned by Drip.
	CustomerID         string
	ExternalCustomerID string
	// Meter is the usage type, e.g. "llm_tokens". Required.
	Meter string
	// Quantity is how much was used; must be finite, >= 0 and at most
	// MaxQuantity.
	Quantity    float64
	Units       string
	Description string
	// Metadata holds operational context only; see MetadataGuard.
	Metadata map[string]any
	// IdempotencyKey makes the call safe to repeat; generated when empty
	// and reused by every retry.
	IdempotencyKey string
	Mode           UsageMode
}

func (p *UsageParams) validate(op string) error {
	if strings.TrimSpace(p.CustomerID) == "" && strings.TrimSpace(p.ExternalCustomerID) == "" {
		return validationError(op, "customerId", "customerId or externalCustomerId is required")
	}
	if strings.TrimSpace(p.Meter) == "" {
		return validationError(op, "meter", "meter is required")
	}
	if err := checkQuantity(op, "quantity", p.Quantity); err != nil {
		return err
	}
	if p.Mode < UsageSync || p.Mode > UsageInternal {
		return validationError(op, "mode", "unknown usage mode")
	}
	if err := checkIDs(op, "customerId", p.CustomerID, "externalCustomerId", p.ExternalCustomerID,
		"meter", p.Meter, "units", p.Units, "idempotencyKey", p.IdempotencyKey); err != nil {
		return err
	}
	if err := checkString(op, "description", p.Description, MaxDescriptionLength); err != nil {
		return err
	}
	return checkMetadata(op, "metadata", p.Metadata)
}

// UsageResult is the reply to TrackUsage.
type UsageResult struct {
	Success      bool
	UsageEventID string
	// IsDuplicate is true when Drip had already recorded this idempotency
	// key; nothing was counted twice.
	IsDuplicate bool
	// Charge is nil when nothing was billed (internal usage, no matching
	// pricing plan, auto-promoted to internal). It carries the fields the
	// usage reply has (ID, UsageID, amounts, TxHash, Status,
	// FailureReason); GetCharge returns the rest. A charge the balance did
	// not cover has Status ChargeFailed and says why in FailureReason: the
	// usage itself was recorded.
	Charge *Charge
	// Mode is the server's word for the path taken ("internal" when it
	// auto-promoted a billing call), if it said one.
	Mode         string
	AutoPromoted bool
	Reason       string
	CustomerID   string
	Message      string
	// IdempotencyKey is the key the usage was sent with.
	IdempotencyKey string
}

// TrackUsage records usage for a customer. Whether it bills depends on
// p.Mode, which picks the endpoint:
//
//   - UsageSync, the default, bills: POST /usage. When a pricing plan
//     matches the meter Drip creates a charge and the reply carries it;
//     otherwise the usage is only recorded. This is what the current
//     official clients' track-usage call does.
//   - UsageAsync bills too, queued: POST /usage/async answers at once with
//     a pending charge; charge webhooks tell the outcome.
//   - UsageInternal never bills: POST /usage/internal records usage for
//     visibility only.
//
// Mind this when porting code: the npm @drip-sdk/node 0.1.2 client's
// trackUsage posts to /usage/internal by default, so there the same call
// never bills. Use UsageInternal to keep that behaviour; its charge() is
// what UsageSync does. Retries reuse one idempotency key, so usage is never
// counted twice.
func (c *Client) TrackUsage(ctx context.Context, p UsageParams) (*UsageResult, error) {
	const op = "TrackUsage"
	if err := p.validate(op); err != nil {
		return nil, err
	}
	if p.IdempotencyKey == "" {
		p.IdempotencyKey = newKey(keyPrefixTrack)
	}
	body := c.usageToWire(&p)
	if err := checkMetadataEncoded(op, "metadata", body.Metadata); err != nil {
		return nil, err
	}
	var out wireUsageResult
	if _, err := c.do(ctx, request{op: op, method: "POST", path: p.Mode.path(), body: &body, out: &out}); err != nil {
		return nil, err
	}
	res := usageResultFromWire(&out)
	res.IdempotencyKey = p.IdempotencyKey
	return res, nil
}
