package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
)

var allTools = []string{
	"drip_ping", "drip_track_usage", "drip_record_run", "drip_start_run", "drip_emit_event", "drip_end_run",
	"drip_get_run", "drip_get_run_timeline", "drip_create_customer", "drip_get_customer", "drip_list_customers",
	"drip_get_balance", "drip_list_charges", "drip_check_entitlement", "drip_list_subscriptions", "drip_list_contracts",
}

var readTools = []string{"drip_ping", "drip_get_run", "drip_get_run_timeline", "drip_get_customer", "drip_list_customers",
	"drip_get_balance", "drip_list_charges", "drip_check_entitlement", "drip_list_subscriptions", "drip_list_contracts"}

// secretTools need an sk_ key and are not listed for a pk_ one.
var secretTools = []string{"drip_list_contracts"}

// without returns names less the ones in drop, in order.
func without(names, drop []string) []string {
	var out []string
	for _, n := range names {
		if !slices.Contains(drop, n) {
			out = append(out, n)
		}
	}
	return out
}

func newClient(t *testing.T, key, baseURL string) *drip.Client {
	t.Helper()
	c, err := drip.New(drip.WithAPIKey(key), drip.WithBaseURL(baseURL), drip.WithoutRetries())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// connect runs s over an in-memory transport and returns a client session.
func connect(t *testing.T, s *mcp.Server) *mcp.ClientSession {
	t.Helper()
	ctx := context.Background()
	ct, st := mcp.NewInMemoryTransports()
	ss, err := s.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "v0"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.Close()
		_ = ss.Wait()
	})
	return cs
}

func listNames(t *testing.T, cs *mcp.ClientSession) []string {
	t.Helper()
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range res.Tools {
		names = append(names, tl.Name)
	}
	slices.Sort(names) // the SDK lists by name
	return names
}

func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

// call calls a tool that must succeed and decodes its structured result.
func call[Out any](t *testing.T, cs *mcp.ClientSession, name string, args any) Out {
	t.Helper()
	res := callRaw(t, cs, name, args)
	if res.IsError {
		t.Fatalf("%s: tool error: %s", name, text(res))
	}
	var out Out
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: structured content %s: %v", name, b, err)
	}
	// The text content mirrors the structured result for older clients.
	if !strings.Contains(text(res), "{") {
		t.Errorf("%s: text content %q", name, text(res))
	}
	return out
}

func callRaw(t *testing.T, cs *mcp.ClientSession, name string, args any) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: protocol error: %v", name, err)
	}
	return res
}

