package openaimeter

import "bytes"

// Most of a stream is text deltas that tell the meter nothing but their
// length, which matters only if the stream ends without usage. Decoding
// each in full cost a tenth of the caller's time reading the stream with
// openai-go, so the meter recognises them and measures their text instead;
// every other event — the first, usage, tool calls, reasoning, refusals,
// errors, Responses lifecycle events — is decoded in full (wireEvent).

// fullDecode are the markers of an event textDelta leaves to wireEvent.
var fullDecode = [...][]byte{
	[]byte(`"usage":{`), []byte(`"tool_calls"`), []byte(`"function_call"`), []byte(`"error"`),
	[]byte(`"reasoning`), []byte(`"refusal":"`), []byte(`"response":`), []byte(`"item":`),
	[]byte(`"content":[`),
}

var (
	typeKey      = []byte(`"type":"`)
	outputDelta  = []byte(`"type":"response.output_text.delta"`)
	deltaText    = []byte(`"delta":"`)
	contentText  = []byte(`"content":"`)
	completeText = []byte(`"text":"`)
)

// textDelta returns the length of the text of a chat or completion chunk,
// or of a Responses output_text.delta event, as wireEvent would measure it
// (the raw length of each JSON string), and false for any event that needs
// decoding in full.
func textDelta(payload []byte) (int64, bool) {
	for _, m := range fullDecode {
		if bytes.Contains(payload, m) {
			return 0, false
		}
	}
	if bytes.Contains(payload, typeKey) {
		if !bytes.Contains(payload, outputDelta) {
			return 0, false
		}
		return stringLens(payload, deltaText)
	}
	n, ok := stringLens(payload, contentText)
	if !ok {
		return 0, false
	}
	m, ok := stringLens(payload, completeText)
	return n + m, ok
}

// stringLens sums the raw lengths of the JSON strings that follow key in
// payload; false if one is not terminated.
func stringLens(payload, key []byte) (int64, bool) {
	var n int64
	for {
		i := bytes.Index(payload, key)
		if i < 0 {
			return n, true
		}
		payload = payload[i+len(key):]
		end := stringEnd(payload)
		if end < 0 {
			return 0, false
		}
		n += int64(end)
		payload = payload[end+1:]
	}
}

// stringEnd is the index of the quote closing the JSON string whose body
// starts s, or -1.
func stringEnd(s []byte) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}
