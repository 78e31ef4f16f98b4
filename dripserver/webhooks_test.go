package dripserver_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/internal/wire"
)

func TestWebhookAPI(t *testing.T) {
	srv := driptest.NewServer(t)
	a := newAPI(t, srv.BaseURL(), srv.APIKey())
	var created wire.CreatedWebhook
	a.ok(201, "POST", "/webhooks", map[string]any{"url": "https://hooks.example.com/a",
		"events": []string{"charge.succeeded", "charge.succeeded", "customer.created"}, "description": "d",
		"filters": map[string]any{"customerIds": []string{"cust_1"}}}, &created)
	if !strings.HasPrefix(created.ID, "wh_") || !strings.HasPrefix(created.Secret, "whsec_") || created.Message == "" ||
		len(created.Events) != 2 || created.HealthStatus != "HEALTHY" || created.LastHealthChange != nil ||
		created.Filters == nil || created.Stats == nil {
		t.Fatalf("created = %+v", created)
	}
	// The secret is never shown again.
	_, raw := a.do("GET", "/webhooks/"+created.ID, nil, nil)
	_, list := a.do("GET", "/webhooks", nil, nil)
	if strings.Contains(string(raw), created.Secret) || strings.Contains(string(list), created.Secret) {
		t.Fatal("a read shows the secret")
	}

	// filters: null removes them; absent leaves them.
	var up wire.Webhook
	a.ok(200, "PATCH", "/webhooks/"+created.ID, `{"description":"e"}`, &up)
	if up.Filters == nil || *up.Description != "e" {
		t.Fatalf("patch without filters = %+v", up)
	}
	a.ok(200, "PATCH", "/webhooks/"+created.ID, `{"filters":null}`, &up)
	if up.Filters != nil {
		t.Fatalf("patch filters null = %+v", up)
	}

	for _, tc := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"http to another host", `{"url":"http://hooks.example.com/","events":["charge.failed"]}`, 400, "INVALID_PARAMETER"},
		{"not http", `{"url":"ftp://hooks.example.com/","events":["charge.failed"]}`, 400, "INVALID_PARAMETER"},
		{"relative", `{"url":"/hooks","events":["charge.failed"]}`, 400, "INVALID_PARAMETER"},
		{"no url", `{"events":["charge.failed"]}`, 422, "VALIDATION_ERROR"},
		{"no events", `{"url":"https://x.example/"}`, 422, "VALIDATION_ERROR"},
		{"unknown event", `{"url":"https://x.example/","events":["charge.maybe"]}`, 422, "VALIDATION_ERROR"},
		{"bad severity", `{"url":"https://x.example/","events":["charge.failed"],"filters":{"severities":["urgent"]}}`, 422, "VALIDATION_ERROR"},
	} {
		t.Run(tc.name, func(t *testing.T) { a.fail(tc.status, tc.code, "POST", "/webhooks", tc.body) })
	}
	a.ok(201, "POST", "/webhooks", `{"url":"http://localhost:9/x","events":["charge.failed"]}`, nil)
	a.ok(201, "POST", "/webhooks", `{"url":"http://[::1]:9/x","events":["charge.failed"]}`, nil)
	a.fail(400, "INVALID_PARAMETER", "PATCH", "/webhooks/"+created.ID, `{"url":"http://10.0.0.1/"}`)
	a.fail(404, "NOT_FOUND", "GET", "/webhooks/wh_nope", nil)
	a.fail(404, "NOT_FOUND", "POST", "/webhooks/wh_nope/rotate-secret", nil)

	// The limit.
	var l wire.WebhookList
	a.ok(200, "GET", "/webhooks", nil, &l)
	for i := l.Count; i < dripserver.MaxWebhooks; i++ {
		a.ok(201, "POST", "/webhooks", `{"url":"https://x.example/","events":["charge.failed"]}`, nil)
	}
	a.fail(400, "WEBHOOK_LIMIT_EXCEEDED", "POST", "/webhooks", `{"url":"https://x.example/","events":["charge.failed"]}`)

	var del wire.WebhookDeleteResult
	a.ok(200, "DELETE", "/webhooks/"+created.ID, nil, &del)
	if !del.Success {
		t.Fatal("delete: success false")
	}
	a.fail(404, "NOT_FOUND", "DELETE", "/webhooks/"+created.ID, nil)
}

// TestWebhookRoutesNeedSecretKey: every webhook route refuses a public key.
func TestWebhookRoutesNeedSecretKey(t *testing.T) {
	srv := driptest.NewServer(t)
	pk := newAPI(t, srv.BaseURL(), "pk_test_public_key")
	for _, r := range [][2]string{{"POST", "/webhooks"}, {"GET", "/webhooks"}, {"GET", "/webhooks/wh_1"},
		{"PATCH", "/webhooks/wh_1"}, {"DELETE", "/webhooks/wh_1"}, {"POST", "/webhooks/wh_1/test"},
		{"POST", "/webhooks/wh_1/rotate-secret"}, {"PUT", "/webhooks/wh_1/other"}} {
		pk.fail(403, "PUBLIC_KEY_NOT_ALLOWED", r[0], r[1], `{"url":"https://x.example/","events":["charge.failed"]}`)
	}
}

// TestWebhookRunLifecycle: a Server from New queues events without
// delivering them until Run; Run refuses to run twice and returns when its
// context ends.
func TestWebhookRunLifecycle(t *testing.T) {
	store, err := dripserver.OpenStore(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	srv := dripserver.New(store, quiet)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	run := func() { go func() { done <- srv.Run(ctx) }() }
	run()
	// A second Run is refused while the first delivers. A probe may win
	// the race to start (it returns at once: its context is already
	// done); then the first one was refused, and starts again.
	ended, end := context.WithCancel(context.Background())
	end()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := srv.Run(ended)
		if errors.Is(err, dripserver.ErrWebhooksRunning) {
			break
		}
		select {
		case err := <-done:
			if !errors.Is(err, dripserver.ErrWebhooksRunning) {
				t.Fatalf("first Run = %v", err)
			}
			run()
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("second Run: %v", err)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

func ExampleServer_Run() {
	store, err := dripserver.OpenStore(":memory:")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	srv := dripserver.New(store, quiet)
	// Mounted in your own http.Server: run webhook delivery beside it, and
	// stop it when the server stops.
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	// … http.ListenAndServe(addr, srv) …
	stop()
	fmt.Println("delivery stopped:", <-done)
	// Output: delivery stopped: <nil>
}

// TestShutdownTwice: a second Shutdown (a deferred one after an explicit
// one, as examples write) returns at once with the first call's result.
func TestShutdownTwice(t *testing.T) {
	inst, err := dripserver.Start(context.Background(), "127.0.0.1:0", nil, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := inst.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- inst.Shutdown(context.Background()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the second Shutdown did not return")
	}
}
