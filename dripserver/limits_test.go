package dripserver_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/internal/wire"
	"github.com/drip-sdk/drip-go/internal/wiretest"
)

// TestLimitsOnEveryField fills every request shape (by reflection over
// internal/wire), then sets each string, number and metadata field in turn
// just over its limit: each must be 422 VALIDATION_ERROR naming that field,
// with nothing stored. A field added to a wire request is covered here
// without changing the test.
func TestLimitsOnEveryField(t *testing.T) {
	srv := driptest.NewServer(t)
	a := newAPI(t, srv.BaseURL(), srv.APIKey())
	c := a.customer("limits")
	run := a.startRun(c.ID, "limits")
	before := counts(srv)

	var (
		cust  wire.CreateCustomerRequest
		usage wire.UsageRequest
		wf    wire.CreateWorkflowRequest
		start wire.StartRunRequest
		end   wire.EndRunRequest
		rec   wire.RecordRunRequest
		ev    wire.RunEvent
		batch wire.RunEventBatchRequest
	)
	shapes := []struct {
		method, path string
		req          any
	}{
		{"POST", "/customers", &cust},
		{"POST", "/usage", &usage}, {"POST", "/usage/async", &usage},
		{"POST", "/usage/internal", &usage}, {"POST", "/usage/internal/batch", &usage},
		{"POST", "/workflows", &wf},
		{"POST", "/runs", &start},
		{"PATCH", "/runs/" + run.ID, &end},
		{"POST", "/runs/record", &rec},
		{"POST", "/run-events", &ev},
		{"POST", "/run-events/batch", &batch},
	}
	for _, sh := range shapes {
		wiretest.Fill(sh.req)
		raw, err := json.Marshal(sh.req)
		if err != nil {
			t.Fatal(err)
		}
		var base map[string]any
		if err := json.Unmarshal(raw, &base); err != nil {
			t.Fatal(err)
		}
		leaves := map[string]any{} // path → value just over its limit
		overLimits("", "", base, leaves)
		if len(leaves) < 3 {
			t.Fatalf("%s %s: only %d fields found", sh.method, sh.path, len(leaves))
		}
		t.Logf("%s %s: %d fields", sh.method, sh.path, len(leaves))
		paths := make([]string, 0, len(leaves))
		for p := range leaves {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			body := cloneJSON(t, base)
			set(body, p, leaves[p])
			e := a.fail(422, "VALIDATION_ERROR", sh.method, sh.path, body)
			if e.Field != p {
				t.Errorf("%s %s with %s over its limit: field %q (%s)", sh.method, sh.path, p, e.Field, e.Message)
			}
		}
	}
	if after := counts(srv); after != before {
		t.Fatalf("refused requests stored something: %+v → %+v", before, after)
	}
}

// overLimits records, for every leaf of v, a value just over its limit.
func overLimits(path, name string, v any, out map[string]any) {
	switch v := v.(type) {
	case map[string]any:
		if name == "metadata" {
			out[path] = map[string]any{"big": strings.Repeat("x", dripserver.MaxMetadataBytes)}
			return
		}
		for k, e := range v {
			p := k
			if path != "" {
				p = path + "." + k
			}
			overLimits(p, k, e, out)
		}
	case []any:
		for i, e := range v {
			overLimits(fmt.Sprintf("%s[%d]", path, i), name, e, out)
		}
	case string:
		n := dripserver.MaxIDLength
		switch name {
		case "description":
			n = dripserver.MaxDescriptionLength
		case "errorMessage":
			n = dripserver.MaxErrorMessageLength
		}
		out[path] = strings.Repeat("é", n+1) // characters, not bytes, count
	case float64:
		out[path] = dripserver.MaxQuantity * 1.5
	}
}

func cloneJSON(t *testing.T, m map[string]any) map[string]any {
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// set sets the leaf at path ("a.b[0].c") in m.
func set(m map[string]any, path string, v any) {
	var cur any = m
	parts := strings.Split(path, ".")
	for i, part := range parts {
		key, idx, hasIdx := strings.Cut(part, "[")
		last := i == len(parts)-1
		obj := cur.(map[string]any)
		if !hasIdx {
			if last {
				obj[key] = v
				return
			}
			cur = obj[key]
			continue
		}
		var n int
		fmt.Sscanf(idx, "%d]", &n)
		arr := obj[key].([]any)
		if last {
			arr[n] = v
			return
		}
		cur = arr[n]
	}
}

// TestLimitsAreInclusive stores values exactly at each limit, counted in
// characters, and checks that quantities out of range are refused on every
// route that takes them while run totals stay finite.
func TestLimitsAreInclusive(t *testing.T) {
	srv := driptest.NewServer(t)
	a := newAPI(t, srv.BaseURL(), srv.APIKey())
	c := a.customer(strings.Repeat("ü", dripserver.MaxIDLength))
	run := a.startRun(c.ID, "inclusive")
	meta := map[string]any{"big": strings.Repeat("x", dripserver.MaxMetadataBytes-len(`{"big":""}`))}
	a.ok(201, "POST", "/run-events", wire.RunEvent{RunID: run.ID,
		EventType: strings.Repeat("é", dripserver.MaxIDLength), IdempotencyKey: strings.Repeat("ß", dripserver.MaxIDLength),
		Description: strings.Repeat("d", dripserver.MaxDescriptionLength), Metadata: meta,
		Quantity: f64(dripserver.MaxQuantity), CostUnits: f64(dripserver.MaxQuantity)}, nil)
	a.ok(200, "PATCH", "/runs/"+run.ID, wire.EndRunRequest{Status: "FAILED",
		ErrorMessage: strings.Repeat("x", dripserver.MaxErrorMessageLength)}, nil)
	a.ok(200, "POST", "/usage/internal", wire.UsageRequest{CustomerID: c.ID, Quantity: f64(dripserver.MaxQuantity)}, nil)

	for _, q := range []string{"-1", "1.0000001e15", "1e300"} {
		for _, rt := range []struct{ path, body, field string }{
			{"/usage", `{"customerId":"` + c.ID + `","quantity":` + q + `}`, "quantity"},
			{"/run-events", `{"runId":"` + run.ID + `","eventType":"e","quantity":` + q + `}`, "quantity"},
			{"/run-events", `{"runId":"` + run.ID + `","eventType":"e","costUnits":` + q + `}`, "costUnits"},
			{"/run-events/batch", `{"events":[{"runId":"` + run.ID + `","eventType":"e"},{"runId":"` + run.ID + `","eventType":"e","costUnits":` + q + `}]}`, "events[1].costUnits"},
			{"/runs/record", `{"customerId":"` + c.ID + `","workflow":"w","status":"COMPLETED","events":[{"eventType":"e","quantity":` + q + `}]}`, "events[0].quantity"},
		} {
			if e := a.fail(422, "VALIDATION_ERROR", "POST", rt.path, rt.body); e.Field != rt.field {
				t.Errorf("%s quantity %s: field %q, want %q", rt.path, q, e.Field, rt.field)
			}
		}
	}
	var d wire.RunDetails
	a.ok(200, "GET", "/runs/"+run.ID, nil, &d)
	if d.Totals.TotalQuantity != "1000000000000000" || d.Totals.TotalCostUnits != "1000000000000000" || d.Totals.EventCount != 1 {
		t.Fatalf("totals = %+v", d.Totals)
	}
}
