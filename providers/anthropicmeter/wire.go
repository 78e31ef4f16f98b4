package anthropicmeter

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/drip-sdk/drip-go/internal/jsonscan"
	"github.com/drip-sdk/drip-go/providers"
)

// The Messages API wire, only the fields the meter reads. Text, thinking
// and tool inputs are never decoded.

// wireUsage is a usage object: a message's (all counts) or message_delta's
// (output_tokens, and the others when present and not null).
type wireUsage struct {
	InputTokens   *int64             `json:"input_tokens"`
	OutputTokens  *int64             `json:"output_tokens"`
	CacheCreation *int64             `json:"cache_creation_input_tokens"`
	CacheRead     *int64             `json:"cache_read_input_tokens"`
	OutputDetails *wireOutputDetails `json:"output_tokens_details"`
	// CacheWrites splits cache_creation_input_tokens by how long the cache
	// is kept; ServerTools counts the server tools the model ran.
	CacheWrites *wireCacheWrites `json:"cache_creation"`
	ServerTools *wireServerTools `json:"server_tool_use"`
	ServiceTier *string          `json:"service_tier"`
}

type wireOutputDetails struct {
	ThinkingTokens *int64 `json:"thinking_tokens"`
}

type wireCacheWrites struct {
	Hour *int64 `json:"ephemeral_1h_input_tokens"`
}

type wireServerTools struct {
	WebSearches *int64 `json:"web_search_requests"`
}

type wireBlock struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

type wireError struct {
	Type string `json:"type"`
}

// wireMessage is a Message (a JSON reply, or message_start's message) or an
// error reply ({"type":"error","error":{…}}).
type wireMessage struct {
	ID      string      `json:"id"`
	Type    string      `json:"type"`
	Model   string      `json:"model"`
	Content []wireBlock `json:"content"`
	Usage   *wireUsage  `json:"usage"`
	Error   *wireError  `json:"error"`
}

// wireEvent is one stream event's data.
type wireEvent struct {
	Type         string       `json:"type"`
	Message      *wireMessage `json:"message"`
	Usage        *wireUsage   `json:"usage"`
	ContentBlock *wireBlock   `json:"content_block"`
	Error        *wireError   `json:"error"`
}

// Error describes a failed call without its message text (which can quote
// the prompt): the HTTP status (0 for a stream's error event) and
// Anthropic's error type ("rate_limit_error", "overloaded_error", …).
type Error struct {
	HTTPStatus int
	Type       string
}

func (e *Error) Error() string {
	s := "anthropic: " + e.Type
	if e.Type == "" {
		s = "anthropic: error"
	}
	if e.HTTPStatus != 0 {
		s += " (HTTP " + strconv.Itoa(e.HTTPStatus) + ")"
	}
	return s
}

// acc accumulates one call's usage from a reply or a stream.
type acc struct {
	id, model                      string
	in, out, cacheRead, cacheWrite int64
	cacheWrite1h, webSearches      int64
	thinking                       int64
	tier                           string
	hasUsage                       bool // a usage object was read
	hasFinal                       bool // the final output count (a reply, or message_delta)
	tools                          []string
	toolCalls                      int
	deltaBytes                     int64 // streamed delta payload bytes, for an estimate
}

func (a *acc) usage(u *wireUsage) {
	if u == nil {
		return
	}
	a.hasUsage = true
	set := func(dst *int64, v *int64) {
		if v != nil {
			*dst = *v
		}
	}
	set(&a.in, u.InputTokens)
	set(&a.out, u.OutputTokens)
	set(&a.cacheRead, u.CacheRead)
	set(&a.cacheWrite, u.CacheCreation)
	if u.OutputDetails != nil {
		set(&a.thinking, u.OutputDetails.ThinkingTokens)
	}
	if u.CacheWrites != nil {
		set(&a.cacheWrite1h, u.CacheWrites.Hour)
	}
	if u.ServerTools != nil {
		set(&a.webSearches, u.ServerTools.WebSearches)
	}
	if u.ServiceTier != nil {
		a.tier = *u.ServiceTier
	}
}

func (a *acc) message(m *wireMessage) {
	if m.ID != "" {
		a.id = m.ID
	}
	if m.Model != "" {
		a.model = m.Model
	}
	for i := range m.Content {
		a.block(&m.Content[i])
	}
	a.usage(m.Usage)
}

