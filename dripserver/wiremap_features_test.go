package dripserver_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/internal/wire"
	"github.com/drip-sdk/drip-go/internal/wiretest"
)

// entitlementWireFields checks the shapes of internal/wire/entitlements.go.
func entitlementWireFields(t *testing.T, w *wireCheck) {
	srv := driptest.NewServer(t)
	a := newAPI(t, srv.BaseURL(), srv.APIKey())
	cust := a.customer("ent")
	yes, no := true, false
	name, desc := "Pro 2", "e"

	cp := wire.CreateEntitlementPlanRequest{Name: "Pro", Slug: "pro", Description: "d", IsDefault: &yes}
	var plan wire.EntitlementPlan
	a.ok(201, "POST", "/entitlement-plans", cp, &plan)
	w.stored("POST /entitlement-plans stored", &cp, &plan)
	w.served("POST /entitlement-plans reply", &plan)
	up := wire.UpdateEntitlementPlanRequest{Name: &name, Description: &desc, IsDefault: &yes, IsActive: &yes}
	a.ok(200, "PATCH", "/entitlement-plans/"+plan.ID, up, &plan)
	w.stored("PATCH /entitlement-plans stored", &up, &plan)
	w.served("PATCH /entitlement-plans reply", &plan)
	var plans wire.EntitlementPlanList
	a.ok(200, "GET", "/entitlement-plans", nil, &plans)
	w.served("GET /entitlement-plans reply", &plans)
	a.ok(200, "GET", "/entitlement-plans/"+plan.ID, nil, &plan)
	w.served("GET /entitlement-plans/{id} reply", &plan)

	rulesPath := "/entitlement-plans/" + plan.ID + "/rules"
	cr := wire.CreateEntitlementRuleRequest{FeatureKey: "tokens", LimitType: "COUNT", Period: "DAILY", LimitValue: "100"}
	var rule wire.EntitlementRule
	a.ok(201, "POST", rulesPath, cr, &rule)
	w.stored("POST /entitlement-plans/{id}/rules stored", &cr, &rule)
	// A limited rule: unlimited is false.
	w.served("POST /entitlement-plans/{id}/rules reply", &rule, "unlimited")
	cu := wire.CreateEntitlementRuleRequest{FeatureKey: "calls", LimitType: "AMOUNT", Period: "MONTHLY", Unlimited: &yes}
	var unl wire.EntitlementRule
	a.ok(201, "POST", rulesPath, cu, &unl)
	w.stored("POST /entitlement-plans/{id}/rules (unlimited) stored", &cu, &unl)
	w.served("POST /entitlement-plans/{id}/rules (unlimited) reply", &unl)
	ur := wire.UpdateEntitlementRuleRequest{LimitValue: "200", Unlimited: &no}
	a.ok(200, "PATCH", "/entitlement-rules/"+rule.ID, ur, &rule)
	w.stored("PATCH /entitlement-rules stored", &ur, &rule)
	w.served("PATCH /entitlement-rules reply", &rule, "unlimited")
	var rules wire.EntitlementRuleList
	a.ok(200, "GET", rulesPath, nil, &rules)
	// The tokens rule is limited.
	w.served("GET /entitlement-plans/{id}/rules reply", &rules, "rules[].unlimited")

	as := wire.AssignEntitlementRequest{PlanID: plan.ID, Overrides: map[string]wire.EntitlementOverride{
		"tokens": {LimitValue: "300", Unlimited: &no}}}
	var ce wire.CustomerEntitlement
	a.ok(200, "PUT", "/customers/"+cust.ID+"/entitlement", as, &ce)
	w.stored("PUT /customers/{id}/entitlement stored", &as, &ce)
	// The override keeps the limit: unlimited is false.
	w.served("PUT /customers/{id}/entitlement reply", &ce, "overrides.tokens.unlimited", "rules[].unlimited")
	a.ok(200, "POST", "/usage", wire.UsageRequest{CustomerID: cust.ID, UsageType: "tokens", Quantity: f64(5)}, nil)
	a.ok(200, "GET", "/customers/"+cust.ID+"/entitlement", nil, &ce)
	w.served("GET /customers/{id}/entitlement reply", &ce, "overrides.tokens.unlimited", "rules[].unlimited")

	chk := wire.EntitlementCheckRequest{CustomerID: cust.ID, FeatureKey: "tokens", Quantity: f64(2)}
	var ok wire.EntitlementCheck
	a.ok(200, "POST", "/entitlements/check", chk, &ok)
	// reason is set only on a denial; tokens are limited.
	w.served("POST /entitlements/check reply", &ok, "reason", "unlimited")
	// The reply names no customer, and quantity shows only in the
	// outcome: the denied check below is the same with more.
	w.stored("POST /entitlements/check read", &chk, &ok, "customerId", "quantity")
	chk.Quantity = f64(1000)
	var denied wire.EntitlementCheck
	a.ok(200, "POST", "/entitlements/check", chk, &denied)
	w.served("POST /entitlements/check (denied) reply", &denied, "allowed", "unlimited")

	var del wire.EntitlementDeleteResult
	a.ok(200, "DELETE", "/entitlement-rules/"+unl.ID, nil, &del)
	w.served("DELETE /entitlement-rules/{id} reply", &del)
	del = wire.EntitlementDeleteResult{}
	a.ok(200, "DELETE", "/entitlement-plans/"+plan.ID, nil, &del)
	w.served("DELETE /entitlement-plans/{id} reply", &del)
}

