package drip

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// Version is this SDK's version, sent in the User-Agent header.
const Version = "0.1.0"

// KeyType says what an API key may do.
type KeyType string

// Key types, from the key prefix.
const (
	KeySecret KeyType = "secret" // sk_…: full API access
	// KeyPublic (pk_…) may track usage, record runs and events, manage
	// customers and read or act on billing: balances, charges, spending
	// caps, entitlement checks, cost estimates, checkout, ingest, and read
	// subscriptions. Calls that configure the account or move its money
	// need a secret key and are refused with a public one before anything
	// is sent (403 PUBLIC_KEY_NOT_ALLOWED): webhooks, entitlement plans and
	// rules and assigning them to customers, creating, changing or deleting
	// pricing plans, changing subscriptions, contracts, plan changes,
	// withdrawals, portal sessions and payload-mapping management.
	KeyPublic KeyType = "public"
)

// Client calls the Drip API. It is safe for concurrent use; create one and
// share it. Every method takes a context first and returns a *Error on
// failure.
type Client struct {
	apiKey    string
	keyType   KeyType
	baseURL   string // no trailing slash
	healthURL string
	hc        *http.Client
	// transport is the transport New made, nil when the caller gave an
	// http.Client: only this one is the client's to close.
	transport *http.Transport
	timeout   time.Duration
	retry     RetryPolicy
	breaker   *breaker
	log       *slog.Logger
	userLog   *slog.Logger // the logger given with WithLogger, if any
	userAgent string
	guard     *metadataFilter

	// initErr is set on a default client whose configuration failed; every
	// call returns it, so a missing key is an error at first use.
	initErr error
}

// New builds a client. The API key comes from WithAPIKey or DRIP_API_KEY and
// must start with sk_ or pk_ and be at least 10 characters; the base URL from
// WithBaseURL, DRIP_API_URL, DRIP_BASE_URL, else DefaultBaseURL. A bad key or
// URL is a VALIDATION_ERROR naming the field.
func New(opts ...Option) (*Client, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	cfg.applyEnv()

	key := strings.TrimSpace(cfg.apiKey)
	kt, err := checkKey(key)
	if err != nil {
		return nil, err
	}
	base := strings.TrimRight(cfg.baseURL, "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, validationError("New", "baseURL", "base URL must be an absolute http(s) URL")
	}
	if u.Scheme == "http" && !cfg.allowInsecure && !isLoopback(u.Hostname()) {
		return nil, validationError("New", "baseURL",
			"refusing to send the API key over plain http to a non-loopback host; use https or WithInsecureHTTP")
	}
	hc := cfg.httpClient
	var own *http.Transport
	if hc == nil {
		own = newTransport()
		hc = &http.Client{Transport: own}
	}
	log := cfg.logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ua := "drip-go/" + Version
	if cfg.userAgent != "" {
		ua += " " + cfg.userAgent
	}
	c := &Client{
		apiKey:    key,
		keyType:   kt,
		baseURL:   base,
		healthURL: healthURL(base),
		hc:        hc,
		transport: own,
		timeout:   cfg.timeout,
		retry:     cfg.retry,
		log:       log,
		userLog:   cfg.logger,
		userAgent: ua,
		guard:     newMetadataFilter(cfg.guard),
	}
	if cfg.retry.BreakerThreshold >= 0 {
		th := cfg.retry.BreakerThreshold
		if th == 0 {
			th = DefaultBreakerThreshold
		}
		cd := cfg.retry.BreakerCooldown
		if cd <= 0 {
			cd = DefaultBreakerCooldown
		}
		c.breaker = &breaker{threshold: th, cooldown: cd, now: time.Now}
	}
	return c, nil
}

// newTransport is the transport of a client built without WithHTTPClient:
// one per client, so closing its connections disturbs no other client. It
// keeps as many idle connections to the API as a tracker has requests in
// flight at most, so parallel export reuses them instead of dialling anew.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = DefaultMaxConcurrentExports + 16
	t.MaxIdleConns = max(t.MaxIdleConns, t.MaxIdleConnsPerHost)
	return t
}

// CloseIdleConnections closes the idle keep-alive connections of the
// transport the client made itself. A client given an http.Client through
// WithHTTPClient does not own its transport and leaves it alone. The
// client stays usable: a later call dials again. Tracker.Shutdown calls it
// once the tracker has sent everything.
func (c *Client) CloseIdleConnections() {
	if c.transport != nil {
		c.transport.CloseIdleConnections()
	}
}

func checkKey(key string) (KeyType, error) {
	switch {
	case key == "":
		return "", validationError("New", "apiKey", "API key is required: pass drip.WithAPIKey or set DRIP_API_KEY")
	case len(key) < 10:
		return "", validationError("New", "apiKey", "API key is too short")
	case strings.HasPrefix(key, "sk_"):
		return KeySecret, nil
	case strings.HasPrefix(key, "pk_"):
		return KeyPublic, nil
	}
	return "", validationError("New", "apiKey", "API key must start with sk_ or pk_")
}

