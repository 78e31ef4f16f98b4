package drip_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/dripserver"
)

// The crash test: a child process records crashEvents events over
// crashRuns runs with a spool while Drip is unreachable, waits until every
// item is spooled and synced, and is killed with SIGKILL. A second tracker
// on the same spool, with Drip up, delivers everything exactly once.
const (
	crashRuns     = 20
	crashEvents   = 10000
	crashOpenRuns = 5 // the child leaves these runs open
	envCrashChild = "DRIP_TEST_CRASH_CHILD"
)

func TestSpoolSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	cust := createCustomer(t, c, "crash")
	dir := t.TempDir()

	// A port nothing listens on: Drip is unreachable for the child.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String() + "/v1"
	l.Close()

	cmd := exec.Command(os.Args[0], "-test.run=^TestSpoolCrashChild$", "-test.v")
	cmd.Env = append(os.Environ(), envCrashChild+"=1", "DRIP_TEST_SPOOL="+dir,
		"DRIP_TEST_BASE_URL="+dead, "DRIP_TEST_CUSTOMER="+cust)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		ok := false
		for sc.Scan() {
			if sc.Text() == "SPOOLED" {
				ok = true
				break
			}
		}
		ready <- ok
		for sc.Scan() {
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			cmd.Wait()
			t.Fatal("child exited before spooling everything")
		}
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatal("child did not spool in time")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("child should have died of SIGKILL: %v", err)
	}

	// A second process: the spool is delivered first, runs the child
	// left open are ended as ABANDONED.
	tr, err := drip.OpenTracker(c, drip.WithSpool(dir), drip.WithoutSelfMetrics())
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Shutdown(ctxT(t)); err != nil {
		t.Fatalf("Shutdown after replay: %v", err)
	}
	runs, err := srv.store.Runs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != crashRuns {
		t.Fatalf("%d runs, want %d", len(runs), crashRuns)
	}
	total, keys, completed, abandoned := 0, map[string]bool{}, 0, 0
	for _, r := range runs {
		evs, _ := srv.store.Events(context.Background(), r.ID)
		total += len(evs)
		for _, e := range evs {
			if keys[e.IdempotencyKey] {
				t.Fatalf("event %s stored twice", e.IdempotencyKey)
			}
			keys[e.IdempotencyKey] = true
		}
		switch {
		case r.Status == "COMPLETED":
			completed++
		case r.Status == "FAILED" && r.ErrorCode == drip.CodeAbandoned:
			abandoned++
		default:
			t.Errorf("run %s ended %s/%s", r.ID, r.Status, r.ErrorCode)
		}
	}
	if total != crashEvents || completed != crashRuns-crashOpenRuns || abandoned != crashOpenRuns {
		t.Fatalf("%d events (want %d), %d runs completed, %d abandoned", total, crashEvents, completed, abandoned)
	}
	st := tr.Stats()
	if st.Accepted != crashEvents || st.Sent != crashEvents || st.Spooled != 0 {
		t.Fatalf("stats after replay: %+v", st)
	}
	// Nothing is left to deliver a third time.
	tr2, err := drip.OpenTracker(c, drip.WithSpool(dir), drip.WithoutSelfMetrics())
	if err != nil {
		t.Fatal(err)
	}
	if err := tr2.Shutdown(ctxT(t)); err != nil || tr2.Stats().Accepted != 0 {
		t.Fatalf("a third tracker found %+v (%v)", tr2.Stats(), err)
	}
}

