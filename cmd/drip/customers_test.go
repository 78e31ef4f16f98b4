package main

import (
	"reflect"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/driptest"
)

func TestCustomersCommands(t *testing.T) {
	srv := driptest.NewServer(t)
	e := envFor(srv)

	// Flags after the command, some after nothing at all.
	var created customerJSON
	decodeJSON(t, ok(t, e, "customers", "create", "--external-id", "acme", "--metadata", "plan=pro", "--metadata", "region=eu", "--json"), &created)
	stored := srv.Customers()
	if len(stored) != 1 {
		t.Fatalf("dripd stored %d customers, want 1", len(stored))
	}
	s := stored[0]
	if created.ID != s.ID || created.ExternalCustomerID != "acme" || created.Status != s.Status || created.IsInternal ||
		!reflect.DeepEqual(created.Metadata, map[string]any{"plan": "pro", "region": "eu"}) ||
		!reflect.DeepEqual(s.Metadata, created.Metadata) || !parseTS(created.CreatedAt).Equal(s.CreatedAt.Truncate(time.Millisecond)) {
		t.Errorf("create --json = %+v\nstored = %+v", created, s)
	}

	// The global flag before the command reads the same.
	var got customerJSON
	decodeJSON(t, ok(t, e, "--json", "customers", "get", s.ID), &got)
	if !reflect.DeepEqual(got, created) {
		t.Errorf("get --json = %+v, want %+v", got, created)
	}

	ok(t, e, "customers", "create", "--onchain-address", "0x"+repeat("cd", 20), "--internal")
	var page list[customerJSON]
	decodeJSON(t, ok(t, e, "customers", "list", "--json"), &page)
	if page.Count != 2 || len(page.Data) != 2 {
		t.Fatalf("list --json = %+v, want 2 customers", page)
	}
	ids := map[string]bool{}
	for _, c := range page.Data {
		ids[c.ID] = true
	}
	for _, c := range srv.Customers() {
		if !ids[c.ID] {
			t.Errorf("list --json lacks %s", c.ID)
		}
	}
	decodeJSON(t, ok(t, e, "customers", "list", "--limit", "1", "--json"), &page)
	if page.Count != 1 || len(page.Data) != 1 {
		t.Errorf("list --limit 1 = %+v", page)
	}

	table := ok(t, e, "customers", "list").stdout
	wantLines(t, "customers list", table,
		"ID EXTERNAL ID STATUS INTERNAL ONCHAIN ADDRESS CREATED",
		s.ID+" acme ACTIVE false -")
	wantLines(t, "customers get", ok(t, e, "customers", "get", s.ID).stdout,
		"id "+s.ID, "external id acme", "metadata plan=pro region=eu")
}

func TestCustomersListEmpty(t *testing.T) {
	srv := driptest.NewServer(t)
	var page list[customerJSON]
	decodeJSON(t, ok(t, envFor(srv), "customers", "list", "--json"), &page)
	if page.Count != 0 || page.Data == nil {
		t.Errorf("empty list --json = %+v, want data [] and count 0", page)
	}
	wantLines(t, "empty list", ok(t, envFor(srv), "customers", "list").stdout, "no customers yet: create one with drip customers create")
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}
