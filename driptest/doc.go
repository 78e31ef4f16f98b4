// Package driptest runs a local Drip API (dripd) inside a test, so code
// that reports to Drip can be tested with no account and no network, and
// what it sent can be asserted on.
//
// NewServer starts the server on a free port of 127.0.0.1 with an
// in-memory store and stops it when the test ends. Point the client at
// BaseURL with APIKey, run the code under test, then read back what was
// stored:
//
//	func TestCheckoutMetersTokens(t *testing.T) {
//		srv := driptest.NewServer(t)
//		t.Setenv("DRIP_BASE_URL", srv.BaseURL())
//		t.Setenv("DRIP_API_KEY", srv.APIKey())
//
//		runCheckout(t) // the code under test
//
//		recs := srv.UsageRecords()
//		if len(recs) != 1 || recs[0].Quantity != 1500 {
//			t.Fatalf("usage = %+v, want one record of 1500", recs)
//		}
//	}
//
// The fault options (WithErrorRate, WithDropRate, WithLatency, WithSeed)
// make the server fail on purpose, to test retries and idempotency: a
// dropped request is committed, but its caller never hears back.
//
// driptest imports only the standard library and dripserver, so it is
// safe to import from any test. Its subpackage openaitest is a fake OpenAI
// for the same purpose: known token counts, no network.
package driptest