func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// healthURL is the origin's /health: the base URL without a trailing /v1.
func healthURL(base string) string {
	base = strings.TrimSuffix(base, "/v1")
	return strings.TrimRight(base, "/") + "/health"
}

// KeyType reports whether the client holds a secret or a public key.
func (c *Client) KeyType() KeyType { return c.keyType }

// BaseURL returns the API base URL the client sends requests to.
func (c *Client) BaseURL() string { return c.baseURL }

// request is one logical API call; every retry of it sends the same body.
type request struct {
	op     string
	method string
	path   string // relative to baseURL, or absolute when abs is set
	abs    bool
	body   any
	raw    []byte // an already encoded body; wins over body
	out    any
	// once sends a single attempt: the tracker's exporter retries itself,
	// so it sees every 429 and can slow down.
	once bool
	// secret marks a call Drip serves to secret (sk_) keys only: with a
	// public key it is refused before sending. See KeyPublic.
	secret bool
	// noReplay stops retrying once an attempt may have reached the server:
	// for writes that carry no idempotency key and move money, where a
	// replay would do it twice.
	noReplay bool
}

// callInfo reports how a call went, for callers that care (CreateCustomer
// resolves its own duplicate after a lost reply).
type callInfo struct {
	attempts int
	// uncertain is true when an earlier attempt may have reached the server
	// without its reply reaching us.
	uncertain bool
}

// do runs a logical call with retries, the breaker and error decoding.
func (c *Client) do(ctx context.Context, r request) (callInfo, error) {
	var info callInfo
	if c.initErr != nil {
		return info, c.initErr
	}
	if r.secret && c.keyType == KeyPublic {
		return info, &Error{Op: r.op, StatusCode: http.StatusForbidden, Code: CodePublicKeyNotAllowed,
			Message: "this call needs a secret (sk_) API key; a public (pk_) key may track usage, manage customers, read billing and record runs, not manage webhooks, entitlement plans or pricing plans"}
	}
	payload := r.raw
	if payload == nil && r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return info, &Error{Op: r.op, Code: CodeValidation, Message: "cannot encode request: " + err.Error()}
		}
		payload = b
	}
	for retry := 0; ; retry++ {
		if ok, wait := c.breaker.allow(); !ok {
			return info, &Error{Op: r.op, Code: CodeCircuitOpen, RetryAfter: wait,
				Message: "circuit breaker open: the Drip API failed repeatedly; not sending"}
		}
		info.attempts++
		err := c.attempt(ctx, r, payload)
		if err == nil {
			c.recordBreaker(false)
			return info, nil
		}
		e := err.(*Error)
		if ctx.Err() != nil {
			c.breaker.release()
			return info, e
		}
		retryable := retryableStatus(e.StatusCode) || e.Code == CodeNetwork || e.Code == CodeTimeout
		if e.StatusCode == 0 || e.StatusCode >= 500 || e.StatusCode == http.StatusRequestTimeout {
			info.uncertain = true
		}
		if !retryable || retry >= c.retry.MaxRetries || r.once || (r.noReplay && info.uncertain) {
			if breakerFailure(e) {
				c.recordBreaker(true)
			} else {
				c.breaker.release()
			}
			return info, e
		}
		delay := c.retry.backoff(retry, e.RetryAfter)
		c.log.LogAttrs(ctx, slog.LevelDebug, "drip: retrying",
			slog.String("op", r.op), slog.Int("attempt", info.attempts),
			slog.Int("status", e.StatusCode), slog.String("code", e.Code),
			slog.Duration("delay", delay))
		if err := sleepCtx(ctx, delay); err != nil {
			c.breaker.release()
			return info, &Error{Op: r.op, Code: CodeTimeout, Message: "cancelled while waiting to retry", Err: err}
		}
	}
}

