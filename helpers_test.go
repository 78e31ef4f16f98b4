package drip_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
)

const testKey = "sk_test_0123456789abcdef"

// testServer is an in-process dripd with an optional wrapper in front, for
// tests that need to shape the server's answers (a 404 route, a 429).
type testServer struct {
	*httptest.Server
	store    *dripserver.Store
	requests atomic.Int64
}

func (s *testServer) BaseURL() string { return s.URL + "/v1" }

func startServer(t testing.TB, wrap func(http.Handler) http.Handler, opts ...dripserver.Option) *testServer {
	t.Helper()
	store, err := dripserver.OpenStore(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]dripserver.Option{dripserver.WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	var h http.Handler = dripserver.New(store, opts...)
	if wrap != nil {
		h = wrap(h)
	}
	ts := &testServer{store: store}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ts.requests.Add(1)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		ts.Close()
		store.Close()
	})
	return ts
}

func newClient(t testing.TB, baseURL string, opts ...drip.Option) *drip.Client {
	t.Helper()
	opts = append([]drip.Option{drip.WithAPIKey(testKey), drip.WithBaseURL(baseURL)}, opts...)
	c, err := drip.New(opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// fastRetries keeps chaos tests quick and certain: with a third of attempts
// failing, 41 attempts leave a call about a 1e-18 chance of failing for good.
func fastRetries() drip.Option {
	return drip.WithRetryPolicy(drip.RetryPolicy{
		MaxRetries: 40, BaseDelay: time.Millisecond, MaxDelay: 20 * time.Millisecond,
		MaxRetryAfter: 5 * time.Millisecond, BreakerThreshold: -1,
	})
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// syncBuffer is a bytes.Buffer safe for a slog handler used by several
// goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// slogDefault sends slog's default logger to w until the returned func
// restores the previous one.
func slogDefault(w io.Writer) func() {
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(w, nil)))
	return func() { slog.SetDefault(prev) }
}

// refusedBeforeSending checks that call fails with a VALIDATION_ERROR on
// field and sends srv nothing.
func refusedBeforeSending(t *testing.T, srv *testServer, call func() error, field string) {
	t.Helper()
	before := srv.requests.Load()
	err := call()
	var e *drip.Error
	if !errors.As(err, &e) || e.Code != drip.CodeValidation || e.Field != field {
		t.Fatalf("got %v, want VALIDATION_ERROR on %s", err, field)
	}
	if n := srv.requests.Load() - before; n != 0 {
		t.Fatalf("%d requests sent for invalid input", n)
	}
}

// testClock is dripd's injected clock, moved by the test.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func newClock() *testClock {
	return &testClock{t: time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)}
}
