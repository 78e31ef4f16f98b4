package dripserver_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/dripserver"
	"github.com/drip-sdk/drip-go/internal/wire"
)

// sseMessage is one server-sent event.
type sseMessage struct {
	kind string
	data map[string]any
}

// openStream connects to GET /v1/dev/stream and returns its messages. The
// stream is open (and subscribed) when it returns.
func openStream(t *testing.T, base, key string) <-chan sseMessage {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/dev/stream", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := make(chan sseMessage, 100)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var m sseMessage
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				m.kind = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &m.data); err != nil {
					t.Errorf("data is not one line of JSON: %q", line)
				}
			case line == "" && m.kind != "":
				out <- m
				m = sseMessage{}
			}
		}
	}()
	return out
}

// next waits for the next message, up to a deadline.
func next(t *testing.T, ch <-chan sseMessage) sseMessage {
	t.Helper()
	select {
	case m, ok := <-ch:
		if !ok {
			t.Fatal("stream ended")
		}
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message on the stream within 10s")
	}
	return sseMessage{}
}

func TestDevStream(t *testing.T) {
	inst, err := dripserver.Start(context.Background(), "127.0.0.1:0", nil, quiet)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			inst.Shutdown(context.Background())
		}
	}()
	a := newAPI(t, inst.BaseURL(), "sk_test_stream_0001")

	t.Run("requires a key", func(t *testing.T) {
		noKey := newAPI(t, inst.BaseURL(), "")
		noKey.fail(401, dripserver.CodeUnauthorized, "GET", "/dev/stream", nil)
	})

	c := a.customer("streamer")
	before := a.startRun(c.ID, "before") // committed before connecting: never sent
	stream := openStream(t, inst.BaseURL(), "sk_test_stream_0001")

	run := a.startRun(c.ID, "live-flow")
	m := next(t, stream)
	if m.kind != "run.started" || m.data["id"] != run.ID || m.data["workflowName"] != "Live Flow" {
		t.Fatalf("first message %+v, want run.started of %s (and nothing of %s)", m, run.ID, before.ID)
	}

	var ev wire.RunEventResult
	a.ok(201, "POST", "/run-events", wire.RunEvent{RunID: run.ID, EventType: "llm.completion", Quantity: f64(30),
		CostUnits: f64(0.0042), Metadata: map[string]any{"model": "gpt-4o-mini", "inputTokens": 20, "outputTokens": 10}}, &ev)
	m = next(t, stream)
	md, _ := m.data["metadata"].(map[string]any)
	if m.kind != "run.event" || m.data["id"] != ev.ID || m.data["runId"] != run.ID || m.data["costUnits"] != 0.0042 ||
		md["model"] != "gpt-4o-mini" || md["inputTokens"] != 20.0 {
		t.Fatalf("got %+v, want run.event %s with its metadata and cost", m, ev.ID)
	}

	var u wire.UsageResult
	a.ok(200, "POST", "/usage/internal", wire.UsageRequest{CustomerID: c.ID, UsageType: "api_calls", Quantity: f64(3)}, &u)
	m = next(t, stream)
	if m.kind != "usage.recorded" || m.data["usageEventId"] != u.UsageEventID || m.data["customerId"] != c.ID ||
		m.data["usageType"] != "api_calls" || m.data["quantity"] != 3.0 || m.data["chargeId"] != nil ||
		m.data["createdAt"] == nil {
		t.Fatalf("got %+v, want usage.recorded %s", m, u.UsageEventID)
	}

	a.ok(200, "PATCH", "/runs/"+run.ID, wire.EndRunRequest{Status: "COMPLETED"}, nil)
	m = next(t, stream)
	totals, _ := m.data["totals"].(map[string]any)
	if m.kind != "run.ended" || m.data["id"] != run.ID || m.data["status"] != "COMPLETED" || totals["eventCount"] != 1.0 {
		t.Fatalf("got %+v, want run.ended with its totals", m)
	}

	t.Run("record run: started, events, ended in order", func(t *testing.T) {
		var rec wire.RecordRunResult
		a.ok(201, "POST", "/runs/record", wire.RecordRunRequest{CustomerID: c.ID, Workflow: "recorded", Status: "FAILED",
			Events: []wire.RecordRunEvent{{EventType: "tool.call"}, {EventType: "tool.error"}}}, &rec)
		var kinds []string
		for range 4 {
			m := next(t, stream)
			kinds = append(kinds, m.kind)
		}
		if strings.Join(kinds, ",") != "run.started,run.event,run.event,run.ended" {
			t.Fatalf("kinds %v", kinds)
		}
	})

	t.Run("shutdown ends open streams at once", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		stopped = true
		if err := inst.Shutdown(ctx); err != nil {
			t.Fatalf("shutdown with an open stream: %v", err)
		}
		for range stream { // drains, then closes
		}
	})
}
