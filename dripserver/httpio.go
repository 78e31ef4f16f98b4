package dripserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"strconv"

	"github.com/drip-sdk/drip-go/internal/wire"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// writeJSON writes v with status. Every 2xx carries a JSON body: the
// official Node client fails on an empty one.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only non-finite floats can get here; they never come from a
		// decoded request, so this is a bug, reported as one.
		b, status = []byte(`{"error":"Internal Server Error","message":"could not encode reply","code":"INTERNAL_ERROR"}`), 500
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// writeError writes err in the error envelope. Anything that is not an
// *apiError is a server fault: logged, and answered 500 without details.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	ae, ok := asAPIError(err)
	if !ok {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			ae = &apiError{status: http.StatusServiceUnavailable, code: CodeServiceUnavailable,
				message: "request cancelled before it completed; nothing was written"}
		} else {
			log.LogAttrs(r.Context(), slog.LevelError, "request failed",
				slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
			ae = &apiError{status: http.StatusInternalServerError, code: CodeInternal, message: "internal error"}
		}
	}
	if ae.status == http.StatusRequestTimeout {
		// The rest of a late body may still be on its way: the
		// connection cannot carry another request.
		w.Header().Set("Connection", "close")
	}
	writeJSON(w, ae.status, wire.Error{
		Error:              http.StatusText(ae.status),
		Message:            ae.message,
		Code:               ae.code,
		Field:              ae.field,
		ExistingCustomerID: ae.existingCustomerID,
	})
}

// decode reads the JSON object body into dst and checks it against the
// limits (limits.go). An empty body (or null) is an empty object: the
// clients send Content-Type: application/json on body-less requests too.
func decode(r *http.Request, dst any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errTooLarge(mbe.Limit)
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return &apiError{status: http.StatusRequestTimeout, code: CodeRequestTimeout,
				message: "request body did not arrive in time; nothing was written"}
		}
		return errValidation("body", "could not read request body: %v", err)
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 || string(body) == "null" {
		return nil
	}
	if body[0] != '{' {
		return errValidation("body", "request body must be a JSON object")
	}
	if err := checkUTF8(body); err != nil {
		return err
	}
	if err := json.Unmarshal(body, dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := te.Field
			if field == "" {
				field = "body"
			}
			return errValidation(field, "%s must be %s, not JSON %s", field, jsonKind(te.Type.Kind().String()), te.Value)
		}
		return errValidation("body", "malformed JSON: %v", err)
	}
	return checkLimits(dst)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "float64", "float32", "int", "int64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice":
		return "an array"
	case "map", "struct":
		return "an object"
	case "ptr":
		return "a number" // the only pointers in requests are *float64 and *bool
	}
	return "of another type"
}

// decimal renders a sum as a decimal string. Sums of binary floats pick up
// noise in the last digits (0.1+0.2), so round to 12 decimals first.
func decimal(f float64) string {
	r := math.Round(f*1e12) / 1e12
	if math.IsInf(r, 0) || math.IsNaN(r) {
		r = f
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// queryInt reads an optional integer query parameter within [lo, hi].
func queryInt(r *http.Request, name string, def, lo, hi int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		if hi == math.MaxInt {
			return 0, errValidation(name, "%s must be an integer ≥ %d", name, lo)
		}
		return 0, errValidation(name, "%s must be an integer from %d to %d", name, lo, hi)
	}
	return n, nil
}

func required(field, v string) error {
	if v == "" {
		return errValidation(field, "%s is required", field)
	}
	return nil
}

func oneOf(field, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return errValidation(field, "%s must be one of %v", field, allowed)
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func fieldAt(list string, i int, field string) string {
	return fmt.Sprintf("%s[%d].%s", list, i, field)
}
