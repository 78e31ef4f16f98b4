package drip

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Error codes the Drip API documents, plus the ones this SDK creates itself.
// Compare with errors.Is against the Err* sentinels rather than with these
// strings when a code has aliases.
const (
	CodeUnauthorized        = "UNAUTHORIZED"
	CodeInvalidAPIKey       = "INVALID_API_KEY" // the Drip API reference's spelling of UNAUTHORIZED
	CodeForbidden           = "FORBIDDEN"
	CodePublicKeyNotAllowed = "PUBLIC_KEY_NOT_ALLOWED"
	CodeValidation          = "VALIDATION_ERROR"
	CodeInvalidParameter    = "INVALID_PARAMETER"
	CodeNotFound            = "NOT_FOUND"
	CodeCustomerNotFound    = "CUSTOMER_NOT_FOUND"
	CodeDuplicateCustomer   = "DUPLICATE_CUSTOMER"
	CodeCustomerBlocked     = "CUSTOMER_BLOCKED"
	CodeRateLimitExceeded   = "RATE_LIMIT_EXCEEDED"
	CodeRateLimited         = "RATE_LIMITED" // the Drip API reference's spelling of RATE_LIMIT_EXCEEDED
	CodePaymentRequired     = "PAYMENT_REQUIRED"
	CodeInsufficientBalance = "INSUFFICIENT_BALANCE"
	CodeServiceUnavailable  = "SERVICE_UNAVAILABLE"
	CodeRunAlreadyEnded     = "RUN_ALREADY_ENDED"
	CodeTimeout             = "TIMEOUT"
	CodeNetwork             = "NETWORK_ERROR"
	CodeParse               = "PARSE_ERROR"
	CodeInvalidResponse     = "INVALID_RESPONSE"
	CodeCircuitOpen         = "CIRCUIT_OPEN"
	CodeCustomerResolution  = "CUSTOMER_RESOLUTION_FAILED"
	CodeInternal            = "INTERNAL_ERROR"
	CodeClientClosed        = "CLIENT_CLOSED"
	CodeTrackerShutdown     = "TRACKER_SHUTDOWN"
	CodeQueueFull           = "QUEUE_FULL"
	CodeAbandoned           = "ABANDONED"
	CodeConfiguration       = "CONFIGURATION_ERROR"
	CodeNoRun               = "NO_RUN"
	CodeSpoolFull           = "SPOOL_FULL"
	CodeDeliveryFailed      = "DELIVERY_FAILED"
	codeUnknown             = "UNKNOWN"
)

// Error is the one error type every drip call returns. Use errors.As to read
// it and errors.Is with the Err* sentinels to branch on its kind.
//
// StatusCode is 0 when no HTTP response arrived (network failure, timeout,
// validation before the network, open circuit). Error() never contains the
// API key.
type Error struct {
	// Op is the SDK call that failed, e.g. "TrackUsage".
	Op         string
	StatusCode int
	Code       string
	Message    string
	// Field names the offending parameter of a VALIDATION_ERROR.
	Field string
	// RetryAfter is how long the server (Retry-After header or body
	// retryAfter) or the circuit breaker asked callers to wait.
	RetryAfter time.Duration
	RequestID  string
	// ExistingCustomerID is set on DUPLICATE_CUSTOMER.
	ExistingCustomerID string
	// Body is the raw response body, when there was one.
	Body []byte
	// Err is the underlying cause (a network error, a context error).
	Err error

	aliases []string // sentinel only: codes this sentinel matches
	status  int      // sentinel only: HTTP status this sentinel matches
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("drip")
	if e.Op != "" {
		b.WriteString(": ")
		b.WriteString(e.Op)
	}
	b.WriteString(": ")
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, "%d ", e.StatusCode)
	}
	if e.Code != "" {
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Field != "" {
		b.WriteString(" (field ")
		b.WriteString(e.Field)
		b.WriteString(")")
	}
	if e.RequestID != "" {
		b.WriteString(" [request ")
		b.WriteString(e.RequestID)
		b.WriteString("]")
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether e matches a sentinel: by code (including the
// sentinel's aliases) or by HTTP status where the sentinel names one.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok || t.aliases == nil {
		return false
	}
	for _, c := range t.aliases {
		if e.Code == c {
			return true
		}
	}
	return t.status != 0 && e.StatusCode == t.status
}

// Temporary reports whether retrying the same call later may succeed.
func (e *Error) Temporary() bool {
	return retryableStatus(e.StatusCode) || e.StatusCode == 0 && isTransientCode(e.Code)
}

func isTransientCode(code string) bool {
	switch code {
	case CodeNetwork, CodeTimeout, CodeCircuitOpen:
		return true
	}
	return false
}

func sentinel(status int, msg string, codes ...string) *Error {
	return &Error{Code: codes[0], Message: msg, aliases: codes, status: status}
}

// Sentinels for errors.Is. Each matches its documented code, its aliases and,
// where given, its HTTP status.
var (
	ErrInvalidAPIKey       = sentinel(401, "the API key was refused", CodeUnauthorized, CodeInvalidAPIKey, "AUTHENTICATION_ERROR")
	ErrForbidden           = sentinel(403, "not allowed", CodeForbidden, CodePublicKeyNotAllowed, CodeCustomerBlocked)
	ErrPublicKeyNotAllowed = sentinel(0, "this call needs a secret (sk_) key", CodePublicKeyNotAllowed)
	ErrValidation          = sentinel(422, "invalid parameters", CodeValidation, CodeInvalidParameter)
	ErrNotFound            = sentinel(404, "not found", CodeNotFound, CodeCustomerNotFound)
	ErrDuplicateCustomer   = sentinel(0, "customer already exists", CodeDuplicateCustomer)
	ErrRunAlreadyEnded     = sentinel(0, "run already ended", CodeRunAlreadyEnded)
	ErrRateLimited         = sentinel(429, "rate limited", CodeRateLimitExceeded, CodeRateLimited, "RATE_LIMIT_ERROR")
	ErrPaymentRequired     = sentinel(402, "payment required", CodePaymentRequired, CodeInsufficientBalance)
	ErrUnavailable         = sentinel(503, "service unavailable", CodeServiceUnavailable)
	ErrTimeout             = sentinel(408, "timed out", CodeTimeout)
	ErrNetwork             = sentinel(0, "network error", CodeNetwork)
	ErrCircuitOpen         = sentinel(0, "circuit breaker open", CodeCircuitOpen)
	ErrTrackerShutdown     = sentinel(0, "tracker shut down; item dropped", CodeTrackerShutdown)
	// ErrNoRun is returned by the methods of a nil *Run: the ctx given to
	// RunFromContext carried no run.
	ErrNoRun = sentinel(0, "no run in the context; start one with Tracker.Start", CodeNoRun)
)

// validationError is a VALIDATION_ERROR raised before any request is sent.
func validationError(op, field, msg string) *Error {
	return &Error{Op: op, Code: CodeValidation, Field: field, Message: msg}
}

// AsError returns err as a *Error, if it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
