package drip

import (
	"log/slog"
	"net/http"
	"os"
	"time"
)

// Defaults of New. The timeout is per HTTP attempt, not per call.
const (
	DefaultBaseURL = "https://api.drippay.dev/v1"
	DefaultTimeout = 30 * time.Second
)

// Environment variables New reads when the matching option is not given.
const (
	EnvAPIKey  = "DRIP_API_KEY"
	EnvAPIURL  = "DRIP_API_URL"  // first choice for the base URL
	EnvBaseURL = "DRIP_BASE_URL" // second choice
)

// Option configures a Client.
type Option func(*config)

type config struct {
	apiKey        string
	baseURL       string
	httpClient    *http.Client
	timeout       time.Duration
	retry         RetryPolicy
	logger        *slog.Logger
	userAgent     string
	allowInsecure bool
	guard         MetadataGuard
}

func defaultConfig() config {
	return config{
		timeout: DefaultTimeout,
		retry:   DefaultRetryPolicy(),
		guard:   MetadataGuard{},
	}
}

// applyEnv fills what options left empty from the environment, in the
// official clients' order: option, DRIP_API_URL, DRIP_BASE_URL, default.
func (c *config) applyEnv() {
	if c.apiKey == "" {
		c.apiKey = os.Getenv(EnvAPIKey)
	}
	if c.baseURL == "" {
		c.baseURL = os.Getenv(EnvAPIURL)
	}
	if c.baseURL == "" {
		c.baseURL = os.Getenv(EnvBaseURL)
	}
	if c.baseURL == "" {
		c.baseURL = DefaultBaseURL
	}
}

// WithAPIKey sets the API key (sk_… or pk_…). Without it New reads DRIP_API_KEY.
func WithAPIKey(key string) Option { return func(c *config) { c.apiKey = key } }

// WithBaseURL sets the API base URL including /v1, e.g.
// "http://127.0.0.1:7420/v1". Without it New reads DRIP_API_URL, then
// DRIP_BASE_URL, then uses DefaultBaseURL.
func WithBaseURL(u string) Option { return func(c *config) { c.baseURL = u } }

// WithHTTPClient sets the *http.Client used for every request. Its Timeout
// should be zero or larger than WithTimeout; the per-attempt timeout is
// applied through the request context.
func WithHTTPClient(hc *http.Client) Option { return func(c *config) { c.httpClient = hc } }

// WithTimeout sets the timeout of one HTTP attempt (default 30 s). A timed
// out attempt is retried.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithRetryPolicy replaces the retry and circuit-breaker policy.
func WithRetryPolicy(p RetryPolicy) Option { return func(c *config) { c.retry = p } }

// WithoutRetries disables retries and the circuit breaker: each call makes
// exactly one attempt.
func WithoutRetries() Option {
	return func(c *config) { c.retry = RetryPolicy{MaxRetries: 0, BreakerThreshold: -1} }
}

// WithLogger sets the logger for retries, breaker transitions and dropped
// metadata. The API key is never logged.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithUserAgent appends a product token to the User-Agent header.
func WithUserAgent(suffix string) Option { return func(c *config) { c.userAgent = suffix } }

// WithInsecureHTTP allows sending the API key over plain http:// to a host
// that is not loopback. Without it New refuses such a base URL, because the
// bearer key would cross the network in clear text.
func WithInsecureHTTP() Option { return func(c *config) { c.allowInsecure = true } }

// WithMetadataGuard replaces the metadata filter configuration. The guard is
// on by default; see MetadataGuard.
func WithMetadataGuard(g MetadataGuard) Option { return func(c *config) { c.guard = g } }
