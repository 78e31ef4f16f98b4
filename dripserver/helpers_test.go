package dripserver_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/internal/wire"
)

// api is a tiny JSON client for the tests: real HTTP, no SDK, so a reply is
// checked exactly as sent.
type api struct {
	t    testing.TB
	base string // …/v1
	key  string
	hc   *http.Client
}

func newAPI(t testing.TB, base, key string) *api {
	return &api{t: t, base: base, key: key, hc: &http.Client{Timeout: 30 * time.Second}}
}

// do sends body (a string is sent as is; nil sends nothing) and decodes the
// reply into out when out is not nil. It returns the status and raw body.
func (a *api) do(method, path string, body any, out any) (int, []byte) {
	a.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			a.t.Fatalf("marshal request: %v", err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		a.t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if a.key != "" {
		req.Header.Set("Authorization", "Bearer "+a.key)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatalf("%s %s: read reply: %v", method, path, err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		a.t.Errorf("%s %s: Content-Type %q, want application/json", method, path, ct)
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			a.t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, raw
}

// ok sends and requires a 2xx with status want.
func (a *api) ok(want int, method, path string, body, out any) {
	a.t.Helper()
	if st, raw := a.do(method, path, body, out); st != want {
		a.t.Fatalf("%s %s: status %d, want %d: %s", method, path, st, want, raw)
	}
}

// fail sends and requires the error envelope with status and code.
func (a *api) fail(status int, code, method, path string, body any) wire.Error {
	a.t.Helper()
	st, raw := a.do(method, path, body, nil)
	var e wire.Error
	if err := json.Unmarshal(raw, &e); err != nil {
		a.t.Fatalf("%s %s: error body %q is not the envelope: %v", method, path, raw, err)
	}
	if st != status || e.Code != code || e.Message == "" || e.Error == "" {
		a.t.Fatalf("%s %s: got %d %s, want %d %s: %s", method, path, st, e.Code, status, code, raw)
	}
	return e
}

func (a *api) customer(ext string) wire.Customer {
	a.t.Helper()
	var c wire.Customer
	a.ok(201, "POST", "/customers", wire.CreateCustomerRequest{ExternalCustomerID: ext}, &c)
	return c
}

func (a *api) startRun(customerID, workflow string) wire.StartRunResult {
	a.t.Helper()
	var r wire.StartRunResult
	a.ok(201, "POST", "/runs", wire.StartRunRequest{CustomerID: customerID, WorkflowID: workflow}, &r)
	return r
}

func f64(v float64) *float64 { return &v }

// quiet keeps the dev-mode notice out of test output.
var quiet = dripserver.WithLogger(slog.New(slog.DiscardHandler))
