package dripserver

import (
	"context"
	"crypto/subtle"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DefaultMaxBodyBytes is the largest request body dripd reads (5 MiB);
// larger bodies get 413.
const DefaultMaxBodyBytes = 5 << 20

// Read timeouts. Without them a client that declares a big body and then
// trickles or stalls holds its connection and buffer for ever; a few hundred
// such clients exhaust the machine.
const (
	// DefaultReadHeaderTimeout bounds the time a client may take to send a
	// request's line and headers: 10 seconds. Start applies it.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultBodyReadTimeout bounds the time an API request's body may take
	// to arrive, counted from when its handler starts: 30 seconds, enough
	// for a 5 MiB body at under 200 KB/s. A slower body gets 408
	// REQUEST_TIMEOUT (retryable) and its connection is closed.
	DefaultBodyReadTimeout = 30 * time.Second
	// DefaultIdleTimeout bounds how long Start keeps an idle keep-alive
	// connection open: 2 minutes.
	DefaultIdleTimeout = 2 * time.Minute
)

// Server is a Drip-compatible API over a Store. It is an http.Handler:
// GET /health at the origin and the API under /v1.
type Server struct {
	store   *Store
	svc     *service
	log     *slog.Logger
	keys    map[string]bool // nil: dev mode, any well-formed key
	maxBody int64
	mux     *http.ServeMux
	ui      func(*Server) http.Handler // WithUI; nil: no UI

	headerTimeout, bodyTimeout time.Duration

	errorRate, dropRate float64
	latency             time.Duration
	rngMu               sync.Mutex
	rng                 *rand.Rand
}

// Option configures a Server.
type Option func(*Server)

// WithLogger sets the logger (default: slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(s *Server) {
		if l != nil {
			s.log = l
		}
	}
}

// WithAPIKeys restricts the API to these keys. Without it (or with no
// non-empty keys) dripd runs in dev mode and accepts any well-formed key:
// sk_… or pk_…, at least 10 characters, as the official clients check.
func WithAPIKeys(keys ...string) Option {
	return func(s *Server) {
		for _, k := range keys {
			if k = strings.TrimSpace(k); k != "" {
				if s.keys == nil {
					s.keys = map[string]bool{}
				}
				s.keys[k] = true
			}
		}
	}
}

// WithUI serves a user interface at the origin: dripd calls ui once, in
// New, and the handler it returns answers every path outside /v1 and
// /health (where the Server answers 404 NOT_FOUND without one). The
// handler authenticates its own requests; it can check keys with
// Server.ValidKey and follow the live stream with Subscribe. cmd/dripd
// mounts its dashboard this way; Start's other users get no UI.
func WithUI(ui func(*Server) http.Handler) Option { return func(s *Server) { s.ui = ui } }

// WithErrorRate makes that fraction (0–1) of API requests fail with 503
// SERVICE_UNAVAILABLE before anything is read or written.
func WithErrorRate(p float64) Option { return func(s *Server) { s.errorRate = clamp01(p) } }

// WithDropRate makes that fraction (0–1) of API requests run to completion
// (writes are committed) and then lose their response: the connection is
// closed without a reply. It is the failure idempotency keys exist for.
func WithDropRate(p float64) Option { return func(s *Server) { s.dropRate = clamp01(p) } }

// WithLatency delays every API request by d before it is handled.
func WithLatency(d time.Duration) Option { return func(s *Server) { s.latency = max(d, 0) } }

// WithSeed makes the fault injection deterministic: the same seed and the
// same request order give the same faults.
func WithSeed(seed uint64) Option {
	return func(s *Server) { s.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }
}

// WithMaxBodyBytes sets the request body limit (default DefaultMaxBodyBytes).
func WithMaxBodyBytes(n int64) Option {
	return func(s *Server) {
		if n > 0 {
			s.maxBody = n
		}
	}
}

// WithReadTimeouts sets how long a client may take to send a request's
// headers and an API request's body (defaults DefaultReadHeaderTimeout and
// DefaultBodyReadTimeout); a value ≤ 0 keeps the default. The header
// timeout applies to the server Start creates; the body timeout also applies
// when the Server is mounted in another http.Server.
func WithReadTimeouts(header, body time.Duration) Option {
	return func(s *Server) {
		if header > 0 {
			s.headerTimeout = header
		}
		if body > 0 {
			s.bodyTimeout = body
		}
	}
}

// WithClock sets the time source, for tests that need fixed timestamps.
func WithClock(now func() time.Time) Option {
	return func(s *Server) {
		if now != nil {
			s.svc.now = now
		}
	}
}

func clamp01(p float64) float64 {
	if !(p > 0) { // also NaN
		return 0
	}
	return min(p, 1)
}

