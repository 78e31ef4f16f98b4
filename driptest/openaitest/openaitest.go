package openaitest

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Usage is the token usage every successful call reports.
type Usage struct {
	Prompt     int // prompt_tokens / input_tokens
	Completion int // completion_tokens / output_tokens
	Cached     int // prompt_tokens_details.cached_tokens (part of Prompt)
	// CacheWrite is prompt_tokens_details.cache_write_tokens (chat) and
	// input_tokens_details.cache_write_tokens (Responses): the part of
	// Prompt written to the prompt cache.
	CacheWrite int
	Reasoning  int // completion_tokens_details.reasoning_tokens (part of Completion)
	// Audio is the part of Prompt a transcription reports as audio
	// (input_token_details.audio_tokens; the rest is text_tokens).
	Audio int
	// Seconds is the audio a transcription by whisper-1, billed by
	// duration, reports (usage {"type":"duration","seconds":…}).
	Seconds float64
}

// Total is Prompt+Completion.
func (u Usage) Total() int { return u.Prompt + u.Completion }

// DefaultUsage is the usage a Server reports unless WithUsage says otherwise.
var DefaultUsage = Usage{Prompt: 11, Completion: 7, Cached: 3, CacheWrite: 4, Reasoning: 2, Audio: 9, Seconds: 9}

// DefaultChunks is the assistant text, one stream chunk per element.
var DefaultChunks = []string{"Hello", ", ", "world", "!"}

// DefaultModelSuffix is appended to the request model to form the response
// model, as OpenAI answers "gpt-4o-mini" with "gpt-4o-mini-2024-07-18".
const DefaultModelSuffix = "-2024-07-18"

// Option configures a Server.
type Option func(*Server)

// WithUsage sets the usage every call reports.
func WithUsage(u Usage) Option { return func(s *Server) { s.usage = u } }

// WithChunks sets the assistant text, one stream chunk per part.
func WithChunks(parts ...string) Option { return func(s *Server) { s.chunks = parts } }

// WithToolCalls makes chat and responses calls request these tools (with
// arguments `{"q":"stub"}`) instead of answering with text.
func WithToolCalls(names ...string) Option { return func(s *Server) { s.tools = names } }

// WithChunkDelay makes every stream wait d after each event, so a client
// reading it has the events one at a time.
func WithChunkDelay(d time.Duration) Option { return func(s *Server) { s.chunkDelay = d } }

// WithCutAfter makes every stream drop its connection after n chunks.
func WithCutAfter(n int) Option { return func(s *Server) { s.cutAfter = n } }

// WithRunPolls makes an assistant run complete on its n-th retrieval
// (default 2: the first poll sees "in_progress").
func WithRunPolls(n int) Option { return func(s *Server) { s.runPolls = n } }

// WithScript makes chat and text completion calls answer with these texts
// in order, one per call (streamed as one content chunk), instead of the
// WithChunks text; after the last one the last text repeats. It lets a test
// drive a ReAct agent ("Action: calculator\nAction Input: 2+2", then
// "Final Answer: 4"). Usage is unchanged.
func WithScript(texts ...string) Option { return func(s *Server) { s.script = texts } }

// WithModelSuffix sets what is appended to the request model to form the
// response model ("" answers with the request model itself).
func WithModelSuffix(suffix string) Option { return func(s *Server) { s.modelSuffix = suffix } }

// WithoutUsage makes the stub answer like OpenAI-compatible servers that
// report no usage: bodies carry no usage object (Responses: "usage": null)
// and streams send no usage chunk, even when stream_options asks for one.
func WithoutUsage() Option { return func(s *Server) { s.noUsage = true } }

// WithServiceTier makes replies name tier as the service tier that served
// them (chat bodies and chunks, Responses): "flex", "priority"; the
// default is "default".
func WithServiceTier(tier string) Option { return func(s *Server) { s.tier = tier } }

// WithWebSearches makes every completed Responses output list n web
// searches (web_search_call items) before its message, as OpenAI's web
// search tool does.
func WithWebSearches(n int) Option { return func(s *Server) { s.webSearches = n } }

