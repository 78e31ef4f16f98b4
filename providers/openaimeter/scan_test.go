package openaimeter

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/drip-sdk/drip-go/internal/wiretest"
)

// scanChunk must read what decoding in full reads, or leave the event to
// the full decode.
func TestScanChunkAgreesWithFullDecode(t *testing.T) {
	for _, tc := range []struct {
		payload string
		fast    bool
	}{
		{`{"id":"c","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"finish_reason":null}],"usage":null}`, true},
		{`{"id":"c","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}],"usage":null}`, true},
		{`{"id":"c","choices":[{"index":0,"delta":{"content":"a \"quoted\" \\ word\n"}}]}`, true},
		{`{"id":"c","choices":[{"index":0,"delta":{"content":"x"}},{"index":1,"delta":{"content":"yz"}}]}`, true},
		{`{"id":"c","service_tier":"flex","choices":[{"index":0,"delta":{"content":"x"}}]}`, true},
		{`{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`, true},
		{`{"id":"c","choices":[{"index":0,"delta":{"content":null}}]}`, true},
		{`{"id":"c","object":"text_completion","choices":[{"text":"Hi there","index":0}]}`, true},
		{`{"type":"response.output_text.delta","item_id":"msg","output_index":0,"delta":"Hello"}`, true},
		{`{"id":"c","choices":[{"delta":{"reasoning_content":"think"}}]}`, true},
		{`{"id":"c","choices":[{"delta":{"refusal":"no"}}]}`, true},
		{`{"id":"c","model":"m\u00e9","choices":[{"delta":{"content":"x"}}]}`, true},
		{`{"id":"c","model":"m","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"prompt_tokens_details":{"cached_tokens":1},"completion_tokens_details":{"reasoning_tokens":1}}}`, true},
		{`{"id":"c","choices":[{"delta":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":2}}`, true},
		{`{"id":"c","object":"text_completion","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":5,"total_tokens":9}}`, true},
		{`{"id":"c","choices":[],"usage":{"prompt_tokens":1.5,"completion_tokens":2}}`, false},
		{`{"id":"c","choices":[{"delta":{"reasoning":{"text":"x"}}}]}`, false},
		{`{"id":"c","choices":[{"delta":{"tool_calls":[{"function":{"name":"f","arguments":"{}"}}]}}]}`, false},
		{`{"error":{"message":"x"}}`, false},
		{`{"type":"response.completed","response":{"usage":{"input_tokens":1}}}`, false},
		{`{"type":"response.output_item.added","item":{"type":"function_call","name":"f"}}`, false},
		{`{"type":"response.function_call_arguments.delta","delta":"{}"}`, false},
		{`{"id":"c","choices":[{"delta":{"content":[{"type":"text","text":"x"}]}}]}`, false},
		{`{"id":"c","choices":[{"delta":{"content":"unterminated`, false},
	} {
		var a acc
		a.model = "m" // a model from an earlier chunk
		usage, usageOnly, ok := scanChunk([]byte(tc.payload), &a)
		if ok != tc.fast {
			t.Errorf("%s: fast path %v, want %v", tc.payload, ok, tc.fast)
			continue
		}
		if !ok {
			if a.id != "" || a.model != "m" || a.outChars != 0 || a.hasUsage {
				t.Errorf("%s: left to the full decode, but read %+v", tc.payload, a)
			}
			continue
		}
		var ev wireEvent
		if err := json.Unmarshal([]byte(tc.payload), &ev); err != nil {
			t.Fatal(err)
		}
		full := acc{model: "m"}
		fullOnly := full.wire(&ev)
		if a.id != full.id || a.model != full.model || a.outChars != full.outChars || a.usage != full.usage ||
			a.hasUsage != full.hasUsage || a.tier != full.tier || usage != (ev.Usage != nil) || usageOnly != fullOnly {
			t.Errorf("%s:\nscan %+v usage %v only %v\nfull %+v only %v", tc.payload, a, usage, usageOnly, full, fullOnly)
		}
	}
}

