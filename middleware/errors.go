package middleware

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	drip "github.com/drip-sdk/drip-go"
)

// CodeChargeFailed is the error code of a ChargeBefore reply when Drip
// could not bill the request for a reason other than payment.
const CodeChargeFailed = "CHARGE_FAILED"

// errorBody is the official middleware's error envelope.
type errorBody struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// writeError sends the JSON error envelope {error, code}.
func writeError(w http.ResponseWriter, status int, code, msg string, retryAfter time.Duration) {
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((retryAfter+time.Second-1)/time.Second)))
	}
	writeJSON(w, status, errorBody{Error: msg, Code: code})
}

// writeJSON sends an error reply body.
func writeJSON(w http.ResponseWriter, status int, body any) {
	h := w.Header()
	h.Del("Content-Length")
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// chargeFailure maps a failed ChargeBefore charge to the reply. Only
// payment answers are passed on as they are; Drip's other failures are the
// API operator's problem, not the caller's, so they become 503 (try again)
// or 500 without Drip's message, which may name internals.
func chargeFailure(err error) (status int, code, msg string, retryAfter time.Duration) {
	e, _ := drip.AsError(err)
	switch {
	case errors.Is(err, drip.ErrPaymentRequired):
		msg = "payment required"
		if e != nil && e.Message != "" {
			msg = e.Message
		}
		return http.StatusPaymentRequired, drip.CodePaymentRequired, msg, 0
	case e != nil && e.Code == drip.CodeCustomerBlocked:
		// A spending cap or a paused customer: Drip's reason is about the
		// customer's own account, so it is passed on, like a 402's.
		msg = "this customer is blocked from usage"
		if e.Message != "" {
			msg = e.Message
		}
		return http.StatusForbidden, drip.CodeCustomerBlocked, msg, 0
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		e != nil && e.Temporary():
		var ra time.Duration
		if e != nil {
			ra = e.RetryAfter
		}
		return http.StatusServiceUnavailable, CodeChargeFailed, "billing is temporarily unavailable; try again", ra
	}
	return http.StatusInternalServerError, CodeChargeFailed, "the request could not be billed", 0
}
