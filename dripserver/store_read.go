package dripserver

import (
	"context"
	"fmt"
)

// The read helpers below return everything stored, in insertion order. They
// are for assertions in tests and for tools; the HTTP API pages instead.

// Customers returns all customers.
func (s *Store) Customers(ctx context.Context) (cs []Customer, err error) {
	err = s.view(ctx, func(t *txn) error {
		cs, _, err = t.listCustomers("", -1, 0)
		return err
	})
	return cs, err
}

// Workflows returns all workflows.
func (s *Store) Workflows(ctx context.Context) (ws []Workflow, err error) {
	err = s.view(ctx, func(t *txn) error {
		ws, err = t.listWorkflows()
		return err
	})
	return ws, err
}

// UsageRecords returns all usage records.
func (s *Store) UsageRecords(ctx context.Context) (us []UsageRecord, err error) {
	err = s.view(ctx, func(t *txn) error {
		us, err = t.listUsage()
		return err
	})
	return us, err
}

// Runs returns all runs with their totals.
func (s *Store) Runs(ctx context.Context) (rs []Run, err error) {
	err = s.view(ctx, func(t *txn) error {
		rs, err = t.listRuns()
		return err
	})
	return rs, err
}

// Run returns the run with the given id; ok is false when there is none.
func (s *Store) Run(ctx context.Context, id string) (r Run, ok bool, err error) {
	err = s.view(ctx, func(t *txn) error {
		r, ok, err = t.runByID(id)
		return err
	})
	return r, ok, err
}

// Events returns the events of a run in timeline order (timestamp, then
// arrival).
func (s *Store) Events(ctx context.Context, runID string) (es []Event, err error) {
	err = s.view(ctx, func(t *txn) error {
		es, err = t.eventsPage(runID, false, 0, 0, 0)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("dripserver: events of run %s: %w", runID, err)
	}
	return es, nil
}