// plainReply must read what the full decode reads, or leave the reply to it.
func TestPlainReplyAgreesWithFullDecode(t *testing.T) {
	for _, tc := range []struct {
		body  string
		plain bool
	}{
		{`{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Hi \"model\": {x}"},"finish_reason":"stop"}],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18,"prompt_tokens_details":{"cached_tokens":3},"completion_tokens_details":{"reasoning_tokens":2}}}`, true},
		{"{\n  \"id\": \"c\",\n  \"model\": \"m\",\n  \"usage\": {\"prompt_tokens\": 1, \"completion_tokens\": 2, \"total_tokens\": 3}\n}", true},
		{`{"object":"list","data":[{"embedding":[0.1,0.2],"index":0}],"model":"text-embedding-3-small","usage":{"prompt_tokens":4,"total_tokens":4}}`, true},
		{`{"id":"c","model":"m\u00e9","usage":{"prompt_tokens":1,"completion_tokens":1}}`, true},
		{`{"id":"c","model":"m","service_tier":"flex","usage":{"prompt_tokens":1,"completion_tokens":1}}`, true},
		{`{"id":"c","model":"m","choices":[{"message":{"tool_calls":[{"function":{"name":"f","arguments":"{}"}}]}}],"usage":{"prompt_tokens":1}}`, false},
		{`{"id":"c","model":"m","choices":[{"message":{"content":"x"}}]}`, false},
		{`{"id":"c","model":"m","usage":null}`, false},
		{`{"error":{"message":"x"}}`, false},
	} {
		var a acc
		if got := plainReply([]byte(tc.body), &a); got != tc.plain {
			t.Errorf("%s: plain %v, want %v", tc.body, got, tc.plain)
			continue
		}
		if !tc.plain {
			continue
		}
		var ev wireEvent
		if err := json.Unmarshal([]byte(tc.body), &ev); err != nil {
			t.Fatal(err)
		}
		var full acc
		full.wire(&ev)
		if a.id != full.id || a.model != full.model || a.usage != full.usage || !a.hasUsage || a.toolCalls != 0 || a.tier != full.tier {
			t.Errorf("%s:\nscan %+v\nfull %+v", tc.body, a, full)
		}
	}
}

func TestScanRequest(t *testing.T) {
	for _, tc := range []struct {
		body string
		want requestHead
	}{
		{`{"model":"gpt-4o","messages":[{"role":"user","content":"{\"model\":\"x\",\"stream\":true}"}]}`, requestHead{model: "gpt-4o"}},
		{`{"messages":[],"model":"m","stream":true}`, requestHead{model: "m", stream: true}},
		{`{"model":"m","stream":true,"stream_options":{"include_usage":true}}`, requestHead{model: "m", stream: true, includeUsage: true, streamOptions: true}},
		{`{"model":"m","stream":false,"stream_options":{"include_usage":false},"metadata":{"include_usage":true,"model":"y"}}`, requestHead{model: "m", streamOptions: true}},
		{`{ "model" : "m" , "stream" : true }`, requestHead{model: "m", stream: true}},
	} {
		if got := scanRequest([]byte(tc.body)); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.body, got, tc.want)
		}
	}
}

func TestWithIncludeUsage(t *testing.T) {
	for _, body := range []string{
		`{"model":"m","stream":true}`,
		` { "model":"m" }`,
		`{}`,
		`{"model":"m","stream_options":{"other":1}}`,
		`{"model":"m","stream_options":null}`,
	} {
		for _, room := range []int{0, len(includeUsageFirst)} { // a new array, or body's own
			src := append(make([]byte, 0, len(body)+room), body...)
			out, err := withIncludeUsage(src, scanRequest(src).streamOptions)
			if err != nil {
				t.Fatalf("%s: %v", body, err)
			}
			checkIncludeUsage(t, body, out)
		}
	}
}