// WithDeployments makes the stub serve Azure OpenAI deployments: requests
// to /openai/deployments/{name}/… (chat/completions, completions,
// embeddings, images/…) answer as the plain endpoints do, with the model
// deployments[name] (plus the model suffix) in the reply, as Azure names the
// model that answered. A deployment not in the map answers with its own
// name as the model, as some OpenAI-compatible proxies do. Azure's
// /openai/responses is served too. Without this option the Azure paths are
// served all the same, every deployment answering with its own name.
func WithDeployments(deployments map[string]string) Option {
	return func(s *Server) { s.deployments = deployments }
}

// WithFailFirst makes the first n calls to the usage-bearing endpoints
// fail with status (and a Retry-After-Ms: 1 header, so SDKs that retry do so
// at once); later calls succeed.
func WithFailFirst(n, status int) Option {
	return func(s *Server) { s.failFirst, s.failStatus = n, status }
}

// Server is a running stub. All methods are safe for concurrent use.
type Server struct {
	srv *httptest.Server

	usage       Usage
	chunks      []string
	tools       []string
	cutAfter    int
	runPolls    int
	modelSuffix string
	script      []string
	noUsage     bool
	webSearches int
	tier        string
	deployments map[string]string
	failFirst   int
	failStatus  int
	chunkDelay  time.Duration

	mu        sync.Mutex
	scripted  int            // scripted answers served
	requests  map[string]int // "/chat/completions" → count
	lastBody  map[string][]byte
	total     int
	seq       int
	runs      map[string]*run
	responses map[string]string // background response id → model
}

type run struct {
	id, thread, model string
	polls             int
	status            string
}

// Start starts a stub on 127.0.0.1 outside tests (examples, demos); the
// caller closes it with Close.
func Start(opts ...Option) *Server { return New(nil, opts...) }

// New starts a stub on 127.0.0.1 and closes it when the test ends (a nil t
// leaves closing to the caller).
func New(t testing.TB, opts ...Option) *Server {
	s := &Server{
		usage:       DefaultUsage,
		tier:        "default",
		chunks:      DefaultChunks,
		runPolls:    2,
		modelSuffix: DefaultModelSuffix,
		requests:    map[string]int{},
		lastBody:    map[string][]byte{},
		runs:        map[string]*run{},
		responses:   map[string]string{},
	}
	for _, o := range opts {
		o(s)
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	if t != nil {
		t.Cleanup(s.srv.Close)
	}
	return s
}

// BaseURL is the API root including "/v1", for openai.ClientConfig.BaseURL.
func (s *Server) BaseURL() string { return s.srv.URL + "/v1" }

// URL is the server root without "/v1".
func (s *Server) URL() string { return s.srv.URL }

// Client is an *http.Client that talks to the stub.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Close stops the server (New also arranges it at test end).
func (s *Server) Close() { s.srv.Close() }

// Usage is the usage each call reports.
func (s *Server) Usage() Usage { return s.usage }

// Text is the full assistant text (the chunks joined).
func (s *Server) Text() string { return strings.Join(s.chunks, "") }

// answer returns the text parts of the next answer: the next WithScript
// text as one part, else the WithChunks parts.
func (s *Server) answer() []string {
	if len(s.script) == 0 {
		return s.chunks
	}
	s.mu.Lock()
	i := s.scripted
	s.scripted++
	s.mu.Unlock()
	if i >= len(s.script) {
		i = len(s.script) - 1
	}
	return []string{s.script[i]}
}

// Requests is how many requests reached path ("/chat/completions", without
// the "/v1" prefix), any method.
func (s *Server) Requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[path]
}

// Total is how many requests reached the server.
func (s *Server) Total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// LastBody is the body of the last request to path (nil if none).
func (s *Server) LastBody(path string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastBody[path]
}

func (s *Server) next() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return s.seq
}