// New returns a Server that keeps its state in store. The caller owns store
// and closes it after the server has stopped.
func New(store *Store, opts ...Option) *Server {
	s := &Server{
		store:   store,
		svc:     &service{store: store, now: func() time.Time { return time.Now().UTC() }},
		log:     slog.Default(),
		maxBody: DefaultMaxBodyBytes,

		headerTimeout: DefaultReadHeaderTimeout,
		bodyTimeout:   DefaultBodyReadTimeout,
	}
	for _, o := range opts {
		o(s)
	}
	if s.rng == nil {
		s.rng = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if s.keys == nil {
		s.log.Info("dripd: dev mode, any well-formed sk_/pk_ API key is accepted")
	}
	s.routes()
	return s
}

// Store returns the store the server writes to, for assertions.
func (s *Server) Store() *Store { return s.store }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// routes registers every route. Unknown paths and methods fall through to
// the catch-alls and get 404 NOT_FOUND in the envelope (never ServeMux's
// plain-text 405).
func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /health", s.health)
	if s.ui != nil {
		m.Handle("/", s.logged(s.ui(s)))
	} else {
		m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			writeError(w, r, s.log, errNotFound("no route for %s %s", r.Method, r.URL.Path))
		})
	}
	var api routeFunc = func(pattern string, h http.HandlerFunc) { m.Handle(pattern, s.api(h, false)) }
	var secret routeFunc = func(pattern string, h http.HandlerFunc) { m.Handle(pattern, s.api(h, true)) }

	api("/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.log, errNotFound("no route for %s %s", r.Method, r.URL.Path))
	})

	api("POST /v1/customers", s.createCustomer)
	api("GET /v1/customers", s.listCustomers)
	api("GET /v1/customers/{id}", s.getCustomer)

	api("POST /v1/usage", s.usage(endpointUsage))
	api("POST /v1/usage/async", s.usage(endpointUsageAsync))
	api("POST /v1/usage/internal", s.usage(endpointUsageInternal))
	api("POST /v1/usage/internal/batch", s.usage(endpointUsageInternalBatch))

	api("GET /v1/workflows", s.listWorkflows)
	api("POST /v1/workflows", s.createWorkflow)

	api("POST /v1/runs", s.startRun)
	api("POST /v1/runs/record", s.recordRun)
	api("GET /v1/runs/{id}", s.getRun)
	api("PATCH /v1/runs/{id}", s.endRun)
	api("GET /v1/runs/{id}/timeline", s.getTimeline)

	api("GET /v1/dev/stream", s.ServeLive)

	api("POST /v1/run-events", s.emitEvent)
	api("POST /v1/run-events/batch", s.emitEventsBatch)

	s.billingRoutes(api, secret)
	s.entitlementRoutes(api, secret)
	s.webhookRoutes(api, secret)
	s.eventRoutes(api, secret)
	s.accountRoutes(api, secret)
	s.paymentRoutes(m, api, secret)
	s.mux = m
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "healthy", "timestamp": time.Now().UnixMilli()})
}

// routeFunc registers an API route; the secret one refuses public keys
// with 403 PUBLIC_KEY_NOT_ALLOWED.
type routeFunc func(pattern string, h http.HandlerFunc)

type ctxKey struct{}

// keyKind is the kind of API key a request authenticated with.
type keyKind int

const (
	keySecret keyKind = iota + 1
	keyPublic
)

// api wraps an API handler with, in order: request logging, latency and
// error faults, authentication (and the secret-key check when secretOnly),
// the body limit, and the drop fault.
func (s *Server) api(h http.HandlerFunc, secretOnly bool) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: rw, status: http.StatusOK}
		var w http.ResponseWriter = sw
		// Every request is logged, refused ones too; a dropped reply as 0.
		defer func() { s.logRequest(r, sw.status, start, slog.String("key", KeyPrefix(bearer(r)))) }()
		if s.latency > 0 {
			t := time.NewTimer(s.latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		drop := false
		if s.errorRate > 0 || s.dropRate > 0 {
			s.rngMu.Lock()
			fail := s.errorRate > 0 && s.rng.Float64() < s.errorRate
			drop = !fail && s.dropRate > 0 && s.rng.Float64() < s.dropRate
			s.rngMu.Unlock()
			if fail {
				w.Header().Set("Retry-After", "1")
				writeError(w, r, s.log, &apiError{status: http.StatusServiceUnavailable, code: CodeServiceUnavailable,
					message: "injected fault: service unavailable (dripd --chaos-error-rate)"})
				s.log.LogAttrs(r.Context(), slog.LevelDebug, "chaos: error injected",
					slog.String("method", r.Method), slog.String("path", r.URL.Path))
				return
			}
		}
		kind, aerr := s.authenticate(r)
		if aerr == nil && secretOnly && kind == keyPublic {
			aerr = &apiError{status: http.StatusForbidden, code: CodePublicKeyNotAllowed,
				message: "this endpoint requires a secret key (sk_); a public key (pk_) was used"}
		}
		if aerr != nil {
			writeError(w, r, s.log, aerr)
			return
		}
		if r.ContentLength > s.maxBody {
			writeError(w, r, s.log, errTooLarge(s.maxBody))
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			// Counted from here, after the latency fault, so that fault
			// never reads as a slow client. Writers that cannot set
			// deadlines get none.
			rc := http.NewResponseController(w)
			_ = rc.SetReadDeadline(time.Now().Add(s.bodyTimeout))
			r.Body = &eofReader{ReadCloser: http.MaxBytesReader(w, r.Body, s.maxBody), atEOF: func() {
				// Once the body is in, the deadline must not outlive it:
				// it would cut a long request's reply or an idle
				// keep-alive connection. (net/http lifts it there too.)
				_ = rc.SetReadDeadline(time.Time{})
			}}
		}
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, kind))

		if drop {
			sw.status = 0
			s.serveAndDrop(rw, r, h)
			return
		}
		h(w, r)
	})
}

