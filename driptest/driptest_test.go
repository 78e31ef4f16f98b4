package driptest_test

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/driptest"
	"github.com/drip-sdk/drip-go/internal/wire"
)

func post(t *testing.T, srv *driptest.Server, path, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.BaseURL()+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+srv.APIKey())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

func TestServerReadHelpers(t *testing.T) {
	srv := driptest.NewServer(t)
	if !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") || srv.BaseURL() != srv.URL()+"/v1" {
		t.Fatalf("URL %q, BaseURL %q", srv.URL(), srv.BaseURL())
	}
	var c wire.Customer
	if st := post(t, srv, "/customers", `{"externalCustomerId":"acme","metadata":{"plan":"pro"}}`, &c); st != 201 {
		t.Fatalf("create customer: %d", st)
	}
	post(t, srv, "/usage/internal", `{"customerId":"`+c.ID+`","usageType":"tokens","quantity":42,"units":"tok","idempotencyKey":"k1","metadata":{"model":"m"}}`, nil)
	var run wire.StartRunResult
	post(t, srv, "/runs", `{"customerId":"`+c.ID+`","workflowId":"chat"}`, &run)
	post(t, srv, "/run-events", `{"runId":"`+run.ID+`","eventType":"llm.completion","quantity":7,"costUnits":0.5,"units":"tokens","idempotencyKey":"e1","metadata":{"model":"m"}}`, nil)

	if cs := srv.Customers(); len(cs) != 1 || cs[0].Metadata["plan"] != "pro" {
		t.Errorf("Customers() = %+v", cs)
	}
	us := srv.UsageRecords()
	if len(us) != 1 || us[0].Quantity != 42 || us[0].Units != "tok" || us[0].IdempotencyKey != "k1" ||
		us[0].UsageType != "tokens" || us[0].Metadata["model"] != "m" || us[0].CustomerID != c.ID {
		t.Errorf("UsageRecords() = %+v", us)
	}
	if rs := srv.Runs(); len(rs) != 1 || rs[0].WorkflowName != "Chat" || rs[0].EventCount != 1 {
		t.Errorf("Runs() = %+v", rs)
	}
	if r := srv.Run(run.ID); r.Status != "RUNNING" || r.TotalCostUnits != 0.5 {
		t.Errorf("Run() = %+v", r)
	}
	evs := srv.Events(run.ID)
	if len(evs) != 1 || evs[0].Quantity != 7 || *evs[0].CostUnits != 0.5 || evs[0].Units != "tokens" ||
		evs[0].Outcome != "SUCCESS" || evs[0].Metadata["model"] != "m" || evs[0].Timestamp.IsZero() {
		t.Errorf("Events() = %+v", evs)
	}
	if ws := srv.Workflows(); len(ws) != 1 || ws[0].Slug != "chat" {
		t.Errorf("Workflows() = %+v", ws)
	}
}

func TestServerOptions(t *testing.T) {
	srv := driptest.NewServer(t, driptest.WithAPIKeys("sk_test_only_this_one"), driptest.WithErrorRate(1))
	if srv.APIKey() != "sk_test_only_this_one" {
		t.Fatalf("APIKey() = %q", srv.APIKey())
	}
	var e wire.Error
	if st := post(t, srv, "/usage", `{}`, &e); st != 503 || e.Code != "SERVICE_UNAVAILABLE" {
		t.Fatalf("got %d %+v", st, e)
	}
}

func TestServerReadTimeouts(t *testing.T) {
	srv := driptest.NewServer(t, driptest.WithReadTimeouts(100*time.Millisecond, 100*time.Millisecond))
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "POST /v1/usage HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+srv.APIKey()+
		"\r\nContent-Length: 1000000\r\n\r\n{")
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	got, err := io.ReadAll(conn)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("stalled body: connection still open after 30s")
	}
	if !strings.HasPrefix(string(got), "HTTP/1.1 408 ") {
		t.Errorf("reply %q, want a 408", got)
	}
}
