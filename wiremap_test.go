package drip

import (
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/drip-sdk/drip-go/internal/wire"
	"github.com/drip-sdk/drip-go/internal/wiretest"
)

// wireCase is one client call: the wire shape of its request body (nil for
// none) and of its reply, and the call itself.
type wireCase struct {
	name     string
	method   string
	path     string
	request  any // a pointer to the wire type the call must fill
	reply    any // a pointer to the wire type the call must read
	call     func(ctx context.Context, c *Client) (any, error)
	unsentOK []string // request fields the call leaves unset, with the reason in a comment
	unreadOK []string // reply fields the public result does not carry
}

// TestWireMappingsHandleEveryField fills every public parameter and every
// reply field with distinct values, runs each client call against a server
// that captures the request and answers the filled reply, and checks by
// reflection over internal/wire's JSON tags that the request carries every
// field and the result keeps every reply value. A field added to a wire
// type fails here until each mapping handles it (or the case names it).
func TestWireMappingsHandleEveryField(t *testing.T) {
	runWireCases(t, coreWireCases())
}

// coreWireCases are the cases of the runs, events, usage, customers and
// workflows calls (internal/wire/wire.go).
func coreWireCases() []wireCase {
	return []wireCase{
		{name: "EmitEvent", method: "POST", path: "/v1/run-events", request: &wire.RunEvent{}, reply: &wire.RunEventResult{},
			call: func(ctx context.Context, c *Client) (any, error) {
				e := filledEvent()
				return c.EmitEvent(ctx, e)
			},
			// A run event always names its run; customerId/workflowId stand in
			// for runId only in batches sent without runs, which the SDK never
			// sends. Costs are in units, never another currency.
			unsentOK: []string{"customerId", "workflowId", "costCurrency"}},
		{name: "EmitEventsBatch", method: "POST", path: "/v1/run-events/batch", request: &wire.RunEventBatchRequest{}, reply: &wire.RunEventBatchResult{},
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.EmitEventsBatch(ctx, []Event{filledEvent()})
			},
			unsentOK: []string{"events[].customerId", "events[].workflowId", "events[].costCurrency"},
			// success is implied by a 2xx reply.
			unreadOK: []string{"success"}},
		{name: "RecordRun", method: "POST", path: "/v1/runs/record", request: &wire.RecordRunRequest{}, reply: &wire.RecordRunResult{},
			call: func(ctx context.Context, c *Client) (any, error) {
				var p RecordRunParams
				wiretest.Fill(&p)
				p.Status = RunFailed
				p.Events = []Event{filledEvent()}
				return c.RecordRun(ctx, p)
			}},
		{name: "TrackUsage", method: "POST", path: "/v1/usage", request: &wire.UsageRequest{}, reply: &wire.UsageResult{},
			call: func(ctx context.Context, c *Client) (any, error) {
				var p UsageParams
				wiretest.Fill(&p)
				p.Mode = UsageSync
				return c.TrackUsage(ctx, p)
			},
			// Echoes of the request and fields of the other usage endpoints'
			// replies (queued count, internal flag).
			unreadOK: []string{"usageType", "quantity", "isInternal", "idempotencyKey", "pendingEvents", "charge.estimatedConfirmationTime"}},
		{name: "StartRun", method: "POST", path: "/v1/runs", request: &wire.StartRunRequest{}, reply: &wire.StartRunResult{},
			call: func(ctx context.Context, c *Client) (any, error) {
				var p RunParams
				wiretest.Fill(&p)
				return c.StartRun(ctx, p)
			}},
		{name: "EndRun", method: "PATCH", path: "/v1/runs/run_1", request: &wire.EndRunRequest{}, reply: &wire.EndRunResult{},
			call: func(ctx context.Context, c *Client) (any, error) {
				var p EndRunParams
				wiretest.Fill(&p)
				p.Status = RunFailed
				return c.EndRun(ctx, "run_1", p)
			}},
		{name: "GetRun", method: "GET", path: "/v1/runs/run_1", reply: &wire.RunDetails{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.GetRun(ctx, "run_1") }},
		{name: "GetRunTimeline", method: "GET", path: "/v1/runs/run_1/timeline", reply: &wire.Timeline{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.GetRunTimeline(ctx, "run_1", nil) },
			// The timeline page carries the run's header for display; the SDK
			// exposes the run itself through GetRun. Retry chains and anomalies
			// are server-side analyses the SDK does not model yet.
			unreadOK: []string{"customerName", "metadata", "anomalies", "summary.retriedEvents", "summary.totalCostUsdc",
				"events[].actionName", "events[].explanation", "events[].retryOfEventId", "events[].attemptNumber",
				"events[].retriedByEventId", "events[].costUsdc", "events[].isRetry", "events[].retryChain"}},
		{name: "CreateCustomer", method: "POST", path: "/v1/customers", request: &wire.CreateCustomerRequest{}, reply: &wire.Customer{},
			call: func(ctx context.Context, c *Client) (any, error) {
				var p CustomerParams
				wiretest.Fill(&p)
				return c.CreateCustomer(ctx, p)
			},
			// The business is the API key's; it says nothing a caller needs.
			unreadOK: []string{"businessId"}},
		{name: "ListCustomers", method: "GET", path: "/v1/customers", reply: &wire.CustomerList{},
			call:     func(ctx context.Context, c *Client) (any, error) { return c.ListCustomers(ctx, nil) },
			unreadOK: []string{"data[].businessId"}},
		{name: "CreateWorkflow", method: "POST", path: "/v1/workflows", request: &wire.CreateWorkflowRequest{}, reply: &wire.Workflow{},
			call: func(ctx context.Context, c *Client) (any, error) {
				var p WorkflowParams
				wiretest.Fill(&p)
				return c.CreateWorkflow(ctx, p)
			},
			unreadOK: []string{"chain", "metadata"}},
		{name: "ListWorkflows", method: "GET", path: "/v1/workflows", reply: &wire.WorkflowList{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.ListWorkflows(ctx) },
			// count is len(data).
			unreadOK: []string{"count", "data[].chain", "data[].metadata"}},
		{name: "Ping", method: "GET", path: "/health", reply: &wire.Health{},
			call: func(ctx context.Context, c *Client) (any, error) { return c.Ping(ctx) },
			// Unix milliseconds, kept as PingResult.Timestamp, a time.Time:
			// TestPing checks the conversion.
			unreadOK: []string{"timestamp"}},
	}
}