// logRequest logs one request at info level: method, path, status and
// duration, plus attrs.
func (s *Server) logRequest(r *http.Request, status int, start time.Time, attrs ...slog.Attr) {
	if !s.log.Enabled(r.Context(), slog.LevelInfo) {
		return
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", append([]slog.Attr{
		slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.Int("status", status), slog.Duration("duration", time.Since(start))}, attrs...)...)
}

// logged wraps a non-API handler (the UI) with request logging.
func (s *Server) logged(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		s.logRequest(r, sw.status, start)
	})
}

// KeyPrefix is the part of an API key that may be logged or shown: at most
// its first 10 characters and never more than half of it, then "…"
// ("sk_test_ab…"). It returns "" for "".
func KeyPrefix(key string) string {
	if key == "" {
		return ""
	}
	n := min(10, len(key)/2)
	return key[:n] + "…"
}

// bearer is the request's bearer key, "" when it has none.
func bearer(r *http.Request) string {
	key, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return strings.TrimSpace(key)
}

// KeysRequired reports whether the server accepts only the keys it was
// given (WithAPIKeys), rather than any well-formed key (dev mode).
func (s *Server) KeysRequired() bool { return s.keys != nil }

// ValidKey reports whether key is one of the server's keys (in dev mode:
// any well-formed sk_/pk_ key), compared in constant time.
func (s *Server) ValidKey(key string) bool {
	if s.keys == nil {
		return len(key) >= 10 && (strings.HasPrefix(key, "sk_") || strings.HasPrefix(key, "pk_"))
	}
	ok := false
	for k := range s.keys {
		if subtle.ConstantTimeCompare([]byte(k), []byte(key)) == 1 {
			ok = true
		}
	}
	return ok
}

// Logger returns the server's logger.
func (s *Server) Logger() *slog.Logger { return s.log }

// serveAndDrop runs h to completion against a buffer, then closes the
// connection without sending anything.
func (s *Server) serveAndDrop(w http.ResponseWriter, r *http.Request, h http.HandlerFunc) {
	bw := &discardWriter{header: http.Header{}}
	h(bw, r)
	s.log.LogAttrs(r.Context(), slog.LevelDebug, "chaos: response dropped",
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", bw.status))
	_, _ = io.Copy(io.Discard, r.Body)
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // HTTP/2: resets the stream, no response
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// eofReader calls atEOF once, when the body has been read to its end.
type eofReader struct {
	io.ReadCloser
	atEOF func()
}

func (r *eofReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if err == io.EOF && r.atEOF != nil {
		r.atEOF()
		r.atEOF = nil
	}
	return n, err
}

type discardWriter struct {
	header http.Header
	status int
}

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(code int)        { d.status = code }

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// authenticate checks the bearer key.
func (s *Server) authenticate(r *http.Request) (keyKind, *apiError) {
	h := r.Header.Get("Authorization")
	key, ok := strings.CutPrefix(h, "Bearer ")
	key = strings.TrimSpace(key)
	if !ok || key == "" {
		return 0, &apiError{status: http.StatusUnauthorized, code: CodeUnauthorized,
			message: "missing API key: send Authorization: Bearer sk_… or pk_…"}
	}
	var kind keyKind
	switch {
	case strings.HasPrefix(key, "sk_"):
		kind = keySecret
	case strings.HasPrefix(key, "pk_"):
		kind = keyPublic
	}
	if kind == 0 || len(key) < 10 || (s.keys != nil && !s.keys[key]) {
		return 0, &apiError{status: http.StatusUnauthorized, code: CodeUnauthorized, message: "invalid API key"}
	}
	return kind, nil
}

func errTooLarge(limit int64) *apiError {
	return &apiError{status: http.StatusRequestEntityTooLarge, code: CodePayloadTooLarge,
		message: "request body exceeds " + itoa(limit) + " bytes"}
}