// webhookWireFields checks the shapes of internal/wire/webhooks.go: one
// endpoint that answers, and one that fails every delivery until it is
// UNHEALTHY. Deliveries run only when the test calls DeliverDue.
func webhookWireFields(t *testing.T, w *wireCheck) {
	store, err := dripserver.OpenStore(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	hs := httptest.NewServer(dripserver.New(store, quiet, dripserver.WithWebhookRetry(time.Millisecond, 1)))
	t.Cleanup(hs.Close)
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(good.Close)
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) }))
	t.Cleanup(bad.Close)
	a := newAPI(t, hs.URL+"/v1", "sk_test_wire_key")
	yes := true
	desc := "e"

	cr := wire.CreateWebhookRequest{URL: good.URL, Events: []string{"usage.recorded", "charge.failed"}, Description: "d",
		Filters: &wire.WebhookFilters{UsageTypes: []string{"tokens"}, CustomerIDs: []string{"cu_1"}, Severities: []string{"high"}}}
	var created wire.CreatedWebhook
	a.ok(201, "POST", "/webhooks", cr, &created)
	w.stored("POST /webhooks stored", &cr, &created)
	// A new endpoint has failed no delivery and never changed health; its
	// stats are all zero.
	w.served("POST /webhooks reply", &created, "Webhook.consecutiveFailures", "Webhook.lastHealthChange", "Webhook.stats")

	var test wire.WebhookTestResult
	a.ok(200, "POST", "/webhooks/"+created.ID+"/test", nil, &test)
	w.served("POST /webhooks/{id}/test reply", &test)
	webhookData(t, w, &notes{store: store, hookID: created.ID},
		map[string]any{"webhook.test": &wire.WebhookTestData{}}, nil)

	var hook wire.Webhook
	a.ok(200, "GET", "/webhooks/"+created.ID, nil, &hook)
	// The test delivery succeeded: none failed or is pending.
	healthy := []string{"consecutiveFailures", "lastHealthChange", "stats.failed", "stats.pending"}
	w.served("GET /webhooks/{id} reply (healthy)", &hook, healthy...)

	var upd wire.UpdateWebhookRequest
	wiretest.Fill(&upd)
	upd.URL, upd.Events, upd.Description, upd.IsActive = &good.URL, []string{"customer.created"}, &desc, &yes
	upd.Filters.Value.Severities = []string{"low"}
	a.ok(200, "PATCH", "/webhooks/"+created.ID, upd, &hook)
	// Filters.Set says the field was sent; it is not a value.
	w.stored("PATCH /webhooks stored", &upd, &hook, "filters.Set")
	w.served("PATCH /webhooks reply", &hook, healthy...)

	// Ten failed deliveries make an endpoint UNHEALTHY, which queues
	// webhook.endpoint.unhealthy.
	var failing wire.CreatedWebhook
	a.ok(201, "POST", "/webhooks", wire.CreateWebhookRequest{URL: bad.URL, Events: []string{"customer.created", "webhook.endpoint.unhealthy"}}, &failing)
	for i := range 10 {
		a.customer("hook-" + strconv.Itoa(i))
	}
	if err := dripserver.DeliverDue(context.Background(), hs.Config.Handler.(*dripserver.Server)); err != nil {
		t.Fatal(err)
	}
	a.ok(200, "GET", "/webhooks/"+failing.ID, nil, &hook)
	// Nothing was delivered and nothing is left pending (the pass also
	// failed the unhealthy event itself); it has no description or
	// filters.
	w.served("GET /webhooks/{id} reply (unhealthy)", &hook, "stats.delivered", "stats.pending", "description", "filters")
	webhookData(t, w, &notes{store: store, hookID: failing.ID},
		map[string]any{"webhook.endpoint.unhealthy": &wire.WebhookEndpointUnhealthy{}}, nil)

	var list wire.WebhookList
	a.ok(200, "GET", "/webhooks", nil, &list)
	w.served("GET /webhooks reply", &list, "data[].consecutiveFailures", "data[].lastHealthChange", "data[].stats.failed",
		"data[].stats.pending", "data[].stats.delivered", "data[].description", "data[].filters")
	var sec wire.WebhookSecret
	a.ok(200, "POST", "/webhooks/"+created.ID+"/rotate-secret", nil, &sec)
	w.served("POST /webhooks/{id}/rotate-secret reply", &sec)
	var del wire.WebhookDeleteResult
	a.ok(200, "DELETE", "/webhooks/"+created.ID, nil, &del)
	w.served("DELETE /webhooks/{id} reply", &del)
}