// runWireCases runs each case against a server answering its filled reply.
func runWireCases(t *testing.T, cases []wireCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wiretest.Fill(tc.reply)
			var mu sync.Mutex
			var body []byte
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				if r.Method == tc.method && r.URL.Path == tc.path {
					mu.Lock()
					body = b
					mu.Unlock()
					w.Header().Set("Content-Type", "application/json")
					json.NewEncoder(w).Encode(tc.reply)
					return
				}
				http.Error(w, `{"code":"NOT_FOUND"}`, http.StatusNotFound)
			}))
			defer srv.Close()
			c, err := New(WithAPIKey("sk_test_wire_0000000000"), WithBaseURL(srv.URL+"/v1"), WithoutRetries())
			if err != nil {
				t.Fatal(err)
			}
			res, err := tc.call(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			if tc.request != nil {
				mu.Lock()
				err := json.Unmarshal(body, tc.request)
				mu.Unlock()
				if err != nil {
					t.Fatalf("request body %s: %v", body, err)
				}
				if zero := wiretest.Zero(tc.request, tc.unsentOK...); len(zero) > 0 {
					slices.Sort(zero)
					t.Errorf("request fields never set by the mapping: %v", zero)
				}
			}
			if lost := wiretest.Lost(tc.reply, res, tc.unreadOK...); len(lost) > 0 {
				slices.Sort(lost)
				t.Errorf("reply fields the mapping drops: %v\nresult: %+v", lost, res)
			}
		})
	}
}

// filledEvent is an Event with every field set and a valid status.
func filledEvent() Event {
	var e Event
	wiretest.Fill(&e)
	e.Status = StatusError
	e.RunID = "run_1"
	return e
}

// wireCaseTables are every table of mapping cases, by the test that runs
// it; TestWireCasesCoverEveryShape reads the wire types they cover from
// the cases themselves.
func wireCaseTables() map[string][]wireCase {
	return map[string][]wireCase{
		"TestWireMappingsHandleEveryField": coreWireCases(),
		"TestBillingWireMappings":          billingWireCases(),
		"TestExecutionEventWireMappings":   eventWireCases(),
		"TestEntitlementWireMappings":      entitlementWireCases(),
		"TestWebhookWireMappings":          webhookWireCases(),
		"TestAccountWireMappings":          accountWireCases(),
		"TestPaymentWireMappings":          paymentWireCases(),
	}
}

