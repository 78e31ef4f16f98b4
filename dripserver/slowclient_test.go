package dripserver_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/dripserver"
)

// TestSlowClientsAreDisconnected plays clients that declare a big body and
// then trickle or stall it, or never finish their headers: dripd must close
// each connection once its deadline passes instead of holding it (and a
// buffer) open. Deadlines are short here; the bound the test waits is not.
func TestSlowClientsAreDisconnected(t *testing.T) {
	inst, err := dripserver.Start(context.Background(), "127.0.0.1:0", nil, quiet,
		dripserver.WithReadTimeouts(200*time.Millisecond, 300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Shutdown(context.Background()) })
	addr := strings.TrimPrefix(inst.URL(), "http://")
	// The same Server mounted in an http.Server with no timeouts of its
	// own: the body deadline still holds.
	st, err := dripserver.OpenStore(":memory:")
	if err != nil {
		t.Fatal(err)
	}
	mounted := httptest.NewServer(dripserver.New(st, quiet, dripserver.WithReadTimeouts(0, 300*time.Millisecond)))
	t.Cleanup(func() {
		mounted.Close()
		st.Close()
	})

	post := func(path string) string {
		return "POST " + path + " HTTP/1.1\r\nHost: dripd\r\nAuthorization: Bearer sk_test_slow_client\r\n" +
			"Content-Type: application/json\r\nContent-Length: 5000000\r\n\r\n"
	}
	cases := []struct {
		name, head string
		trickle    bool
		want408    bool // the handler was reading the body, so it answers
		addr       string
	}{
		{"body trickled", post("/v1/usage") + `{"customerId":"`, true, true, ""},
		{"body trickled, mounted", post("/v1/usage") + `{"customerId":"`, true, true, mounted.Listener.Addr().String()},
		{"body stalled", post("/v1/run-events/batch") + `{"events":[`, false, true, ""},
		{"batch trickled", post("/v1/run-events/batch") + `{"events":[`, true, true, ""},
		{"headers stalled", "POST /v1/usage HTTP/1.1\r\nHost: dripd\r\nContent-Le", false, false, ""},
		{"headers trickled", "POST /v1/usage HTTP/1.1\r\nHost: dripd\r\n", true, false, ""},
		{"unread body stalled", strings.Replace(post("/health"), "POST", "GET", 1) + "{", false, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			to := addr
			if tc.addr != "" {
				to = tc.addr
			}
			conn, err := net.Dial("tcp", to)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, tc.head); err != nil {
				t.Fatal(err)
			}
			stop := make(chan struct{})
			defer close(stop)
			if tc.trickle {
				go func() {
					tick := time.NewTicker(20 * time.Millisecond)
					defer tick.Stop()
					for {
						select {
						case <-stop:
							return
						case <-tick.C:
							if _, err := conn.Write([]byte("x")); err != nil {
								return
							}
						}
					}
				}()
			}
			_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
			got, err := io.ReadAll(conn)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("connection still open after 30s (read %q)", got)
			}
			if tc.want408 && !strings.HasPrefix(string(got), "HTTP/1.1 408 ") {
				t.Errorf("reply %q, want a 408", got)
			}
			if tc.want408 && !strings.Contains(string(got), `"code":"REQUEST_TIMEOUT"`) {
				t.Errorf("reply %q, want code REQUEST_TIMEOUT", got)
			}
		})
	}
}

// TestBodyDeadlineLiftedAfterRead checks that a request whose body arrived
// does not leave its deadline on a keep-alive connection: a second request
// on it after the deadline would have passed still gets an answer.
func TestBodyDeadlineLiftedAfterRead(t *testing.T) {
	inst, err := dripserver.Start(context.Background(), "127.0.0.1:0", nil, quiet,
		dripserver.WithReadTimeouts(time.Second, 200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Shutdown(context.Background()) })
	a := newAPI(t, inst.BaseURL(), "sk_test_keepalive_0")
	a.customer("first")
	time.Sleep(400 * time.Millisecond)
	a.customer("second")
}

// TestReadTimeoutsNeverCutAPromptClient checks that the timeouts only
// catch slow clients: requests whose handling (here the latency fault)
// outlasts both timeouts, with and without a body, still get their answer.
func TestReadTimeoutsNeverCutAPromptClient(t *testing.T) {
	inst, err := dripserver.Start(context.Background(), "127.0.0.1:0", nil, quiet,
		dripserver.WithReadTimeouts(100*time.Millisecond, 100*time.Millisecond),
		dripserver.WithLatency(400*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Shutdown(context.Background()) })
	a := newAPI(t, inst.BaseURL(), "sk_test_prompt_client")
	c := a.customer("prompt")
	a.ok(200, "GET", "/customers/"+c.ID, nil, nil)
	a.ok(200, "GET", "/customers", nil, nil)
}
