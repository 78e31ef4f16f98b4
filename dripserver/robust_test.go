package dripserver_test

import (
	"strings"
	"testing"

	"github.com/drip-sdk/drip-go/driptest"
)

// TestOddBodiesNeverFail500 sends odd but possible bodies to every write
// route: each must get a 2xx or 4xx, never a 5xx.
func TestOddBodiesNeverFail500(t *testing.T) {
	srv := driptest.NewServer(t)
	a := newAPI(t, srv.BaseURL(), srv.APIKey())
	c := a.customer("odd")
	run := a.startRun(c.ID, "odd")
	routes := []struct{ method, path string }{
		{"POST", "/customers"}, {"POST", "/usage"}, {"POST", "/usage/async"}, {"POST", "/usage/internal"},
		{"POST", "/usage/internal/batch"}, {"POST", "/workflows"}, {"POST", "/runs"}, {"PATCH", "/runs/" + run.ID},
		{"POST", "/runs/record"}, {"POST", "/run-events"}, {"POST", "/run-events/batch"},
	}
	bodies := []string{
		``, `null`, `{}`, `[]`, `"x"`, `42`, `{"a":1}{"b":2}`, `{"events":null}`, `{"events":[null]}`, `{"events":{}}`,
		`{"customerId":"` + c.ID + `","quantity":1e308,"metadata":{"n":1e308}}`,
		`{"customerId":"` + c.ID + `","quantity":null,"metadata":null}`,
		`{"customerId":"` + c.ID + `","metadata":{"x":1e999}}`,
		`{"customerId":"` + c.ID + `","usageType":"` + strings.Repeat("u", 300) + `"}`,
		`{"customerId":"\u0000\ud800","externalCustomerId":"\xff\xfe"}`,
		`{"runId":"` + run.ID + `","eventType":"e","metadata":{"occurredAt":123,"latencyMs":"slow","status":7}}`,
		`{"runId":"` + run.ID + `","eventType":"e","metadata":{"occurredAt":"9999-12-31T23:59:59Z","latencyMs":-5}}`,
		`{"runId":"` + run.ID + `","eventType":"e","quantity":1e308,"costUnits":1e308}`,
		`{"events":[{"runId":"` + run.ID + `","eventType":"e","metadata":{"deep":{"a":[{"b":[[[]]]}]}}}]}`,
		`{"customerId":"` + c.ID + `","workflow":"w","status":"COMPLETED","events":[null,{"eventType":"x"}]}`,
		`{"customerId":"` + c.ID + `","workflowId":"` + strings.Repeat("w", 300) + `"}`,
		`{"name":"n","slug":"s","metadata":{"k":[1,"2",null,true]}}`,
		`{"status":"COMPLETED","metadata":{"k":"v"}}`,
		`{"externalCustomerId":"odd-` + strings.Repeat("x", 10) + `","isInternal":"yes"}`,
		`{"` + strings.Repeat("k", 1000) + `":1}`,
	}
	for _, rt := range routes {
		for _, b := range bodies {
			st, raw := a.do(rt.method, rt.path, b, nil)
			if st >= 500 || st < 200 {
				t.Errorf("%s %s %.60q: %d %s", rt.method, rt.path, b, st, raw)
			}
		}
	}
	// The run still reads back and renders (totals may be huge, never Inf in JSON numbers).
	a.ok(200, "GET", "/runs/"+run.ID, nil, nil)
	a.ok(200, "GET", "/runs/"+run.ID+"/timeline?limit=500", nil, nil)
}
