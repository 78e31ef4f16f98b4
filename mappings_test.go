package drip_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
)

// openAIUsage is a provider payload as a webhook would deliver it.
var openAIUsage = map[string]any{
	"id":    "chatcmpl-001",
	"model": "gpt-4o-mini",
	"user":  map[string]any{"id": "acme-7"},
	"usage": map[string]any{"total_tokens": 1234, "prompt_tokens": "1000"},
	"choices": []any{
		map[string]any{"index": 0, "finish_reason": "length"},
		map[string]any{"index": 1, "finish_reason": "stop"},
	},
	"tools":        []any{map[string]any{"type": "fn"}, map[string]any{"type": "search", "name": "web"}},
	"x-request-id": "req-9",
	"tags":         []any{"alpha", "beta", "gamma"},
}

func TestPayloadMappingDryRunAndIngest(t *testing.T) {
	ctx := ctxT(t)
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	cu, err := c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "acme-7"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.CreatePayloadMapping(ctx, drip.PayloadMappingParams{
		Name: "OpenAI usage", SourceName: "openai", TargetUnitType: "llm_tokens",
		TargetQuantityPath: "$.usage.total_tokens", TargetCustomerIDPath: "$.user.id", TargetIdempotencyPath: "$.id",
		TargetMetadataMap: map[string]string{"model": "$.model", "missing": "$.nope"}, TargetActionName: "chat",
		SampleInput: openAIUsage,
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != 1 || !m.IsActive || m.SourceName != "openai" || m.SampleInput["model"] != "gpt-4o-mini" {
		t.Fatalf("mapping = %+v", m)
	}
	ev, err := c.DryRunPayloadMapping(ctx, m.ID, openAIUsage)
	if err != nil {
		t.Fatal(err)
	}
	want := drip.MappedEvent{CustomerID: "acme-7", Meter: "llm_tokens", Quantity: 1234, IdempotencyKey: "chatcmpl-001",
		Metadata: map[string]any{"model": "gpt-4o-mini", "actionName": "chat"}}
	if !sameEvent(*ev, want) {
		t.Fatalf("dry run = %+v, want %+v", ev, want)
	}
	if n := len(ingestedUsage(t, srv)); n != 0 {
		t.Fatalf("a dry run recorded %d usage events", n)
	}

	pub := newClient(t, srv.BaseURL(), drip.WithAPIKey("pk_test_ingest_00001")) // ingest is a public key's
	res, err := pub.Ingest(ctx, "openai", openAIUsage)
	if err != nil {
		t.Fatal(err)
	}
	if res.MappingID != m.ID || res.SourceName != "openai" || res.UsageEventID == "" || res.Replayed || res.Event == nil ||
		res.Event.CustomerID != cu.ID {
		t.Fatalf("ingest = %+v", res)
	}
	recs := ingestedUsage(t, srv)
	if len(recs) != 1 {
		t.Fatalf("usage = %+v", recs)
	}
	r := recs[0]
	if r.ID != res.UsageEventID || r.CustomerID != cu.ID || r.UsageType != "llm_tokens" || r.Quantity != 1234 ||
		r.IdempotencyKey != "chatcmpl-001" || r.Endpoint != "usage/internal" || r.Metadata["model"] != "gpt-4o-mini" {
		t.Fatalf("usage record = %+v", r)
	}
	// The same payload again is a replay: nothing new is recorded.
	again, err := pub.Ingest(ctx, "openai", openAIUsage)
	if err != nil || !again.Replayed || again.UsageEventID != res.UsageEventID {
		t.Fatalf("replay = %+v %v", again, err)
	}
	if n := len(ingestedUsage(t, srv)); n != 1 {
		t.Fatalf("replay recorded: %d events", n)
	}
	// Without an idempotency path every ingest counts.
	empty := ""
	if _, err := c.UpdatePayloadMapping(ctx, m.ID, drip.UpdatePayloadMappingParams{TargetIdempotencyPath: &empty}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := pub.Ingest(ctx, "openai", json.RawMessage(`{"user":{"id":"acme-7"},"usage":{"total_tokens":"2.5"}}`)); err != nil {
			t.Fatal(err)
		}
	}
	if recs := ingestedUsage(t, srv); len(recs) != 3 || recs[2].Quantity != 2.5 {
		t.Fatalf("usage = %+v", recs)
	}
}

func sameEvent(a, b drip.MappedEvent) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func ingestedUsage(t *testing.T, srv *testServer) []usageRow {
	t.Helper()
	us, err := srv.store.UsageRecords(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]usageRow, len(us))
	for i, u := range us {
		out[i] = usageRow{u.ID, u.CustomerID, u.UsageType, u.Quantity, u.IdempotencyKey, u.Endpoint, u.Metadata}
	}
	return out
}

type usageRow struct {
	ID, CustomerID, UsageType string
	Quantity                  float64
	IdempotencyKey, Endpoint  string
	Metadata                  map[string]any
}

// TestPayloadMappingPathForms checks each documented path form through a
// dry run and an ingest.
func TestPayloadMappingPathForms(t *testing.T) {
	ctx := ctxT(t)
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	if _, err := c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "acme-7"}); err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		path string
		want any
	}{
		{"$", nil}, // the whole payload
		{"$.usage.total_tokens", 1234.0},
		{"$.choices[0].finish_reason", "length"},
		{"$.choices[-1].finish_reason", "stop"},
		{"$.tags[-3]", "alpha"},
		{"$['x-request-id']", "req-9"},
		{`$["usage"]['prompt_tokens']`, "1000"},
		{"$.tools[*].name", "web"}, // the first element that has a name
	} {
		src := "src-" + string(rune('a'+i))
		m, err := c.CreatePayloadMapping(ctx, drip.PayloadMappingParams{Name: tc.path, SourceName: src, TargetUnitType: "t",
			TargetQuantityPath: "$.usage.total_tokens", TargetCustomerIDPath: "$.user.id",
			TargetMetadataMap: map[string]string{"v": tc.path}})
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		ev, err := c.DryRunPayloadMapping(ctx, m.ID, openAIUsage)
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		got := ev.Metadata["v"]
		if tc.path == "$" {
			if obj, ok := got.(map[string]any); !ok || obj["model"] != "gpt-4o-mini" {
				t.Errorf("$: %#v", got)
			}
		} else if got != tc.want {
			t.Errorf("%s = %#v, want %#v", tc.path, got, tc.want)
		}
		res, err := c.Ingest(ctx, src, openAIUsage)
		if err != nil || res.Event == nil || res.Event.Quantity != 1234 {
			t.Fatalf("%s ingest: %+v %v", tc.path, res, err)
		}
	}
	// The same forms select the quantity and the customer.
	m, err := c.CreatePayloadMapping(ctx, drip.PayloadMappingParams{Name: "q", SourceName: "forms", TargetUnitType: "t",
		TargetQuantityPath: "$['usage'].prompt_tokens", TargetCustomerIDPath: "$.list[*].owner"})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := c.DryRunPayloadMapping(ctx, m.ID, map[string]any{"usage": map[string]any{"prompt_tokens": "7.25"},
		"list": []any{map[string]any{}, map[string]any{"owner": "acme-7"}, map[string]any{"owner": "other"}}})
	if err != nil || ev.Quantity != 7.25 || ev.CustomerID != "acme-7" {
		t.Fatalf("forms: %+v %v", ev, err)
	}
}

