package middleware

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	drip "github.com/drip-sdk/drip-go"
)

// CodeEntitlementCheckFailed is the error code of a request refused because
// Drip could not answer its entitlement check (EntitlementGate, without
// FailOpen).
const CodeEntitlementCheckFailed = "ENTITLEMENT_CHECK_FAILED"

// entitled runs the entitlement gate. It reports whether the request may
// go on; when not, it has written the error reply.
func (h *handler) entitled(w http.ResponseWriter, r *http.Request, info *Info) bool {
	g := h.cfg.Entitlement
	feature := g.Feature
	if feature == "" {
		feature = h.cfg.Meter
	}
	q := 1.0
	if g.Quantity != nil {
		q = g.Quantity(r)
		if q != q || q < 0 || q > maxQuantity {
			h.report(r, fmt.Errorf("middleware: Entitlement.Quantity returned %v; want a finite number >= 0", q))
			writeError(w, http.StatusInternalServerError, drip.CodeConfiguration, "the request could not be checked", 0)
			return false
		}
		if q == 0 {
			q = 1
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.ChargeTimeout)
	defer cancel()
	res, err := h.client().CheckEntitlement(ctx, info.CustomerID, feature, q)
	if err == nil {
		err = res.Err()
	}
	switch {
	case err == nil:
		info.Entitlement = res
		return true
	}
	e, _ := drip.AsError(err)
	if errors.Is(err, drip.ErrEntitlementDenied) {
		h.report(r, fmt.Errorf("middleware: entitlement: %w", err))
		msg := "this customer is not entitled to " + feature
		if e != nil && e.Message != "" {
			msg = e.Message // Drip's reason: it is about the customer's plan, meant for them
		}
		writeError(w, http.StatusForbidden, drip.CodeEntitlementDenied, msg, 0)
		return false
	}
	h.report(r, fmt.Errorf("middleware: entitlement check: %w", err))
	temporary := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || e != nil && e.Temporary()
	if g.FailOpen && temporary {
		return true
	}
	if temporary {
		var ra time.Duration
		if e != nil {
			ra = e.RetryAfter
		}
		writeError(w, http.StatusServiceUnavailable, CodeEntitlementCheckFailed, "entitlements are temporarily unavailable; try again", ra)
		return false
	}
	writeError(w, http.StatusInternalServerError, CodeEntitlementCheckFailed, "the request's entitlement could not be checked", 0)
	return false
}
