package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/internal/wire"
)

const key = "sk_test_crash_000000"

// buildDripd compiles this command into a temp dir.
func buildDripd(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "dripd")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startDripd runs bin and returns the process and the base URL it printed.
func startDripd(t *testing.T, bin string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--addr", "127.0.0.1:0", "--log-level", "warn"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "DRIP_BASE_URL="); ok {
				lines <- v
			}
		}
		close(lines)
	}()
	select {
	case base, ok := <-lines:
		if !ok {
			t.Fatal("dripd exited without printing DRIP_BASE_URL")
		}
		return cmd, base
	case <-time.After(30 * time.Second):
		t.Fatal("dripd did not print DRIP_BASE_URL")
	}
	return nil, ""
}

func call(t *testing.T, method, url string, body any, out any) int {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url, bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

// TestCrashDurability kills dripd with SIGKILL right after 2xx replies and
// checks that a restarted dripd on the same file has every write.
func TestCrashDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the dripd binary")
	}
	bin := buildDripd(t)
	db := filepath.Join(t.TempDir(), "sub", "dripd.db")
	cmd, base := startDripd(t, bin, "--db", db)

	var c wire.Customer
	call(t, "POST", base+"/customers", wire.CreateCustomerRequest{ExternalCustomerID: "survivor"}, &c)
	var run wire.StartRunResult
	call(t, "POST", base+"/runs", wire.StartRunRequest{CustomerID: c.ID, WorkflowID: "crash"}, &run)
	evs := make([]wire.RunEvent, 500)
	for i := range evs {
		evs[i] = wire.RunEvent{RunID: run.ID, EventType: "step", IdempotencyKey: fmt.Sprintf("k%d", i)}
	}
	call(t, "POST", base+"/run-events/batch", wire.RunEventBatchRequest{Events: evs}, nil)
	for i := range 20 {
		call(t, "POST", base+"/usage/internal", wire.UsageRequest{CustomerID: c.ID, IdempotencyKey: fmt.Sprintf("u%d", i)}, nil)
	}
	call(t, "PATCH", base+"/runs/"+run.ID, wire.EndRunRequest{Status: "COMPLETED"}, nil)

	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no shutdown code runs
		t.Fatal(err)
	}
	_ = cmd.Wait()

	_, base = startDripd(t, bin, "--db", db)
	var details wire.RunDetails
	call(t, "GET", base+"/runs/"+run.ID, nil, &details)
	if details.Status != "COMPLETED" || details.Totals.EventCount != 500 {
		t.Fatalf("after restart: run %+v", details)
	}
	var res wire.UsageResult
	call(t, "POST", base+"/usage/internal", wire.UsageRequest{CustomerID: c.ID, IdempotencyKey: "u7"}, &res)
	if !res.IsDuplicate {
		t.Fatal("usage key u7 was forgotten across the crash")
	}
	var got wire.Customer
	call(t, "GET", base+"/customers/"+c.ID, nil, &got)
}

// TestGracefulShutdown checks SIGTERM stops dripd cleanly with data kept.
func TestGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the dripd binary")
	}
	bin := buildDripd(t)
	db := filepath.Join(t.TempDir(), "g.db")
	cmd, base := startDripd(t, bin, "--db", db, "--api-key", key)
	call(t, "POST", base+"/customers", wire.CreateCustomerRequest{ExternalCustomerID: "g"}, nil)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("dripd exit: %v", err)
	}
	st, err := dripserver.OpenStore(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if cs, err := st.Customers(context.Background()); err != nil || len(cs) != 1 {
		t.Fatalf("customers = %v, %v", cs, err)
	}
}

func TestFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--log-level", "loud"}, "--log-level"},
		{[]string{"--chaos-error-rate", "1.5"}, "--chaos-error-rate"},
		{[]string{"--chaos-drop-rate", "-0.1"}, "--chaos-drop-rate"},
		{[]string{"--starting-balance", "-5"}, "--starting-balance"},
		{[]string{"--starting-balance", "lots"}, "--starting-balance"},
		{[]string{"--addr", "256.0.0.1:99999", "--db", ":memory:"}, "listen"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run(%v) = %v, want an error about %s", tt.args, err, tt.want)
			}
		})
	}
	t.Run("default db is in the user's data dir", func(t *testing.T) {
		t.Setenv("XDG_DATA_HOME", "/data")
		if got := defaultDBPath(); got != "/data/drip/dripd.db" {
			t.Fatalf("defaultDBPath() = %q", got)
		}
	})
}