func TestPayloadMappingErrors(t *testing.T) {
	ctx := ctxT(t)
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	if _, err := c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "acme-7"}); err != nil {
		t.Fatal(err)
	}
	m, err := c.CreatePayloadMapping(ctx, drip.PayloadMappingParams{Name: "m", SourceName: "vendor", TargetUnitType: "t",
		TargetQuantityPath: "$.usage.total_tokens", TargetCustomerIDPath: "$.user.id", TargetIdempotencyPath: "$.id"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		payload map[string]any
		path    string
	}{
		{map[string]any{"user": map[string]any{"id": "acme-7"}, "id": "1"}, "$.usage.total_tokens"},
		{map[string]any{"user": map[string]any{"id": "acme-7"}, "id": "1", "usage": map[string]any{"total_tokens": "lots"}}, "$.usage.total_tokens"},
		{map[string]any{"user": map[string]any{"id": "acme-7"}, "id": "1", "usage": map[string]any{"total_tokens": -1}}, "$.usage.total_tokens"},
		{map[string]any{"user": []any{"acme-7"}, "id": "1", "usage": map[string]any{"total_tokens": 1}}, "$.user.id"},
		{map[string]any{"user": map[string]any{"id": "acme-7"}, "usage": map[string]any{"total_tokens": 1}}, "$.id"},
	} {
		_, err := c.Ingest(ctx, "vendor", tc.payload)
		e, ok := drip.AsError(err)
		if !ok || e.StatusCode != 400 || !errors.Is(err, drip.ErrMappingFailed) || drip.MappingFailedPath(err) != tc.path {
			t.Errorf("ingest %v: %v (path %q), want MAPPING_FAILED on %s", tc.payload, err, drip.MappingFailedPath(err), tc.path)
		}
		if _, err := c.DryRunPayloadMapping(ctx, m.ID, tc.payload); drip.MappingFailedPath(err) != tc.path {
			t.Errorf("dry run %v: %v, want MAPPING_FAILED on %s", tc.payload, err, tc.path)
		}
	}
	if n := len(ingestedUsage(t, srv)); n != 0 {
		t.Fatalf("failed ingests recorded %d events", n)
	}
	// Anything outside the syntax is refused when the mapping is made.
	for _, bad := range []string{"usage.total", "$..a", "$.a[", "$.a[1:2]", "$.a[?(@.x)]", "$['k]", "$.a.", "$[+1]"} {
		_, err := c.CreatePayloadMapping(ctx, drip.PayloadMappingParams{Name: "b", SourceName: "bad", TargetUnitType: "t",
			TargetQuantityPath: bad, TargetCustomerIDPath: "$.user.id"})
		if !errors.Is(err, drip.ErrMappingFailed) || drip.MappingFailedPath(err) != bad {
			t.Errorf("path %q: %v", bad, err)
		}
	}
	if _, err := c.Ingest(ctx, "nobody", map[string]any{}); !errors.Is(err, drip.ErrPayloadMappingNotFound) {
		t.Fatalf("unknown source: %v", err)
	} else if e, _ := drip.AsError(err); e.StatusCode != 404 {
		t.Fatalf("unknown source status %d", e.StatusCode)
	}
	no := false
	if _, err := c.UpdatePayloadMapping(ctx, m.ID, drip.UpdatePayloadMappingParams{IsActive: &no}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Ingest(ctx, "vendor", map[string]any{"user": map[string]any{"id": "acme-7"}, "id": "1", "usage": map[string]any{"total_tokens": 1}})
	if e, ok := drip.AsError(err); !ok || e.StatusCode != 410 || !errors.Is(err, drip.ErrPayloadMappingInactive) {
		t.Fatalf("inactive: %v", err)
	}
}

func TestPayloadMappingVersionsAndCRUD(t *testing.T) {
	ctx := ctxT(t)
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	m, err := c.CreatePayloadMapping(ctx, drip.PayloadMappingParams{Name: "v1", SourceName: "ver", TargetUnitType: "t",
		TargetQuantityPath: "$.q", TargetCustomerIDPath: "$.c"})
	if err != nil {
		t.Fatal(err)
	}
	n2, q2 := "v2", "$.quantity"
	if _, err := c.UpdatePayloadMapping(ctx, m.ID, drip.UpdatePayloadMappingParams{Name: &n2}); err != nil {
		t.Fatal(err)
	}
	got, err := c.UpdatePayloadMapping(ctx, m.ID, drip.UpdatePayloadMappingParams{TargetQuantityPath: &q2})
	if err != nil || got.Version != 3 || got.Name != "v2" || got.TargetQuantityPath != "$.quantity" {
		t.Fatalf("update: %+v %v", got, err)
	}
	vs, err := c.ListPayloadMappingVersions(ctx, m.ID)
	if err != nil || len(vs) != 3 {
		t.Fatalf("versions: %+v %v", vs, err)
	}
	for i, want := range []struct{ name, q string }{{"v1", "$.q"}, {"v2", "$.q"}, {"v2", "$.quantity"}} {
		v := vs[i]
		if v.Version != i+1 || v.MappingID != m.ID || v.CreatedBy == "" || v.Mapping.Name != want.name || v.Mapping.TargetQuantityPath != want.q {
			t.Errorf("version %d = %+v", i+1, v)
		}
	}
	other, err := c.CreatePayloadMapping(ctx, drip.PayloadMappingParams{Name: "o", SourceName: "other", TargetUnitType: "t",
		TargetQuantityPath: "$.q", TargetCustomerIDPath: "$.c"})
	if err != nil {
		t.Fatal(err)
	}
	src := "ver"
	if _, err := c.UpdatePayloadMapping(ctx, other.ID, drip.UpdatePayloadMappingParams{SourceName: &src}); err == nil {
		t.Fatal("two mappings for one source")
	}
	if _, err := c.CreatePayloadMapping(ctx, drip.PayloadMappingParams{Name: "x", SourceName: "Not A Slug", TargetUnitType: "t",
		TargetQuantityPath: "$.q", TargetCustomerIDPath: "$.c"}); !errors.Is(err, drip.ErrValidation) {
		t.Fatalf("bad slug: %v", err)
	}
	l, err := c.ListPayloadMappings(ctx)
	if err != nil || len(l) != 2 {
		t.Fatalf("list: %+v %v", l, err)
	}
	if g, err := c.GetPayloadMapping(ctx, m.ID); err != nil || g.Version != 3 {
		t.Fatalf("get: %+v %v", g, err)
	}
	if err := c.DeletePayloadMapping(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetPayloadMapping(ctx, m.ID); !errors.Is(err, drip.ErrPayloadMappingNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if _, err := c.ListPayloadMappingVersions(ctx, m.ID); !errors.Is(err, drip.ErrPayloadMappingNotFound) {
		t.Fatalf("versions after delete: %v", err)
	}
	if _, err := c.CreatePayloadMapping(ctx, drip.PayloadMappingParams{Name: "x"}); !errors.Is(err, drip.ErrValidation) {
		t.Fatalf("missing fields: %v", err)
	}
}

// TestAccountPublicKey checks the key scoping of the account calls: a
// public key may start a checkout and ingest; withdrawals, portal sessions
// and payload-mapping management need a secret key, refused by the client
// before sending and by dripd on the same routes.
func TestAccountPublicKey(t *testing.T) {
	ctx := ctxT(t)
	srv := startServer(t, nil)
	pk := newClient(t, srv.BaseURL(), drip.WithAPIKey("pk_test_0123456789abcdef"))
	name := "n"
	calls := map[string]func() error{
		"Withdraw": func() error {
			_, err := pk.Withdraw(ctx, drip.WithdrawParams{Amount: dec("10"), IdempotencyKey: "k"})
			return err
		},
		"ListWithdrawals":       func() error { _, err := pk.ListWithdrawals(ctx, nil); return err },
		"EstimateWithdrawalFee": func() error { _, err := pk.EstimateWithdrawalFee(ctx, dec("10")); return err },
		"CancelWithdrawal":      func() error { _, err := pk.CancelWithdrawal(ctx, "wd_1"); return err },
		"CreatePortalSession": func() error {
			_, err := pk.CreatePortalSession(ctx, drip.PortalSessionParams{CustomerID: "c"})
			return err
		},
		"RevokePortalSession": func() error { return pk.RevokePortalSession(ctx, "ps_1") },
		"CreatePayloadMapping": func() error {
			_, err := pk.CreatePayloadMapping(ctx, drip.PayloadMappingParams{Name: "n", SourceName: "s", TargetUnitType: "t",
				TargetQuantityPath: "$.q", TargetCustomerIDPath: "$.c"})
			return err
		},
		"ListPayloadMappings": func() error { _, err := pk.ListPayloadMappings(ctx); return err },
		"GetPayloadMapping":   func() error { _, err := pk.GetPayloadMapping(ctx, "pm_1"); return err },
		"UpdatePayloadMapping": func() error {
			_, err := pk.UpdatePayloadMapping(ctx, "pm_1", drip.UpdatePayloadMappingParams{Name: &name})
			return err
		},
		"DeletePayloadMapping":       func() error { return pk.DeletePayloadMapping(ctx, "pm_1") },
		"ListPayloadMappingVersions": func() error { _, err := pk.ListPayloadMappingVersions(ctx, "pm_1"); return err },
		"DryRunPayloadMapping":       func() error { _, err := pk.DryRunPayloadMapping(ctx, "pm_1", map[string]any{}); return err },
	}
	for what, call := range calls {
		before := srv.requests.Load()
		err := call()
		if e, ok := drip.AsError(err); !ok || e.StatusCode != 403 || !errors.Is(err, drip.ErrPublicKeyNotAllowed) {
			t.Errorf("%s with pk_: %v", what, err)
		}
		if srv.requests.Load() != before {
			t.Errorf("%s with pk_ was sent", what)
		}
	}
	for _, r := range []struct{ method, path string }{
		{"POST", "/withdrawals"}, {"GET", "/withdrawals"}, {"GET", "/withdrawals/fee-estimate?amount_usdc=10"},
		{"DELETE", "/withdrawals/wd_1"}, {"POST", "/portal-sessions"}, {"DELETE", "/portal-sessions/ps_1"},
		{"POST", "/payload-mappings"}, {"GET", "/payload-mappings"}, {"GET", "/payload-mappings/pm_1"},
		{"PATCH", "/payload-mappings/pm_1"}, {"DELETE", "/payload-mappings/pm_1"}, {"GET", "/payload-mappings/pm_1/versions"},
		{"POST", "/payload-mappings/pm_1/dry-run"},
	} {
		if st := rawStatus(t, r.method, srv.BaseURL()+r.path, "pk_test_0123456789abcdef"); st != 403 {
			t.Errorf("dripd: %s %s with pk_ = %d, want 403", r.method, r.path, st)
		}
	}
	// Checkout and ingest are a public key's on dripd too.
	if st := rawStatus(t, "POST", srv.BaseURL()+"/ingest/none", "pk_test_0123456789abcdef"); st != 404 {
		t.Errorf("ingest with pk_: %d, want 404 (no mapping)", st)
	}
	if st := rawStatus(t, "POST", srv.BaseURL()+"/checkout", "pk_test_0123456789abcdef"); st != 422 {
		t.Errorf("checkout with pk_: %d, want 422 (empty body)", st)
	}
}

func rawStatus(t *testing.T, method, u, key string) int {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestAccountValidation checks that bad input to the account calls is a
// VALIDATION_ERROR naming the field, before anything is sent.
func TestPaymentValidation(t *testing.T) {
	ctx := ctxT(t)
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	for _, tc := range []struct {
		field string
		call  func() error
	}{
		{"amountUsdc", func() error { _, err := c.Withdraw(ctx, drip.WithdrawParams{Amount: dec("9.99")}); return err }},
		{"amountUsdc", func() error { _, err := c.Withdraw(ctx, drip.WithdrawParams{Amount: dec("100000.000001")}); return err }},
		{"amountUsdc", func() error { _, err := c.Withdraw(ctx, drip.WithdrawParams{Amount: dec("10.0000001")}); return err }},
		{"amountUsdc", func() error { _, err := c.Withdraw(ctx, drip.WithdrawParams{}); return err }},
		{"withdrawalId", func() error { _, err := c.CancelWithdrawal(ctx, ""); return err }},
		{"customerId", func() error { _, err := c.CreatePortalSession(ctx, drip.PortalSessionParams{}); return err }},
		{"expiresInMinutes", func() error {
			_, err := c.CreatePortalSession(ctx, drip.PortalSessionParams{CustomerID: "c", ExpiresIn: -time.Minute})
			return err
		}},
		{"sessionId", func() error { return c.RevokePortalSession(ctx, " ") }},
		{"sourceName", func() error {
			_, err := c.CreatePayloadMapping(ctx, drip.PayloadMappingParams{Name: "n", TargetUnitType: "t", TargetQuantityPath: "$.q",
				TargetCustomerIDPath: "$.c"})
			return err
		}},
		{"name", func() error {
			empty := ""
			_, err := c.UpdatePayloadMapping(ctx, "pm_1", drip.UpdatePayloadMappingParams{Name: &empty})
			return err
		}},
		{"sourceName", func() error { _, err := c.Ingest(ctx, "", map[string]any{}); return err }},
		{"payload", func() error { _, err := c.Ingest(ctx, "src", json.RawMessage(`{"a":`)); return err }},
		{"payload", func() error { _, err := c.DryRunPayloadMapping(ctx, "pm_1", func() {}); return err }},
	} {
		err := tc.call()
		if e, ok := drip.AsError(err); !ok || e.Code != drip.CodeValidation || e.Field != tc.field {
			t.Errorf("%v, want VALIDATION_ERROR on %s", err, tc.field)
		}
	}
	if n := srv.requests.Load(); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
}
