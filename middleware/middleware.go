package middleware

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	drip "github.com/drip-sdk/drip-go"
)

// New returns middleware that meters every request through Drip as cfg
// says. It works with net/http, chi and anything else that takes a
// func(http.Handler) http.Handler:
//
//	mux := http.NewServeMux()
//	mux.HandleFunc("POST /v1/generate", generate)
//	metered := middleware.New(middleware.Config{
//		Meter:            "api_calls",
//		CustomerResolver: func(r *http.Request) (string, error) { return auth.TenantID(r) },
//	})(mux)
//
// New panics when cfg is invalid (no Meter, no CustomerResolver, an unknown
// Mode, a negative Quantity), as http.ServeMux does for a bad pattern: it is
// a programming error found at start-up. Call cfg.Validate first to handle
// it as an error instead.
func New(cfg Config) func(http.Handler) http.Handler {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	m := newMeter(cfg)
	return func(next http.Handler) http.Handler {
		if next == nil {
			panic("middleware: nil http.Handler")
		}
		h := &handler{meter: m, next: next}
		h.mux, _ = next.(*http.ServeMux)
		return h
	}
}

// Wrap is New(cfg)(h).
func Wrap(h http.Handler, cfg Config) http.Handler { return New(cfg)(h) }

// meter is the validated Config with its defaults applied, shared by every
// handler New's result wraps.
type meter struct {
	cfg           Config
	fixedQuantity float64
	recordStatus  func(int) bool
	tracker       func() *drip.Tracker
	client        func() *drip.Client
	recipient     func() string // the x402 payment recipient, "" for none
	slugs         sync.Map      // route pattern → workflow slug
	mdCache       metadataCache
}

func newMeter(cfg Config) *meter {
	if cfg.Metadata != nil {
		md := make(map[string]any, len(cfg.Metadata))
		for k, v := range cfg.Metadata {
			md[k] = v
		}
		cfg.Metadata = md
	}
	cfg.SkipPaths = append([]string(nil), cfg.SkipPaths...)
	if cfg.ChargeTimeout == 0 {
		cfg.ChargeTimeout = DefaultChargeTimeout
	}
	m := &meter{cfg: cfg, fixedQuantity: cfg.Quantity, recordStatus: cfg.RecordStatus}
	if m.fixedQuantity == 0 {
		m.fixedQuantity = 1
	}
	if m.recordStatus == nil {
		m.recordStatus = func(status int) bool { return status < 500 }
	}
	// The defaults are resolved on first use, so a ChargeBefore middleware
	// never starts the default tracker, and building the middleware never
	// reads the environment.
	m.tracker = sync.OnceValue(func() *drip.Tracker {
		if cfg.Tracker != nil {
			return cfg.Tracker
		}
		return drip.DefaultTracker()
	})
	m.client = sync.OnceValue(func() *drip.Client {
		switch {
		case cfg.Client != nil:
			return cfg.Client
		case cfg.Tracker != nil:
			return cfg.Tracker.Client()
		}
		return drip.Default()
	})
	m.recipient = sync.OnceValue(func() string {
		if cfg.PaymentRecipient != "" {
			return cfg.PaymentRecipient
		}
		return strings.TrimSpace(os.Getenv(RecipientEnv))
	})
	return m
}

// requestState is what the middleware keeps per request, in one allocation.
type requestState struct {
	info Info
	rw   responseWriter
}

type handler struct {
	*meter
	next http.Handler
	mux  *http.ServeMux // next, when it is a ServeMux: asked for the route up front
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r = strip(r)
	if h.skip(r) {
		h.next.ServeHTTP(w, r)
		return
	}

	customer, err := h.resolve(r)
	if err != nil {
		h.report(r, err)
		writeError(w, http.StatusBadRequest, drip.CodeCustomerResolution, "the customer of this request could not be resolved", 0)
		return
	}
	// One allocation for everything per-request the middleware keeps.
	st := &requestState{info: Info{CustomerID: customer}}
	info := &st.info
	clientIdem := strings.TrimSpace(r.Header.Get(IdempotencyHeader))
	if clientIdem != "" {
		info.IdempotencyKey = clientKey("mw", customer, h.cfg.Meter, clientIdem)
	}
	ctx := drip.ContextWithCustomer(r.Context(), customer)

	if h.cfg.Entitlement != nil && !h.entitled(w, r, info) {
		return
	}
	if h.cfg.Mode == ChargeBefore && !h.charge(w, r, info) {
		return
	}

	var run *drip.Run
	if h.cfg.StartRun {
		p := drip.RunParams{CustomerID: customer, Workflow: h.workflow(r)}
		if clientIdem != "" {
			// Each attempt of a retried request is an execution of its
			// own (its LLM calls really happened, and a failed first
			// attempt must not decide the retry's status), so it gets its
			// own run; the shared correlation id groups them.
			p.CorrelationID = clientKey("mw", customer, h.cfg.Meter, clientIdem)
		}
		ctx, run = h.tracker().Start(ctx, p)
		info.Run = run
	}
	ctx = context.WithValue(ctx, infoKey{}, info)
	r = r.WithContext(ctx)

	rw := &st.rw
	rw.ResponseWriter = w
	start := time.Now()
	// No recover: a panic goes on to net/http (or the next recoverer) with
	// its stack intact; the deferred call only closes the books first.
	panicked := true
	defer func() {
		if panicked {
			h.finish(r, rw, info, start, true)
		}
	}()
	h.next.ServeHTTP(rw, r)
	panicked = false
	h.finish(r, rw, info, start, false)
}

