package dashboard_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/dripserver/dashboard"
)

// pages are every page of the dashboard, for the checks that apply to all.
var pages = []string{"/", "/?range=1h", "/?range=7d&bucket=day", "/?range=90d", "/runs", "/customers", "/usage",
	"/webhooks", "/live"}

func TestEmptyStates(t *testing.T) {
	e := newEnv(t)
	for path, want := range map[string]string{
		"/":          "Nothing recorded yet",
		"/runs":      "No runs yet",
		"/customers": "No customers yet",
		"/usage":     "No usage recorded yet",
		"/webhooks":  "No webhook deliveries",
		"/live":      "Waiting for the first event",
	} {
		t.Run(path, func(t *testing.T) {
			st, body, resp := e.get(t, path)
			if st != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("GET %s: %d %s", path, st, resp.Header.Get("Content-Type"))
			}
			if !strings.Contains(body, want) {
				t.Errorf("GET %s lacks %q", path, want)
			}
			if path != "/webhooks" && !strings.Contains(body, "go run ./examples/quickstart") {
				t.Errorf("GET %s: the empty state does not say how to send something", path)
			}
			if path != "/webhooks" && !strings.Contains(body, "DRIP_BASE_URL="+e.inst.BaseURL()) {
				t.Errorf("GET %s: the empty state lacks this dripd's base URL", path)
			}
		})
	}
	for _, path := range []string{"/nope", "/runs/run_nope", "/customers/cust_nope"} {
		if st, body, _ := e.get(t, path); st != 404 || !strings.Contains(body, "Not found") {
			t.Errorf("GET %s: %d, want the 404 page", path, st)
		}
	}
	if st, _, _ := e.get(t, "/health"); st != 200 {
		t.Errorf("/health beside the dashboard: %d", st)
	}
	if st, _, _ := e.get(t, "/v1/nope"); st != 401 {
		t.Errorf("/v1/nope beside the dashboard: %d, want the API's 401", st)
	}
}

func TestPagesShowWhatWasRecorded(t *testing.T) {
	e := newEnv(t)
	rec := record(t, e)

	t.Run("runs list and filters", func(t *testing.T) {
		for _, c := range []struct {
			query       string
			want, avoid []string
		}{
			{"", []string{rec.runID, rec.failedRunID, "Research Agent", "3,800", "870", "$0.004382"}, nil},
			{"?status=FAILED", []string{rec.failedRunID}, []string{rec.runID}},
			{"?status=COMPLETED", []string{rec.runID}, []string{rec.failedRunID}},
			{"?customer=acme-corp", []string{rec.runID}, []string{rec.failedRunID}},
			{"?workflow=summarize", []string{rec.failedRunID}, []string{rec.runID}},
			{"?range=1h", []string{rec.runID, rec.failedRunID}, nil},
			{"?customer=nobody", []string{"No runs match"}, []string{rec.runID, rec.failedRunID}},
		} {
			st, body, _ := e.get(t, "/runs"+c.query)
			if st != 200 {
				t.Fatalf("/runs%s: %d", c.query, st)
			}
			for _, w := range c.want {
				if !strings.Contains(body, w) {
					t.Errorf("/runs%s lacks %q", c.query, w)
				}
			}
			for _, a := range c.avoid {
				if strings.Contains(body, `data-run-id="`+a+`"`) {
					t.Errorf("/runs%s lists %s", c.query, a)
				}
			}
		}
	})

	t.Run("run page", func(t *testing.T) {
		st, body, _ := e.get(t, "/runs/"+rec.runID)
		if st != 200 {
			t.Fatalf("run page: %d", st)
		}
		if n := strings.Count(body, `data-event-id="`); n != len(rec.events) {
			t.Errorf("timeline rows = %d, want %d", n, len(rec.events))
		}
		for _, w := range []string{"gpt-4o-mini", "web_search", "fetch_page", `class="wf-row failed"`, "$0.004382",
			`data-depth="2"`, "acme-corp", "env"} {
			if !strings.Contains(body, w) {
				t.Errorf("run page lacks %q", w)
			}
		}
	})

	t.Run("overview totals", func(t *testing.T) {
		_, body, _ := e.get(t, "/")
		for id, want := range map[string]string{"total-runs": "2", "total-events": "7",
			"total-input-tokens": "3,800", "total-output-tokens": "870", "total-cost": "$0.004382", "total-usage": "2"} {
			if !strings.Contains(body, `id="`+id+`">`+want+`<`) {
				t.Errorf("overview %s is not %s", id, want)
			}
		}
		for _, w := range []string{"Cost by model", "<svg", "gpt-4o-mini", "acme-corp", "api_calls", "documents", "50.0%"} {
			if !strings.Contains(body, w) {
				t.Errorf("overview lacks %q", w)
			}
		}
	})

	t.Run("customers, usage", func(t *testing.T) {
		_, body, _ := e.get(t, "/customers")
		if !strings.Contains(body, "acme-corp") || !strings.Contains(body, "globex") {
			t.Error("customers list lacks a customer")
		}
		_, body, _ = e.get(t, "/customers/acme-corp")
		for _, w := range []string{rec.runID, "api_calls", "No spending caps", "No entitlement plan"} {
			if !strings.Contains(body, w) {
				t.Errorf("customer page lacks %q", w)
			}
		}
		_, body, _ = e.get(t, "/usage?type=documents")
		if !strings.Contains(body, "documents") || strings.Contains(body, ">api_calls<") {
			t.Error("usage filter by meter")
		}
		_, body, _ = e.get(t, "/usage?customer=nobody")
		if !strings.Contains(body, "No usage records match") {
			t.Error("usage: no empty state for a filter matching nothing")
		}
	})
}

