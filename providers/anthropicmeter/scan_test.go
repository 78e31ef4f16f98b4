package anthropicmeter

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/drip-sdk/drip-go/internal/wiretest"
)

// scanMessage must read what the full decode reads, or leave the reply to
// it.
func TestScanMessageAgreesWithFullDecode(t *testing.T) {
	for _, tc := range []struct {
		body string
		fast bool
	}{
		{`{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"Hi \"there\" {x}"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,"cache_creation_input_tokens":100,"cache_read_input_tokens":200,"cache_creation":{"ephemeral_5m_input_tokens":100,"ephemeral_1h_input_tokens":0},"output_tokens":34,"service_tier":"standard"}}`, true},
		{`{"id":"msg_2","type":"message","model":"claude-3-5-haiku-latest","content":[{"type":"text","text":"x"},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"type":"city","name":"Paris"}},{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"q"}}],"usage":{"input_tokens":1,"output_tokens":2}}`, true},
		{`{"id":"msg_3","type":"message","model":"m\u00e9","content":[],"usage":{"input_tokens":1,"output_tokens":2,"cache_creation_input_tokens":null,"output_tokens_details":{"thinking_tokens":1}}}`, true},
		{"{\n  \"id\": \"msg_4\",\n  \"type\": \"message\",\n  \"model\": \"m\",\n  \"content\": [ {\"type\": \"thinking\", \"thinking\": \"t\", \"signature\": \"s\"} ],\n  \"usage\": {\"input_tokens\": 5, \"output_tokens\": 6}\n}", true},
		{`{"id":"msg_5","type":"message","model":"m","content":[{"type":"tool_use","name":"f","input":{}}],"usage":null}`, true},
		{`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, false},
		{`{"id":"msg_6","type":"message","model":"m","content":[],"usage":{"input_tokens":1.5,"output_tokens":2}}`, false},
		{`{"id":"msg_7","type":"message","model":"m","content":[{"type":"text","text":"cut`, false},
	} {
		var a acc
		if got := scanMessage([]byte(tc.body), &a); got != tc.fast {
			t.Errorf("%s: fast path %v, want %v", tc.body, got, tc.fast)
			continue
		}
		if !tc.fast {
			if !reflect.DeepEqual(a, acc{}) {
				t.Errorf("%s: left to the full decode, but read %+v", tc.body, a)
			}
			continue
		}
		var msg wireMessage
		if err := json.Unmarshal([]byte(tc.body), &msg); err != nil {
			t.Fatal(err)
		}
		var full acc
		full.message(&msg)
		if !reflect.DeepEqual(a, full) {
			t.Errorf("%s:\nscan %+v\nfull %+v", tc.body, a, full)
		}
	}
}

// scanUsage must read every field wireUsage decodes: a usage object with
// every field of wireUsage (and of its details) set to a value of its own
// (wiretest.Fill) reads the same both ways, so a field added to one and
// not the other fails.
func TestScanUsageReadsEveryWireField(t *testing.T) {
	var want wireUsage
	wiretest.Fill(&want)
	body, _ := json.Marshal(want)
	got, ok := scanUsage(body)
	if !ok || !reflect.DeepEqual(got, want) {
		t.Errorf("%s: scan %+v, full decode %+v", body, got, want)
	}
}

// TestScanEventAgreesWithFullDecode holds the byte scan of the stream
// events that carry usage, the model and tool names to the full decode.
func TestScanEventAgreesWithFullDecode(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		scans      bool // the byte scan reads it (else the full decode does)
	}{
		{"message_start", `{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":123,"cache_creation_input_tokens":50,"cache_read_input_tokens":200,"output_tokens":1}}}`, true},
		{"message_start", `{"type":"message_start","message":{"id":"msg_\u0031","type":"message","model":"claude-haiku-4-5","content":[{"type":"tool_use","name":"lookup","input":{}}],"usage":{"input_tokens":5,"output_tokens":1,"output_tokens_details":{"thinking_tokens":0}}}}`, true},
		{"message_start", `{"type":"message_start","message":{"id":"m","type":"message","model":"c","usage":null}}`, true},
		{"message_start", `{"type":"message_start","message":null}`, false},
		{"message_start", `{"type":"message_start","message":{"id":"m","type":"message","usage":{"input_tokens":1.5}}}`, false},
		{"message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":45}}`, true},
		{"message_delta", `{"type":"message_delta","delta":{},"usage":{"input_tokens":7,"output_tokens":45,"cache_read_input_tokens":3,"output_tokens_details":{"thinking_tokens":9}}}`, true},
		{"message_delta", `{"type":"message_delta","delta":{},"usage":{"input_tokens":7}}`, true},
		{"message_delta", `{"type":"message_delta","delta":{}}`, false},
		{"message_delta", `{"type":"message_delta","usage":{"output_tokens":"45"}}`, false},
		{"content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`, true},
		{"content_block_start", `{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}}`, true},
		{"content_block_start", `{"type":"content_block_start","index":2,"content_block":{"type":"server_tool_use","name":"web_search"}}`, true},
		{"content_block_start", `{"type":"content_block_start","index":3,"content_block":null}`, false},
	} {
		var scanned, read, decoded acc
		if got := scanned.scanEvent(tc.name, []byte(tc.data)); got != tc.scans {
			t.Errorf("%s: scanned %v, want %v", tc.data, got, tc.scans)
		} else if !got && !reflect.DeepEqual(scanned, acc{}) {
			t.Errorf("%s: a scan that failed read %+v", tc.data, scanned)
		}
		read.streamEvent([]byte(tc.name), []byte(tc.data))
		decoded.decodeEvent([]byte(tc.data))
		if !reflect.DeepEqual(read, decoded) {
			t.Errorf("%s\nread   %+v\ndecode %+v", tc.data, read, decoded)
		}
	}
}
