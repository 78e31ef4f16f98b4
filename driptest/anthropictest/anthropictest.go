package anthropictest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Usage is the token usage every successful call reports, as Anthropic
// counts it: Input excludes the tokens read from (CacheRead) and written
// to (CacheWrite) the prompt cache.
type Usage struct {
	Input      int // input_tokens
	Output     int // output_tokens
	CacheRead  int // cache_read_input_tokens
	CacheWrite int // cache_creation_input_tokens
	Thinking   int // output_tokens_details.thinking_tokens (part of Output)
	// CacheWrite1h is the part of CacheWrite written to the 1-hour cache
	// (cache_creation.ephemeral_1h_input_tokens; the rest is 5-minute).
	CacheWrite1h int
	// WebSearches is server_tool_use.web_search_requests (server_tool_use
	// is null when it is 0).
	WebSearches int
	// ServiceTier is usage.service_tier ("standard" when empty).
	ServiceTier string
}

// Prompt is every prompt token: Input + CacheRead + CacheWrite.
func (u Usage) Prompt() int { return u.Input + u.CacheRead + u.CacheWrite }

// Total is Prompt() + Output.
func (u Usage) Total() int { return u.Prompt() + u.Output }

// DefaultUsage is the usage a Server reports unless WithUsage says otherwise.
var DefaultUsage = Usage{Input: 123, Output: 45}

// DefaultChunks is the assistant text, one text delta per element.
var DefaultChunks = []string{"Hello", ", ", "world", "!"}

// DefaultModelSuffix is appended to a request model without a date to form
// the reply model, as Anthropic answers "claude-3-5-sonnet-latest" with a
// dated snapshot. A request model that has a date is answered as is.
const DefaultModelSuffix = "-20241022"

// Option configures a Server.
type Option func(*Server)

// WithUsage sets the usage every call reports.
func WithUsage(u Usage) Option { return func(s *Server) { s.usage = u } }

// WithChunks sets the assistant text, one stream delta per part.
func WithChunks(parts ...string) Option { return func(s *Server) { s.chunks = parts } }

// WithToolUse makes every reply end with tool_use blocks calling these tools
// (input {"q":"stub"}), stop_reason "tool_use".
func WithToolUse(names ...string) Option { return func(s *Server) { s.tools = names } }

// WithReplyFilter rewrites every successful reply body (JSON) and every
// stream event's data before it is sent: a test simulating a change of the
// wire the clients read.
func WithReplyFilter(f func([]byte) []byte) Option { return func(s *Server) { s.filter = f } }

// Server is a running stub. All methods are safe for concurrent use.
type Server struct {
	srv *httptest.Server

	usage  Usage
	chunks []string
	tools  []string
	filter func([]byte) []byte

	mu       sync.Mutex
	requests map[string]int
	lastBody map[string][]byte
	seq      int
}

// Start starts a stub on 127.0.0.1 outside tests (examples, demos); the
// caller closes it with Close.
func Start(opts ...Option) *Server { return New(nil, opts...) }

// New starts a stub on 127.0.0.1 and closes it when the test ends (a nil t
// leaves closing to the caller).
func New(t testing.TB, opts ...Option) *Server {
	s := &Server{usage: DefaultUsage, chunks: DefaultChunks, requests: map[string]int{}, lastBody: map[string][]byte{}}
	for _, o := range opts {
		o(s)
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	if t != nil {
		t.Cleanup(s.srv.Close)
	}
	return s
}

// URL is the API root, for anthropic-sdk-go's option.WithBaseURL.
func (s *Server) URL() string { return s.srv.URL }

// BaseURL is the API root including "/v1", for langchaingo's
// anthropic.WithBaseURL.
func (s *Server) BaseURL() string { return s.srv.URL + "/v1" }

// Close stops the server (New also arranges it at test end).
func (s *Server) Close() { s.srv.Close() }

// Usage is the usage each call reports.
func (s *Server) Usage() Usage { return s.usage }

// Text is the full assistant text (the chunks joined).
func (s *Server) Text() string { return strings.Join(s.chunks, "") }

// Requests is how many requests reached path ("/v1/messages"), any method.
func (s *Server) Requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[path]
}

// LastBody is the body of the last request to path (nil if none).
func (s *Server) LastBody(path string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastBody[path]
}