// Nothing a page loads or links to may leave this machine: the dashboard
// works offline.
func TestNoExternalURLs(t *testing.T) {
	e := newEnv(t)
	rec := record(t, e)
	urlRE := regexp.MustCompile(`(?i)(?:https?:)?//[a-z0-9.\-\[\]:]+`)
	origin := e.inst.URL()
	paths := append(pages, "/runs/"+rec.runID, "/customers/acme-corp", "/static/style.css", "/static/live.js", "/nope")
	for _, p := range paths {
		st, body, _ := e.get(t, p)
		if st != 200 && p != "/nope" {
			t.Fatalf("GET %s: %d", p, st)
		}
		for _, u := range urlRE.FindAllString(body, -1) {
			if !strings.HasPrefix(u, origin) && !strings.HasPrefix(origin, "http:"+u) {
				t.Errorf("GET %s refers to %q, outside %s", p, u, origin)
			}
		}
		for _, attr := range []string{`src="http`, `href="http`, `@import`, `url(`} {
			if strings.Contains(body, attr) {
				t.Errorf("GET %s: %s", p, attr)
			}
		}
	}
}

func TestLoopbackOnlyWithoutKeys(t *testing.T) {
	srv := dripserver.New(mustStore(t), dripserver.WithUI(dashboard.New), quietOpt())
	req := httptest.NewRequest("GET", "/", nil) // RemoteAddr 192.0.2.1
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	if w.Code != http.StatusForbidden {
		t.Fatalf("remote client without --api-key: %d, want 403", w.Code)
	}
	req.RemoteAddr = "[::1]:5555"
	w = httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	if w.Code != 200 {
		t.Fatalf("loopback client: %d", w.Code)
	}

	keyed := dripserver.New(mustStore(t), dripserver.WithUI(dashboard.New), quietOpt(), dripserver.WithAPIKeys(testKey))
	w = httptest.NewRecorder()
	keyed.ServeHTTP(w, httptest.NewRequest("GET", "/runs", nil))
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/login?next=%2Fruns" {
		t.Fatalf("remote client with --api-key: %d %s, want the login page", w.Code, w.Header().Get("Location"))
	}
}

func TestUIOff(t *testing.T) {
	inst, err := dripserver.Start(context.Background(), "127.0.0.1:0", nil, quietOpt())
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Shutdown(context.Background())
	for _, p := range []string{"/", "/runs", "/static/style.css", "/login"} {
		resp, err := http.Get(inst.URL() + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 404 || !strings.Contains(string(b), `"code":"NOT_FOUND"`) {
			t.Errorf("GET %s without the UI: %d %s, want the API's 404", p, resp.StatusCode, b)
		}
	}
}

func TestLoginGate(t *testing.T) {
	e := newEnv(t, dripserver.WithAPIKeys(testKey))
	rec := record(t, e)

	st, _, resp := e.get(t, "/runs/"+rec.runID)
	if st != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next=%2Fruns%2F"+rec.runID {
		t.Fatalf("without a session: %d %q, want a redirect to the login", st, resp.Header.Get("Location"))
	}
	if st, _, _ := e.get(t, "/live/stream"); st != http.StatusUnauthorized {
		t.Fatalf("live stream without a session: %d, want 401", st)
	}
	if st, body, _ := e.get(t, "/login"); st != 200 || !strings.Contains(body, `type="password"`) {
		t.Fatalf("login page: %d", st)
	}

	login := func(key string) *http.Response {
		resp, err := e.hc.PostForm(e.inst.URL()+"/login", url.Values{"key": {key}, "next": {"/runs"}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if key != "" && strings.Contains(string(b), key) {
			t.Errorf("the login reply echoes the key")
		}
		return resp
	}
	for _, bad := range []string{"sk_test_not_the_key_0000", "", "pk_" + testKey[3:]} {
		if resp := login(bad); resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 {
			t.Fatalf("wrong key %q: %d with %d cookies, want 401 and none", bad, resp.StatusCode, len(resp.Cookies()))
		}
	}
	resp = login(testKey)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/runs" {
		t.Fatalf("right key: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "dripd_session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/" {
		t.Fatalf("session cookie %+v, want HttpOnly, SameSite=Strict, Path=/", session)
	}
	if strings.Contains(session.Value, testKey) || strings.Contains(session.Value, testKey[8:20]) || len(session.Value) < 32 {
		t.Fatalf("session cookie %q carries the key or is too short to be random", session.Value)
	}

	for _, p := range append(pages, "/runs/"+rec.runID, "/customers/acme-corp") {
		st, body, _ := e.get(t, p, session)
		if st != 200 {
			t.Fatalf("GET %s with a session: %d", p, st)
		}
		if strings.Contains(body, testKey) {
			t.Fatalf("GET %s renders the API key", p)
		}
		if !strings.Contains(body, `action="/logout"`) {
			t.Errorf("GET %s: no logout button", p)
		}
	}

	t.Run("live stream with a session", func(t *testing.T) {
		events := dashboardStream(t, e.inst.URL()+"/live/stream", session)
		res, err := e.client.EmitEvent(context.Background(), drip.Event{RunID: rec.runID, Type: drip.EventToolCall, Name: "after_login"})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, events, res.ID)
	})

	req, _ := http.NewRequest("POST", e.inst.URL()+"/logout", nil)
	req.AddCookie(session)
	if resp, err := e.hc.Do(req); err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %v %v", resp, err)
	}
	if st, _, _ := e.get(t, "/", session); st != http.StatusSeeOther {
		t.Fatalf("after logout the old session still works: %d", st)
	}
}

// In dev mode the Live page's stream needs no login and carries what is
// committed after it opened.
func TestLiveStreamDevMode(t *testing.T) {
	e := newEnv(t)
	rec := record(t, e)
	events := dashboardStream(t, e.inst.URL()+"/live/stream")
	res, err := e.client.EmitEvent(context.Background(), drip.Event{RunID: rec.runID, Type: drip.EventToolCall, Name: "probe"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, events, res.ID)
}

// dashboardStream opens an SSE stream and returns its data lines.
func dashboardStream(t *testing.T, u string, cookies ...*http.Cookie) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream %s: %d", u, resp.StatusCode)
	}
	out := make(chan string, 100)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				out <- d
			}
		}
	}()
	return out
}

func waitFor(t *testing.T, lines <-chan string, substr string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("stream ended before %q", substr)
			}
			if strings.Contains(l, substr) {
				return
			}
		case <-deadline:
			t.Fatalf("%q did not arrive within 10s", substr)
		}
	}
}

func mustStore(t *testing.T) *dripserver.Store {
	st, err := dripserver.OpenStore(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func quietOpt() dripserver.Option { return dripserver.WithLogger(slog.New(slog.DiscardHandler)) }