func (h *handler) skip(r *http.Request) bool {
	path := ""
	if r.URL != nil {
		path = r.URL.Path
	}
	for _, p := range h.cfg.SkipPaths {
		if p == path || (strings.HasSuffix(p, "/") && strings.HasPrefix(path, p)) {
			return true
		}
	}
	return h.cfg.Skip != nil && h.cfg.Skip(r)
}

// errNoCustomer is what an empty resolver result is reported as.
var errNoCustomer = errors.New("resolver returned no customer")

func (h *handler) resolve(r *http.Request) (string, error) {
	id, err := h.cfg.CustomerResolver(r)
	if err != nil {
		return "", fmt.Errorf("middleware: resolve customer: %w", err)
	}
	id = strings.TrimSpace(id)
	if id == "" {
		return "", fmt.Errorf("middleware: resolve customer: %w", errNoCustomer)
	}
	return id, nil
}

func (h *handler) report(r *http.Request, err error) {
	if h.cfg.OnError != nil {
		h.cfg.OnError(r, err)
	}
}

func (h *handler) quantity(r *http.Request, resp Response) (float64, error) {
	if h.cfg.QuantityFunc == nil {
		return h.fixedQuantity, nil
	}
	q := h.cfg.QuantityFunc(r, resp)
	if q != q || q < 0 || q > maxQuantity {
		return 0, fmt.Errorf("middleware: QuantityFunc returned %v; want a finite number >= 0", q)
	}
	return q, nil
}

// maxQuantity rejects +Inf (and absurd values) without importing math.
const maxQuantity = 1e300

// charge bills the request before the handler runs. It reports whether the
// handler may run; when not, it has written the error reply.
func (h *handler) charge(w http.ResponseWriter, r *http.Request, info *Info) bool {
	q, err := h.quantity(r, Response{})
	if err != nil {
		h.report(r, err)
		writeError(w, http.StatusInternalServerError, drip.CodeConfiguration, "the request could not be billed", 0)
		return false
	}
	if q == 0 {
		return true // nothing to bill for this request
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.ChargeTimeout)
	defer cancel()
	res, err := h.client().TrackUsage(ctx, drip.UsageParams{
		CustomerID:     info.CustomerID,
		Meter:          h.cfg.Meter,
		Quantity:       q,
		IdempotencyKey: info.IdempotencyKey,
		Mode:           h.cfg.UsageMode,
		Metadata:       h.metadata(r, h.route(r), 0),
	})
	if err != nil {
		h.report(r, fmt.Errorf("middleware: charge: %w", err))
		status, code, msg, retry := chargeFailure(err)
		if status == http.StatusPaymentRequired {
			if to := h.recipient(); to != "" {
				e, _ := drip.AsError(err)
				writePaymentRequired(w, msg, newPaymentRequest(e, to, info.IdempotencyKey, q, time.Now()))
				return false
			}
		}
		writeError(w, status, code, msg, retry)
		return false
	}
	info.Usage = res
	info.IdempotencyKey = res.IdempotencyKey
	return true
}