func checkIncludeUsage(t *testing.T, body string, out []byte) {
	t.Helper()
	var in, got map[string]any
	json.Unmarshal([]byte(body), &in)
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%s → invalid %s", body, out)
	}
	so, _ := got["stream_options"].(map[string]any)
	want := len(in)
	if !hasKey(in, "stream_options") {
		want++
	}
	if so["include_usage"] != true || len(got) != want {
		t.Errorf("%s → %s", body, out)
	}
	if h := scanRequest(out); !h.includeUsage {
		t.Errorf("%s → %s: usage not asked", body, out)
	}
}

func hasKey(m map[string]any, k string) bool { _, ok := m[k]; return ok }

// scanUsage must read every field wireUsage decodes: the usage built here
// gives every field of wireUsage (and of each details object) a value of
// its own (wiretest.Fill), so a field added to one and not the other
// fails.
func TestScanUsageReadsEveryWireField(t *testing.T) {
	var want wireUsage
	wiretest.Fill(&want)
	want.Seconds = 0 // a transcription's, left to the full decode: below
	body, _ := json.Marshal(want)
	body = bytes.Replace(body, []byte(`,"seconds":0`), nil, 1)
	// A field neither reads, in every details object.
	body = bytes.ReplaceAll(body, []byte(`"cached_tokens":`), []byte(`"text_tokens":99,"cached_tokens":`))
	got, ok := scanUsage(body)
	if !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\nscan   %+v\ndecode %+v", body, got, want)
	}
	for _, odd := range []string{`{"seconds":9}`, `{"prompt_tokens":1.0}`, `{"prompt_tokens":1e3}`, `{"prompt_tokens":-1}`, `{"prompt_tokens":"1"}`} {
		if _, ok := scanUsage([]byte(odd)); ok {
			t.Errorf("%s read as a plain integer", odd)
		}
	}
	if got, ok := scanUsage([]byte(`{"prompt_tokens":null,"completion_tokens":7}`)); !ok || got.CompletionTokens != 7 {
		t.Errorf("null count: %+v %v", got, ok)
	}
}

// The checks made on every streamed event, as it passes, before the event
// itself is read.
func TestStreamEventChecks(t *testing.T) {
	for _, tc := range []struct {
		payload           string
		usage, empty, arr bool
		nullUsageAt       int
	}{
		{`{"id":"c","choices":[],"usage":{"prompt_tokens":1}}`, true, true, true, -1},
		{`{"choices" : [ ] , "usage" : {"prompt_tokens":1}}`, true, true, true, -1},
		{`{"choices":[{"index":0,"delta":{"content":"hi"}}],"usage":null}`, false, false, true, 49},
		{`{"choices":[{"delta":{"content":"\"usage\":{\"choices\":[]"}}]}`, false, false, true, -1},
		{`{"usage":null,"choices":[{"delta":{}}]}`, false, false, true, -1},
		{`{"choices":[],"usage":null,"x":1}`, false, true, true, 13},
		{`{"type":"response.completed","response":{"usage":{"input_tokens":1}}}`, true, false, false, -1},
		{`{"usage":"none","choices":"no"}`, false, false, false, -1},
	} {
		if got := hasUsageObject([]byte(tc.payload)); got != tc.usage {
			t.Errorf("hasUsageObject(%s) = %v", tc.payload, got)
		}
		if empty, ok := emptyChoices([]byte(tc.payload)); empty != tc.empty || ok != tc.arr {
			t.Errorf("emptyChoices(%s) = %v, %v", tc.payload, empty, ok)
		}
		if got := nullUsageAt([]byte(tc.payload)); got != tc.nullUsageAt {
			t.Errorf("nullUsageAt(%s) = %d, want %d", tc.payload, got, tc.nullUsageAt)
		}
	}
}
