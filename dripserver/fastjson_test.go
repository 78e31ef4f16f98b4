package dripserver

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/drip-sdk/drip-go/internal/wire"
)

// fastBodies are batch bodies the fast path must agree with encoding/json
// on (or hand over to it).
var fastBodies = []string{
	`{"events":[]}`,
	`{"events":[{"runId":"run_a","eventType":"llm.completion","quantity":1200,"units":"tokens","costUnits":0.0042,"idempotencyKey":"k1","metadata":{"inputTokens":1000,"latencyMs":812,"model":"gpt-4o-mini","occurredAt":"2026-11-27T13:54:02.123456789Z","outputTokens":200}}]}`,
	` { "events" : [ { "runId" : "run_a" , "eventType" : "x" , "metadata" : { "a" : [ 1 , 2 , { "b" : null } ] , "status" : "error" } } ] , "other" : {"x":[true,false]} } `,
	`{"events":[{"runId":"run_a","eventType":"x","metadata":{}}]}`,
	`{"events":[{"runId":"run_a","eventType":"x","metadata":null}]}`,
	`{"events":[{"runId":"run_a","eventType":"x","quantity":null,"costUnits":null,"units":null}]}`,
	`{"events":[{"runId":"run_a","eventType":"x","metadata":{"latencyMs":"slow","occurredAt":123,"status":7}}]}`,
	`{"events":[{"runId":"run_a","eventType":"x","metadata":{"latencyMs":5,"latencyMs":"x","status":"error","status":"success"}}]}`,
	`{"events":[{"runId":"run_a","eventType":"x","metadata":{"occurredAt":"2026-11-27T13:54:02Z","occurredAt":false}}]}`,
	`{"events":[{"runId":"r\u0041n","eventType":"\u00e9\n","description":"é ü <b>&amp;"}]}`,
	`{"events":[{"runId":"run_a","eventType":"x","metadata":{"s":"\ud800 \u0000 \"q\" \\ é","n":-0.5e-3,"big":1e308}}]}`,
	`{"events":[{"runId":"run_a","eventType":"x","metadata":{"x":1e999}}]}`,
	`{"events":[{"runId":"run_a","eventType":"x","quantity":1e999}]}`,
	`{"events":[{"runId":"run_a","eventType":"x","quantity":"3"}]}`,
	`{"events":[{"runId":"run_a","eventType":"x","metadata":[1]}]}`,
	`{"events":[{"runId":"run_a","eventType":"x","metadata":"m"}]}`,
	`{"events":[{"RUNID":"run_a","eventType":"x"}]}`,
	`{"Events":[{"runId":"run_a","eventType":"x"}]}`,
	`{"events":[{"runId":"run_a","runId":"run_b","eventType":"x"}]}`,
	`{"events":[{"runId":"run_a","eventType":"x","metadata":{"a":1},"metadata":{"b":2}}]}`,
	`{"events":[null]}`,
	`{"events":null}`,
	`{"events":{}}`,
	`{}`,
	`{"events":[{"runId":"run_a","eventType":"x"}]}{"b":2}`,
	`{"events":[{"runId":"run_a","eventType":"x",}]}`,
	`{"events":[{"runId":"run_a","eventType":"x","metadata":{"k":01}}]}`,
	`{"events":[{"runId":"run_a","eventType":"x","metadata":{"k":"` + "\xff" + `"}}]}`,
	`{"events":[{"runId":"run_a","eventType":"` + "\xff" + `"}]}`,
	`{"events":[{"runId":"run_a","eventType":"x","metadata":{"k":"a` + "\t" + `b"}}]}`,
	`{"events":[{"runId":"run_a","eventType":"x","metadata":{"d":{"a":[{"b":[[[]]]}]}}}]}`,
	`{"events":[{"runId":"run_a","eventType":"x","metadata":{"occurred\u0041t":"2026-11-27T13:54:02Z"}}]}`,
	`{"events":[{"runId":"run_a","eventType":"x","metadata":{"clé":"v","latencyMs":-5}}]}`,
	`{"events":[{"runId":"run_a","eventType":"x","unknown":1e999,"customerId":"c","workflowId":"w","costCurrency":"USD","correlationId":"c1","parentEventId":"p","spanId":"s"}]}`,
	`{"events":[{"runId":"run_a","eventType":"x","metadata":{"occurredAt":"2026-11-27T13:54:02.5+02:00","latencyMs":12.6}},{"runId":"run_a","eventType":"x"}]}`,
	`{"events":[{"runId":"run_a","eventType":"x","metadata":{"n":[1.5,-2,3e2,0]}}]}`,
	`{"events":[{"runId":"run_a","eventType":"x","metadata":{"n":-}}]}`,
	`{"events":[{"runId":"run_a","eventType":"x","metadata":{"n":tru}}]}`,
	`{"events":[{"runId":"run_a","eventType":"x"`,
}

