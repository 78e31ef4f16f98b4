package openaimeter

import (
	"bytes"
	"strings"

	"github.com/drip-sdk/drip-go/internal/jsonscan"
)

// The meter reads a few fields of bodies the SDK decodes in full anyway:
// decoding them a second time with encoding/json cost the caller more than
// the rest of the meter together. scanKeys walks a JSON document once,
// without decoding it, so the common cases — a request's model and stream
// flags, a plain chat reply's usage, a stream's text deltas — are read from
// the bytes; whatever else a reply holds (tool calls, Responses output,
// errors, reasoning) sends it to the full decode (wireEvent), and tests
// hold both to the same answers.

// requestHead is what the meter reads of every request body up front.
type requestHead struct {
	model         string
	stream        bool
	includeUsage  bool
	streamOptions bool // the body has a stream_options member
}

// scanRequest reads the model and stream flags of a request body.
func scanRequest(body []byte) (h requestHead) {
	var top []byte
	jsonscan.Keys(body, func(key []byte, depth int, value []byte) bool {
		switch {
		case depth == 1:
			top = key
			switch string(top) {
			case "model":
				h.model = jsonscan.String(value)
			case "stream":
				h.stream = bytes.HasPrefix(value, []byte("true"))
			case "stream_options":
				h.streamOptions = true
			}
		case depth == 2 && string(top) == "stream_options" && string(key) == "include_usage":
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
	var id, model, tier, top []byte
	var us usageScan
	hasUsage := false
	ok := jsonscan.Keys(body, func(key []byte, depth int, value []byte) bool {
		if depth == 1 {
			top = key
		}
		if string(top) == "usage" { // read in this pass, not walked again
			if depth == 1 {
				hasUsage = len(value) > 0 && value[0] == '{'
				return true
			}
			return us.key(key, depth-1, value)
		}
		switch string(key) {
		case "tool_calls", "function_call", "error", "output", "response", "item":
			return false
		}
		if depth == 1 {
			switch string(key) {
			case "id":
				id = value
			case "model":
				model = value
			case "service_tier":
				tier = value
			}
		}
		return true
	})
	if !ok || !hasUsage {
		return false
	}
	a.meta(jsonscan.String(id), jsonscan.String(model))
	a.tierJSON(tier)
	a.setUsage(us.w.tokens())
	return true
}

// scanChunk reads one stream event as the full decode (wireEvent, then
// acc.wire) would — id, model, text lengths, usage — for chat and
// completion chunks and Responses output_text.delta events. It returns
// ok false, having changed nothing in a, for any event that needs the
// full decode: tool calls, reasoning other than reasoning_content, errors,
// Responses events of any other type, counts that are not plain integers.
// usage says the event carried usage; usageOnly that it carried nothing
// else (the chunk include_usage adds, which the meter may hide).
func scanChunk(payload []byte, a *acc) (usage, usageOnly, ok bool) {
	var id, model, tier, top []byte
	var chars int64
	var us usageScan
	hasUsage := false
	choices, typed := false, false
	ok = jsonscan.Keys(payload, func(key []byte, depth int, value []byte) bool {
		if depth == 1 {
			top = key
		}
		if string(top) == "usage" { // read in this pass, not walked again
			if depth == 1 {
				if jsonscan.IsNull(value) {
					return true
				}
				hasUsage = len(value) > 0 && value[0] == '{'
				return hasUsage
			}
			return us.key(key, depth-1, value)
		}
		switch string(key) {
		case "tool_calls", "function_call", "error", "response", "item", "output", "data":
			return false
		}
		if depth == 1 {
			switch string(top) {
			case "id":
				id = value
				return true
			case "model":
				model = value
				return true
			case "service_tier":
				tier = value
				return true
			case "choices":
				choices = len(value) > 0 && value[0] == '[' && jsonscan.SkipSpace(value, 1) < len(value) && value[jsonscan.SkipSpace(value, 1)] != ']'
				return true
			case "type":
				typed = true
				return jsonscan.String(value) == "response.output_text.delta"
			}
		}
		switch string(key) {
		case "content", "text", "delta", "refusal", "reasoning_content":
			switch {
			case jsonscan.IsNull(value), len(value) > 0 && value[0] == '{' && string(key) == "delta":
				return true
			}
			n, ok := jsonscan.StringLen(value)
			chars += n
			return ok
		}
		return !bytes.HasPrefix(key, []byte("reasoning"))
	})
	if !ok {
		return false, false, false
	}
	a.metaJSON(id, model)
	a.tierJSON(tier)
	a.outChars += chars
	if !hasUsage {
		return false, false, true
	}
	a.setUsage(us.w.tokens())
	return true, !choices && !typed, true
}

// metaJSON is meta for the raw JSON values of id and model (nil when
// absent), decoding the model only when it differs from the one kept: a
// stream names the same model in every chunk.
func (a *acc) metaJSON(id, model []byte) {
	if a.id == "" && id != nil {
		a.id = jsonscan.String(id)
	}
	if model == nil {
		return
	}
	// model runs on past the value; a kept model without a backslash is
	// the value when its bytes follow the opening quote and a quote
	// follows them.
	if m := a.model; m != "" && len(model) > len(m)+1 && model[0] == '"' && string(model[1:len(m)+1]) == m &&
		model[len(m)+1] == '"' && strings.IndexByte(m, '\\') < 0 {
		return
	}
	if m := jsonscan.String(model); m != "" {
		a.model = m
	}
}

// tierJSON keeps the raw JSON service_tier value (nil when absent) the
// first time a reply names one: a stream names it in every chunk.
func (a *acc) tierJSON(tier []byte) {
	if a.tier == "" && tier != nil {
		a.setTier(jsonscan.String(tier))
	}
}

// scanUsage reads a usage object into a wireUsage, as json.Unmarshal
// would; false when a count is not a plain integer (then decode it). A
// reflection test over wireUsage's tags holds the two to the same fields.
func scanUsage(obj []byte) (wireUsage, bool) {
	var s usageScan
	ok := jsonscan.Keys(obj, s.key)
	return s.w, ok
}

// usageScan reads a usage object key by key, so a scan of the document
// around it reads it in the same pass.
type usageScan struct {
	w      wireUsage
	parent []byte
}

// key reads one key of the usage object, at depth 1 for the object's own
// keys; false when its count is not a plain integer.
func (s *usageScan) key(key []byte, depth int, value []byte) bool {
	var dst *int64
	w := &s.w
	switch depth {
	case 1:
		s.parent = key
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
		case "seconds": // a transcription's: never a chat's, left to the full decode
			return false
		}
	case 2:
		var d *wireDetails
		switch string(s.parent) {
		case "prompt_tokens_details":
			d = &w.PromptTokensDetails
		case "completion_tokens_details":
			d = &w.CompletionTokensDetails
		case "input_tokens_details":
			d = &w.InputTokensDetails
		case "output_tokens_details":
			d = &w.OutputTokensDetails
		case "input_token_details":
			d = &w.InputTokenDetails
		default:
			return true
		}
		switch string(key) {
		case "cached_tokens":
			dst = &d.CachedTokens
		case "cache_write_tokens":
			dst = &d.CacheWriteTokens
		case "reasoning_tokens":
			dst = &d.ReasoningTokens
		case "audio_tokens":
			dst = &d.AudioTokens
		}
	}
	if dst == nil {
		return true
	}
	n, isInt := jsonscan.Int(value)
	*dst = n
	return isInt
}
