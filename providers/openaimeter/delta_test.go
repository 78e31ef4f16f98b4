package openaimeter

import (
	"encoding/json"
	"testing"
)

// textDelta must measure what decoding in full measures, or leave the event
// to the full decode.
func TestTextDeltaAgreesWithFullDecode(t *testing.T) {
	for _, tc := range []struct {
		payload string
		fast    bool
	}{
		{`{"id":"c","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}],"usage":null}`, true},
		{`{"id":"c","choices":[{"index":0,"delta":{"content":"a \"quoted\" \\ word\n"}}]}`, true},
		{`{"id":"c","choices":[{"index":0,"delta":{"content":"x"}},{"index":1,"delta":{"content":"yz"}}]}`, true},
		{`{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`, true},
		{`{"id":"c","choices":[{"index":0,"delta":{"content":null}}]}`, true},
		{`{"id":"c","object":"text_completion","choices":[{"text":"Hi there","index":0}]}`, true},
		{`{"type":"response.output_text.delta","item_id":"msg","output_index":0,"delta":"Hello"}`, true},
		{`{"id":"c","choices":[{"delta":{"reasoning_content":"think"}}]}`, false},
		{`{"id":"c","choices":[{"delta":{"tool_calls":[{"function":{"name":"f","arguments":"{}"}}]}}]}`, false},
		{`{"id":"c","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}`, false},
		{`{"error":{"message":"x"}}`, false},
		{`{"type":"response.completed","response":{"usage":{"input_tokens":1}}}`, false},
		{`{"type":"response.output_item.added","item":{"type":"function_call","name":"f"}}`, false},
		{`{"type":"response.function_call_arguments.delta","delta":"{}"}`, false},
		{`{"id":"c","choices":[{"delta":{"content":[{"type":"text","text":"x"}]}}]}`, false},
		{`{"id":"c","choices":[{"delta":{"content":"unterminated`, false},
	} {
		n, ok := textDelta([]byte(tc.payload))
		if ok != tc.fast {
			t.Errorf("%s: fast path %v, want %v", tc.payload, ok, tc.fast)
			continue
		}
		if !ok {
			continue
		}
		var ev wireEvent
		if err := json.Unmarshal([]byte(tc.payload), &ev); err != nil {
			t.Fatal(err)
		}
		var a acc
		a.wire(&ev)
		if n != a.outChars {
			t.Errorf("%s: textDelta %d, full decode %d", tc.payload, n, a.outChars)
		}
	}
}