func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func TestEveryToolAgainstDripd(t *testing.T) {
	srv := driptest.NewServer(t)
	c := newClient(t, srv.APIKey(), srv.BaseURL())
	cs := connect(t, New(c, Options{}))
	if got := listNames(t, cs); !slices.Equal(got, sorted(allTools)) {
		t.Fatalf("tools = %v, want %v", got, allTools)
	}

	t.Run("drip_ping", func(t *testing.T) {
		if out := call[pingOut](t, cs, "drip_ping", map[string]any{}); !out.OK || out.Status != "healthy" {
			t.Errorf("ping = %+v", out)
		}
	})

	cust := call[customerOut](t, cs, "drip_create_customer", map[string]any{
		"externalCustomerId": "acme", "metadata": map[string]any{"plan": "pro"},
	})
	if cust.ID == "" || cust.ExternalCustomerID != "acme" || cust.Metadata["plan"] != "pro" {
		t.Fatalf("create_customer = %+v", cust)
	}

	t.Run("drip_get_customer and drip_list_customers", func(t *testing.T) {
		got := call[customerOut](t, cs, "drip_get_customer", map[string]any{"customerId": cust.ID})
		if got.ID != cust.ID || got.ExternalCustomerID != "acme" {
			t.Errorf("get_customer = %+v", got)
		}
		call[customerOut](t, cs, "drip_create_customer", map[string]any{"externalCustomerId": "globex"})
		list := call[listCustomersOut](t, cs, "drip_list_customers", map[string]any{"limit": 10})
		if list.Count != 2 || len(list.Customers) != 2 {
			t.Errorf("list_customers = %+v", list)
		}
		page := call[listCustomersOut](t, cs, "drip_list_customers", map[string]any{"limit": 1, "offset": 1})
		if len(page.Customers) != 1 || page.Customers[0].ExternalCustomerID != "globex" {
			t.Errorf("second page = %+v", page)
		}
	})

	t.Run("drip_track_usage", func(t *testing.T) {
		args := map[string]any{
			"customerId": cust.ID, "meter": "api_calls", "quantity": 3, "units": "calls",
			"idempotencyKey": "agent-retry-1",
			"metadata":       map[string]any{"tool": "search", "prompt": "the user's secret question"},
		}
		first := call[trackUsageOut](t, cs, "drip_track_usage", args)
		again := call[trackUsageOut](t, cs, "drip_track_usage", args)
		if !first.Success || first.IsDuplicate || !again.IsDuplicate || first.IdempotencyKey != "agent-retry-1" {
			t.Errorf("track_usage = %+v then %+v", first, again)
		}
		internal := call[trackUsageOut](t, cs, "drip_track_usage", map[string]any{
			"customerId": "acme", "meter": "llm_tokens", "quantity": 1500, "mode": "internal",
		})
		if !internal.Success || internal.IdempotencyKey == "" {
			t.Errorf("internal usage = %+v", internal)
		}
		recs := srv.UsageRecords()
		if len(recs) != 2 || recs[0].Quantity != 3 || recs[0].UsageType != "api_calls" || recs[1].Endpoint != "usage/internal" {
			t.Fatalf("usage records = %+v", recs)
		}
		if _, leaked := recs[0].Metadata["prompt"]; leaked || recs[0].Metadata["tool"] != "search" {
			t.Errorf("metadata guard not applied: %v", recs[0].Metadata)
		}
	})

	t.Run("drip_record_run", func(t *testing.T) {
		out := call[recordRunOut](t, cs, "drip_record_run", map[string]any{
			"customerId": cust.ID, "workflow": "support-agent", "status": "COMPLETED", "externalRunId": "ticket-7",
			"events": []map[string]any{
				{"eventType": "llm.completion", "model": "gpt-4o-mini", "inputTokens": 812, "outputTokens": 164, "duration": 730},
				{"eventType": "tool.call", "name": "search", "duration": 120, "status": "success", "metadata": map[string]any{"hits": 3}},
			},
		})
		if out.RunID == "" || out.Status != "COMPLETED" || out.EventsCreated != 2 || out.WorkflowName == "" {
			t.Fatalf("record_run = %+v", out)
		}
		evs := srv.Events(out.RunID)
		if len(evs) != 2 {
			t.Fatalf("events = %+v", evs)
		}
		llm, tool := evs[0], evs[1]
		if llm.EventType != "llm.completion" || llm.Metadata["model"] != "gpt-4o-mini" ||
			llm.Metadata["inputTokens"] != float64(812) || llm.Metadata["outputTokens"] != float64(164) ||
			llm.Quantity != 976 || llm.DurationMs == nil || *llm.DurationMs != 730 {
			t.Errorf("llm event = %+v (metadata %v)", llm, llm.Metadata)
		}
		if tool.Metadata["name"] != "search" || tool.Metadata["hits"] != float64(3) || tool.Metadata["status"] != "success" {
			t.Errorf("tool event metadata = %v", tool.Metadata)
		}
		// Recording the same externalRunId again counts its events once.
		again := call[recordRunOut](t, cs, "drip_record_run", map[string]any{
			"customerId": cust.ID, "workflow": "support-agent", "status": "COMPLETED", "externalRunId": "ticket-7",
			"events": []map[string]any{{"eventType": "llm.completion", "model": "gpt-4o-mini", "inputTokens": 812, "outputTokens": 164, "duration": 730},
				{"eventType": "tool.call", "name": "search", "duration": 120, "status": "success", "metadata": map[string]any{"hits": 3}}},
		})
		if again.EventsDuplicates != 2 {
			t.Errorf("replayed record_run = %+v", again)
		}
	})

	t.Run("drip_get_balance, drip_list_charges, drip_check_entitlement", func(t *testing.T) {
		ctx := context.Background()
		if _, err := c.CreatePricingPlan(ctx, drip.PricingPlanParams{Name: "Searches", UnitType: "searches", UnitPrice: drip.MustDecimal("0.25")}); err != nil {
			t.Fatal(err)
		}
		payer, err := c.CreateCustomer(ctx, drip.CustomerParams{ExternalCustomerID: "payer", OnchainAddress: "0x00000000000000000000000000000000000000a1"})
		if err != nil {
			t.Fatal(err)
		}
		before := call[balanceOut](t, cs, "drip_get_balance", map[string]any{"customerId": payer.ID})
		billed := call[trackUsageOut](t, cs, "drip_track_usage", map[string]any{"customerId": payer.ID, "meter": "searches", "quantity": 3})
		if billed.Charge == nil || billed.Charge.AmountUSDC != "0.75" {
			t.Fatalf("billed usage = %+v", billed)
		}
		after := call[balanceOut](t, cs, "drip_get_balance", map[string]any{"customerId": payer.ID})
		if drip.MustDecimal(before.BalanceUSDC).Sub(drip.MustDecimal(after.BalanceUSDC)).String() != "0.75" || after.CustomerID != payer.ID {
			t.Errorf("balance %+v then %+v", before, after)
		}
		charges := call[listChargesOut](t, cs, "drip_list_charges", map[string]any{"customerId": payer.ID, "limit": 10})
		if charges.Count != 1 || len(charges.Charges) != 1 || charges.Charges[0].ID != billed.Charge.ID ||
			charges.Charges[0].Meter != "searches" || charges.Charges[0].Quantity != "3" || charges.Charges[0].Status != "CONFIRMED" {
			t.Errorf("list_charges = %+v", charges)
		}

		plan, err := c.CreateEntitlementPlan(ctx, drip.EntitlementPlanParams{Name: "Starter", Slug: "starter", IsDefault: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateEntitlementRule(ctx, plan.ID, drip.EntitlementRuleParams{FeatureKey: "searches",
			LimitType: drip.LimitCount, Period: drip.PeriodDaily, LimitValue: drip.MustDecimal("4")}); err != nil {
			t.Fatal(err)
		}
		ok := call[checkEntitlementOut](t, cs, "drip_check_entitlement", map[string]any{"customerId": payer.ID, "featureKey": "searches"})
		no := call[checkEntitlementOut](t, cs, "drip_check_entitlement", map[string]any{"customerId": payer.ID, "featureKey": "searches", "quantity": 5})
		if !ok.Allowed || ok.Limit != "4" || ok.Period != "DAILY" || ok.PeriodResetsAt == "" || no.Allowed || no.Reason == "" {
			t.Errorf("check_entitlement = %+v then %+v", ok, no)
		}
	})

	t.Run("drip_list_subscriptions, drip_list_contracts", func(t *testing.T) {
		ctx := context.Background()
		sub, err := c.CreateSubscription(ctx, drip.SubscriptionParams{CustomerID: "payer", Name: "Pro", Interval: drip.IntervalMonthly,
			Price: drip.MustDecimal("20"), TrialDays: 14})
		if err != nil {
			t.Fatal(err)
		}
		five := drip.MustDecimal("5")
		ct, err := c.CreateContract(ctx, drip.ContractParams{CustomerID: "payer", Name: "Enterprise", StartDate: time.Now().Add(-time.Hour),
			DiscountPct: &five, IncludedUnits: map[string]int64{"searches": 100}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.AddContractOverride(ctx, ct.ID, "searches", drip.MustDecimal("0.2")); err != nil {
			t.Fatal(err)
		}
		subs := call[listSubscriptionsOut](t, cs, "drip_list_subscriptions", map[string]any{"customerId": sub.CustomerID})
		if subs.Count != 1 || len(subs.Subscriptions) != 1 || subs.Subscriptions[0].ID != sub.ID || subs.Subscriptions[0].Status != "TRIALING" ||
			subs.Subscriptions[0].PriceUSDC != "20" || subs.Subscriptions[0].Interval != "MONTHLY" || subs.Subscriptions[0].TrialEnd == "" {
			t.Errorf("list_subscriptions = %+v", subs)
		}
		cts := call[listContractsOut](t, cs, "drip_list_contracts", map[string]any{"status": "ACTIVE"})
		if len(cts.Contracts) != 1 || cts.Contracts[0].ID != ct.ID || cts.Contracts[0].DiscountPct != "5" ||
			cts.Contracts[0].IncludedUnits["searches"] != 100 || cts.Contracts[0].PriceOverrides["searches"] != "0.2" {
			t.Errorf("list_contracts = %+v", cts)
		}
	})

	t.Run("drip_start_run, drip_emit_event, drip_end_run, drip_get_run, drip_get_run_timeline", func(t *testing.T) {
		run := call[runOut](t, cs, "drip_start_run", map[string]any{
			"customerId": cust.ID, "workflowId": "research-agent", "correlationId": "trace-1",
		})
		if run.ID == "" || run.Status != "RUNNING" || run.CustomerID != cust.ID {
			t.Fatalf("start_run = %+v", run)
		}
		ev := call[eventOut](t, cs, "drip_emit_event", map[string]any{
			"runId": run.ID, "eventType": "llm.completion", "model": "claude-sonnet", "inputTokens": 100, "outputTokens": 50,
			"duration": 420, "idempotencyKey": "step-1",
		})
		if ev.ID == "" || ev.RunID != run.ID || ev.Quantity != 150 || ev.IsDuplicate {
			t.Errorf("emit_event = %+v", ev)
		}
		if dup := call[eventOut](t, cs, "drip_emit_event", map[string]any{
			"runId": run.ID, "eventType": "llm.completion", "model": "claude-sonnet", "inputTokens": 100, "outputTokens": 50,
			"duration": 420, "idempotencyKey": "step-1",
		}); !dup.IsDuplicate {
			t.Errorf("replayed emit_event = %+v", dup)
		}
		end := call[endRunOut](t, cs, "drip_end_run", map[string]any{"runId": run.ID, "status": "FAILED", "errorMessage": "tool timeout", "errorCode": "TIMEOUT"})
		if end.Status != "FAILED" || end.EventCount != 1 {
			t.Errorf("end_run = %+v", end)
		}
		got := call[runDetailsOut](t, cs, "drip_get_run", map[string]any{"runId": run.ID})
		if got.Status != "FAILED" || got.EventCount != 1 || got.ErrorCode != "TIMEOUT" || got.CorrelationID != "trace-1" {
			t.Errorf("get_run = %+v", got)
		}
		tl := call[timelineOut](t, cs, "drip_get_run_timeline", map[string]any{"runId": run.ID, "limit": 50})
		if tl.RunID != run.ID || len(tl.Events) != 1 || tl.Events[0].EventType != "llm.completion" || tl.Events[0].DurationMs != 420 ||
			tl.Summary.TotalEvents != 1 || tl.HasMore {
			t.Errorf("timeline = %+v", tl)
		}
	})
}

func TestToolListsFollowLeastPrivilege(t *testing.T) {
	srv := driptest.NewServer(t)
	cases := []struct {
		name     string
		key      string
		readOnly bool
		want     []string
	}{
		{"secret key", "sk_test_0123456789", false, allTools},
		// Every tool of the skill reference is a public-key tool; account
		// configuration (contracts) is not.
		{"public key", "pk_test_0123456789", false, without(allTools, secretTools)},
		{"read-only", "sk_test_0123456789", true, readTools},
		{"public key, read-only", "pk_test_0123456789", true, without(readTools, secretTools)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, tc.key, srv.BaseURL())
			if got := listNames(t, connect(t, New(c, Options{ReadOnly: tc.readOnly}))); !slices.Equal(got, sorted(tc.want)) {
				t.Errorf("tools = %v, want %v", got, tc.want)
			}
			if got := ToolNames(c.KeyType(), tc.readOnly); !slices.Equal(got, tc.want) {
				t.Errorf("ToolNames = %v, want %v", got, tc.want)
			}
		})
	}

	t.Run("a secret-only tool is hidden from pk_ keys", func(t *testing.T) {
		admin := toolDef{name: "drip_admin", secretOnly: true}
		if admin.allowed(drip.KeyPublic, false) || !admin.allowed(drip.KeySecret, false) || admin.allowed(drip.KeySecret, true) {
			t.Error("secretOnly is not enforced")
		}
	})

	t.Run("read tools are annotated read-only, writes are not", func(t *testing.T) {
		c := newClient(t, "sk_test_0123456789", srv.BaseURL())
		res, err := connect(t, New(c, Options{})).ListTools(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, tl := range res.Tools {
			if tl.Annotations == nil || tl.Annotations.ReadOnlyHint != slices.Contains(readTools, tl.Name) {
				t.Errorf("%s: annotations %+v", tl.Name, tl.Annotations)
			}
			if !strings.Contains(tl.Description, "operational context only") && !slices.Contains(readTools, tl.Name) {
				t.Errorf("%s: the description does not warn about metadata: %q", tl.Name, tl.Description)
			}
		}
	})
}

func TestBadArgumentsNameTheField(t *testing.T) {
	srv := driptest.NewServer(t)
	cs := connect(t, New(newClient(t, srv.APIKey(), srv.BaseURL()), Options{}))
	cases := []struct {
		tool  string
		args  map[string]any
		field string
	}{
		{"drip_track_usage", map[string]any{"meter": "m", "quantity": 1}, "customerId"},
		{"drip_track_usage", map[string]any{"customerId": "c", "meter": "m", "quantity": -1}, "quantity"},
		{"drip_track_usage", map[string]any{"customerId": "c", "meter": "", "quantity": 1}, "meter"},
		{"drip_track_usage", map[string]any{"customerId": "c", "meter": "m", "quantity": "lots"}, "quantity"},
		{"drip_track_usage", map[string]any{"customerId": "c", "meter": "m", "quantity": 1, "mode": "later"}, "mode"},
		{"drip_track_usage", map[string]any{"customerId": "c", "meter": "m", "quantity": 1, "customer": "x"}, "customer"},
		{"drip_emit_event", map[string]any{"runId": "r", "eventType": "x", "inputTokens": -5}, "inputTokens"},
		{"drip_end_run", map[string]any{"runId": "r", "status": "DONE"}, "status"},
		{"drip_record_run", map[string]any{"customerId": "c", "workflow": "w", "status": "COMPLETED", "events": []any{map[string]any{"model": "m"}}}, "eventType"},
		{"drip_list_customers", map[string]any{"limit": 1000}, "limit"},
		// Caught by the SDK's own validation rather than the schema.
		{"drip_create_customer", map[string]any{"isInternal": true}, "externalCustomerId"},
	}
	for _, tc := range cases {
		t.Run(tc.tool+"/"+tc.field, func(t *testing.T) {
			res := callRaw(t, cs, tc.tool, tc.args)
			if !res.IsError || !strings.Contains(text(res), tc.field) {
				t.Errorf("result = error %v, %q; want a tool error naming %s", res.IsError, text(res), tc.field)
			}
		})
	}
	if n := len(srv.UsageRecords()); n != 0 {
		t.Errorf("%d usage records written by invalid calls", n)
	}
}

func TestDripErrorsAreToolErrors(t *testing.T) {
	const key = "sk_test_topsecret_4242"
	srv := driptest.NewServer(t, driptest.WithAPIKeys(key))
	cs := connect(t, New(newClient(t, key, srv.BaseURL()), Options{}))

	res := callRaw(t, cs, "drip_get_customer", map[string]any{"customerId": "cus_nope"})
	if !res.IsError || !strings.Contains(text(res), "NOT_FOUND") || !strings.Contains(text(res), "404") {
		t.Errorf("unknown customer: %v %q", res.IsError, text(res))
	}
	res = callRaw(t, cs, "drip_end_run", map[string]any{"runId": "run_nope", "status": "COMPLETED"})
	if !res.IsError || !strings.Contains(text(res), "404") {
		t.Errorf("unknown run: %q", text(res))
	}

	t.Run("a rejected key is reported without the key", func(t *testing.T) {
		wrong := "sk_test_wrongkey_777777"
		cs := connect(t, New(newClient(t, wrong, srv.BaseURL()), Options{}))
		res := callRaw(t, cs, "drip_list_customers", map[string]any{})
		if !res.IsError || !strings.Contains(text(res), "UNAUTHORIZED") || strings.Contains(text(res), wrong) {
			t.Errorf("bad key: %q", text(res))
		}
	})

	t.Run("a key echoed by the server is redacted", func(t *testing.T) {
		echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusPaymentRequired)
			fmt.Fprintf(w, `{"message":"no balance for %s","code":"PAYMENT_REQUIRED"}`, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		}))
		defer echo.Close()
		cs := connect(t, New(newClient(t, key, echo.URL+"/v1"), Options{}))
		res := callRaw(t, cs, "drip_track_usage", map[string]any{"customerId": "c", "meter": "m", "quantity": 1})
		if !res.IsError || !strings.Contains(text(res), "PAYMENT_REQUIRED (HTTP 402)") || strings.Contains(text(res), "topsecret") {
			t.Errorf("echoed key: %q", text(res))
		}
	})
}
