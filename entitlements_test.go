package drip_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
	openaigo "github.com/openai/openai-go/v3"
	openaioption "github.com/openai/openai-go/v3/option"
	goopenai "github.com/sashabaranov/go-openai"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/driptest/openaitest"
)

func dec(s string) drip.Decimal { return drip.MustDecimal(s) }

func ptr[T any](v T) *T { return &v }

func wantDec(t *testing.T, what string, got drip.Decimal, want string) {
	t.Helper()
	if got.Cmp(dec(want)) != 0 {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

// mustOK returns v, or panics (failing the test, with the caller's line in
// the trace) when err is set: it lets a call's two results feed one
// expression.
func mustOK[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("unexpected error: %v", err))
	}
	return v
}

// TestEntitlementsAgainstDripd runs every entitlement call against dripd:
// plans, rules, checks that never consume, counters fed by usage of the
// feature's meter, overrides, the default plan, unlimited features (-1)
// and the daily reset on dripd's clock.
func TestEntitlementsAgainstDripd(t *testing.T) {
	clock := newClock()
	srv := startServer(t, nil, dripserver.WithClock(clock.now))
	c := newClient(t, srv.BaseURL())
	ctx := ctxT(t)

	pro := mustOK(c.CreateEntitlementPlan(ctx, drip.EntitlementPlanParams{Name: "Pro", Slug: "pro", Description: "paid", IsDefault: true}))
	if pro.ID == "" || !pro.IsDefault || !pro.IsActive || pro.Description != "paid" || pro.CreatedAt.IsZero() {
		t.Fatalf("plan %+v", pro)
	}
	calls := mustOK(c.CreateEntitlementRule(ctx, pro.ID, drip.EntitlementRuleParams{FeatureKey: "api_calls",
		LimitType: drip.LimitCount, Period: drip.PeriodDaily, LimitValue: dec("10")}))
	mustOK(c.CreateEntitlementRule(ctx, pro.ID, drip.EntitlementRuleParams{FeatureKey: "spend",
		LimitType: drip.LimitAmount, Period: drip.PeriodMonthly, LimitValue: dec("5.000001")}))
	mustOK(c.CreateEntitlementRule(ctx, pro.ID, drip.EntitlementRuleParams{FeatureKey: "exports",
		LimitType: drip.LimitCount, Period: drip.PeriodMonthly, Unlimited: true}))
	if _, err := c.CreateEntitlementRule(ctx, pro.ID, drip.EntitlementRuleParams{FeatureKey: "api_calls",
		LimitType: drip.LimitCount, Period: drip.PeriodDaily, LimitValue: dec("1")}); err == nil {
		t.Fatal("a second rule for one feature was accepted")
	}
	rules := mustOK(c.ListEntitlementRules(ctx, pro.ID))
	if len(rules) != 3 || rules[1].FeatureKey != "spend" || rules[1].LimitValue.String() != "5.000001" || rules[1].LimitType != drip.LimitAmount {
		t.Fatalf("rules %+v", rules)
	}
	upd := mustOK(c.UpdateEntitlementRule(ctx, calls.ID, drip.UpdateEntitlementRuleParams{LimitValue: ptr(dec("12"))}))
	wantDec(t, "updated limit", upd.LimitValue, "12")
	renamed := mustOK(c.UpdateEntitlementPlan(ctx, pro.ID, drip.UpdateEntitlementPlanParams{Name: ptr("Pro plan")}))
	if renamed.Name != "Pro plan" || !renamed.IsDefault {
		t.Fatalf("renamed %+v", renamed)
	}
	if got := mustOK(c.GetEntitlementPlan(ctx, pro.ID)); got.Name != "Pro plan" || got.Slug != "pro" {
		t.Fatalf("get %+v", got)
	}

	cust := createCustomer(t, c, "ent-acme")
	chk := mustOK(c.CheckEntitlement(ctx, cust, "api_calls", 0))
	nextMidnight := time.Date(2025, 3, 15, 0, 0, 0, 0, time.UTC)
	if !chk.Allowed || chk.Period != drip.PeriodDaily || !chk.PeriodResetsAt.Equal(nextMidnight) || chk.Reason != "" || chk.Err() != nil {
		t.Fatalf("check %+v", chk)
	}
	wantDec(t, "limit", chk.Limit, "12")
	wantDec(t, "remaining", chk.Remaining, "12")

	// Usage of the feature's meter counts, whichever endpoint records it;
	// other meters do not.
	for _, p := range []drip.UsageParams{
		{CustomerID: cust, Meter: "api_calls", Quantity: 7},
		{CustomerID: cust, Meter: "api_calls", Quantity: 4, Mode: drip.UsageInternal},
		{CustomerID: cust, Meter: "other", Quantity: 100},
	} {
		mustOK(c.TrackUsage(ctx, p))
	}
	for range 2 { // a check never consumes: asking twice answers the same
		chk = mustOK(c.CheckEntitlement(ctx, cust, "api_calls", 1))
		wantDec(t, "remaining after 11", chk.Remaining, "1")
		if !chk.Allowed {
			t.Fatalf("11 + 1 of 12 denied: %+v", chk)
		}
	}
	chk = mustOK(c.CheckEntitlement(ctx, cust, "api_calls", 2))
	err := chk.Err()
	if chk.Allowed || chk.Reason == "" || !errors.Is(err, drip.ErrEntitlementDenied) || !errors.Is(err, drip.ErrForbidden) ||
		errors.Is(err, drip.ErrNotFound) || !strings.Contains(err.Error(), chk.Reason) {
		t.Fatalf("11 + 2 of 12: %+v, err %v", chk, err)
	}

	unl := mustOK(c.CheckEntitlement(ctx, cust, "exports", 1e9))
	if !unl.Allowed || !unl.Unlimited || unl.Period != drip.PeriodMonthly || !unl.PeriodResetsAt.Equal(time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("unlimited %+v", unl)
	}
	wantDec(t, "unlimited limit", unl.Limit, "-1")
	wantDec(t, "unlimited remaining", unl.Remaining, "-1")

	if chk := mustOK(c.CheckEntitlement(ctx, cust, "video", 1)); chk.Allowed || !strings.Contains(chk.Reason, "not in plan") {
		t.Fatalf("feature not in plan: %+v", chk)
	}

	ent := mustOK(c.GetCustomerEntitlement(ctx, cust))
	if ent.PlanID != pro.ID || ent.PlanSlug != "pro" || ent.PlanName != "Pro plan" || len(ent.Rules) != 3 || len(ent.Overrides) != 0 {
		t.Fatalf("entitlement %+v", ent)
	}
	wantDec(t, "used", ent.Usage["api_calls"].Used, "11")
	wantDec(t, "usage remaining", ent.Usage["api_calls"].Remaining, "1")
	wantDec(t, "exports limit", ent.Usage["exports"].Limit, "-1")
	if ent.Usage["api_calls"].Period != drip.PeriodDaily {
		t.Errorf("usage %+v", ent.Usage)
	}

	// An override raises the customer's limit; the period's use stays.
	ent = mustOK(c.AssignCustomerEntitlement(ctx, cust, drip.AssignEntitlementParams{PlanID: pro.ID,
		Overrides: map[string]drip.EntitlementOverride{"api_calls": {LimitValue: ptr(dec("20"))}}}))
	wantDec(t, "override limit", ent.Usage["api_calls"].Limit, "20")
	wantDec(t, "override remaining", ent.Usage["api_calls"].Remaining, "9")
	if o := ent.Overrides["api_calls"]; o.LimitValue == nil || o.LimitValue.String() != "20" {
		t.Fatalf("overrides %+v", ent.Overrides)
	}
	if _, err := c.AssignCustomerEntitlement(ctx, cust, drip.AssignEntitlementParams{PlanID: pro.ID,
		Overrides: map[string]drip.EntitlementOverride{"nope": {Unlimited: ptr(true)}}}); !errors.Is(err, drip.ErrValidation) {
		t.Fatalf("override of a feature the plan lacks: %v", err)
	}

	// The next day, at 00:00 UTC on dripd's clock, the daily counter is
	// back to zero.
	clock.set(nextMidnight.Add(time.Second))
	chk = mustOK(c.CheckEntitlement(ctx, cust, "api_calls", 20))
	if !chk.Allowed || !chk.PeriodResetsAt.Equal(nextMidnight.AddDate(0, 0, 1)) {
		t.Fatalf("after the reset: %+v", chk)
	}
	wantDec(t, "remaining after reset", chk.Remaining, "20")

	// A new default plan replaces the old one as the default.
	free := mustOK(c.CreateEntitlementPlan(ctx, drip.EntitlementPlanParams{Name: "Free", Slug: "free", IsDefault: true}))
	if got := mustOK(c.GetEntitlementPlan(ctx, pro.ID)); got.IsDefault {
		t.Fatal("two default plans")
	}
	plans := mustOK(c.ListEntitlementPlans(ctx))
	if len(plans) != 2 || plans[1].ID != free.ID {
		t.Fatalf("plans %+v", plans)
	}
	if _, err := c.CreateEntitlementPlan(ctx, drip.EntitlementPlanParams{Name: "Free again", Slug: "free"}); err == nil {
		t.Fatal("duplicate slug accepted")
	}
	other := createCustomer(t, c, "ent-other") // no assignment: the default plan, which has no rules
	if chk := mustOK(c.CheckEntitlement(ctx, other, "api_calls", 1)); chk.Allowed {
		t.Fatalf("default plan without the feature allowed it: %+v", chk)
	}

	if err := c.DeleteEntitlementRule(ctx, calls.ID); err != nil {
		t.Fatal(err)
	}
	if chk := mustOK(c.CheckEntitlement(ctx, cust, "api_calls", 1)); chk.Allowed {
		t.Fatal("deleted rule still allows")
	}
	for _, id := range []string{pro.ID, free.ID} {
		if err := c.DeleteEntitlementPlan(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.GetEntitlementPlan(ctx, pro.ID); !errors.Is(err, drip.ErrNotFound) {
		t.Fatalf("deleted plan: %v", err)
	}
	if _, err := c.GetCustomerEntitlement(ctx, cust); !errors.Is(err, drip.ErrNotFound) {
		t.Fatalf("entitlement with no plan at all: %v", err)
	}
	if chk := mustOK(c.CheckEntitlement(ctx, cust, "api_calls", 1)); chk.Allowed || !strings.Contains(chk.Reason, "no entitlement plan") {
		t.Fatalf("no plan: %+v", chk)
	}
}

// TestEntitlementKeyScoping: with a public key the client refuses the
// sk-only calls before sending, dripd refuses them too, and checks and
// reading a customer's entitlement work.
func TestEntitlementKeyScoping(t *testing.T) {
	srv := startServer(t, nil)
	sk := newClient(t, srv.BaseURL())
	pk := newClient(t, srv.BaseURL(), drip.WithAPIKey("pk_test_0123456789abcdef"))
	ctx := ctxT(t)
	plan := mustOK(sk.CreateEntitlementPlan(ctx, drip.EntitlementPlanParams{Name: "P", Slug: "p", IsDefault: true}))
	rule := mustOK(sk.CreateEntitlementRule(ctx, plan.ID, drip.EntitlementRuleParams{FeatureKey: "f",
		LimitType: drip.LimitCount, Period: drip.PeriodDaily, LimitValue: dec("3")}))
	cust := createCustomer(t, sk, "scoped")

	skOnly := map[string]func() error{
		"CreateEntitlementPlan": func() error {
			_, err := pk.CreateEntitlementPlan(ctx, drip.EntitlementPlanParams{Name: "x", Slug: "x"})
			return err
		},
		"ListEntitlementPlans": func() error { _, err := pk.ListEntitlementPlans(ctx); return err },
		"GetEntitlementPlan":   func() error { _, err := pk.GetEntitlementPlan(ctx, plan.ID); return err },
		"UpdateEntitlementPlan": func() error {
			_, err := pk.UpdateEntitlementPlan(ctx, plan.ID, drip.UpdateEntitlementPlanParams{IsActive: ptr(false)})
			return err
		},
		"DeleteEntitlementPlan": func() error { return pk.DeleteEntitlementPlan(ctx, plan.ID) },
		"CreateEntitlementRule": func() error {
			_, err := pk.CreateEntitlementRule(ctx, plan.ID, drip.EntitlementRuleParams{FeatureKey: "g",
				LimitType: drip.LimitCount, Period: drip.PeriodDaily})
			return err
		},
		"ListEntitlementRules": func() error { _, err := pk.ListEntitlementRules(ctx, plan.ID); return err },
		"UpdateEntitlementRule": func() error {
			_, err := pk.UpdateEntitlementRule(ctx, rule.ID, drip.UpdateEntitlementRuleParams{Unlimited: ptr(true)})
			return err
		},
		"DeleteEntitlementRule": func() error { return pk.DeleteEntitlementRule(ctx, rule.ID) },
		"AssignCustomerEntitlement": func() error {
			_, err := pk.AssignCustomerEntitlement(ctx, cust, drip.AssignEntitlementParams{PlanID: plan.ID})
			return err
		},
	}
	for name, call := range skOnly {
		before := srv.requests.Load()
		err := call()
		if !errors.Is(err, drip.ErrPublicKeyNotAllowed) || srv.requests.Load() != before {
			t.Errorf("%s with pk_: %v, %d requests sent", name, err, srv.requests.Load()-before)
		}
	}
	if chk, err := pk.CheckEntitlement(ctx, cust, "f", 1); err != nil || !chk.Allowed {
		t.Fatalf("pk_ check: %+v %v", chk, err)
	}
	if _, err := pk.GetCustomerEntitlement(ctx, cust); err != nil {
		t.Fatalf("pk_ GetCustomerEntitlement: %v", err)
	}

	// dripd refuses the same set on its own.
	for _, r := range []struct{ method, path, body string }{
		{"POST", "/entitlement-plans", `{"name":"x","slug":"x"}`},
		{"GET", "/entitlement-plans", ""},
		{"GET", "/entitlement-plans/" + plan.ID, ""},
		{"PATCH", "/entitlement-plans/" + plan.ID, `{"isActive":false}`},
		{"DELETE", "/entitlement-plans/" + plan.ID, ""},
		{"POST", "/entitlement-plans/" + plan.ID + "/rules", `{"featureKey":"g","limitType":"COUNT","period":"DAILY","limitValue":1}`},
		{"GET", "/entitlement-plans/" + plan.ID + "/rules", ""},
		{"PATCH", "/entitlement-rules/" + rule.ID, `{"unlimited":true}`},
		{"DELETE", "/entitlement-rules/" + rule.ID, ""},
		{"PUT", "/customers/" + cust + "/entitlement", `{"planId":"` + plan.ID + `"}`},
	} {
		req, _ := http.NewRequest(r.method, srv.BaseURL()+r.path, bytes.NewReader([]byte(r.body)))
		req.Header.Set("Authorization", "Bearer pk_test_0123456789abcdef")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body bytes.Buffer
		body.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 403 || !strings.Contains(body.String(), drip.CodePublicKeyNotAllowed) {
			t.Errorf("dripd %s %s with pk_: %d %s", r.method, r.path, resp.StatusCode, body.String())
		}
	}
	if got := mustOK(sk.ListEntitlementRules(ctx, plan.ID)); len(got) != 1 || got[0].Unlimited {
		t.Fatalf("a refused call changed something: %+v", got)
	}
}

// TestEntitlementValidation: bad input is a VALIDATION_ERROR naming the
// field, before anything is sent.
func TestEntitlementValidation(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	ctx := ctxT(t)
	cases := []struct {
		field string
		call  func() error
	}{
		{"customerId", func() error { _, err := c.CheckEntitlement(ctx, " ", "f", 1); return err }},
		{"featureKey", func() error { _, err := c.CheckEntitlement(ctx, "cust_1", "", 1); return err }},
		{"quantity", func() error { _, err := c.CheckEntitlement(ctx, "cust_1", "f", -1); return err }},
		{"customerId", func() error { _, err := c.GetCustomerEntitlement(ctx, ""); return err }},
		{"planId", func() error {
			_, err := c.AssignCustomerEntitlement(ctx, "cust_1", drip.AssignEntitlementParams{})
			return err
		}},
		{"overrides.f.limitValue", func() error {
			_, err := c.AssignCustomerEntitlement(ctx, "cust_1", drip.AssignEntitlementParams{PlanID: "plan_1",
				Overrides: map[string]drip.EntitlementOverride{"f": {LimitValue: ptr(dec("-1"))}}})
			return err
		}},
		{"name", func() error {
			_, err := c.CreateEntitlementPlan(ctx, drip.EntitlementPlanParams{Slug: "s"})
			return err
		}},
		{"slug", func() error {
			_, err := c.CreateEntitlementPlan(ctx, drip.EntitlementPlanParams{Name: "n", Slug: "Not A Slug"})
			return err
		}},
		{"planId", func() error { _, err := c.GetEntitlementPlan(ctx, ""); return err }},
		{"limitType", func() error {
			_, err := c.CreateEntitlementRule(ctx, "plan_1", drip.EntitlementRuleParams{FeatureKey: "f", LimitType: "MAX", Period: drip.PeriodDaily})
			return err
		}},
		{"period", func() error {
			_, err := c.CreateEntitlementRule(ctx, "plan_1", drip.EntitlementRuleParams{FeatureKey: "f", LimitType: drip.LimitCount, Period: "WEEKLY"})
			return err
		}},
		{"limitValue", func() error {
			_, err := c.CreateEntitlementRule(ctx, "plan_1", drip.EntitlementRuleParams{FeatureKey: "f", LimitType: drip.LimitCount,
				Period: drip.PeriodDaily, LimitValue: dec("-2")})
			return err
		}},
		{"ruleId", func() error { return c.DeleteEntitlementRule(ctx, "") }},
		{"limitValue", func() error {
			_, err := c.UpdateEntitlementRule(ctx, "rule_1", drip.UpdateEntitlementRuleParams{LimitValue: ptr(dec("-0.5"))})
			return err
		}},
	}
	for _, tc := range cases {
		refusedBeforeSending(t, srv, tc.call, tc.field)
	}
}

// gatedEnv is dripd on an injected clock, a tracker, the OpenAI stub and a
// customer whose default plan limits llm_tokens to 30 a day.
type gatedEnv struct {
	clock   *testClock
	srv     *testServer
	client  *drip.Client
	tracker *drip.Tracker
	stub    *openaitest.Server
	cfg     goopenai.ClientConfig
	cust    string
	plan    *drip.EntitlementPlan
}

func newGatedEnv(t *testing.T) *gatedEnv {
	t.Helper()
	// The clock starts at the real time: the gate's cache (real clock)
	// never keeps a decision past the reset dripd's clock reports.
	e := &gatedEnv{clock: &testClock{t: time.Now().UTC()}}
	e.srv = startServer(t, nil, dripserver.WithClock(e.clock.now))
	e.client = newClient(t, e.srv.BaseURL())
	e.tracker = newTracker(t, e.client)
	e.stub = openaitest.New(t) // 18 tokens a call
	e.cfg = goopenai.DefaultConfig("sk-openai-test")
	e.cfg.BaseURL = e.stub.BaseURL()
	ctx := ctxT(t)
	e.plan = mustOK(e.client.CreateEntitlementPlan(ctx, drip.EntitlementPlanParams{Name: "Starter", Slug: "starter", IsDefault: true}))
	mustOK(e.client.CreateEntitlementRule(ctx, e.plan.ID, drip.EntitlementRuleParams{FeatureKey: drip.DefaultLLMMeter,
		LimitType: drip.LimitCount, Period: drip.PeriodDaily, LimitValue: dec("30")}))
	e.cust = createCustomer(t, e.client, "gated")
	return e
}

func (e *gatedEnv) flush(t *testing.T) {
	t.Helper()
	if err := e.tracker.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

// TestWrapOpenAIEntitlementGate is the end-to-end gate: the wrapped
// go-openai client's calls count (as llm_tokens usage) against the
// customer's daily limit in dripd; once it is used up a call is refused
// with ErrEntitlementDenied and never reaches the OpenAI stub; after 00:00
// UTC on dripd's clock calls go through again.
func TestWrapOpenAIEntitlementGate(t *testing.T) {
	e := newGatedEnv(t)
	client := drip.WrapOpenAI(goopenai.NewClientWithConfig(e.cfg), e.cust, drip.WithOpenAITracker(e.tracker),
		drip.WithOpenAIEntitlement(drip.DefaultLLMMeter))
	ctx := ctxT(t)
	for i := range 2 { // 0 then 18 tokens used of 30: allowed
		if _, err := client.CreateChatCompletion(ctx, chatReq); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		e.flush(t)
	}
	if n := e.stub.Requests("/chat/completions"); n != 2 {
		t.Fatalf("%d requests reached OpenAI, want 2", n)
	}
	_, err := client.CreateChatCompletion(ctx, chatReq)
	if !errors.Is(err, drip.ErrEntitlementDenied) {
		t.Fatalf("36 of 30 tokens used: %v", err)
	}
	_, err = client.CreateChatCompletionStream(ctx, goopenai.ChatCompletionRequest{Model: chatReq.Model, Messages: chatReq.Messages, Stream: true})
	if !errors.Is(err, drip.ErrEntitlementDenied) {
		t.Fatalf("stream: %v", err)
	}
	if n := e.stub.Requests("/chat/completions"); n != 2 {
		t.Fatalf("a denied call reached OpenAI (%d requests)", n)
	}
	ent := mustOK(e.client.GetCustomerEntitlement(ctx, e.cust))
	wantDec(t, "tokens used", ent.Usage[drip.DefaultLLMMeter].Used, "36")

	now := e.clock.now()
	e.clock.set(time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 1, 0, time.UTC))
	if _, err := client.CreateChatCompletion(ctx, chatReq); err != nil {
		t.Fatalf("after the daily reset: %v", err)
	}
	if n := e.stub.Requests("/chat/completions"); n != 3 {
		t.Fatalf("%d requests reached OpenAI, want 3", n)
	}
}

// TestOpenAIEntitlementCountsRunsAndOtherMeters: a gated call inside a run
// (a run event) and a call billed under another meter still reach the
// feature's counter, as internal usage that bills nothing.
func TestOpenAIEntitlementCountsRunsAndOtherMeters(t *testing.T) {
	e := newGatedEnv(t)
	client := drip.WrapOpenAI(goopenai.NewClientWithConfig(e.cfg), e.cust, drip.WithOpenAITracker(e.tracker),
		drip.WithOpenAIEntitlement(drip.DefaultLLMMeter), drip.WithOpenAIMeter("premium_tokens"))
	ctx, run := e.tracker.Start(ctxT(t), drip.RunParams{CustomerID: e.cust, Workflow: "chat"})
	if _, err := client.CreateChatCompletion(ctx, chatReq); err != nil {
		t.Fatal(err)
	}
	run.End(drip.RunCompleted)
	if _, err := client.CreateChatCompletion(ctxT(t), chatReq); err != nil { // outside the run
		t.Fatal(err)
	}
	e.flush(t)
	ent := mustOK(e.client.GetCustomerEntitlement(ctxT(t), e.cust))
	wantDec(t, "tokens used", ent.Usage[drip.DefaultLLMMeter].Used, "36")
	if _, err := client.CreateChatCompletion(ctxT(t), chatReq); !errors.Is(err, drip.ErrEntitlementDenied) {
		t.Fatalf("limit used up inside and outside runs: %v", err)
	}
}

// TestOpenAIHTTPClientEntitlementGate: the HTTP meter refuses a denied
// request in RoundTrip, before anything is sent.
func TestOpenAIHTTPClientEntitlementGate(t *testing.T) {
	e := newGatedEnv(t)
	e.cfg.HTTPClient = drip.OpenAIHTTPClient(e.cust, drip.WithOpenAITracker(e.tracker), drip.WithOpenAIEntitlement("images"))
	raw := goopenai.NewClientWithConfig(e.cfg)
	_, err := raw.CreateChatCompletion(ctxT(t), chatReq)
	var de *drip.Error
	if !errors.Is(err, drip.ErrEntitlementDenied) || !errors.As(err, &de) || !strings.Contains(de.Message, "not in plan") {
		t.Fatalf("feature not in plan: %v", err)
	}
	if n := e.stub.Total(); n != 0 {
		t.Fatalf("%d requests reached OpenAI", n)
	}
}

// TestOpenAIEntitlementCacheTTL shows the documented trade-off: a cached
// allow lets calls through after the limit is used up, until it expires;
// without a TTL the same call is refused.
func TestOpenAIEntitlementCacheTTL(t *testing.T) {
	e := newGatedEnv(t)
	raw := goopenai.NewClientWithConfig(e.cfg)
	cached := drip.WrapOpenAI(raw, e.cust, drip.WithOpenAITracker(e.tracker),
		drip.WithOpenAIEntitlement(drip.DefaultLLMMeter), drip.WithOpenAIEntitlementCacheTTL(time.Hour))
	fresh := drip.WrapOpenAI(raw, e.cust, drip.WithOpenAITracker(e.tracker), drip.WithOpenAIEntitlement(drip.DefaultLLMMeter))
	for i := range 3 { // 0, 18, 36 tokens used: the third overshoots on the cached allow
		if _, err := cached.CreateChatCompletion(ctxT(t), chatReq); err != nil {
			t.Fatalf("cached call %d: %v", i, err)
		}
		e.flush(t)
	}
	if _, err := fresh.CreateChatCompletion(ctxT(t), chatReq); !errors.Is(err, drip.ErrEntitlementDenied) {
		t.Fatalf("uncached call after the limit: %v", err)
	}
}

// TestSDKMiddlewareRefusalNotRetried: a call the gate refuses inside an SDK
// middleware comes back from the SDK, with its default retries, as the
// gate's error after one attempt: the SDKs retry a middleware error as a
// connection error unless a response says not to.
func TestSDKMiddlewareRefusalNotRetried(t *testing.T) {
	env := newAnthropicEnv(t, nil)
	attempts := 0
	count := func(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
		attempts++
		return next(req)
	}
	t.Run("anthropic-sdk-go", func(t *testing.T) {
		attempts = 0
		client := anthropic.NewClient(option.WithBaseURL(env.stub.URL()), option.WithAPIKey("sk-ant-test"),
			option.WithMiddleware(count, drip.AnthropicMiddleware(env.cust, drip.WithAnthropicTracker(env.tracker),
				drip.WithAnthropicEntitlement("claude_calls"))))
		_, err := client.Messages.New(ctxT(t), anthParams("claude-haiku-4-5"))
		if !errors.Is(err, drip.ErrEntitlementDenied) || attempts != 1 || env.stub.Requests("/v1/messages") != 0 {
			t.Fatalf("err %v after %d attempts, %d requests sent", err, attempts, env.stub.Requests("/v1/messages"))
		}
	})
	t.Run("openai-go", func(t *testing.T) {
		attempts = 0
		stub := openaitest.New(t)
		client := openaigo.NewClient(openaioption.WithBaseURL(stub.BaseURL()), openaioption.WithAPIKey("sk-test"),
			openaioption.WithMiddleware(count, drip.OpenAIMiddleware(env.cust, drip.WithOpenAITracker(env.tracker),
				drip.WithOpenAIEntitlement("gpt_calls"))))
		_, err := client.Chat.Completions.New(ctxT(t), openaigo.ChatCompletionNewParams{Model: "gpt-4o-mini",
			Messages: []openaigo.ChatCompletionMessageParamUnion{openaigo.UserMessage("hi")}})
		if !errors.Is(err, drip.ErrEntitlementDenied) || attempts != 1 || stub.Total() != 0 {
			t.Fatalf("err %v after %d attempts, %d requests sent", err, attempts, stub.Total())
		}
	})
}
