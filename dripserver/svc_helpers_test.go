package dripserver

import (
	"context"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// testService opens a store at path (":memory:" or a file), closed when the
// test ends, and a service over it whose clock is now (the real clock when
// nil).
func testService(tb testing.TB, path string, now func() time.Time) (*Store, *service) {
	tb.Helper()
	st, err := OpenStore(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	if now == nil {
		now = func() time.Time { return time.Now().UTC() }
	}
	return st, &service{store: st, now: now}
}

// mustCustomer creates a customer with this external id.
func (s *service) mustCustomer(tb testing.TB, ext string) Customer {
	tb.Helper()
	c, err := s.createCustomer(context.Background(), wire.CreateCustomerRequest{ExternalCustomerID: ext})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// mustRun starts a run of workflow for customerID.
func (s *service) mustRun(tb testing.TB, customerID, workflow string) Run {
	tb.Helper()
	r, _, err := s.startRun(context.Background(), wire.StartRunRequest{CustomerID: customerID, WorkflowID: workflow})
	if err != nil {
		tb.Fatal(err)
	}
	return r
}
