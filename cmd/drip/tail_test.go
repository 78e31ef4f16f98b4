package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/driptest"
)

// deadline bounds each wait on the tail process: an outcome, not a timing.
const deadline = 30 * time.Second

// tailProc is a running drip tail.
type tailProc struct {
	cmd    *exec.Cmd
	stdout chan string // lines
	stderr *lockedBuffer
	done   chan error
}

// startTail starts drip tail and waits until it says it follows the
// stream (its first stderr line), or until it exits.
func startTail(t *testing.T, e env, args ...string) *tailProc {
	t.Helper()
	cmd := dripCmd(context.Background(), t, e, append([]string{"tail"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &tailProc{cmd: cmd, stdout: make(chan string, 100), stderr: &lockedBuffer{}, done: make(chan error, 1)}
	following := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			p.stderr.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "drip: following ") {
				close(following)
			}
		}
	}()
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.stdout <- sc.Text()
		}
	}()
	go func() {
		<-readDone // Wait closes the pipes: read them to the end first
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if strings.Contains(p.stderr.String(), e.key) {
			t.Errorf("drip tail printed the key: %s", p.stderr.String())
		}
	})
	select {
	case <-following:
	case err := <-p.done:
		p.done <- err
	case <-time.After(deadline):
		t.Fatalf("drip tail never said it follows the stream; stderr: %s", p.stderr.String())
	}
	return p
}

// next returns the next stdout line.
func (p *tailProc) next(t *testing.T) string {
	t.Helper()
	select {
	case l := <-p.stdout:
		return l
	case err := <-p.done:
		p.done <- err
		t.Fatalf("drip tail exited (%v) while a line was awaited; stderr: %s", err, p.stderr.String())
	case <-time.After(deadline):
		t.Fatalf("no line from drip tail; stderr: %s", p.stderr.String())
	}
	return ""
}

// exit waits for drip tail to end and returns its exit code.
func (p *tailProc) exit(t *testing.T) int {
	t.Helper()
	select {
	case err := <-p.done:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(deadline):
		t.Fatalf("drip tail did not exit; stderr: %s", p.stderr.String())
	}
	return -1
}

// interrupt sends Ctrl-C and returns the exit code.
func (p *tailProc) interrupt(t *testing.T) int {
	t.Helper()
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	return p.exit(t)
}

// lockedBuffer is stderr as read so far, shared with the reading
// goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) WriteString(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// streamMsg is one message the fake stream sends.
type streamMsg struct{ kind, data string }

// fakeStream is a test-only server for GET /v1/dev/stream that follows
// dripd's live-stream contract exactly: authenticated like the API (a
// Bearer sk_/pk_ key, 401 in Drip's error envelope otherwise), 200
// text/event-stream, "event: <kind>" and "data: <one-line JSON>" per
// message, ": ping" comments, only messages sent after the client
// connected. Every other path answers 404 NOT_FOUND as dripd does.
type fakeStream struct {
	key       string
	connected chan chan streamMsg // one per client, to send it messages; close to end its stream
}

func (f *fakeStream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Method != http.MethodGet || r.URL.Path != "/v1/dev/stream" {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"error":"Not Found","message":"no route for %s %s","code":"NOT_FOUND"}`, r.Method, r.URL.Path)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.key {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"Unauthorized","message":"invalid API key","code":"UNAUTHORIZED"}`)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": ping\n\n")
	http.NewResponseController(w).Flush()
	msgs := make(chan streamMsg)
	f.connected <- msgs
	for {
		select {
		case m, open := <-msgs:
			if !open {
				return
			}
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n: ping\n\n", m.kind, m.data)
			http.NewResponseController(w).Flush()
		case <-r.Context().Done():
			return
		}
	}
}

// rawGET reads an API path of srv as its JSON text: the exact shapes the
// stream carries.
func rawGET(t *testing.T, srv *driptest.Server, path string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.BaseURL()+path, nil)
	req.Header.Set("Authorization", "Bearer "+srv.APIKey())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// contractMessages builds the messages dripd would send for a run
// recorded with the SDK: its run as GET /runs/{id} returns it, each
// timeline event plus runId, and a usage record.
func contractMessages(t *testing.T) (msgs []streamMsg, runID string) {
	t.Helper()
	srv := driptest.NewServer(t)
	runID, custID := recordRun(t, srv)
	run := rawGET(t, srv, "/runs/"+runID)
	var tl struct {
		Events []map[string]any `json:"events"`
	}
	if err := json.Unmarshal([]byte(rawGET(t, srv, "/runs/"+runID+"/timeline")), &tl); err != nil {
		t.Fatal(err)
	}
	msgs = append(msgs, streamMsg{"run.started", run})
	for _, e := range tl.Events {
		e["runId"] = runID
		b, _ := json.Marshal(e)
		msgs = append(msgs, streamMsg{"run.event", string(b)})
	}
	usage := fmt.Sprintf(`{"usageEventId":"use_1","customerId":%q,"usageType":"api_calls","quantity":2,"chargeId":null,"createdAt":"2026-03-01T12:00:00.000Z"}`, custID)
	msgs = append(msgs, streamMsg{"usage.recorded", usage}, streamMsg{"run.ended", run}, streamMsg{"run.archived", `{"id":"x"}`})
	return msgs, runID
}