// stdBatch decodes body the way the handler's std path does.
func stdBatch(body string) ([]ingestEvent, error) {
	var req wire.RunEventBatchRequest
	if err := decodeJSON([]byte(strings.TrimSpace(body)), &req); err != nil {
		return nil, err
	}
	if req.Events == nil {
		return nil, errValidation("events", "events is required")
	}
	out := make([]ingestEvent, len(req.Events))
	for i := range req.Events {
		var err error
		if out[i], err = ingestFromWire(&req.Events[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sameIngest compares a fast-path event with a std-path one: same wire
// fields, metadata text that decodes to the same map, same stored facts.
func sameIngest(t *testing.T, body string, fast, std ingestEvent) {
	t.Helper()
	fw, sw := fast.RunEvent, std.RunEvent
	fw.Metadata, sw.Metadata = nil, nil
	if !reflect.DeepEqual(fw, sw) {
		t.Errorf("%q: fields differ:\nfast %+v\nstd  %+v", body, fw, sw)
	}
	if (fast.meta == "") != (std.meta == "") {
		t.Errorf("%q: meta %q vs %q", body, fast.meta, std.meta)
	} else if fast.meta != "" {
		var fm, sm map[string]any
		if err := json.Unmarshal([]byte(fast.meta), &fm); err != nil {
			t.Errorf("%q: fast meta %q does not decode: %v", body, fast.meta, err)
		}
		_ = json.Unmarshal([]byte(std.meta), &sm)
		if !reflect.DeepEqual(fm, sm) {
			t.Errorf("%q: meta %v vs %v", body, fm, sm)
		}
	}
	now := time.Unix(1700000000, 0).UTC()
	fe, se := eventFromIngest(&fast, "evt_x", now), eventFromIngest(&std, "evt_x", now)
	fe.Metadata, se.Metadata = nil, nil
	if !reflect.DeepEqual(fe, se) {
		t.Errorf("%q: stored events differ:\nfast %+v\nstd  %+v", body, fe, se)
	}
}

func checkFastBatch(t *testing.T, body string) (accepted bool) {
	fast, ok := parseBatchFast(body)
	std, err := stdBatch(body)
	if !ok {
		return false
	}
	if err != nil {
		t.Errorf("%q: fast path accepted a body encoding/json rejects: %v", body, err)
		return true
	}
	if len(fast) != len(std) || (fast == nil) != (std == nil) {
		t.Errorf("%q: %d events vs %d", body, len(fast), len(std))
		return true
	}
	for i := range fast {
		sameIngest(t, body, fast[i], std[i])
	}
	return true
}

func TestFastBatchAgreesWithStd(t *testing.T) {
	accepted := 0
	for _, b := range fastBodies {
		if checkFastBatch(t, b) {
			accepted++
		}
	}
	if accepted < 10 {
		t.Errorf("fast path accepted only %d bodies", accepted)
	}
	// The shape the SDK sends must take the fast path.
	if _, ok := parseBatchFast(fastBodies[1]); !ok {
		t.Error("SDK-shaped batch fell back to encoding/json")
	}
}

func TestFastEventAgreesWithStd(t *testing.T) {
	for _, b := range fastBodies {
		i := strings.Index(b, `[{`)
		j := strings.LastIndex(b, `}]`)
		if i < 0 || j < i {
			continue
		}
		body := b[i+1 : j+1]
		if strings.Contains(body, "},{") {
			continue
		}
		fast, ok := parseEventFast(body)
		if !ok {
			continue
		}
		var req wire.RunEvent
		if err := decodeJSON([]byte(strings.TrimSpace(body)), &req); err != nil {
			t.Errorf("%q: fast path accepted a body encoding/json rejects: %v", body, err)
			continue
		}
		std, _ := ingestFromWire(&req)
		sameIngest(t, body, fast, std)
	}
}

func FuzzFastBatch(f *testing.F) {
	for _, b := range fastBodies {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body string) {
		checkFastBatch(t, body)
	})
}

func TestAppendJSONStringMatchesStd(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote`, `back\slash`, "<b>&", "é", "\u2028", "\x7f", "\xff", "tab\t", "nul\x00"} {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
}

func TestBatchReplyMatchesStd(t *testing.T) {
	items := []batchItem{
		{event: Event{ID: "evt_1", EventType: "a<b"}},
		{event: Event{ID: "evt_2", EventType: "dup"}, duplicate: true},
		{event: Event{ID: "evt_3", EventType: "x"}, skipped: "run not found"},
	}
	out := wire.RunEventBatchResult{Success: true, Created: 1, Duplicates: 1, Skipped: 1, Events: []wire.RunEventBatchItem{
		{ID: "evt_1", EventType: "a<b"}, {ID: "evt_2", EventType: "dup", IsDuplicate: true},
		{EventType: "x", Skipped: true, Reason: "run not found"}}}
	want, _ := json.Marshal(out)
	if got := appendBatchReply(nil, items); string(got) != string(want) {
		t.Errorf("reply\n%s\nwant\n%s", got, want)
	}
	want, _ = json.Marshal(wire.RunEventBatchResult{Success: true, Events: []wire.RunEventBatchItem{}})
	if got := appendBatchReply(nil, nil); string(got) != string(want) {
		t.Errorf("empty reply %s, want %s", got, want)
	}
}

func TestExtraMatchesStd(t *testing.T) {
	for _, x := range []eventExtra{{Units: "tokens"}, {Description: "d<", SpanID: "s"}, {"u", "d", "c", "r", "p", "s"}} {
		want, _ := json.Marshal(x)
		if got := appendExtra(nil, &x); string(got) != string(want) {
			t.Errorf("extra %s, want %s", got, want)
		}
	}
}
