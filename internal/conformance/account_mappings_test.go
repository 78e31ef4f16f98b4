package conformance

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	drip "github.com/drip-sdk/drip-go"
)

// Node 0.1.2 has no payload-mapping or ingest calls, so drip-go's requests
// are checked against the field names Drip documents for them instead.
var (
	// mappingFields are the documented fields of POST /payload-mappings
	// and PATCH /payload-mappings/{id} (a subset), but for transformRules,
	// which is reserved and which drip-go does not send.
	mappingFields = []string{"name", "sourceName", "targetUnitType", "targetQuantityPath", "targetCustomerIdPath",
		"targetIdempotencyPath", "targetMetadataMap", "targetActionName", "sampleInput", "isActive"}
)

// TestPayloadMappingFieldNames makes every payload-mapping call with
// drip-go against dripd and checks each request's method, path and body
// field names against Drip's documented ones.
func TestPayloadMappingFieldNames(t *testing.T) {
	rec, origin := startDripd(t)
	env := goEnv{baseURL: origin + "/v1"}
	c := env.client(t, goodKey)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	rec.SetLabel("setup")
	_, err := c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "conf-map-1"})
	must(err)

	rec.SetLabel("create")
	m, err := c.CreatePayloadMapping(ctx, drip.PayloadMappingParams{Name: "Vendor", SourceName: "vendor", TargetUnitType: "calls",
		TargetQuantityPath: "$.usage.calls", TargetCustomerIDPath: "$.account", TargetIdempotencyPath: "$.id",
		TargetMetadataMap: map[string]string{"region": "$.region"}, TargetActionName: "api_call",
		SampleInput: map[string]any{"id": "e1"}, Inactive: true})
	must(err)
	rec.SetLabel("update")
	yes, name := true, "Vendor 2"
	_, err = c.UpdatePayloadMapping(ctx, m.ID, drip.UpdatePayloadMappingParams{Name: &name, IsActive: &yes})
	must(err)
	rec.SetLabel("list")
	_, err = c.ListPayloadMappings(ctx)
	must(err)
	rec.SetLabel("get")
	_, err = c.GetPayloadMapping(ctx, m.ID)
	must(err)
	rec.SetLabel("versions")
	_, err = c.ListPayloadMappingVersions(ctx, m.ID)
	must(err)
	payload := map[string]any{"id": "e1", "account": "conf-map-1", "region": "eu", "usage": map[string]any{"calls": 3}}
	rec.SetLabel("dryRun")
	_, err = c.DryRunPayloadMapping(ctx, m.ID, payload)
	must(err)
	rec.SetLabel("ingest")
	_, err = c.Ingest(ctx, "vendor", payload)
	must(err)
	rec.SetLabel("delete")
	must(c.DeletePayloadMapping(ctx, m.ID))

	for _, tc := range []struct {
		label, call string
		fields      []string // every top-level body field, sorted; nil: no body
	}{
		{"create", "POST /v1/payload-mappings 201", mappingFields},
		{"update", "PATCH /v1/payload-mappings/* 200", []string{"isActive", "name"}},
		{"list", "GET /v1/payload-mappings 200", nil},
		{"get", "GET /v1/payload-mappings/* 200", nil},
		{"versions", "GET /v1/payload-mappings/*/versions 200", nil},
		{"dryRun", "POST /v1/payload-mappings/*/dry-run 200", []string{"payload"}},
		// The raw payload, not wrapped.
		{"ingest", "POST /v1/ingest/vendor 202", []string{"account", "id", "region", "usage"}},
		{"delete", "DELETE /v1/payload-mappings/* 204", nil},
	} {
		calls := rec.Labeled(tc.label)
		if len(calls) != 1 {
			t.Errorf("%s: %d requests", tc.label, len(calls))
			continue
		}
		c := calls[0]
		want := strings.Fields(tc.call)
		if c.Method != want[0] || !match(want[1], c.Path) || itoa(c.Status) != want[2] {
			t.Errorf("%s: %s %s %d, want %s", tc.label, c.Method, c.Path, c.Status, tc.call)
		}
		var body map[string]json.RawMessage
		if len(c.Body) > 0 {
			if err := json.Unmarshal(c.Body, &body); err != nil {
				t.Fatalf("%s: %v", tc.label, err)
			}
		}
		var got []string
		for k := range body {
			got = append(got, k)
		}
		slices.Sort(got)
		wantFields := slices.Clone(tc.fields)
		slices.Sort(wantFields)
		if !slices.Equal(got, wantFields) {
			t.Errorf("%s: body fields %v, want %v", tc.label, got, wantFields)
		}
	}
}