// finish ends the request's run and, in RecordAfter mode, records its usage.
func (h *handler) finish(r *http.Request, rw *responseWriter, info *Info, start time.Time, panicked bool) {
	status, size := rw.result()
	if panicked {
		status = http.StatusInternalServerError
	}
	elapsed := time.Since(start)

	if run := info.Run; run != nil {
		ev := drip.Event{
			Type:     drip.EventHTTPRequest,
			Name:     eventName(r),
			Quantity: 1,
			Units:    "requests",
			Duration: elapsed,
			Status:   drip.StatusSuccess,
			Metadata: map[string]any{"method": r.Method, "status": status},
		}
		if status >= 500 {
			ev.Status = drip.StatusError
		}
		_ = run.Emit(ev)
		var err error
		switch {
		case panicked:
			err = run.EndWith(drip.EndRunParams{Status: drip.RunFailed, ErrorCode: "PANIC", ErrorMessage: "handler panicked"})
		case status >= 500:
			err = run.EndWith(drip.EndRunParams{Status: drip.RunFailed, ErrorCode: "HTTP_" + strconv.Itoa(status), ErrorMessage: http.StatusText(status)})
		default:
			err = run.End(drip.RunCompleted)
		}
		if err != nil {
			h.report(r, fmt.Errorf("middleware: end run: %w", err))
		}
	}

	if h.cfg.Mode != RecordAfter || panicked || !h.recordStatus(status) {
		return
	}
	q, err := h.quantity(r, Response{Status: status, Size: size, Duration: elapsed})
	if err != nil {
		h.report(r, err)
		return
	}
	if q == 0 {
		return
	}
	err = h.tracker().TrackUsage(r.Context(), drip.UsageParams{
		CustomerID:     info.CustomerID,
		Meter:          h.cfg.Meter,
		Quantity:       q,
		IdempotencyKey: info.IdempotencyKey,
		Mode:           h.cfg.UsageMode,
		Metadata:       h.metadata(r, r.Pattern, status),
	})
	if err != nil {
		h.report(r, fmt.Errorf("middleware: record usage: %w", err))
	}
}

// metadata is the operational context of a usage record: the method, the
// route pattern (never the raw path, which may carry ids) and the status.
// The maps are shared and never modified (the client copies what it sends),
// so each combination is built once.
func (h *handler) metadata(r *http.Request, route string, status int) map[string]any {
	k := mdKey{method: r.Method, route: route, status: status}
	if md := h.mdCache.get(k); md != nil {
		return md
	}
	md := make(map[string]any, len(h.cfg.Metadata)+3)
	for k, v := range h.cfg.Metadata {
		md[k] = v
	}
	md["method"] = r.Method
	if route != "" {
		md["route"] = route
	}
	if status != 0 {
		md["status"] = status
	}
	h.mdCache.put(k, md)
	return md
}

// metadataCache holds the metadata maps built so far. It is bounded: the
// method is client-controlled, so its combinations are not.
type metadataCache struct {
	mu sync.RWMutex
	m  map[mdKey]map[string]any
}

type mdKey struct {
	method, route string
	status        int
}

const maxCachedMetadata = 512

func (c *metadataCache) get(k mdKey) map[string]any {
	c.mu.RLock()
	md := c.m[k]
	c.mu.RUnlock()
	return md
}

func (c *metadataCache) put(k mdKey, md map[string]any) {
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[mdKey]map[string]any)
	}
	if len(c.m) < maxCachedMetadata {
		c.m[k] = md
	}
	c.mu.Unlock()
}

// route returns the route pattern that matches r before the handler runs:
// r.Pattern when the middleware wraps a single route, else the wrapped
// ServeMux's answer, else "".
func (h *handler) route(r *http.Request) string {
	if r.Pattern == "" && h.mux != nil {
		_, p := h.mux.Handler(r)
		return p
	}
	return r.Pattern
}

// workflow picks the run's workflow: the configured one, else the slug of
// the route pattern, else DefaultWorkflow.
func (h *handler) workflow(r *http.Request) string {
	if h.cfg.Workflow != "" {
		return h.cfg.Workflow
	}
	pattern := h.route(r)
	if pattern == "" {
		return DefaultWorkflow
	}
	if s, ok := h.slugs.Load(pattern); ok {
		return s.(string)
	}
	s := slug(pattern)
	h.slugs.Store(pattern, s)
	return s
}

// eventName names the request for the run's http.request event: its route
// pattern (known once the handler has run), else its method.
func eventName(r *http.Request) string {
	if r.Pattern != "" {
		return r.Pattern
	}
	return r.Method
}

// slug turns a route pattern into a workflow slug:
// "GET /v1/items/{id}" → "get-v1-items-id".
func slug(pattern string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(pattern) {
		if ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(c)
			continue
		}
		dash = true
	}
	if b.Len() == 0 {
		return DefaultWorkflow
	}
	return b.String()
}
