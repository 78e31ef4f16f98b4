package openaimeter

import (
	"bytes"
	"encoding/json"
)

// The meter reads a few fields of bodies the SDK decodes in full anyway:
// decoding them a second time with encoding/json cost the caller more than
// the rest of the meter together. scanKeys walks a JSON document once,
// without decoding it, so the common cases — a request's model and stream
// flags, a plain chat reply's usage, a stream's text deltas — are read from
// the bytes; whatever else a reply holds (tool calls, Responses output,
// errors, reasoning) sends it to the full decode (wireEvent), and tests
// hold both to the same answers.

// scanKeys calls visit for each object key of the JSON document p, in
// order, with the key's raw bytes, its depth (1 for the keys of the
// top-level object) and the bytes from its value on; visit returns false to
// stop. scanKeys returns false when stopped or when p is cut short inside a
// string.
func scanKeys(p []byte, visit func(key []byte, depth int, value []byte) bool) bool {
	depth := 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case '"':
			end := stringEnd(p[i+1:])
			if end < 0 {
				return false
			}
			s := p[i+1 : i+1+end]
			j := skipSpace(p, i+end+2)
			i += end + 1
			if j < len(p) && p[j] == ':' {
				v := skipSpace(p, j+1)
				if !visit(s, depth, p[v:]) {
					return false
				}
				i = v - 1
			}
		}
	}
	return true
}

func skipSpace(p []byte, i int) int {
	for i < len(p) && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r') {
		i++
	}
	return i
}

// stringEnd is the index of the quote closing the JSON string whose body
// starts s, or -1.
func stringEnd(s []byte) int {
	for i := 0; ; {
		q := bytes.IndexByte(s[i:], '"')
		if q < 0 {
			return -1
		}
		q += i
		bs := 0
		for k := q - 1; k >= 0 && s[k] == '\\'; k-- {
			bs++
		}
		if bs%2 == 0 {
			return q
		}
		i = q + 1
	}
}

// stringValue decodes the JSON string value starts with ("" if it is not
// one).
func stringValue(value []byte) string {
	if len(value) == 0 || value[0] != '"' {
		return ""
	}
	end := stringEnd(value[1:])
	if end < 0 {
		return ""
	}
	raw := value[1 : 1+end]
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw)
	}
	var s string
	_ = json.Unmarshal(value[:end+2], &s)
	return s
}

// stringLen is the raw length of the JSON string value starts with, as
// textLen measures it; false if value is not a terminated string.
func stringLen(value []byte) (int64, bool) {
	if len(value) == 0 || value[0] != '"' {
		return 0, false
	}
	end := stringEnd(value[1:])
	return int64(end), end >= 0
}

// objectEnd is the length of the JSON object value starts with, or -1.
func objectEnd(value []byte) int {
	if len(value) == 0 || value[0] != '{' {
		return -1
	}
	depth := 0
	for i := 0; i < len(value); i++ {
		switch value[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		case '"':
			end := stringEnd(value[i+1:])
			if end < 0 {
				return -1
			}
			i += end + 1
		}
	}
	return -1
}

func isNull(value []byte) bool { return bytes.HasPrefix(value, []byte("null")) }

// requestHead is what the meter reads of every request body up front.
type requestHead struct {
	model         string
	stream        bool
	includeUsage  bool
	streamOptions bool // the body has a stream_options member
}

// scanRequest reads the model and stream flags of a request body.
func scanRequest(body []byte) (h requestHead) {
	top := ""
	scanKeys(body, func(key []byte, depth int, value []byte) bool {
		switch {
		case depth == 1:
			top = string(key)
			switch top {
			case "model":
				h.model = stringValue(value)
			case "stream":
				h.stream = bytes.HasPrefix(value, []byte("true"))
			case "stream_options":
				h.streamOptions = true
			}
		case depth == 2 && top == "stream_options" && string(key) == "include_usage":
			h.includeUsage = bytes.HasPrefix(value, []byte("true"))
		}
		return true
	})
	return h
}

