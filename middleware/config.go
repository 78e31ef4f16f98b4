package middleware

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	drip "github.com/drip-sdk/drip-go"
)

// Mode says when a request is billed.
type Mode int

const (
	// RecordAfter (the default) runs the handler first and records the
	// usage asynchronously through the Tracker once the response status is
	// known. It adds no network round trip to the request: only a queue send.
	RecordAfter Mode = iota
	// ChargeBefore charges synchronously through the Client before the
	// handler runs, and fails closed: when the charge does not succeed the
	// handler is never called and the client gets a JSON error (402 when
	// Drip answers payment required). For paid APIs that must not serve
	// unpaid requests.
	ChargeBefore
)

func (m Mode) String() string {
	switch m {
	case RecordAfter:
		return "RecordAfter"
	case ChargeBefore:
		return "ChargeBefore"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// DefaultChargeTimeout bounds the synchronous charge of ChargeBefore,
// retries included.
const DefaultChargeTimeout = 10 * time.Second

// Response is what the middleware saw of the response, for
// Config.QuantityFunc. In ChargeBefore mode the quantity is needed before
// the handler runs, so Status is 0 and Size is 0.
type Response struct {
	// Status is the HTTP status sent (200 when the handler wrote a body
	// without calling WriteHeader).
	Status int
	// Size is the number of body bytes written.
	Size int64
	// Duration is how long the handler took.
	Duration time.Duration
}

// Config configures the middleware. Meter and CustomerResolver are
// required; every other field has a documented default.
type Config struct {
	// Meter is the usage meter each request is recorded under, e.g.
	// "api_calls". Required.
	Meter string

	// Quantity is the fixed quantity of one request (0 means 1).
	Quantity float64
	// QuantityFunc, when set, replaces Quantity: it computes the quantity
	// from the request and the response. It must be safe for concurrent
	// use. A result of 0 records nothing for that request; a negative or
	// non-finite result is reported to OnError and records nothing.
	QuantityFunc func(r *http.Request, resp Response) float64

	// CustomerResolver returns the Drip customer id (or your own external
	// id, which Drip resolves) of the request, from the application's own
	// authentication: a session, a verified token, an API key lookup.
	// Required. It never sees the client-controlled customer headers and
	// query parameters (see Strip): they are removed before it runs.
	//
	// An error or an empty id fails the request closed with 400
	// CUSTOMER_RESOLUTION_FAILED, in both modes, so no request is served
	// unmetered by accident; use SkipPaths or Skip for public endpoints.
	CustomerResolver func(r *http.Request) (string, error)

	// Entitlement, when set, gates every metered request on the customer's
	// Drip entitlement before anything else happens to it (before the
	// ChargeBefore charge and before the handler). See EntitlementGate.
	Entitlement *EntitlementGate

	// Mode is RecordAfter (default) or ChargeBefore.
	Mode Mode
	// UsageMode is the Drip usage endpoint: drip.UsageSync (default,
	// billing-aware), drip.UsageAsync or drip.UsageInternal.
	UsageMode drip.UsageMode

	// RecordStatus decides, in RecordAfter mode, whether a response with
	// this status is billed. Default: status < 500 (server errors are not
	// the customer's usage).
	RecordStatus func(status int) bool

	// StartRun opens a Drip run per request and puts it in the request
	// context (drip.RunFromContext), so WrapOpenAI, langchaingo and otel
	// calls made by the handler land in it. The run ends with the response:
	// FAILED on a 5xx status or a panic (which is re-raised), else
	// COMPLETED.
	StartRun bool
	// Workflow is the run's workflow slug. Default: the route pattern that
	// matched (http.Request.Pattern, also found when the middleware wraps
	// an *http.ServeMux), as a slug like "get-items-id"; requests with no
	// pattern use DefaultWorkflow. Raw paths are never used: they carry
	// ids and would create a workflow per resource.
	Workflow string

	// Tracker records usage in RecordAfter mode and the runs of StartRun.
	// Default: drip.DefaultTracker(), resolved when first needed.
	Tracker *drip.Tracker
	// Client charges in ChargeBefore mode. Default: Tracker's client when
	// Tracker is set, else drip.Default().
	Client *drip.Client
	// ChargeTimeout bounds the ChargeBefore call, retries included.
	// Default DefaultChargeTimeout.
	ChargeTimeout time.Duration
	// PaymentRecipient is the address that receives x402 payments; when
	// empty, the environment variable DRIP_RECIPIENT_ADDRESS (RecipientEnv)
	// is read on first use. With a recipient, a ChargeBefore request that
	// Drip answers with 402 gets an x402 payment request (the X-Payment-*
	// headers, and a PaymentRequest as "paymentRequest" in the body) so an
	// x402 client can pay and retry; without one, the 402 is the plain JSON
	// error. Unlike the official Node middleware, a missing recipient is
	// not a 500.
	PaymentRecipient string

	// SkipPaths are paths served without metering: an entry ending in "/"
	// matches every path under it, any other entry matches exactly.
	SkipPaths []string
	// Skip, when set, is asked about every request not already skipped by
	// SkipPaths; true serves it without metering.
	Skip func(r *http.Request) bool

	// OnError observes every failure: customer resolution, a refused
	// charge, a usage record that could not be queued. It must not block
	// and must not write to the response. Default: nothing (the tracker
	// logs its own export failures).
	OnError func(r *http.Request, err error)

	// Metadata is added to every usage record: operational context only
	// (never PII or secrets; the client's MetadataGuard enforces it). The
	// middleware adds method, route and status itself.
	Metadata map[string]any
}

// EntitlementGate checks, before the handler runs, that the request's
// customer is entitled to a feature (drip.Client.CheckEntitlement, which
// never consumes). A denied request gets 403 with code ENTITLEMENT_DENIED
// and Drip's reason in the {error, code} envelope, and the handler never
// runs. The check is made through Config.Client (or the Tracker's client).
//
// Drip counts usage recorded under a meter named like the feature, so with
// Feature equal to Config.Meter (the default) the usage the middleware
// records is what the limit counts: a gate on "api_calls" with a COUNT rule
// of 1000 per day lets through the requests whose quantity still fits. In
// RecordAfter mode usage reaches Drip in the background, so requests that
// arrive before the previous ones' usage is delivered see the older count.
type EntitlementGate struct {
	// Feature is the entitlement feature key. Default: Config.Meter.
	Feature string
	// Quantity returns how much of the feature the request needs (the
	// check allows it when used + quantity fits the limit). nil, or a
	// result of 0, means 1. It must be safe for concurrent use; a negative
	// or non-finite result is reported to OnError and answered 500.
	Quantity func(r *http.Request) float64
	// FailOpen serves requests when Drip cannot answer the check (network
	// failure, 5xx, timeout); a denial is always enforced. Default false:
	// such requests get 503 ENTITLEMENT_CHECK_FAILED, as a paid feature
	// must not be served unchecked.
	FailOpen bool
}

// DefaultWorkflow is the workflow of StartRun runs when Config.Workflow is
// empty and the request matched no route pattern.
const DefaultWorkflow = "http-request"

// Validate reports what is wrong with c, or nil. New panics with this
// error; call Validate first to handle it yourself.
func (c *Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.Meter) == "" {
		errs = append(errs, errors.New("Meter is required"))
	}
	if c.CustomerResolver == nil {
		errs = append(errs, errors.New("CustomerResolver is required (the customer must come from your own auth, never from a client header)"))
	}
	if c.Mode != RecordAfter && c.Mode != ChargeBefore {
		errs = append(errs, fmt.Errorf("unknown Mode %d", int(c.Mode)))
	}
	if c.UsageMode < drip.UsageSync || c.UsageMode > drip.UsageInternal {
		errs = append(errs, fmt.Errorf("unknown UsageMode %d", int(c.UsageMode)))
	}
	if math.IsNaN(c.Quantity) || math.IsInf(c.Quantity, 0) || c.Quantity < 0 {
		errs = append(errs, fmt.Errorf("Quantity must be a finite number >= 0, got %v", c.Quantity))
	}
	if c.ChargeTimeout < 0 {
		errs = append(errs, fmt.Errorf("ChargeTimeout must be >= 0, got %v", c.ChargeTimeout))
	}
	if c.Entitlement != nil && strings.TrimSpace(c.Entitlement.Feature) == "" && strings.TrimSpace(c.Meter) == "" {
		errs = append(errs, errors.New("Entitlement.Feature is required when Meter is empty"))
	}
	for _, p := range c.SkipPaths {
		if !strings.HasPrefix(p, "/") {
			errs = append(errs, fmt.Errorf("SkipPaths entry %q must start with /", p))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("middleware: invalid Config: %w", errors.Join(errs...))
}
