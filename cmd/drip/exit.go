package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	drip "github.com/drip-sdk/drip-go"
)

// Exit codes; the package doc and `drip help` list them for users.
const (
	exitOK          = 0
	exitAPI         = 1
	exitUsage       = 2
	exitNotFound    = 3
	exitAuth        = 4
	exitVerify      = 5
	exitInterrupted = 130
)

// usageError is a command line the CLI cannot run.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// authError is a missing or malformed API key, found before any request.
type authError struct{ msg string }

func (e *authError) Error() string { return e.msg }

// errNoStream is drip tail's answer to a server without a live stream.
var errNoStream = errors.New("this server has no live stream (GET /v1/dev/stream answered 404): " +
	"hosted Drip has none; `drip tail` follows a local dripd. Use `drip runs show <run-id>` for a run")

// exitCode maps err to the documented exit code.
func exitCode(ctx context.Context, err error) int {
	var ue *usageError
	var ae *authError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &ae):
		return exitAuth
	case errors.Is(err, drip.ErrWebhookSignature):
		return exitVerify
	case errors.Is(err, errNoStream), errors.Is(err, drip.ErrNotFound):
		return exitNotFound
	case errors.Is(err, drip.ErrInvalidAPIKey), errors.Is(err, drip.ErrPublicKeyNotAllowed):
		return exitAuth
	case isCode(err, drip.CodeForbidden): // not CUSTOMER_BLOCKED, also a 403: that is the API's answer
		return exitAuth
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		return exitInterrupted
	}
	if e, ok := drip.AsError(err); ok && e.StatusCode == 0 && errors.Is(err, drip.ErrValidation) {
		return exitUsage // refused by the SDK before anything was sent
	}
	return exitAPI
}

// report writes err to stderr (as JSON with --json) and returns the exit
// code. Errors never carry the key: the client scrubs its own, and the CLI
// puts none in its messages.
func (a *app) report(ctx context.Context, err error) int {
	code := exitCode(ctx, err)
	if err == nil {
		return code
	}
	if code == exitInterrupted {
		fmt.Fprintln(a.stderr, "drip: interrupted")
		return code
	}
	if a.json {
		out := map[string]any{"message": err.Error(), "exitCode": code}
		if e, ok := drip.AsError(err); ok {
			out["code"], out["message"] = e.Code, e.Message
			if e.StatusCode != 0 {
				out["status"] = e.StatusCode
			}
			if e.Field != "" {
				out["field"] = e.Field
			}
			if e.RequestID != "" {
				out["requestId"] = e.RequestID
			}
		}
		b, _ := json.Marshal(map[string]any{"error": out})
		fmt.Fprintln(a.stderr, string(b))
		return code
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "drip: ") {
		msg = "drip: " + msg
	}
	fmt.Fprintln(a.stderr, msg)
	return code
}

func isCode(err error, code string) bool {
	e, ok := drip.AsError(err)
	return ok && e.Code == code
}