// plainReply reads a chat, completion or embeddings reply that carries
// usage and nothing else the meter reads (no tool calls, no error): id,
// model and usage. It returns false, having read nothing, for any other
// reply, which is then decoded in full.
func plainReply(body []byte, a *acc) bool {
	var id, model string
	var usage []byte
	ok := scanKeys(body, func(key []byte, depth int, value []byte) bool {
		switch string(key) {
		case "tool_calls", "function_call", "error", "output", "response", "item":
			return false
		}
		if depth != 1 {
			return true
		}
		switch string(key) {
		case "id":
			id = stringValue(value)
		case "model":
			model = stringValue(value)
		case "usage":
			if n := objectEnd(value); n > 0 {
				usage = value[:n]
			}
		}
		return true
	})
	if !ok || usage == nil {
		return false
	}
	u, ok := scanUsage(usage)
	if !ok && json.Unmarshal(usage, &u) != nil {
		return false
	}
	a.meta(id, model)
	a.setUsage(u.tokens())
	return true
}

// textDelta returns the length of the text of a chat or completion chunk,
// or of a Responses output_text.delta event, as wireEvent would measure it,
// and false for any event that needs decoding in full: usage, tool calls,
// reasoning, refusals, errors, content parts, Responses events of any
// other type.
func textDelta(payload []byte) (int64, bool) {
	var n int64
	ok := scanKeys(payload, func(key []byte, depth int, value []byte) bool {
		switch string(key) {
		case "usage", "refusal":
			return isNull(value)
		case "tool_calls", "function_call", "error", "response", "item":
			return false
		case "type":
			return stringValue(value) == "response.output_text.delta"
		case "content", "text", "delta":
			switch {
			case isNull(value), len(value) > 0 && value[0] == '{' && string(key) == "delta":
				return true
			}
			m, ok := stringLen(value)
			n += m
			return ok
		}
		return !bytes.HasPrefix(key, []byte("reasoning"))
	})
	return n, ok
}

// scanUsage reads a usage object into a wireUsage, as json.Unmarshal
// would; false when a count is not a plain integer (then decode it). A
// reflection test over wireUsage's tags holds the two to the same fields.
func scanUsage(obj []byte) (w wireUsage, ok bool) {
	var parent []byte
	ok = scanKeys(obj, func(key []byte, depth int, value []byte) bool {
		var dst *int64
		switch depth {
		case 1:
			parent = key
			switch string(key) {
			case "prompt_tokens":
				dst = &w.PromptTokens
			case "completion_tokens":
				dst = &w.CompletionTokens
			case "input_tokens":
				dst = &w.InputTokens
			case "output_tokens":
				dst = &w.OutputTokens
			case "total_tokens":
				dst = &w.TotalTokens
			}
		case 2:
			var d **wireDetails
			switch string(parent) {
			case "prompt_tokens_details":
				d = &w.PromptTokensDetails
			case "completion_tokens_details":
				d = &w.CompletionTokensDetails
			case "input_tokens_details":
				d = &w.InputTokensDetails
			case "output_tokens_details":
				d = &w.OutputTokensDetails
			default:
				return true
			}
			if *d == nil {
				*d = &wireDetails{}
			}
			switch string(key) {
			case "cached_tokens":
				dst = &(*d).CachedTokens
			case "reasoning_tokens":
				dst = &(*d).ReasoningTokens
			}
		}
		if dst == nil {
			return true
		}
		n, isInt := plainInt(value)
		*dst = n
		return isInt
	})
	return w, ok
}

// plainInt reads the JSON integer (or null, as 0) value starts with; false
// for any other number.
func plainInt(value []byte) (int64, bool) {
	if isNull(value) {
		return 0, true
	}
	var n int64
	i := 0
	for ; i < len(value) && '0' <= value[i] && value[i] <= '9' && i < 18; i++ {
		n = n*10 + int64(value[i]-'0')
	}
	if i == 0 || i < len(value) && (value[i] == '.' || value[i] == 'e' || value[i] == 'E' || '0' <= value[i] && value[i] <= '9') {
		return 0, false
	}
	return n, true
}