// request is the union of the request fields the stub looks at.
type request struct {
	ctx           context.Context // the HTTP request's
	Model         string          `json:"model"`
	Stream        bool            `json:"stream"`
	Background    bool            `json:"background"`
	N             int             `json:"n"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Input          json.RawMessage `json:"input"`
	EncodingFormat string          `json:"encoding_format"`
	ToolChoice     json.RawMessage `json:"tool_choice"`
	Tools          []struct {
		Name     string `json:"name"` // responses API
		Function struct {
			Name string `json:"name"`
		} `json:"function"` // chat API
	} `json:"tools"`
	AssistantID string `json:"assistant_id"`
	// Format is a transcription's response_format.
	Format string
	// Questions are a decision's.
	Questions []json.RawMessage `json:"questions"`
	// exactModel answers with Model as it is, without the model suffix
	// (an unmapped Azure deployment).
	exactModel bool
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/v1")
	// Azure OpenAI: /openai/deployments/{name}/chat/completions?api-version=…
	// and /openai/responses answer as the plain endpoints do.
	deployment := ""
	if rest, ok := strings.CutPrefix(path, "/openai/deployments/"); ok {
		d, p, _ := strings.Cut(rest, "/")
		deployment, path = d, "/"+p
	} else if rest, ok := strings.CutPrefix(path, "/openai"); ok {
		path = strings.TrimPrefix(rest, "/v1")
	}
	var body []byte
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	req := request{ctx: r.Context()}
	if ct == "multipart/form-data" {
		_ = r.ParseMultipartForm(1 << 20)
		req.Model = r.FormValue("model")
		req.N, _ = strconv.Atoi(r.FormValue("n"))
		req.Stream = r.FormValue("stream") == "true"
		req.Format = r.FormValue("response_format")
		body = []byte("multipart")
	} else {
		body, _ = io.ReadAll(r.Body)
		if len(body) > 0 {
			if err := json.Unmarshal(body, &req); err != nil {
				s.apiError(w, http.StatusBadRequest, "invalid_request_error", "invalid_json", "stub: bad JSON: "+err.Error())
				return
			}
		}
	}
	if deployment != "" {
		// Azure answers with the deployment's model whatever the body says.
		req.Model, req.exactModel = deployment, true
		if m, ok := s.deployments[deployment]; ok {
			req.Model, req.exactModel = m, false
		}
	}
	s.mu.Lock()
	s.total++
	s.requests[path]++
	s.lastBody[path] = body
	fail := r.Method == http.MethodPost && s.failFirst > 0 && billable(path)
	if fail {
		s.failFirst--
	}
	s.mu.Unlock()

	h := w.Header()
	h.Set("x-request-id", "req_stub")
	h.Set("openai-processing-ms", "1")
	h.Set("x-ratelimit-limit-requests", "10000")
	h.Set("x-ratelimit-remaining-requests", "9999")
	h.Set("x-ratelimit-limit-tokens", "2000000")
	h.Set("x-ratelimit-remaining-tokens", "1999982")
	h.Set("x-ratelimit-reset-requests", "6ms")
	h.Set("x-ratelimit-reset-tokens", "0s")

	if fail {
		h.Set("Retry-After-Ms", "1")
		s.statusError(w, s.failStatus)
		return
	}
	if code, html, ok := errorModel(req.Model); ok {
		if html {
			h.Set("Content-Type", "text/html")
			w.WriteHeader(code)
			fmt.Fprintf(w, "<html><body>%d Bad Gateway</body></html>", code)
			return
		}
		s.statusError(w, code)
		return
	}

	switch {
	case r.Method == http.MethodPost && path == "/chat/completions":
		s.chat(w, &req)
	case r.Method == http.MethodPost && path == "/completions":
		s.completion(w, &req)
	case r.Method == http.MethodPost && path == "/embeddings":
		s.embeddings(w, &req)
	case r.Method == http.MethodPost && (path == "/responses" || path == "/responses/compact"):
		s.response(w, &req)
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/responses/"):
		s.retrieveResponse(w, strings.TrimPrefix(path, "/responses/"))
	case r.Method == http.MethodPost && strings.HasPrefix(path, "/images/"):
		s.image(w, &req)
	case r.Method == http.MethodPost && path == "/audio/transcriptions":
		s.transcription(w, &req)
	case r.Method == http.MethodPost && path == "/decisions":
		s.decision(w, &req)
	case strings.HasPrefix(path, "/threads/"):
		s.threads(w, r.Method, strings.Split(strings.TrimPrefix(path, "/threads/"), "/"), &req)
	default:
		s.apiError(w, http.StatusNotFound, "invalid_request_error", "unknown_url", "stub: unknown URL "+r.Method+" "+path)
	}
}

// billable reports the endpoints whose replies carry usage.
func billable(path string) bool {
	switch path {
	case "/chat/completions", "/completions", "/embeddings", "/responses", "/responses/compact", "/audio/transcriptions",
		"/decisions":
		return true
	}
	return strings.HasPrefix(path, "/images/")
}

func errorModel(model string) (code int, html, ok bool) {
	rest, found := strings.CutPrefix(model, "error-")
	if !found {
		return 0, false, false
	}
	rest, html = strings.CutPrefix(rest, "html-")
	code, err := strconv.Atoi(rest)
	if err != nil || code < 400 || code > 599 {
		return 0, false, false
	}
	return code, html, true
}

// statusError writes the error body OpenAI sends for code.
func (s *Server) statusError(w http.ResponseWriter, code int) {
	switch code {
	case http.StatusTooManyRequests:
		s.apiError(w, code, "requests", "rate_limit_exceeded", "Rate limit reached for requests")
	case http.StatusUnauthorized:
		s.apiError(w, code, "invalid_request_error", "invalid_api_key", "Incorrect API key provided")
	case http.StatusBadRequest:
		s.apiError(w, code, "invalid_request_error", "invalid_value", "Invalid value for 'model'")
	default:
		s.apiError(w, code, "server_error", "", "The server had an error while processing your request")
	}
}

func (s *Server) apiError(w http.ResponseWriter, code int, typ, errCode, msg string) {
	e := map[string]any{"message": msg, "type": typ, "param": nil, "code": nil}
	if errCode != "" {
		e["code"] = errCode
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": e})
}

func (s *Server) model(req *request, fallback string) string {
	m := req.Model
	if m == "" {
		m = fallback
	}
	if req.exactModel {
		return m
	}
	return m + s.modelSuffix
}

func (s *Server) chatUsage() map[string]any {
	u := s.usage
	return map[string]any{
		"prompt_tokens":     u.Prompt,
		"completion_tokens": u.Completion,
		"total_tokens":      u.Total(),
		"prompt_tokens_details": map[string]any{
			"cached_tokens": u.Cached, "cache_write_tokens": u.CacheWrite, "audio_tokens": 0,
		},
		"completion_tokens_details": map[string]any{
			"reasoning_tokens": u.Reasoning, "audio_tokens": 0,
			"accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0,
		},
	}
}

func (s *Server) responsesUsage() map[string]any {
	u := s.usage
	return map[string]any{
		"input_tokens":          u.Prompt,
		"input_tokens_details":  map[string]any{"cached_tokens": u.Cached, "cache_write_tokens": u.CacheWrite},
		"output_tokens":         u.Completion,
		"output_tokens_details": map[string]any{"reasoning_tokens": u.Reasoning},
		"total_tokens":          u.Total(),
	}
}

// toolNames is what the model "calls": WithToolCalls, else every declared
// tool when tool_choice is "required".
func (s *Server) toolNames(req *request) []string {
	if len(s.tools) > 0 {
		return s.tools
	}
	if string(req.ToolChoice) != `"required"` {
		return nil
	}
	var names []string
	for _, t := range req.Tools {
		if t.Function.Name != "" {
			names = append(names, t.Function.Name)
		} else if t.Name != "" {
			names = append(names, t.Name)
		}
	}
	return names
}

const toolArgs = `{"q":"stub"}`

// reply writes a body that carries usage, without it under WithoutUsage.
func (s *Server) reply(w http.ResponseWriter, v map[string]any) {
	if s.noUsage {
		delete(v, "usage")
	}
	writeJSON(w, v)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) chat(w http.ResponseWriter, req *request) {
	id := fmt.Sprintf("chatcmpl-stub-%d", s.next())
	model := s.model(req, "gpt-4o-mini")
	tools := s.toolNames(req)
	var parts []string
	if len(tools) == 0 {
		parts = s.answer()
	}
	if req.Stream {
		s.chatStream(w, req, id, model, tools, parts)
		return
	}
	msg := map[string]any{"role": "assistant", "content": strings.Join(parts, ""), "refusal": nil}
	finish := "stop"
	if len(tools) > 0 {
		calls := make([]map[string]any, len(tools))
		for i, name := range tools {
			calls[i] = map[string]any{
				"id": fmt.Sprintf("call_stub_%d", i), "type": "function",
				"function": map[string]any{"name": name, "arguments": toolArgs},
			}
		}
		msg["content"] = nil
		msg["tool_calls"] = calls
		finish = "tool_calls"
	}
	s.reply(w, map[string]any{
		"id": id, "object": "chat.completion", "created": 1700000000, "model": model,
		"choices": []any{map[string]any{
			"index": 0, "message": msg, "logprobs": nil, "finish_reason": finish,
		}},
		"usage":              s.chatUsage(),
		"system_fingerprint": "fp_stub",
		"service_tier":       s.tier,
	})
}

// sse writes server-sent events and implements the cut and error modes.
type sse struct {
	ctx     context.Context
	delay   time.Duration // after each event
	w       http.ResponseWriter
	f       http.Flusher
	n       int
	cut     int
	errMode bool
}

func (s *Server) newSSE(ctx context.Context, w http.ResponseWriter, model string) *sse {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	f, _ := w.(http.Flusher)
	e := &sse{ctx: ctx, w: w, f: f, cut: s.cutAfter, delay: s.chunkDelay}
	if rest, ok := strings.CutPrefix(strings.TrimSuffix(model, s.modelSuffix), "cut-"); ok {
		e.cut, _ = strconv.Atoi(rest)
	}
	e.errMode = strings.HasPrefix(model, "stream-error")
	return e
}

// data sends one event; event names are for the Responses API.
func (e *sse) data(event string, v any) {
	if e.cut > 0 && e.n >= e.cut {
		e.flush()
		panic(http.ErrAbortHandler) // drop the connection mid-stream
	}
	if e.errMode && e.n == 2 {
		fmt.Fprint(e.w, `data: {"error":{"message":"The server had an error while processing your request","type":"server_error","param":null,"code":null}}`+"\n\n")
		e.flush()
		panic(http.ErrAbortHandler)
	}
	e.n++
	if event != "" {
		fmt.Fprintf(e.w, "event: %s\n", event)
	}
	b, _ := json.Marshal(v)
	fmt.Fprintf(e.w, "data: %s\n\n", b)
	e.flush()
	if e.delay > 0 {
		select {
		case <-time.After(e.delay):
		case <-e.ctx.Done():
		}
	}
}

func (e *sse) done() {
	fmt.Fprint(e.w, "data: [DONE]\n\n")
	e.flush()
}

func (e *sse) flush() {
	if e.f != nil {
		e.f.Flush()
	}
}

func (s *Server) chatStream(w http.ResponseWriter, req *request, id, model string, tools, parts []string) {
	e := s.newSSE(req.ctx, w, model)
	withUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage && !s.noUsage
	chunk := func(delta map[string]any, finish any) map[string]any {
		c := map[string]any{
			"id": id, "object": "chat.completion.chunk", "created": 1700000000, "model": model,
			"system_fingerprint": "fp_stub", "service_tier": s.tier,
			"choices": []any{map[string]any{
				"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish,
			}},
		}
		if withUsage {
			c["usage"] = nil
		}
		return c
	}
	e.data("", chunk(map[string]any{"role": "assistant", "content": "", "refusal": nil}, nil))
	finish := "stop"
	if len(tools) > 0 {
		for i, name := range tools {
			e.data("", chunk(map[string]any{"tool_calls": []any{map[string]any{
				"index": i, "id": fmt.Sprintf("call_stub_%d", i), "type": "function",
				"function": map[string]any{"name": name, "arguments": ""},
			}}}, nil))
			e.data("", chunk(map[string]any{"tool_calls": []any{map[string]any{
				"index": i, "function": map[string]any{"arguments": toolArgs},
			}}}, nil))
		}
		finish = "tool_calls"
	} else {
		for _, part := range parts {
			e.data("", chunk(map[string]any{"content": part}, nil))
		}
	}
	e.data("", chunk(map[string]any{}, finish))
	if withUsage {
		e.data("", map[string]any{
			"id": id, "object": "chat.completion.chunk", "created": 1700000000, "model": model,
			"system_fingerprint": "fp_stub", "service_tier": s.tier, "choices": []any{}, "usage": s.chatUsage(),
		})
	}
	e.done()
}

func (s *Server) completion(w http.ResponseWriter, req *request) {
	id := fmt.Sprintf("cmpl-stub-%d", s.next())
	model := s.model(req, "gpt-3.5-turbo-instruct")
	usage := map[string]any{
		"prompt_tokens": s.usage.Prompt, "completion_tokens": s.usage.Completion, "total_tokens": s.usage.Total(),
	}
	parts := s.answer()
	if !req.Stream {
		s.reply(w, map[string]any{
			"id": id, "object": "text_completion", "created": 1700000000, "model": model,
			"choices": []any{map[string]any{"text": strings.Join(parts, ""), "index": 0, "logprobs": nil, "finish_reason": "stop"}},
			"usage":   usage,
		})
		return
	}
	e := s.newSSE(req.ctx, w, model)
	for i, part := range parts {
		var finish any
		if i == len(parts)-1 {
			finish = "stop"
		}
		e.data("", map[string]any{
			"id": id, "object": "text_completion", "created": 1700000000, "model": model,
			"choices": []any{map[string]any{"text": part, "index": 0, "logprobs": nil, "finish_reason": finish}},
		})
	}
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage && !s.noUsage {
		e.data("", map[string]any{
			"id": id, "object": "text_completion", "created": 1700000000, "model": model,
			"choices": []any{}, "usage": usage,
		})
	}
	e.done()
}

func (s *Server) embeddings(w http.ResponseWriter, req *request) {
	n := 1
	var many []json.RawMessage
	if json.Unmarshal(req.Input, &many) == nil && len(many) > 0 {
		// [][]int (tokens) and []string both count one embedding per element;
		// a flat []int is a single tokenised input.
		if many[0][0] == '"' || many[0][0] == '[' {
			n = len(many)
		}
	}
	vec := []float32{0.1, -0.2, 0.3}
	data := make([]any, n)
	for i := range data {
		var emb any = vec
		if req.EncodingFormat == "base64" {
			buf := make([]byte, 4*len(vec))
			for j, f := range vec {
				binary.LittleEndian.PutUint32(buf[4*j:], math.Float32bits(f))
			}
			emb = base64.StdEncoding.EncodeToString(buf)
		}
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": emb}
	}
	s.reply(w, map[string]any{
		"object": "list", "data": data, "model": s.model(req, "text-embedding-3-small"),
		"usage": map[string]any{"prompt_tokens": s.usage.Prompt, "total_tokens": s.usage.Prompt},
	})
}

func (s *Server) responseBody(id, model, status string, tools []string, withUsage bool) map[string]any {
	var output []any
	if status == "completed" {
		for i := range s.webSearches {
			output = append(output, map[string]any{"type": "web_search_call", "id": fmt.Sprintf("ws_stub_%d", i),
				"status": "completed", "action": map[string]any{"type": "search", "query": "stub"}})
		}
	}
	if len(tools) > 0 {
		for i, name := range tools {
			output = append(output, map[string]any{
				"type": "function_call", "id": fmt.Sprintf("fc_stub_%d", i), "call_id": fmt.Sprintf("call_stub_%d", i),
				"name": name, "arguments": toolArgs, "status": "completed",
			})
		}
	} else if status == "completed" {
		output = append(output, map[string]any{
			"type": "message", "id": "msg_stub", "status": "completed", "role": "assistant",
			"content": []any{map[string]any{"type": "output_text", "text": s.Text(), "annotations": []any{}}},
		})
	}
	if output == nil {
		output = []any{}
	}
	b := map[string]any{
		"id": id, "object": "response", "created_at": 1700000000, "status": status, "model": model,
		"output": output, "parallel_tool_calls": true, "tools": []any{}, "usage": nil, "service_tier": s.tier,
	}
	if withUsage && !s.noUsage {
		b["usage"] = s.responsesUsage()
	}
	return b
}

func (s *Server) response(w http.ResponseWriter, req *request) {
	id := fmt.Sprintf("resp_stub_%d", s.next())
	model := s.model(req, "gpt-4o-mini")
	tools := s.toolNames(req)
	switch {
	case req.Background && !req.Stream:
		s.mu.Lock()
		s.responses[id] = model
		s.mu.Unlock()
		writeJSON(w, s.responseBody(id, model, "queued", nil, false))
	case !req.Stream:
		writeJSON(w, s.responseBody(id, model, "completed", tools, true))
	default:
		s.responseStream(req.ctx, w, id, model, tools)
	}
}

func (s *Server) responseStream(ctx context.Context, w http.ResponseWriter, id, model string, tools []string) {
	e := s.newSSE(ctx, w, model)
	seq := 0
	ev := func(typ string, fields map[string]any) {
		fields["type"] = typ
		fields["sequence_number"] = seq
		seq++
		e.data(typ, fields)
	}
	ev("response.created", map[string]any{"response": s.responseBody(id, model, "in_progress", nil, false)})
	if len(tools) > 0 {
		for i, name := range tools {
			item := map[string]any{"type": "function_call", "id": fmt.Sprintf("fc_stub_%d", i),
				"call_id": fmt.Sprintf("call_stub_%d", i), "name": name, "arguments": "", "status": "in_progress"}
			ev("response.output_item.added", map[string]any{"output_index": i, "item": item})
			ev("response.function_call_arguments.delta", map[string]any{"output_index": i, "item_id": item["id"], "delta": toolArgs})
			done := map[string]any{}
			for k, v := range item {
				done[k] = v
			}
			done["arguments"], done["status"] = toolArgs, "completed"
			ev("response.output_item.done", map[string]any{"output_index": i, "item": done})
		}
	} else {
		ev("response.output_item.added", map[string]any{"output_index": 0, "item": map[string]any{
			"type": "message", "id": "msg_stub", "status": "in_progress", "role": "assistant", "content": []any{}}})
		for _, part := range s.chunks {
			ev("response.output_text.delta", map[string]any{"item_id": "msg_stub", "output_index": 0, "content_index": 0, "delta": part})
		}
		ev("response.output_text.done", map[string]any{"item_id": "msg_stub", "output_index": 0, "content_index": 0, "text": s.Text()})
	}
	ev("response.completed", map[string]any{"response": s.responseBody(id, model, "completed", tools, true)})
	// The Responses API ends the stream without a [DONE] sentinel.
}

func (s *Server) retrieveResponse(w http.ResponseWriter, id string) {
	s.mu.Lock()
	model, ok := s.responses[id]
	s.mu.Unlock()
	if !ok {
		model = "gpt-4o-mini" + s.modelSuffix
	}
	writeJSON(w, s.responseBody(id, model, "completed", nil, true))
}

func (s *Server) image(w http.ResponseWriter, req *request) {
	n := req.N
	if n <= 0 {
		n = 1
	}
	data := make([]any, n)
	for i := range data {
		data[i] = map[string]any{"url": fmt.Sprintf("https://stub.invalid/img/%d.png", i)}
	}
	s.reply(w, map[string]any{
		"created": 1700000000, "data": data,
		"usage": map[string]any{
			"total_tokens": s.usage.Total(), "input_tokens": s.usage.Prompt, "output_tokens": s.usage.Completion,
			"input_tokens_details": map[string]any{"text_tokens": s.usage.Prompt - s.usage.Cached, "image_tokens": s.usage.Cached},
		},
	})
}

// transcription answers a speech-to-text request as OpenAI does: whisper-1
// reports the seconds of audio, the other models tokens (of which Audio
// were audio); response_format text, srt or vtt is the bare text, without
// usage; a stream (form field stream=true) sends the text in
// transcript.text.delta events and the usage in transcript.text.done.
func (s *Server) transcription(w http.ResponseWriter, req *request) {
	text := strings.Join(s.answer(), "")
	model := req.Model
	usage := map[string]any{"type": "duration", "seconds": s.usage.Seconds}
	if model != "whisper-1" {
		u := s.usage
		usage = map[string]any{
			"type": "tokens", "input_tokens": u.Prompt, "output_tokens": u.Completion, "total_tokens": u.Total(),
			"input_token_details": map[string]any{"audio_tokens": u.Audio, "text_tokens": u.Prompt - u.Audio},
		}
	}
	switch {
	case req.Stream && model != "whisper-1":
		e := s.newSSE(req.ctx, w, model)
		for _, p := range s.chunks {
			e.data("", map[string]any{"type": "transcript.text.delta", "delta": p})
		}
		done := map[string]any{"type": "transcript.text.done", "text": text, "usage": usage}
		if s.noUsage {
			delete(done, "usage")
		}
		e.data("", done)
	case req.Format == "text" || req.Format == "srt" || req.Format == "vtt":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, text+"\n")
	case req.Format == "verbose_json":
		s.reply(w, map[string]any{"task": "transcribe", "language": "english", "duration": s.usage.Seconds,
			"text": text, "segments": []any{}, "usage": usage})
	default:
		s.reply(w, map[string]any{"text": text, "usage": usage})
	}
}

// decision answers a Decisions API request: every question answered
// "true" as a predicate, with the usage of a Responses call.
func (s *Server) decision(w http.ResponseWriter, req *request) {
	answers := make([]any, max(len(req.Questions), 1))
	for i := range answers {
		answers[i] = map[string]any{"type": "predicate", "name": nil, "probability": 0.9}
	}
	s.reply(w, map[string]any{"answers": answers, "model": s.model(req, "gpt-6-luna"), "usage": s.responsesUsage()})
}

// threads serves the assistant run endpoints; parts is the path after
// /threads/.
func (s *Server) threads(w http.ResponseWriter, method string, parts []string, req *request) {
	switch {
	case method == http.MethodPost && len(parts) == 1 && parts[0] == "runs": // /threads/runs
		s.createRun(w, fmt.Sprintf("thread_stub_%d", s.next()), req)
	case method == http.MethodPost && len(parts) == 2 && parts[1] == "runs":
		s.createRun(w, parts[0], req)
	case method == http.MethodGet && len(parts) == 3 && parts[1] == "runs":
		s.runStep(w, parts[2], "poll")
	case method == http.MethodPost && len(parts) == 3 && parts[1] == "runs": // modify
		s.runStep(w, parts[2], "")
	case method == http.MethodPost && len(parts) == 4 && parts[3] == "cancel":
		s.runStep(w, parts[2], "cancel")
	case method == http.MethodPost && len(parts) == 4 && parts[3] == "submit_tool_outputs":
		s.runStep(w, parts[2], "submit")
	default:
		s.apiError(w, http.StatusNotFound, "invalid_request_error", "unknown_url", "stub: unknown threads URL")
	}
}

func (s *Server) createRun(w http.ResponseWriter, thread string, req *request) {
	r := &run{id: fmt.Sprintf("run_stub_%d", s.next()), thread: thread, model: s.model(req, "gpt-4o-mini"), status: "queued"}
	s.mu.Lock()
	s.runs[r.id] = r
	s.mu.Unlock()
	writeJSON(w, s.runBody(r))
}

func (s *Server) runStep(w http.ResponseWriter, id, action string) {
	s.mu.Lock()
	r, ok := s.runs[id]
	if ok {
		switch action {
		case "poll":
			r.polls++
			if r.status == "queued" || r.status == "in_progress" {
				r.status = "in_progress"
				if r.polls >= s.runPolls {
					r.status = "completed"
				}
			}
		case "cancel":
			r.status = "cancelled"
		case "submit":
			r.status = "queued"
		}
	}
	var body map[string]any
	if ok {
		body = s.runBody(r)
	}
	s.mu.Unlock()
	if !ok {
		s.apiError(w, http.StatusNotFound, "invalid_request_error", "not_found", "No run found with id '"+id+"'.")
		return
	}
	writeJSON(w, body)
}

func (s *Server) runBody(r *run) map[string]any {
	b := map[string]any{
		"id": r.id, "object": "thread.run", "created_at": 1700000000, "thread_id": r.thread,
		"assistant_id": "asst_stub", "status": r.status, "model": r.model, "tools": []any{},
		"metadata": map[string]any{}, "usage": nil,
	}
	if r.status == "completed" || r.status == "cancelled" {
		b["usage"] = map[string]any{
			"prompt_tokens": s.usage.Prompt, "completion_tokens": s.usage.Completion, "total_tokens": s.usage.Total(),
			"prompt_token_details": map[string]any{"cached_tokens": s.usage.Cached},
		}
	}
	return b
}