// ReplyModel is the model a reply names for a request model.
func ReplyModel(model string) string {
	if n := len(model); n > 9 && model[n-9] == '-' && strings.Trim(model[n-8:], "0123456789") == "" {
		return model
	}
	return strings.TrimSuffix(model, "-latest") + DefaultModelSuffix
}

type request struct {
	Model      string `json:"model"`
	Stream     bool   `json:"stream"`
	ToolChoice *struct {
		Type string `json:"type"`
		Name string `json:"name"`
	} `json:"tool_choice"`
	Tools []struct {
		Name string `json:"name"`
	} `json:"tools"`
	cloud bool // the model is a cloud's, from the path: answered as named
}

// replyModel is the model a reply to req names.
func (req *request) replyModel() string {
	if req.cloud {
		return req.Model
	}
	return ReplyModel(req.Model)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.requests[r.URL.Path]++
	s.lastBody[r.URL.Path] = body
	s.seq++
	id := fmt.Sprintf("msg_stub%04d", s.seq)
	s.mu.Unlock()
	w.Header().Set("request-id", "req_stub")
	w.Header().Set("anthropic-organization-id", "org_stub")

	var req request
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "stub: bad JSON")
		return
	}
	// The clouds name the model, and whether to stream, in the path.
	rt := cloudRoute(r.URL.Path)
	if rt.model != "" {
		req.Model, req.Stream, req.cloud = rt.model, rt.stream, true
	}
	if rest, ok := strings.CutPrefix(req.Model, "error-"); ok {
		if code, err := strconv.Atoi(rest); err == nil && code >= 400 && code <= 599 {
			writeError(w, code, "stub: error requested by the model name")
			return
		}
	}
	switch {
	case r.Method != http.MethodPost:
		writeError(w, http.StatusNotFound, "stub: unknown URL "+r.Method+" "+r.URL.Path)
	case r.URL.Path == "/v1/messages" || rt.model != "":
		switch {
		case !req.Stream:
			s.message(w, &req, id)
		case rt.eventStream:
			s.stream(newEventStreamWriter(w), &req, id)
		default:
			s.stream(newSSEWriter(w), &req, id)
		}
	case r.URL.Path == "/v1/messages/count_tokens" || rt.countTokens:
		writeJSON(w, s.filtered(map[string]any{"input_tokens": s.usage.Prompt()}))
	default:
		writeError(w, http.StatusNotFound, "stub: unknown URL "+r.Method+" "+r.URL.Path)
	}
}

// errorTypes are Anthropic's error types by HTTP status.
var errorTypes = map[int]string{
	400: "invalid_request_error", 401: "authentication_error", 402: "billing_error", 403: "permission_error",
	404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error", 500: "api_error",
	504: "timeout_error", 529: "overloaded_error",
}

// ErrorType is the error type the stub (and Anthropic) sends for an HTTP
// status.
func ErrorType(status int) string {
	if t, ok := errorTypes[status]; ok {
		return t
	}
	if status >= 500 {
		return "api_error"
	}
	return "invalid_request_error"
}

func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"type":       "error",
		"error":      map[string]any{"type": ErrorType(code), "message": msg},
		"request_id": "req_stub",
	})
}

