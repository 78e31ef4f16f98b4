package dripserver

import (
	"errors"
	"fmt"
	"net/http"
)

// Error codes dripd answers with: Drip's own, plus RUN_ALREADY_ENDED for the
// run state machine.
const (
	CodeUnauthorized        = "UNAUTHORIZED"
	CodePublicKeyNotAllowed = "PUBLIC_KEY_NOT_ALLOWED"
	CodeValidation          = "VALIDATION_ERROR"
	CodeNotFound            = "NOT_FOUND"
	CodeCustomerNotFound    = "CUSTOMER_NOT_FOUND"
	CodeDuplicateCustomer   = "DUPLICATE_CUSTOMER"
	CodeRunAlreadyEnded     = "RUN_ALREADY_ENDED"
	CodePayloadTooLarge     = "PAYLOAD_TOO_LARGE"
	CodeRequestTimeout      = "REQUEST_TIMEOUT"
	CodeServiceUnavailable  = "SERVICE_UNAVAILABLE"
	CodeInternal            = "INTERNAL_ERROR"
)

// apiError is a client-facing failure: the service layer returns it for
// rule violations, and the handlers write it as the error envelope.
type apiError struct {
	status             int
	code               string
	message            string
	field              string
	existingCustomerID string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message) }

func errValidation(field, format string, args ...any) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, code: CodeValidation, field: field,
		message: fmt.Sprintf(format, args...)}
}

func errNotFound(format string, args ...any) *apiError {
	return &apiError{status: http.StatusNotFound, code: CodeNotFound, message: fmt.Sprintf(format, args...)}
}

func errCustomerNotFound(id string) *apiError {
	return &apiError{status: http.StatusNotFound, code: CodeCustomerNotFound,
		message: fmt.Sprintf("customer %q not found", id)}
}

func asAPIError(err error) (*apiError, bool) {
	var ae *apiError
	ok := errors.As(err, &ae)
	return ae, ok
}
