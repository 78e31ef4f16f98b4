package driptest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/dripserver"
)

// DefaultAPIKey is the key APIKey returns when no keys were configured; any
// well-formed key works then.
const DefaultAPIKey = "sk_test_driptest_0000000000"

// The records the read helpers return.
type (
	Customer    = dripserver.Customer
	Workflow    = dripserver.Workflow
	UsageRecord = dripserver.UsageRecord
	Run         = dripserver.Run
	Event       = dripserver.Event
)

// Server is an in-process dripd on 127.0.0.1 with an in-memory store.
type Server struct {
	tb   testing.TB
	inst *dripserver.Instance
	key  string
}

type config struct {
	keys []string
	opts []dripserver.Option
}

// Option configures NewServer.
type Option func(*config)

// WithAPIKeys accepts only these keys (default: any well-formed sk_/pk_
// key). APIKey returns the first.
func WithAPIKeys(keys ...string) Option {
	return func(c *config) {
		c.keys = append(c.keys, keys...)
		c.opts = append(c.opts, dripserver.WithAPIKeys(keys...))
	}
}

// WithLogger sets the server's logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.opts = append(c.opts, dripserver.WithLogger(l)) }
}

// WithErrorRate answers that fraction (0–1) of API requests with 503
// SERVICE_UNAVAILABLE before doing anything.
func WithErrorRate(p float64) Option {
	return func(c *config) { c.opts = append(c.opts, dripserver.WithErrorRate(p)) }
}

// WithDropRate commits that fraction (0–1) of API requests and then closes
// the connection without a reply.
func WithDropRate(p float64) Option {
	return func(c *config) { c.opts = append(c.opts, dripserver.WithDropRate(p)) }
}

// WithLatency delays every API request by d.
func WithLatency(d time.Duration) Option {
	return func(c *config) { c.opts = append(c.opts, dripserver.WithLatency(d)) }
}

// WithReadTimeouts sets how long a client may take to send a request's
// headers and body before the server closes the connection (defaults
// dripserver.DefaultReadHeaderTimeout and DefaultBodyReadTimeout), for
// tests of a client's behaviour when it is cut off.
func WithReadTimeouts(header, body time.Duration) Option {
	return func(c *config) { c.opts = append(c.opts, dripserver.WithReadTimeouts(header, body)) }
}

// WithSeed makes the injected faults deterministic.
func WithSeed(seed uint64) Option {
	return func(c *config) { c.opts = append(c.opts, dripserver.WithSeed(seed)) }
}

// NewServer starts a dripd for the test on a free port of 127.0.0.1 and
// stops it when the test ends.
func NewServer(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	c := &config{opts: []dripserver.Option{dripserver.WithLogger(slog.New(slog.DiscardHandler))}}
	for _, o := range opts {
		o(c)
	}
	inst, err := dripserver.Start(context.Background(), "127.0.0.1:0", nil, c.opts...)
	if err != nil {
		tb.Fatalf("driptest: start dripd: %v", err)
	}
	s := &Server{tb: tb, inst: inst, key: DefaultAPIKey}
	if len(c.keys) > 0 {
		s.key = c.keys[0]
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := inst.Shutdown(ctx); err != nil {
			tb.Logf("driptest: stop dripd: %v", err)
		}
	})
	return s
}

// URL returns the origin, e.g. http://127.0.0.1:41234.
func (s *Server) URL() string { return s.inst.URL() }

// BaseURL returns the API base URL (URL()+"/v1"), the value for
// DRIP_BASE_URL.
func (s *Server) BaseURL() string { return s.inst.BaseURL() }

// APIKey returns a secret key the server accepts.
func (s *Server) APIKey() string { return s.key }

// Server returns the underlying dripserver, for what the helpers lack.
func (s *Server) Server() *dripserver.Server { return s.inst.Server }

// must fails the test on a store error; the helpers are for assertions, so
// an error there is a broken test, not a case to handle.
func (s *Server) must(err error) {
	s.tb.Helper()
	if err != nil {
		s.tb.Fatalf("driptest: %v", err)
	}
}

// Customers returns every customer, in creation order.
func (s *Server) Customers() []Customer {
	s.tb.Helper()
	v, err := s.inst.Store().Customers(context.Background())
	s.must(err)
	return v
}

// Workflows returns every workflow, in creation order.
func (s *Server) Workflows() []Workflow {
	s.tb.Helper()
	v, err := s.inst.Store().Workflows(context.Background())
	s.must(err)
	return v
}

// UsageRecords returns every usage record (all four usage endpoints), in
// arrival order. Replays of an idempotency key are not in it twice.
func (s *Server) UsageRecords() []UsageRecord {
	s.tb.Helper()
	v, err := s.inst.Store().UsageRecords(context.Background())
	s.must(err)
	return v
}

// Runs returns every run with its totals, in creation order.
func (s *Server) Runs() []Run {
	s.tb.Helper()
	v, err := s.inst.Store().Runs(context.Background())
	s.must(err)
	return v
}

// Run returns the run with the given id, failing the test if there is none.
func (s *Server) Run(id string) Run {
	s.tb.Helper()
	r, ok, err := s.inst.Store().Run(context.Background(), id)
	if err != nil {
		s.tb.Fatalf("driptest: %v", err)
	}
	if !ok {
		s.tb.Fatalf("driptest: no run %q", id)
	}
	return r
}

// Events returns the events of a run in timeline order.
func (s *Server) Events(runID string) []Event {
	s.tb.Helper()
	v, err := s.inst.Store().Events(context.Background(), runID)
	s.must(err)
	return v
}