func (c *Client) recordBreaker(failed bool) {
	if from, to, changed := c.breaker.record(failed); changed {
		c.log.LogAttrs(context.Background(), slog.LevelWarn, "drip: circuit breaker state changed",
			slog.String("from", from.String()), slog.String("to", to.String()))
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// attempt sends one HTTP request and decodes the reply; every failure is a
// *Error with the API key scrubbed from every field.
func (c *Client) attempt(ctx context.Context, r request, payload []byte) error {
	if err := c.send(ctx, r, payload); err != nil {
		return c.scrubError(err.(*Error))
	}
	return nil
}

// send is attempt before scrubbing.
func (c *Client) send(ctx context.Context, r request, payload []byte) error {
	actx, cancel := ctx, context.CancelFunc(func() {})
	if c.timeout > 0 {
		actx, cancel = context.WithTimeout(ctx, c.timeout)
	}
	defer cancel()

	target := r.path
	if !r.abs {
		target = c.baseURL + r.path
	}
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(actx, r.method, target, body)
	if err != nil {
		return &Error{Op: r.op, Code: CodeValidation, Message: "cannot build request", Err: c.scrubErr(err)}
	}
	req.Header.Set("Authorization", "Bearer "+c.apiKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)

	resp, err := c.hc.Do(req)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return &Error{Op: r.op, Code: CodeTimeout, Message: "context done: " + ctx.Err().Error(), Err: ctx.Err()}
		case actx.Err() != nil || isTimeout(err):
			return &Error{Op: r.op, StatusCode: 0, Code: CodeTimeout, Message: "request timed out", Err: context.DeadlineExceeded}
		}
		return &Error{Op: r.op, Code: CodeNetwork, Message: "request failed: " + c.scrub(errorText(err)), Err: ErrNetwork}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		if actx.Err() != nil && ctx.Err() == nil {
			return &Error{Op: r.op, Code: CodeTimeout, StatusCode: resp.StatusCode, Message: "timed out reading response"}
		}
		return &Error{Op: r.op, Code: CodeNetwork, StatusCode: 0, Message: "reading response: " + c.scrub(err.Error()), Err: ErrNetwork}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if resp.StatusCode == http.StatusNoContent || r.out == nil {
			return nil
		}
		if err := json.Unmarshal(raw, r.out); err != nil {
			return &Error{Op: r.op, StatusCode: resp.StatusCode, Code: CodeParse,
				Message: "response is not the expected JSON: " + err.Error(), Body: raw,
				RequestID: resp.Header.Get("X-Request-Id")}
		}
		return nil
	}
	return c.decodeError(r.op, resp, raw)
}

func (c *Client) decodeError(op string, resp *http.Response, raw []byte) *Error {
	e := &Error{Op: op, StatusCode: resp.StatusCode, Body: raw, RequestID: resp.Header.Get("X-Request-Id")}
	var env wire.Error
	if err := json.Unmarshal(raw, &env); err != nil {
		e.Code = CodeInvalidResponse
		e.Message = "request failed with status " + strconv.Itoa(resp.StatusCode) + " (non-JSON response)"
	} else {
		e.Code = env.Code
		e.Message = env.Message
		if e.Message == "" {
			e.Message = env.Error
		}
		e.Field = env.Field
		e.ExistingCustomerID = env.ExistingCustomerID
		if e.RequestID == "" {
			e.RequestID = env.RequestID
		}
		if env.RetryAfter != nil && *env.RetryAfter > 0 {
			e.RetryAfter = time.Duration(*env.RetryAfter * float64(time.Second))
		}
	}
	if e.Code == "" {
		e.Code = codeForStatus(resp.StatusCode)
	}
	if ra := parseRetryAfter(resp.Header.Get("Retry-After")); ra > 0 {
		e.RetryAfter = ra
	}
	if resp.StatusCode == http.StatusNotFound && !strings.HasSuffix(c.baseURL, "/v1") {
		e.Message += " (the base URL " + c.baseURL + " does not end in /v1, where the Drip API lives: is /v1 missing?)"
	}
	return e
}

func codeForStatus(s int) string {
	switch s {
	case 400:
		return CodeInvalidParameter
	case 401:
		return CodeUnauthorized
	case 402:
		return CodePaymentRequired
	case 403:
		return CodeForbidden
	case 404:
		return CodeNotFound
	case 408:
		return CodeTimeout
	case 422:
		return CodeValidation
	case 429:
		return CodeRateLimitExceeded
	case 503:
		return CodeServiceUnavailable
	}
	if s >= 500 {
		return CodeInternal
	}
	return codeUnknown
}

// parseRetryAfter reads delay-seconds or an HTTP date.
func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// errorText strips net/http's "Post \"url\":" prefix; the URL is ours and
// noise for the caller.
func errorText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// scrub removes the API key from text that may echo it (a server message,
// a transport error). Keys must never reach errors or logs.
func (c *Client) scrub(s string) string {
	if c.apiKey == "" || !strings.Contains(s, c.apiKey) {
		return s
	}
	return strings.ReplaceAll(s, c.apiKey, redacted)
}

const redacted = "[REDACTED]"

// scrubError scrubs every text field of e: a hostile server may echo the
// key into any envelope field or header.
func (c *Client) scrubError(e *Error) *Error {
	e.Op = c.scrub(e.Op)
	e.Code = c.scrub(e.Code)
	e.Message = c.scrub(e.Message)
	e.Field = c.scrub(e.Field)
	e.RequestID = c.scrub(e.RequestID)
	e.ExistingCustomerID = c.scrub(e.ExistingCustomerID)
	if c.apiKey != "" && bytes.Contains(e.Body, []byte(c.apiKey)) {
		e.Body = bytes.ReplaceAll(e.Body, []byte(c.apiKey), []byte(redacted))
	}
	if c.apiKey != "" && e.Err != nil && e.Err != ErrNetwork && strings.Contains(e.Err.Error(), c.apiKey) {
		e.Err = c.scrubErr(e.Err)
	}
	return e
}

func (c *Client) scrubErr(err error) error {
	if err == nil {
		return nil
	}
	return errors.New(c.scrub(err.Error()))
}