// isToolUse says a content block's type is a tool use (tool_use,
// server_tool_use, mcp_tool_use).
func isToolUse(typ string) bool { return strings.HasSuffix(typ, "tool_use") }

// block counts a tool-use block by name.
func (a *acc) block(b *wireBlock) {
	if b == nil || !isToolUse(b.Type) {
		return
	}
	a.toolCalls++
	if b.Name != "" {
		a.tools = append(a.tools, b.Name)
	}
}

// fill writes the accumulated counts into u.
func (a *acc) fill(u *providers.Usage) {
	u.Model, u.ResponseID = a.model, a.id
	u.InputTokens = a.in + a.cacheRead + a.cacheWrite
	u.CachedInputTokens, u.CacheCreationInputTokens = a.cacheRead, a.cacheWrite
	u.CacheCreation1hInputTokens, u.WebSearches = min(a.cacheWrite1h, a.cacheWrite), a.webSearches
	u.ServiceTier = a.tier
	u.OutputTokens, u.ReasoningTokens = a.out, min(a.thinking, a.out)
	if !a.hasFinal && a.hasUsage {
		// message_start's output_tokens is a placeholder: estimate from the
		// streamed deltas (about four bytes a token).
		u.OutputTokens = max(a.out, a.deltaBytes/4)
		u.Estimated = true
	}
	u.ToolCalls, u.ToolNames = a.toolCalls, a.tools
}

// streamEvent reads one stream event's data; name is its event: line ("" if
// none). It returns the error event's error, if it is one, and whether the
// message is complete (message_stop).
func (a *acc) streamEvent(name, data []byte) (errEv *Error, stop bool) {
	if len(name) == 0 {
		name = eventType(data)
	}
	switch string(name) {
	case "content_block_delta":
		a.deltaBytes += int64(deltaLen(data))
		return nil, false
	case "message_stop":
		return nil, true
	case "message_start", "message_delta", "content_block_start":
		if a.scanEvent(string(name), data) {
			return nil, false
		}
	case "error":
	default: // ping, content_block_stop, and events added later
		return nil, false
	}
	return a.decodeEvent(data)
}

// decodeEvent reads an event with encoding/json: the error event, and any
// other the byte scan (scanEvent) cannot read.
func (a *acc) decodeEvent(data []byte) (errEv *Error, stop bool) {
	var ev wireEvent
	if json.Unmarshal(data, &ev) != nil {
		return nil, false
	}
	switch ev.Type {
	case "message_start":
		if ev.Message != nil {
			a.message(ev.Message)
		}
	case "message_delta":
		if ev.Usage != nil {
			a.usage(ev.Usage)
			a.hasFinal = ev.Usage.OutputTokens != nil
		}
	case "content_block_start":
		a.block(ev.ContentBlock)
	case "error":
		e := &Error{}
		if ev.Error != nil {
			e.Type = ev.Error.Type
		}
		return e, false
	}
	return nil, false
}

// scanEvent reads a message_start, message_delta or content_block_start
// event from its bytes as decodeEvent would; false, having read nothing,
// when it cannot (the member it reads is missing or null, or holds what
// only the full decode reads).
func (a *acc) scanEvent(name string, data []byte) bool {
	member := "content_block"
	switch name {
	case "message_start":
		member = "message"
	case "message_delta":
		member = "usage"
	}
	var value []byte
	ok := jsonscan.Keys(data, func(key []byte, depth int, v []byte) bool {
		if depth == 1 && string(key) == member {
			value = v
		}
		return true
	})
	if !ok || value == nil || jsonscan.IsNull(value) {
		return false
	}
	switch name {
	case "message_start":
		return scanMessage(value, a)
	case "message_delta":
		u, ok := scanUsage(value)
		if ok {
			a.usage(&u)
			a.hasFinal = u.OutputTokens != nil
		}
		return ok
	}
	b, ok := scanBlock(value)
	if ok {
		a.block(&b)
	}
	return ok
}

// scanBlock reads a content block's type and name, all the meter reads of
// one.
func scanBlock(obj []byte) (wireBlock, bool) {
	var b wireBlock
	ok := jsonscan.Keys(obj, func(key []byte, depth int, value []byte) bool {
		switch {
		case depth != 1:
		case string(key) == "type":
			b.Type = jsonscan.String(value)
		case string(key) == "name":
			b.Name = jsonscan.String(value)
		}
		return true
	})
	return b, ok
}

