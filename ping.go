package drip

import (
	"context"
	"strconv"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// PingResult is the reply to Ping.
type PingResult struct {
	// OK is true when the API answered 2xx with status "healthy".
	OK        bool
	Status    string
	Latency   time.Duration
	Timestamp time.Time
}

// Ping checks that the API is reachable and healthy (GET {origin}/health),
// as the official clients' ping does. An unhealthy but answering API is not
// an error: OK is false. Ping does not prove the key: use Verify for that.
func (c *Client) Ping(ctx context.Context) (*PingResult, error) {
	var out wire.Health
	start := time.Now()
	_, err := c.do(ctx, request{op: "Ping", method: "GET", path: c.healthURL, abs: true, out: &out})
	lat := time.Since(start)
	if err != nil {
		// An API that answers but is unhealthy is a result; a refused key
		// or no answer is an error.
		if e, ok := AsError(err); ok && e.StatusCode >= 500 {
			return &PingResult{Status: "error:" + strconv.Itoa(e.StatusCode), Latency: lat}, nil
		}
		return nil, err
	}
	r := &PingResult{OK: out.Status == "healthy", Status: c.scrub(out.Status), Latency: lat}
	if out.Timestamp > 0 {
		r.Timestamp = time.UnixMilli(out.Timestamp)
	}
	return r, nil
}

// Verify proves the client's configuration in one call: the API at the
// base URL answers healthy (Ping) and accepts the key (one authenticated
// read, GET /customers?limit=1). A wrong key is ErrInvalidAPIKey, a wrong
// base URL ErrNotFound with a hint, an unreachable API ErrNetwork: call it
// at start-up so they surface there, not later in the background.
func (c *Client) Verify(ctx context.Context) error {
	res, err := c.Ping(ctx)
	if err != nil {
		return err
	}
	if !res.OK {
		return &Error{Op: "Verify", Code: CodeServiceUnavailable, Message: "the API answered its health check with status " + res.Status}
	}
	_, err = c.ListCustomers(ctx, &ListCustomersParams{Limit: 1})
	return err
}
