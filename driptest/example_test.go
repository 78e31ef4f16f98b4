package driptest_test

import (
	"context"
	"testing"

	"github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
)

// A test of code that reports to Drip: point the client at the server, run
// the code, then assert on what the server stored. An Example has no
// *testing.T, so this one is compiled but not run; TestExampleNewServer
// runs the same steps.
func ExampleNewServer() {
	var t *testing.T // in your test: func TestCheckoutMetersTokens(t *testing.T) {

	srv := driptest.NewServer(t) // stopped when the test ends
	client, err := drip.New(drip.WithAPIKey(srv.APIKey()), drip.WithBaseURL(srv.BaseURL()))
	if err != nil {
		t.Fatal(err)
	}

	// The code under test; here, one usage record.
	_, err = client.TrackUsage(context.Background(), drip.UsageParams{
		ExternalCustomerID: "user_42", Meter: "llm_tokens", Quantity: 1500,
	})
	if err != nil {
		t.Fatal(err)
	}

	recs := srv.UsageRecords()
	if len(recs) != 1 || recs[0].UsageType != "llm_tokens" || recs[0].Quantity != 1500 {
		t.Fatalf("usage = %+v, want one llm_tokens record of 1500", recs)
	}
}

// TestExampleNewServer runs ExampleNewServer's steps.
func TestExampleNewServer(t *testing.T) {
	srv := driptest.NewServer(t)
	client, err := drip.New(drip.WithAPIKey(srv.APIKey()), drip.WithBaseURL(srv.BaseURL()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.TrackUsage(context.Background(), drip.UsageParams{
		ExternalCustomerID: "user_42", Meter: "llm_tokens", Quantity: 1500,
	})
	if err != nil {
		t.Fatal(err)
	}
	recs := srv.UsageRecords()
	if len(recs) != 1 || recs[0].UsageType != "llm_tokens" || recs[0].Quantity != 1500 {
		t.Fatalf("usage = %+v, want one llm_tokens record of 1500", recs)
	}
}