// TestSpoolCrashChild is the child process of TestSpoolSurvivesSIGKILL.
func TestSpoolCrashChild(t *testing.T) {
	if os.Getenv(envCrashChild) == "" {
		t.Skip("the child of TestSpoolSurvivesSIGKILL")
	}
	c := newClient(t, os.Getenv("DRIP_TEST_BASE_URL"))
	tr, err := drip.OpenTracker(c, drip.WithSpool(os.Getenv("DRIP_TEST_SPOOL")), drip.WithoutSelfMetrics(),
		drip.WithBlockOnFull(), drip.WithSpoolSyncInterval(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	cust := os.Getenv("DRIP_TEST_CUSTOMER")
	runs := make([]*drip.Run, crashRuns)
	for i := range runs {
		_, runs[i] = tr.Start(context.Background(), drip.RunParams{CustomerID: cust, Workflow: "crash"})
	}
	for i := range crashEvents {
		if err := runs[i%crashRuns].LLMCall("gpt-4o-mini", int64(i), 7, time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range runs[crashOpenRuns:] {
		r.End(drip.RunCompleted)
	}
	// Every item taken from the queue is spooled before it is sent; wait
	// for all of them (starts and ends included), then past the sync
	// interval.
	for tr.Stats().Spooled < crashEvents+crashRuns+crashRuns-crashOpenRuns {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	fmt.Println("SPOOLED")
	time.Sleep(time.Minute) // killed before this ends
}

// TestPoisonEventCostsNoOther: among 500 events in one batch window, one
// the API refuses (its metadata is over the API's size limit) is
// dead-lettered with the reason; the other 499, and the other runs' events,
// are all stored.
func TestPoisonEventCostsNoOther(t *testing.T) {
	srv := startServer(t, nil)
	// The guard would cut the big value; without it the API is the judge.
	c := newClient(t, srv.BaseURL(), drip.WithMetadataGuard(drip.MetadataGuard{Disabled: true}))
	cust := createCustomer(t, c, "poison")
	var dead []error
	tr := newTracker(t, c, drip.WithBatchTimeout(time.Hour), drip.WithErrorHandler(func(err error) { dead = append(dead, err) }))
	_, run := tr.Start(context.Background(), drip.RunParams{CustomerID: cust, Workflow: "poison"})
	_, other := tr.Start(context.Background(), drip.RunParams{CustomerID: cust, Workflow: "poison"})
	big := map[string]any{"blob": map[string]any{"x": strings.Repeat("a", 70<<10)}}
	for i := range 500 {
		e := drip.Event{Type: "step", Quantity: 1}
		if i == 250 {
			e.Metadata = big
		}
		if err := run.Emit(e); err != nil {
			t.Fatal(err)
		}
		other.Emit(drip.Event{Type: "step", Quantity: 1})
	}
	run.End(drip.RunCompleted)
	other.End(drip.RunCompleted)
	err := tr.Flush(ctxT(t))
	if err == nil || !strings.Contains(err.Error(), "1 dead-lettered") {
		t.Fatalf("Flush should report the dead letter: %v", err)
	}
	if evs, _ := srv.store.Events(context.Background(), run.ID()); len(evs) != 499 {
		t.Fatalf("%d events of the poisoned run stored, want 499", len(evs))
	}
	if evs, _ := srv.store.Events(context.Background(), other.ID()); len(evs) != 500 {
		t.Fatalf("%d events of the other run stored, want 500", len(evs))
	}
	st := tr.Stats()
	if st.DeadLettered != 1 || st.Sent != 999 || len(dead) != 1 || !errors.Is(dead[0], drip.ErrValidation) {
		t.Fatalf("stats %+v, errors %v", st, dead)
	}
}

// TestOversizeBatchesAreSplit: 600 events with large metadata are more
// than the API takes in one request; every one is stored.
func TestOversizeBatchesAreSplit(t *testing.T) {
	// dripd with a 256 KiB body limit stands for an API whose limit is
	// below what the tracker was configured to send.
	srv := startServer(t, nil, dripserver.WithMaxBodyBytes(256<<10))
	c := newClient(t, srv.BaseURL())
	cust := createCustomer(t, c, "big")
	tr := newTracker(t, c, drip.WithBatchTimeout(time.Hour))
	_, run := tr.Start(context.Background(), drip.RunParams{CustomerID: cust, Workflow: "big"})
	md := map[string]any{}
	for k := range 20 {
		md["k"+strconv.Itoa(k)] = strings.Repeat("v", 200)
	}
	for range 600 {
		if err := run.Emit(drip.Event{Type: "step", Quantity: 1, Metadata: md}); err != nil {
			t.Fatal(err)
		}
	}
	run.End(drip.RunCompleted)
	if err := tr.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if evs, _ := srv.store.Events(context.Background(), run.ID()); len(evs) != 600 {
		t.Fatalf("%d of 600 events stored", len(evs))
	}
}

// TestStatsAccountForEveryItem runs many runs and usage records through
// a dripd that fails a fifth of requests and cuts replies after commit,
// and checks that every accepted item is in exactly one state, and that
// dripd holds exactly what Stats calls sent.
func TestStatsAccountForEveryItem(t *testing.T) {
	srv := startServer(t, nil, dripserver.WithErrorRate(0.2), dripserver.WithDropRate(0.2), dripserver.WithSeed(7))
	c := newClient(t, srv.BaseURL(), fastRetries())
	cust := createCustomer(t, c, "stats")
	tr := drip.NewTracker(c, drip.WithoutSelfMetrics(), drip.WithMaxQueueSize(500), drip.WithMaxBatchSize(64),
		drip.WithBatchTimeout(5*time.Millisecond))
	const runs, perRun, usage = 40, 50, 60
	var refusedByCaller int64
	for i := range runs {
		_, r := tr.Start(context.Background(), drip.RunParams{CustomerID: cust, Workflow: "stats"})
		for j := range perRun {
			if r.Emit(drip.Event{Type: "step", Quantity: float64(j + 1)}) != nil {
				refusedByCaller++
			}
		}
		if i%4 != 0 {
			r.End(drip.RunCompleted)
		}
	}
	for range usage {
		if tr.TrackUsage(context.Background(), drip.UsageParams{CustomerID: cust, Meter: "m", Quantity: 1}) != nil {
			refusedByCaller++
		}
	}
	tr.Shutdown(ctxT(t))
	st := tr.Stats()
	if st.Accepted+st.Refused != runs*perRun+usage || st.Refused != refusedByCaller {
		t.Fatalf("accepted %d + refused %d != %d items offered (%d refused to the caller)",
			st.Accepted, st.Refused, runs*perRun+usage, refusedByCaller)
	}
	if sum := int64(st.Queued) + st.InFlight + st.Sent + st.Failed + st.Dropped + st.DeadLettered; sum != st.Accepted {
		t.Fatalf("stats do not add up: %+v (sum %d)", st, sum)
	}
	stored := 0
	rs, _ := srv.store.Runs(context.Background())
	for _, r := range rs {
		evs, _ := srv.store.Events(context.Background(), r.ID)
		stored += len(evs)
		if r.Status == "RUNNING" {
			t.Errorf("run %s left RUNNING", r.ID)
		}
	}
	us, _ := srv.store.UsageRecords(context.Background())
	if int64(stored+len(us)) != st.Sent {
		t.Fatalf("dripd holds %d events and %d usage records, Stats says %d sent", stored, len(us), st.Sent)
	}
}

// TestFailuresAreLoggedByDefault: with no logger given, a tracker whose
// API refuses its key says so through slog's default logger, and Flush
// returns the loss.
func TestFailuresAreLoggedByDefault(t *testing.T) {
	var logs syncBuffer
	prev := slogDefault(&logs)
	defer prev()
	srv := startServer(t, nil, dripserver.WithAPIKeys("sk_test_the_right_key_00"))
	c := newClient(t, srv.BaseURL()) // the wrong key
	tr := newTracker(t, c)
	tr.TrackUsage(context.Background(), drip.UsageParams{CustomerID: "cust_x", Meter: "m", Quantity: 1})
	err := tr.Flush(ctxT(t))
	if err == nil || !strings.Contains(err.Error(), "1 dead-lettered") {
		t.Fatalf("Flush: %v", err)
	}
	if !strings.Contains(logs.String(), "export failed") || !strings.Contains(logs.String(), "UNAUTHORIZED") {
		t.Fatalf("nothing logged: %q", logs.String())
	}
	if strings.Contains(logs.String(), testKey) {
		t.Fatal("the key was logged")
	}
}

// TestRunErrReportsRefusedStart: a start the API refuses shows in run.Err
// once the exporter knows, and the run's events are dead-lettered.
func TestRunErrReportsRefusedStart(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	tr := newTracker(t, c)
	_, run := tr.Start(context.Background(), drip.RunParams{CustomerID: "cust_nobody", Workflow: "w"})
	run.Emit(drip.Event{Type: "step"})
	run.End(drip.RunCompleted)
	if err := tr.Flush(ctxT(t)); err == nil {
		t.Fatal("Flush should report the lost event")
	}
	if err := run.Err(); !errors.Is(err, drip.ErrNotFound) {
		t.Fatalf("run.Err() = %v, want the API's NOT_FOUND", err)
	}
	if st := tr.Stats(); st.DeadLettered != 1 || st.Accepted != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestDeadLetterFile: with a spool, what the API refuses for good is
// written to the spool's dead-letter file with the reason.
func TestDeadLetterFile(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv.BaseURL())
	dir := t.TempDir()
	tr, err := drip.OpenTracker(c, drip.WithSpool(dir), drip.WithoutSelfMetrics())
	if err != nil {
		t.Fatal(err)
	}
	tr.TrackUsage(context.Background(), drip.UsageParams{CustomerID: "cust_nobody", Meter: "m", Quantity: 1})
	tr.Shutdown(ctxT(t))
	b, err := os.ReadFile(filepath.Join(dir, "deadletter.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var line struct {
		Reason string          `json:"reason"`
		Record json.RawMessage `json:"record"`
	}
	if err := json.Unmarshal(b, &line); err != nil || !strings.Contains(line.Reason, "NOT_FOUND") || !strings.Contains(string(line.Record), "cust_nobody") {
		t.Fatalf("dead letter %s (%v)", b, err)
	}
	// A second tracker on the spool is refused while the first holds it.
	tr1, err := drip.OpenTracker(c, drip.WithSpool(dir), drip.WithoutSelfMetrics())
	if err != nil {
		t.Fatal(err)
	}
	defer tr1.Shutdown(context.Background())
	if _, err := drip.OpenTracker(c, drip.WithSpool(dir)); !errors.Is(err, drip.ErrSpoolLocked) {
		t.Fatalf("second tracker on one spool: %v", err)
	}
}