// dripdRun is dripd run in-process by startRun.
type dripdRun struct {
	lines  chan string
	seen   []string
	stderr *lockedBuffer
	cancel context.CancelFunc
	done   chan error
}

// startRun runs dripd in-process with args.
func startRun(t *testing.T, args ...string) *dripdRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	d := &dripdRun{lines: make(chan string, 100), stderr: &lockedBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		d.done <- run(ctx, append([]string{"--addr", "127.0.0.1:0", "--db", ":memory:"}, args...), pw, d.stderr)
		pw.Close()
	}()
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			d.lines <- sc.Text()
		}
		close(d.lines)
	}()
	t.Cleanup(func() { d.stop(t) })
	return d
}

// line waits for the stdout line that starts with prefix and returns the
// rest of it.
func (d *dripdRun) line(t *testing.T, prefix string) string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-d.lines:
			if !ok {
				t.Fatalf("dripd exited without printing %q: %v", prefix, <-d.done)
			}
			d.seen = append(d.seen, l)
			if v, ok := strings.CutPrefix(l, prefix); ok {
				return v
			}
		case <-deadline:
			t.Fatalf("dripd did not print %q", prefix)
		}
	}
}

// stop ends dripd and returns everything it printed on stdout.
func (d *dripdRun) stop(t *testing.T) []string {
	t.Helper()
	if d.cancel == nil {
		return d.seen
	}
	d.cancel()
	d.cancel = nil
	for l := range d.lines {
		d.seen = append(d.seen, l)
	}
	if err := <-d.done; err != nil {
		t.Errorf("dripd: %v", err)
	}
	return d.seen
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func getStatus(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestUIFlag(t *testing.T) {
	t.Run("on by default: the dashboard URL is printed and served", func(t *testing.T) {
		d := startRun(t)
		base := d.line(t, "DRIP_BASE_URL=")
		dash := d.line(t, "dashboard: ")
		if !strings.HasPrefix(dash, "http://127.0.0.1:") || base != dash+"v1" {
			t.Fatalf("base URL %s and dashboard %s differ", base, dash)
		}
		st, body := getStatus(t, dash+"runs")
		if st != 200 || !strings.Contains(body, "No runs yet") {
			t.Fatalf("GET %sruns: %d", dash, st)
		}
		// Requests are logged at info level by default.
		d.stop(t)
		if !strings.Contains(d.stderr.String(), "msg=request method=GET path=/runs status=200") {
			t.Errorf("no info log of the request:\n%s", d.stderr.String())
		}
	})
	t.Run("--ui=false", func(t *testing.T) {
		d := startRun(t, "--ui=false")
		origin := strings.TrimSuffix(d.line(t, "DRIP_BASE_URL="), "/v1")
		if st, body := getStatus(t, origin+"/"); st != 404 || !strings.Contains(body, "NOT_FOUND") {
			t.Fatalf("GET / with --ui=false: %d %s", st, body)
		}
		if st, _ := getStatus(t, origin+"/health"); st != 200 {
			t.Fatalf("health: %d", st)
		}
		for _, l := range d.stop(t) {
			if strings.HasPrefix(l, "dashboard:") {
				t.Fatalf("printed %q with --ui=false", l)
			}
		}
	})
	t.Run("--api-key puts the dashboard behind a login", func(t *testing.T) {
		d := startRun(t, "--api-key", key)
		base := d.line(t, "DRIP_BASE_URL=")
		dash := d.line(t, "dashboard: ")
		if st, body := getStatus(t, dash); st != 200 || !strings.Contains(body, `type="password"`) {
			t.Fatalf("GET / with --api-key: %d, want the login form", st)
		}
		call(t, "POST", base+"/customers", wire.CreateCustomerRequest{ExternalCustomerID: "logged"}, nil)
		d.stop(t)
		log := d.stderr.String()
		if !strings.Contains(log, "path=/v1/customers status=201") || !strings.Contains(log, "key="+dripserver.KeyPrefix(key)) {
			t.Errorf("the API request is not logged with its key prefix:\n%s", log)
		}
		if strings.Contains(log, key) {
			t.Error("the key was logged")
		}
	})
}