// eventType reads the "type" of an event's data when it leads the object,
// as Anthropic sends it ({"type":"…",…}); "" otherwise, and the data is
// then decoded to find out.
func eventType(data []byte) []byte {
	rest, ok := bytes.CutPrefix(data, []byte(`{"type":"`))
	if !ok {
		var t struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(data, &t)
		return []byte(t.Type)
	}
	if i := bytes.IndexByte(rest, '"'); i > 0 {
		return rest[:i]
	}
	return nil
}

// deltaLen is the length of a delta's text (or partial JSON): the bytes
// after its last `":"`, less the closing quote and braces.
func deltaLen(data []byte) int {
	i := bytes.LastIndex(data, []byte(`":"`))
	if i < 0 {
		return 0
	}
	return max(len(data)-i-3-3, 0)
}

// scanMessage reads a Messages reply into a as message does after a full
// decode — id, model, tool-use blocks by name, usage — from the bytes: the
// SDK decodes the reply anyway, and a second encoding/json decode cost the
// caller more than the rest of the meter. It returns false, having read
// nothing, for an error reply, a block or count it cannot read that way;
// the reply is then decoded in full.
func scanMessage(body []byte, a *acc) bool {
	var id, model, content, usage []byte
	ok := jsonscan.Keys(body, func(key []byte, depth int, value []byte) bool {
		if depth != 1 {
			return true
		}
		switch string(key) {
		case "id":
			id = value
		case "model":
			model = value
		case "type":
			return jsonscan.String(value) == "message"
		case "content":
			content = value
		case "usage":
			usage = value
		case "error":
			return false
		}
		return true
	})
	if !ok {
		return false
	}
	var blocks []wireBlock
	if content != nil && !jsonscan.IsNull(content) {
		ok = jsonscan.Elements(content, func(el []byte) bool {
			b, ok := scanBlock(el)
			if isToolUse(b.Type) { // the only blocks message counts
				blocks = append(blocks, b)
			}
			return ok
		})
		if !ok {
			return false
		}
	}
	m := wireMessage{ID: jsonscan.String(id), Model: jsonscan.String(model), Content: blocks}
	if usage != nil && !jsonscan.IsNull(usage) {
		u, ok := scanUsage(usage)
		if !ok {
			return false
		}
		m.Usage = &u
	}
	a.message(&m)
	return true
}

// scanUsage reads a usage object as encoding/json would into wireUsage;
// false when a count is not a plain integer.
func scanUsage(obj []byte) (wireUsage, bool) {
	var u wireUsage
	var counts [7]int64 // what u's pointers point at: one allocation
	var parent []byte
	ok := jsonscan.Keys(obj, func(key []byte, depth int, value []byte) bool {
		var dst **int64
		i := 0
		switch {
		case depth == 1:
			parent = key
			switch string(key) {
			case "input_tokens":
				dst, i = &u.InputTokens, 0
			case "output_tokens":
				dst, i = &u.OutputTokens, 1
			case "cache_creation_input_tokens":
				dst, i = &u.CacheCreation, 2
			case "cache_read_input_tokens":
				dst, i = &u.CacheRead, 3
			case "output_tokens_details":
				if !jsonscan.IsNull(value) {
					u.OutputDetails = &wireOutputDetails{}
				}
			case "cache_creation":
				if !jsonscan.IsNull(value) {
					u.CacheWrites = &wireCacheWrites{}
				}
			case "server_tool_use":
				if !jsonscan.IsNull(value) {
					u.ServerTools = &wireServerTools{}
				}
			case "service_tier":
				if !jsonscan.IsNull(value) {
					tier := jsonscan.String(value)
					u.ServiceTier = &tier
				}
			}
		case depth == 2 && u.OutputDetails != nil && string(parent) == "output_tokens_details" && string(key) == "thinking_tokens":
			dst, i = &u.OutputDetails.ThinkingTokens, 4
		case depth == 2 && u.CacheWrites != nil && string(parent) == "cache_creation" && string(key) == "ephemeral_1h_input_tokens":
			dst, i = &u.CacheWrites.Hour, 5
		case depth == 2 && u.ServerTools != nil && string(parent) == "server_tool_use" && string(key) == "web_search_requests":
			dst, i = &u.ServerTools.WebSearches, 6
		}
		if dst == nil || jsonscan.IsNull(value) {
			return true
		}
		n, ok := jsonscan.Int(value)
		counts[i] = n
		*dst = &counts[i]
		return ok
	})
	return u, ok
}