// wireShapesCheckedElsewhere are the wire types no case table maps, each
// with what covers it instead.
var wireShapesCheckedElsewhere = map[string]string{
	"Error": "decoded by decodeError; TestErrorEnvelopeFields",
	// Only its path is read, by MappingFailedPath; the rest is Error's.
	"MappingFailed": "decoded by MappingFailedPath; TestPayloadMappingErrors",
	// dripd sends these; the SDK has no typed accessor for them (receivers
	// read them with WebhookEvent.DecodeData), so there is no mapping to
	// check.
	"WebhookEndpointUnhealthy": "no SDK mapping: read with DecodeData",
	"WebhookTestData":          "no SDK mapping: read with DecodeData",
}

// TestWireCasesCoverEveryShape fails when a request or reply type of
// internal/wire (any of its files) is mapped by no case: a type counts as
// covered when a case's request or reply is, or contains, it, since the
// case checks every field reachable from there.
func TestWireCasesCoverEveryShape(t *testing.T) {
	covered := map[string]bool{}
	for _, cases := range wireCaseTables() {
		for _, tc := range cases {
			wireTypesIn(reflect.TypeOf(tc.request), covered)
			wireTypesIn(reflect.TypeOf(tc.reply), covered)
		}
	}
	for _, dc := range webhookDataCases() {
		wireTypesIn(reflect.TypeOf(dc.data), covered)
	}
	names := wireTypeNames(t)
	for _, name := range names {
		if !covered[name] && wireShapesCheckedElsewhere[name] == "" {
			t.Errorf("wire.%s has no mapping case: add one to a table of wireCaseTables or webhookDataCases", name)
		}
	}
	for name := range wireShapesCheckedElsewhere {
		if !slices.Contains(names, name) {
			t.Errorf("wireShapesCheckedElsewhere names wire.%s, which no longer exists", name)
		} else if covered[name] {
			t.Errorf("wire.%s is in wireShapesCheckedElsewhere but a case maps it: drop the entry", name)
		}
	}
}

// wirePkg is internal/wire's import path.
var wirePkg = reflect.TypeFor[wire.Error]().PkgPath()

// wireTypesIn adds to seen the names of t and of every internal/wire
// struct type reachable from its fields.
func wireTypesIn(t reflect.Type, seen map[string]bool) {
	if t == nil {
		return
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		wireTypesIn(t.Elem(), seen)
	case reflect.Struct:
		if t.PkgPath() != wirePkg || seen[t.Name()] {
			return
		}
		seen[t.Name()] = true
		for i := range t.NumField() {
			wireTypesIn(t.Field(i).Type, seen)
		}
	}
}

// TestErrorEnvelopeFields checks that decodeError keeps every field of the
// error envelope.
func TestErrorEnvelopeFields(t *testing.T) {
	var env wire.Error
	wiretest.Fill(&env)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		json.NewEncoder(w).Encode(&env)
	}))
	defer srv.Close()
	c, err := New(WithAPIKey("sk_test_wire_0000000000"), WithBaseURL(srv.URL+"/v1"), WithoutRetries())
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetRun(context.Background(), "run_1")
	e, ok := AsError(err)
	if !ok {
		t.Fatalf("%v is no *Error", err)
	}
	res := struct {
		*Error
		RetryAfterSeconds float64
	}{e, e.RetryAfter.Seconds()}
	// "error" is the envelope's short title; Message carries the detail and
	// falls back to it only when the server sends no message.
	if lost := wiretest.Lost(&env, res, "error"); len(lost) > 0 {
		t.Errorf("envelope fields decodeError drops: %v (error %+v)", lost, e)
	}
}

// wireTypeNames lists the exported struct types of every non-test file of
// internal/wire.
func wireTypeNames(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("internal", "wire", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var decls []ast.Decl
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		decls = append(decls, f.Decls...)
	}
	var names []string
	for _, d := range decls {
		g, ok := d.(*ast.GenDecl)
		if !ok {
			continue
		}
		for _, s := range g.Specs {
			if ts, ok := s.(*ast.TypeSpec); ok && ts.Name.IsExported() {
				if _, ok := ts.Type.(*ast.StructType); ok {
					names = append(names, ts.Name.Name)
				}
			}
		}
	}
	if len(names) == 0 {
		t.Fatal("no wire types found")
	}
	return names
}