// eventWireFields checks the shapes of internal/wire/events.go on a run
// whose events form a tree a → b → {c, d → e}, d retrying c.
func eventWireFields(t *testing.T, w *wireCheck) {
	srv := driptest.NewServer(t)
	a := newAPI(t, srv.BaseURL(), srv.APIKey())
	cust := a.customer("events")
	run := a.startRun(cust.ID, "wf")
	ids := map[string]string{}
	for _, e := range []struct{ span, parent, retryOf string }{
		{"a", "", ""}, {"b", "a", ""}, {"c", "b", ""}, {"d", "b", "c"}, {"e", "d", ""},
	} {
		var ev wire.RunEvent
		wiretest.Fill(&ev)
		ev.RunID, ev.CustomerID, ev.WorkflowID, ev.EventType = run.ID, "", "", "tool.call"
		ev.SpanID, ev.ParentEventID = e.span, e.parent
		if e.retryOf != "" {
			ev.Metadata[wire.MetaRetryOfEventID] = e.retryOf
		}
		var res wire.RunEventResult
		a.ok(201, "POST", "/run-events", ev, &res)
		ids[e.span] = res.ID
	}

	var list wire.ExecutionEventList
	// From the second event on: all have parents, and the offset shows.
	a.ok(200, "GET", "/events?offset=1&runId="+run.ID, nil, &list)
	w.served("GET /events reply", &list)
	var ev wire.ExecutionEvent
	a.ok(200, "GET", "/events/"+ids["d"], nil, &ev)
	w.served("GET /events/{id} reply", &ev)
	var tr wire.EventTrace
	a.ok(200, "GET", "/events/"+ids["d"]+"/trace", nil, &tr)
	w.served("GET /events/{id}/trace reply", &tr, "ancestors[].parentEventId")
}
