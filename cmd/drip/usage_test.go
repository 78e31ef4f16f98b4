package main

import (
	"context"
	"testing"

	"github.com/drip-sdk/drip-go/driptest"
)

func TestUsageTrack(t *testing.T) {
	srv := driptest.NewServer(t)
	e := envFor(srv)
	cu, err := sdk(t, srv).GetOrCreateCustomer(context.Background(), "usage-cli", nil)
	if err != nil {
		t.Fatal(err)
	}

	args := []string{"usage", "track", "--customer", cu.ID, "--meter", "api_calls", "--quantity", "2.5",
		"--units", "calls", "--metadata", "route=/search", "--idempotency-key", "cli-test-1", "--json"}
	var first usageJSON
	decodeJSON(t, ok(t, e, args...), &first)
	recs := srv.UsageRecords()
	if len(recs) != 1 {
		t.Fatalf("dripd stored %d usage records, want 1", len(recs))
	}
	r := recs[0]
	if !first.Success || first.UsageEventID != r.ID || first.IsDuplicate || first.IdempotencyKey != "cli-test-1" ||
		first.Charge != nil {
		t.Errorf("track --json = %+v\nstored = %+v", first, r)
	}
	if r.CustomerID != cu.ID || r.UsageType != "api_calls" || r.Quantity != 2.5 || r.Units != "calls" ||
		r.IdempotencyKey != "cli-test-1" || r.Metadata["route"] != "/search" || r.Endpoint != "usage" {
		t.Errorf("stored = %+v", r)
	}

	// The same key again records nothing more, and says so.
	var again usageJSON
	decodeJSON(t, ok(t, e, args...), &again)
	if !again.IsDuplicate || again.UsageEventID != first.UsageEventID || len(srv.UsageRecords()) != 1 {
		t.Errorf("repeat = %+v, %d records", again, len(srv.UsageRecords()))
	}

	out := ok(t, e, "usage", "track", "--external-id", "new-by-external", "--meter", "llm_tokens", "--quantity", "7", "--mode", "internal").stdout
	recs = srv.UsageRecords()
	last := recs[len(recs)-1]
	if len(recs) != 2 || last.Endpoint != "usage/internal" || last.Quantity != 7 {
		t.Errorf("internal usage stored as %+v", last)
	}
	wantLines(t, "usage track", out, "usage event "+last.ID, "charge none")
}