func writeJSON(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

func (s *Server) filtered(v any) []byte {
	b, _ := json.Marshal(v)
	if s.filter != nil {
		b = s.filter(b)
	}
	return b
}

// toolNames is what a reply to req calls.
func (s *Server) toolNames(req *request) []string {
	if len(s.tools) > 0 {
		return s.tools
	}
	if tc := req.ToolChoice; tc != nil && len(req.Tools) > 0 {
		switch tc.Type {
		case "any":
			return []string{req.Tools[0].Name}
		case "tool":
			return []string{tc.Name}
		}
	}
	return nil
}

func (s *Server) usageJSON(output int) map[string]any {
	u := s.usage
	return map[string]any{
		"input_tokens": u.Input, "output_tokens": output,
		"cache_creation_input_tokens": u.CacheWrite, "cache_read_input_tokens": u.CacheRead,
		"cache_creation":        s.cacheCreation(),
		"output_tokens_details": map[string]any{"thinking_tokens": min(u.Thinking, output)},
		"server_tool_use":       s.serverToolUse(), "service_tier": s.serviceTier(),
	}
}

// cacheCreation splits the cache writes by how long the cache is kept.
func (s *Server) cacheCreation() map[string]any {
	u := s.usage
	return map[string]any{"ephemeral_5m_input_tokens": u.CacheWrite - u.CacheWrite1h, "ephemeral_1h_input_tokens": u.CacheWrite1h}
}

// serviceTier is the tier usage names: ServiceTier, else "standard".
func (s *Server) serviceTier() string { return cmp.Or(s.usage.ServiceTier, "standard") }

// serverToolUse is the count of server tools run, null when none ran.
func (s *Server) serverToolUse() any {
	if s.usage.WebSearches == 0 {
		return nil
	}
	return map[string]any{"web_search_requests": s.usage.WebSearches, "web_fetch_requests": 0}
}

func (s *Server) message(w http.ResponseWriter, req *request, id string) {
	content := []any{map[string]any{"type": "text", "text": s.Text()}}
	stop := "end_turn"
	for i, name := range s.toolNames(req) {
		content = append(content, map[string]any{"type": "tool_use", "id": fmt.Sprintf("toolu_stub%d", i),
			"name": name, "input": map[string]any{"q": "stub"}})
		stop = "tool_use"
	}
	writeJSON(w, s.filtered(message{ID: id, Type: "message", Role: "assistant", Model: req.replyModel(),
		Content: content, StopReason: stop, Usage: s.usageJSON(s.usage.Output)}))
}

// message is a Message with its fields in the order Anthropic sends them.
type message struct {
	ID           string         `json:"id"`
	Type         string         `json:"type"`
	Role         string         `json:"role"`
	Model        string         `json:"model"`
	Content      []any          `json:"content"`
	StopReason   any            `json:"stop_reason"`
	StopSequence any            `json:"stop_sequence"`
	Usage        map[string]any `json:"usage"`
}

// streamWriter sends a stream's events: as server-sent events, or framed
// as Bedrock's event stream.
type streamWriter interface {
	event(name string, data []byte)
	// fail ends the stream with an error, as the wire says one.
	fail(errType, message string, data []byte)
}

func (s *Server) stream(out streamWriter, req *request, id string) {
	send := func(event string, v any) { out.event(event, s.filtered(v)) }
	cut := -1
	if rest, ok := strings.CutPrefix(req.Model, "cut-"); ok {
		cut, _ = strconv.Atoi(rest)
	}
	late := req.Model == "late-usage"
	start := s.usageJSON(1)
	if late {
		start["input_tokens"], start["cache_read_input_tokens"], start["cache_creation_input_tokens"] = 1, 0, 0
	}
	send("message_start", map[string]any{"type": "message_start", "message": message{ID: id, Type: "message",
		Role: "assistant", Model: req.replyModel(), Content: []any{}, Usage: start}})
	send("content_block_start", map[string]any{"type": "content_block_start", "index": 0,
		"content_block": map[string]any{"type": "text", "text": ""}})
	send("ping", map[string]any{"type": "ping"})
	for i, part := range s.chunks {
		if i == cut {
			panic(http.ErrAbortHandler) // drop the connection mid-stream
		}
		if i == 2 && req.Model == "stream-error" {
			out.fail("overloaded_error", "Overloaded", s.filtered(map[string]any{"type": "error",
				"error": map[string]any{"type": "overloaded_error", "message": "Overloaded"}}))
			return
		}
		send("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0,
			"delta": map[string]any{"type": "text_delta", "text": part}})
	}
	send("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0})
	stop := "end_turn"
	for i, name := range s.toolNames(req) {
		idx := i + 1
		send("content_block_start", map[string]any{"type": "content_block_start", "index": idx,
			"content_block": map[string]any{"type": "tool_use", "id": fmt.Sprintf("toolu_stub%d", i), "name": name,
				"input": map[string]any{}}})
		send("content_block_delta", map[string]any{"type": "content_block_delta", "index": idx,
			"delta": map[string]any{"type": "input_json_delta", "partial_json": `{"q":"stub"}`}})
		send("content_block_stop", map[string]any{"type": "content_block_stop", "index": idx})
		stop = "tool_use"
	}
	u := s.usage
	send("message_delta", map[string]any{"type": "message_delta",
		"delta": map[string]any{"stop_reason": stop, "stop_sequence": nil},
		"usage": map[string]any{"input_tokens": u.Input, "output_tokens": u.Output,
			"cache_creation_input_tokens": u.CacheWrite, "cache_read_input_tokens": u.CacheRead,
			"cache_creation":        s.cacheCreation(),
			"output_tokens_details": map[string]any{"thinking_tokens": u.Thinking}, "server_tool_use": s.serverToolUse()}})
	send("message_stop", map[string]any{"type": "message_stop"})
}
