package middleware_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
)

// env is a dripd with two customers, a client and a tracker on it.
type env struct {
	drip    *driptest.Server
	client  *drip.Client
	tracker *drip.Tracker
	// customer ids by external id ("acme", "globex")
	ids map[string]string
}

func newEnv(t testing.TB, opts ...driptest.Option) *env {
	t.Helper()
	srv := driptest.NewServer(t, opts...)
	c, err := drip.New(drip.WithAPIKey(srv.APIKey()), drip.WithBaseURL(srv.BaseURL()))
	if err != nil {
		t.Fatal(err)
	}
	tr := drip.NewTracker(c, drip.WithoutSelfMetrics())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = tr.Shutdown(ctx)
	})
	e := &env{drip: srv, client: c, tracker: tr, ids: map[string]string{}}
	for _, ext := range []string{"acme", "globex"} {
		cu, err := c.CreateCustomer(context.Background(), drip.CustomerParams{ExternalCustomerID: ext})
		if err != nil {
			t.Fatal(err)
		}
		e.ids[ext] = cu.ID
	}
	return e
}

func (e *env) flush(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.tracker.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// usageFor returns the usage records of one customer (by external id).
func (e *env) usageFor(ext string) []driptest.UsageRecord {
	var out []driptest.UsageRecord
	for _, u := range e.drip.UsageRecords() {
		if u.CustomerID == e.ids[ext] {
			out = append(out, u)
		}
	}
	return out
}

// tokens is the application's own auth: a bearer token names the tenant.
var tokens = map[string]string{"tok-acme": "acme", "tok-globex": "globex"}

// resolveTenant is the CustomerResolver of the tests: the customer comes
// from the verified bearer token, never from a client-chosen header.
func resolveTenant(r *http.Request) (string, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return "", errors.New("not authenticated")
	}
	ext, ok := tokens[tok]
	if !ok {
		return "", errors.New("unknown token")
	}
	return ext, nil
}

// serve runs h behind a real HTTP server and returns its base URL.
func serve(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // panics are expected in some tests
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (r reply) errorBody(t testing.TB) (msg, code string) {
	t.Helper()
	var b struct{ Error, Code string }
	if err := json.Unmarshal([]byte(r.body), &b); err != nil {
		t.Fatalf("error body %q: %v", r.body, err)
	}
	return b.Error, b.Code
}

// do sends a request as tenant (a token name, or "" for none) with extra
// headers given as "Name: value" strings.
func do(t testing.TB, method, url, token string, headers ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Add(k, strings.TrimSpace(v))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// errs collects OnError reports.
type errs struct {
	mu   sync.Mutex
	list []error
}

func (e *errs) on(_ *http.Request, err error) {
	e.mu.Lock()
	e.list = append(e.list, err)
	e.mu.Unlock()
}

func (e *errs) all() []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]error(nil), e.list...)
}

func ok(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }
