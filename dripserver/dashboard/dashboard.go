// Package dashboard is dripd's web dashboard: what was metered, seen in a
// browser. It shows an overview of usage and cost over time, customers with
// their balances, spending caps, entitlements, subscriptions and
// contracts, runs with a timeline waterfall of their events, usage
// records, webhook deliveries, and a live view of what arrives, all read
// from dripd's Store.
//
// Pages are rendered on the server (html/template, charts as inline SVG);
// the stylesheet and the Live page's few lines of script are embedded, so
// it works offline and loads nothing from elsewhere. Mount it on a
// dripserver.Server at its origin, next to the API:
//
//	srv := dripserver.New(store, dripserver.WithUI(dashboard.New))
//
// Access: without API keys (dripd's dev mode) it answers loopback clients
// only; when the Server has keys it asks for one of them on a login page
// and then knows the browser by a session cookie (HttpOnly, SameSite
// Strict) holding a random id, never the key.
package dashboard

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/drip-sdk/drip-go/dripserver"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Handler serves the dashboard. Create it with New.
type Handler struct {
	srv      *dripserver.Server
	store    *dripserver.Store
	log      *slog.Logger
	mux      *http.ServeMux
	pages    map[string]*template.Template
	sessions sessions
	now      func() time.Time
}

// New returns the dashboard of srv. Its signature fits
// dripserver.WithUI.
func New(srv *dripserver.Server) http.Handler {
	h := &Handler{srv: srv, store: srv.Store(), log: srv.Logger(), now: time.Now}
	h.pages = parsePages()
	static, _ := fs.Sub(staticFS, "static") // the directory is embedded
	m := http.NewServeMux()
	m.Handle("GET /static/", http.StripPrefix("/static/", cacheFor(time.Hour, http.FileServerFS(static))))
	m.HandleFunc("GET /login", h.loginForm)
	m.HandleFunc("POST /login", h.login)
	m.HandleFunc("POST /logout", h.logout)
	m.Handle("GET /{$}", h.gate(h.overview))
	m.Handle("GET /runs", h.gate(h.runs))
	m.Handle("GET /runs/{id}", h.gate(h.run))
	m.Handle("GET /customers", h.gate(h.customers))
	m.Handle("GET /customers/{id}", h.gate(h.customer))
	m.Handle("GET /usage", h.gate(h.usage))
	m.Handle("GET /webhooks", h.gate(h.webhooks))
	m.Handle("GET /live", h.gate(h.live))
	m.Handle("GET /live/stream", h.gate(h.srv.ServeLive))
	m.Handle("/", h.gate(h.notFound))
	h.mux = m
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	// Everything the pages use comes from this origin; inline SVG needs no
	// exception.
	hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	if !h.srv.KeysRequired() && !loopback(r.RemoteAddr) {
		http.Error(w, "dripd's dashboard answers only this machine (loopback) unless dripd runs with --api-key", http.StatusForbidden)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// loopback reports whether a remote address is on this machine.
func loopback(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// gate lets a request through when no login is needed or it has a
// session; otherwise pages redirect to the login form and the stream is
// refused with 401.
func (h *Handler) gate(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !h.srv.KeysRequired() || h.loggedIn(r) {
			next(w, r)
			return
		}
		if r.URL.Path == "/live/stream" {
			http.Error(w, "log in to the dashboard first", http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	})
}

func cacheFor(d time.Duration, next http.Handler) http.Handler {
	v := "public, max-age=" + itoa(int64(d/time.Second))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", v)
		next.ServeHTTP(w, r)
	})
}

// layout is what every page's frame needs.
type layout struct {
	Title   string
	Nav     string // the active section
	Logout  bool   // a logout button: dripd has keys
	Content any
}

// pageNames are the templates, each parsed with layout.html.
var pageNames = []string{"overview", "runs", "run", "customers", "customer", "usage", "webhooks", "live", "login", "notfound"}

func parsePages() map[string]*template.Template {
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	pages := map[string]*template.Template{}
	for _, n := range pageNames {
		pages[n] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, "templates/"+n+".html"))
	}
	return pages
}

var titles = map[string]string{"overview": "Overview", "runs": "Runs", "run": "Run", "customers": "Customers",
	"customer": "Customer", "usage": "Usage", "webhooks": "Webhook deliveries", "live": "Live", "login": "Log in",
	"notfound": "Not found"}

// render writes page with data inside the layout. Pages are rendered to a
// buffer first so a template error never leaves half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	nav := page
	switch page {
	case "run":
		nav = "runs"
	case "customer":
		nav = "customers"
	}
	var b strings.Builder
	err := h.pages[page].ExecuteTemplate(&b, "layout.html", layout{Title: titles[page], Nav: nav,
		Logout: h.srv.KeysRequired() && page != "login", Content: data})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// fail answers 500 and logs err; the page says no more than that.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.log.LogAttrs(r.Context(), slog.LevelError, "dashboard: page failed", slog.String("path", r.URL.Path),
		slog.Any("err", err))
	http.Error(w, "internal error: see dripd's log", http.StatusInternalServerError)
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusNotFound, "notfound", nil)
}

// sortedKeys returns a map's keys in order, for metadata tables.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