func startFake(t *testing.T) (*fakeStream, env) {
	f := &fakeStream{key: "sk_test_fake_stream_0001", connected: make(chan chan streamMsg, 1)}
	ts := httptest.NewServer(f)
	t.Cleanup(ts.Close)
	return f, env{key: f.key, baseURL: ts.URL + "/v1"}
}

func TestTailJSONAgainstContract(t *testing.T) {
	msgs, _ := contractMessages(t)
	f, e := startFake(t)
	p := startTail(t, e, "--json")
	send := <-f.connected
	for _, m := range msgs {
		send <- m
	}
	for _, m := range msgs {
		var got tailJSON
		line := p.next(t)
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("not one JSON object per line: %q", line)
		}
		if got.Event != m.kind || string(got.Data) != m.data {
			t.Errorf("line %s\nwant event %s data %s", line, m.kind, m.data)
		}
	}
	if code := p.interrupt(t); code != exitOK {
		t.Errorf("Ctrl-C: exit %d, want 0; stderr: %s", code, p.stderr.String())
	}
}

func TestTailTableAgainstContract(t *testing.T) {
	msgs, runID := contractMessages(t)
	f, e := startFake(t)
	p := startTail(t, e)
	send := <-f.connected
	for _, m := range msgs {
		send <- m
	}
	var got []string
	for range msgs {
		got = append(got, p.next(t))
	}
	out := strings.Join(got, "\n")
	wantLines(t, "tail", out,
		"run.started "+runID+` "Report Agent" COMPLETED customer`,
		"run.event "+runID+" llm.completion gpt-4o-mini 1500 tokens (1200 in, 300 out) 900ms $0.00036",
		"run.event "+runID+" tool.call search 1 call 1.5s",
		"usage.recorded customer",
		"api_calls 2 use_1",
		"run.ended "+runID+` "Report Agent" COMPLETED`,
		"3 events",
		"cost $0.00036",
		`run.archived {"id":"x"}`) // a kind this version does not know
	if code := p.interrupt(t); code != exitOK {
		t.Errorf("Ctrl-C: exit %d, want 0", code)
	}
}

func TestTailServerClosesStream(t *testing.T) {
	f, e := startFake(t)
	p := startTail(t, e)
	close(<-f.connected)
	if code := p.exit(t); code != exitAPI || !strings.Contains(p.stderr.String(), "closed the stream") {
		t.Errorf("exit %d, stderr %q", code, p.stderr.String())
	}
}

func TestTailRefusedKey(t *testing.T) {
	_, e := startFake(t)
	e.key = "sk_test_not_the_key_0001"
	res := runDrip(t, e, nil, "tail")
	if res.code != exitAuth || !strings.Contains(res.stderr, "401 UNAUTHORIZED") {
		t.Errorf("exit %d, stderr %q", res.code, res.stderr)
	}
}

// TestTailNoStream: a server without the live stream (hosted Drip) gets a
// plain answer and exit 3, not a hang or a stack of HTTP.
func TestTailNoStream(t *testing.T) {
	srv := driptest.NewServer(t)
	e := envFor(srv)
	// dripd has the stream: hide it, as hosted Drip has none.
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/dev/stream" {
			r.URL.Path = "/v1/no-such-route"
		}
		srv.Server().ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	e.baseURL = ts.URL + "/v1"
	res := runDrip(t, e, nil, "tail")
	if res.code != exitNotFound || !strings.Contains(res.stderr, "this server has no live stream") || res.stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
	}
}

// TestTailDripd follows a real dripd while the SDK records a run and
// usage after tail connected.
func TestTailDripd(t *testing.T) {
	srv := driptest.NewServer(t)
	p := startTail(t, envFor(srv), "--json")
	runID, custID := recordRun(t, srv)
	if _, err := sdk(t, srv).TrackUsage(context.Background(), drip.UsageParams{CustomerID: custID, Meter: "api_calls", Quantity: 2}); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for seen["usage.recorded"] == 0 || seen["run.ended"] == 0 {
		var got tailJSON
		if err := json.Unmarshal([]byte(p.next(t)), &got); err != nil {
			t.Fatal(err)
		}
		var data struct {
			ID, RunID, CustomerID, UsageType string
			Quantity                         float64
		}
		if err := json.Unmarshal(got.Data, &data); err != nil {
			t.Fatalf("%s data: %v", got.Event, err)
		}
		switch got.Event {
		case "run.started", "run.ended":
			if data.ID != runID {
				t.Errorf("%s of run %q, want %q", got.Event, data.ID, runID)
			}
		case "run.event":
			if data.RunID != runID {
				t.Errorf("run.event of run %q, want %q", data.RunID, runID)
			}
		case "usage.recorded":
			if data.CustomerID != custID || data.UsageType != "api_calls" || data.Quantity != 2 {
				t.Errorf("usage.recorded = %s", got.Data)
			}
		}
		seen[got.Event]++
	}
	if seen["run.started"] != 1 || seen["run.event"] != 3 {
		t.Errorf("saw %v, want run.started once and 3 run.event before run.ended", seen)
	}
	if code := p.interrupt(t); code != exitOK {
		t.Errorf("Ctrl-C: exit %d, want 0", code)
	}
}
