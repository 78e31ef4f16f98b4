package openaimeter

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"

	"github.com/sashabaranov/go-openai"

	"github.com/drip-sdk/drip-go/providers"
)

// go-openai's stream types embed an unexported reader and cannot be built
// outside that package, so the streaming methods return these types, which
// have the same methods (Recv, RecvRaw, Close, Header, GetRateLimitHeaders)
// and report the call's usage once: at the usage chunk, io.EOF, an error or
// Close, whichever comes first. A stream that ends without usage (closed
// early, broken, or from a server that ignores include_usage) is reported
// with counts estimated from the text and Estimated set; a broken stream
// also carries its error in Usage.Err.
//
// A stream that is neither read to the end nor closed reports nothing; as
// with go-openai, always Close a stream.

// streamState is the metering shared by the three stream types.
type streamState struct {
	mu      sync.Mutex
	m       *meter
	ctx     context.Context // the caller's, for Report
	cl      call
	a       acc
	in      inputRef
	swallow bool // we asked for include_usage: hide the usage-only chunk
	done    bool
}

func (s *streamState) init(m *meter, ctx context.Context, cl call, swallow bool, in inputRef) {
	s.m, s.ctx, s.cl, s.swallow, s.in = m, ctx, cl, swallow, in
}

// finishLocked reports once. err is the stream's failure (nil for EOF and
// Close).
func (s *streamState) finishLocked(err error) {
	if s.done {
		return
	}
	s.done = true
	var inChars int64
	if !s.a.hasUsage {
		inChars = s.in.chars()
	}
	s.a.fill(&s.cl.u, inChars)
	s.cl.u.Streamed = true
	if err != nil {
		describeError(err, &s.cl.u)
	}
	s.m.end(s.ctx, &s.cl, true)
}

// recvErr handles an error from the inner stream.
func (s *streamState) recvErr(err error) {
	s.mu.Lock()
	if errors.Is(err, io.EOF) {
		s.finishLocked(nil)
	} else {
		s.finishLocked(err)
	}
	s.mu.Unlock()
}

// rawChunk meters one raw data payload (RecvRaw) and says whether the
// caller should not see it.
func (s *streamState) rawChunk(line []byte) (hide bool) {
	var ev wireEvent
	_ = json.Unmarshal(line, &ev) // a payload we cannot read is still passed on
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done { // still hide a late usage-only chunk
		return s.swallow && len(ev.Choices) == 0 && ev.Usage != nil && ev.Type == ""
	}
	usageOnly := s.a.wire(&ev)
	if s.a.hasUsage && (ev.Usage != nil || ev.Response != nil && ev.Response.Usage != nil) {
		s.finishLocked(nil)
	}
	return usageOnly && s.swallow
}

func (s *streamState) close() {
	s.mu.Lock()
	s.finishLocked(nil)
	s.mu.Unlock()
}

// inputRef keeps the request text an input estimate is computed from, only
// if a stream ends without usage.
type inputRef struct {
	msgs         []openai.ChatCompletionMessage
	prompt       any
	input        any
	instructions string
}

func (r *inputRef) chars() int64 {
	n := int64(len(r.instructions))
	for i := range r.msgs {
		n += messageChars(&r.msgs[i])
	}
	n += promptChars(r.prompt)
	switch v := r.input.(type) {
	case nil:
	case string:
		n += int64(len(v))
	default:
		if b, err := json.Marshal(v); err == nil {
			n += int64(len(b))
		}
	}
	return n
}

func messageChars(m *openai.ChatCompletionMessage) int64 {
	n := int64(len(m.Content) + len(m.Name))
	for _, p := range m.MultiContent {
		n += int64(len(p.Text))
	}
	for _, tc := range m.ToolCalls {
		n += int64(len(tc.Function.Name) + len(tc.Function.Arguments))
	}
	return n
}

func promptChars(p any) int64 {
	switch v := p.(type) {
	case string:
		return int64(len(v))
	case []string:
		var n int64
		for _, s := range v {
			n += int64(len(s))
		}
		return n
	case []any:
		var n int64
		for _, s := range v {
			if s, ok := s.(string); ok {
				n += int64(len(s))
			}
		}
		return n
	}
	return 0
}

// sseReader is what go-openai's three stream types have in common.
type sseReader[T any] interface {
	Recv() (T, error)
	RecvRaw() ([]byte, error)
	Close() error
	Header() http.Header
	GetRateLimitHeaders() openai.RateLimitHeaders
}

// chunkKind says how one stream type's chunks are metered.
type chunkKind[T any] struct {
	read      func(*acc, *T) // add the chunk to the accumulator
	hasUsage  func(*T) bool  // the chunk carries the call's usage
	usageOnly func(*T) bool  // the chunk exists only to carry usage
}

// stream is the metered stream behind the exported stream types, which hold
// it in a field and delegate to it: the same methods as go-openai's,
// reporting the call once.
type stream[T any, S sseReader[T]] struct {
	inner S
	kind  *chunkKind[T]
	st    streamState
}

// Recv returns the next chunk, as go-openai's Recv does.
func (s *stream[T, S]) Recv() (T, error) {
	for {
		chunk, err := s.inner.Recv()
		if err != nil {
			s.st.recvErr(err)
			return chunk, err
		}
		s.st.mu.Lock()
		if !s.st.done {
			s.kind.read(&s.st.a, &chunk)
		}
		usage := s.kind.hasUsage(&chunk)
		if usage {
			s.st.finishLocked(nil)
		}
		hide := s.st.swallow && usage && s.kind.usageOnly(&chunk)
		s.st.mu.Unlock()
		if !hide {
			return chunk, nil
		}
	}
}

// RecvRaw returns the next raw data payload, as go-openai's RecvRaw does.
func (s *stream[T, S]) RecvRaw() ([]byte, error) {
	for {
		line, err := s.inner.RecvRaw()
		if err != nil {
			s.st.recvErr(err)
			return line, err
		}
		if !s.st.rawChunk(line) {
			return line, nil
		}
	}
}

// Close reports the call if it has not been reported and closes the stream.
func (s *stream[T, S]) Close() error {
	s.st.close()
	return s.inner.Close()
}

// Header returns the HTTP response headers.
func (s *stream[T, S]) Header() http.Header { return s.inner.Header() }

// GetRateLimitHeaders returns the rate-limit headers of the response.
func (s *stream[T, S]) GetRateLimitHeaders() openai.RateLimitHeaders {
	return s.inner.GetRateLimitHeaders()
}

// Unwrap returns go-openai's stream. Reading from it directly bypasses
// metering.
func (s *stream[T, S]) Unwrap() S { return s.inner }

// askUsage makes sure a streaming request asks for usage, on the caller's
// copy of the request; it reports whether it had to, so the usage-only
// chunk is then hidden from the caller.
func askUsage(o **openai.StreamOptions) (asked bool) {
	if *o != nil && (*o).IncludeUsage {
		return false
	}
	// Replacing the pointer leaves the caller's options alone.
	*o = &openai.StreamOptions{IncludeUsage: true}
	return true
}

// ChatCompletionStream is go-openai's ChatCompletionStream, metered.
type ChatCompletionStream struct {
	impl stream[openai.ChatCompletionStreamResponse, *openai.ChatCompletionStream]
}

// Recv returns the next chunk, as go-openai's Recv does.
func (s *ChatCompletionStream) Recv() (openai.ChatCompletionStreamResponse, error) {
	return s.impl.Recv()
}

// RecvRaw returns the next raw data payload, as go-openai's RecvRaw does.
func (s *ChatCompletionStream) RecvRaw() ([]byte, error) { return s.impl.RecvRaw() }

// Close reports the call if it has not been reported and closes the stream.
func (s *ChatCompletionStream) Close() error { return s.impl.Close() }

// Header returns the HTTP response headers.
func (s *ChatCompletionStream) Header() http.Header { return s.impl.Header() }

// GetRateLimitHeaders returns the rate-limit headers of the response.
func (s *ChatCompletionStream) GetRateLimitHeaders() openai.RateLimitHeaders {
	return s.impl.GetRateLimitHeaders()
}

// Unwrap returns go-openai's stream. Reading from it directly bypasses
// metering.
func (s *ChatCompletionStream) Unwrap() *openai.ChatCompletionStream { return s.impl.Unwrap() }

var chatChunks = &chunkKind[openai.ChatCompletionStreamResponse]{
	read:      (*acc).chatChunk,
	hasUsage:  func(c *openai.ChatCompletionStreamResponse) bool { return c.Usage != nil },
	usageOnly: func(c *openai.ChatCompletionStreamResponse) bool { return len(c.Choices) == 0 },
}

// CreateChatCompletionStream calls the embedded client and meters the
// stream. When the request does not ask for stream usage it is asked for on
// a copy of the request, and the usage-only final chunk is not returned by
// Recv, so the caller sees the chunks it would have seen unwrapped.
func (c *Client) CreateChatCompletionStream(
	ctx context.Context, request openai.ChatCompletionRequest,
) (*ChatCompletionStream, error) {
	swallow := askUsage(&request.StreamOptions)
	if err := c.m.admit(ctx); err != nil {
		return nil, err
	}
	cl := c.m.begin(ctx, providers.OpChat, request.Model, true)
	inner, err := c.Client.CreateChatCompletionStream(cl.ctx, request)
	if err != nil {
		cl.u.Streamed = true
		c.done(ctx, &cl, err)
		return nil, err
	}
	s := &ChatCompletionStream{}
	s.impl.inner, s.impl.kind = inner, chatChunks
	s.impl.st.init(c.m, ctx, cl, swallow, inputRef{msgs: request.Messages})
	return s, nil
}

// CompletionStream is go-openai's CompletionStream, metered.
type CompletionStream struct {
	impl stream[openai.CompletionResponse, *openai.CompletionStream]
}

// Recv returns the next chunk, as go-openai's Recv does.
func (s *CompletionStream) Recv() (openai.CompletionResponse, error) { return s.impl.Recv() }

// RecvRaw returns the next raw data payload, as go-openai's RecvRaw does.
func (s *CompletionStream) RecvRaw() ([]byte, error) { return s.impl.RecvRaw() }

// Close reports the call if it has not been reported and closes the stream.
func (s *CompletionStream) Close() error { return s.impl.Close() }

// Header returns the HTTP response headers.
func (s *CompletionStream) Header() http.Header { return s.impl.Header() }

// GetRateLimitHeaders returns the rate-limit headers of the response.
func (s *CompletionStream) GetRateLimitHeaders() openai.RateLimitHeaders {
	return s.impl.GetRateLimitHeaders()
}

// Unwrap returns go-openai's stream. Reading from it directly bypasses
// metering.
func (s *CompletionStream) Unwrap() *openai.CompletionStream { return s.impl.Unwrap() }

var completionChunks = &chunkKind[openai.CompletionResponse]{
	read:      (*acc).completionChunk,
	hasUsage:  func(c *openai.CompletionResponse) bool { return c.Usage != nil },
	usageOnly: func(c *openai.CompletionResponse) bool { return len(c.Choices) == 0 },
}

// CreateCompletionStream calls the embedded client and meters the stream,
// asking for usage like CreateChatCompletionStream.
func (c *Client) CreateCompletionStream(
	ctx context.Context, request openai.CompletionRequest,
) (*CompletionStream, error) {
	swallow := askUsage(&request.StreamOptions)
	if err := c.m.admit(ctx); err != nil {
		return nil, err
	}
	cl := c.m.begin(ctx, providers.OpTextCompletion, request.Model, true)
	inner, err := c.Client.CreateCompletionStream(cl.ctx, request)
	if err != nil {
		cl.u.Streamed = true
		c.done(ctx, &cl, err)
		return nil, err
	}
	s := &CompletionStream{}
	s.impl.inner, s.impl.kind = inner, completionChunks
	s.impl.st.init(c.m, ctx, cl, swallow, inputRef{prompt: request.Prompt})
	return s, nil
}

// ResponseStream is go-openai's ResponseStream, metered. The Responses API
// always sends usage in its response.completed event, so nothing is added
// to the request and nothing is hidden.
type ResponseStream struct {
	impl stream[openai.ResponseStreamEvent, *openai.ResponseStream]
}

// Recv returns the next event, as go-openai's Recv does.
func (s *ResponseStream) Recv() (openai.ResponseStreamEvent, error) { return s.impl.Recv() }

// RecvRaw returns the next raw data payload, as go-openai's RecvRaw does.
func (s *ResponseStream) RecvRaw() ([]byte, error) { return s.impl.RecvRaw() }

// Close reports the call if it has not been reported and closes the stream.
func (s *ResponseStream) Close() error { return s.impl.Close() }

// Header returns the HTTP response headers.
func (s *ResponseStream) Header() http.Header { return s.impl.Header() }

// GetRateLimitHeaders returns the rate-limit headers of the response.
func (s *ResponseStream) GetRateLimitHeaders() openai.RateLimitHeaders {
	return s.impl.GetRateLimitHeaders()
}

// Unwrap returns go-openai's stream. Reading from it directly bypasses
// metering.
func (s *ResponseStream) Unwrap() *openai.ResponseStream { return s.impl.Unwrap() }

var responseEvents = &chunkKind[openai.ResponseStreamEvent]{
	read: (*acc).responseEvent,
	hasUsage: func(ev *openai.ResponseStreamEvent) bool {
		return ev.Response != nil && ev.Response.Usage != nil
	},
	usageOnly: func(*openai.ResponseStreamEvent) bool { return false },
}

// CreateResponseStream calls the embedded client and meters the stream.
func (c *Client) CreateResponseStream(
	ctx context.Context, request openai.CreateResponseRequest,
) (*ResponseStream, error) {
	if err := c.m.admit(ctx); err != nil {
		return nil, err
	}
	cl := c.m.begin(ctx, providers.OpResponses, request.Model, true)
	inner, err := c.Client.CreateResponseStream(cl.ctx, request)
	if err != nil {
		cl.u.Streamed = true
		c.done(ctx, &cl, err)
		return nil, err
	}
	s := &ResponseStream{}
	s.impl.inner, s.impl.kind = inner, responseEvents
	s.impl.st.init(c.m, ctx, cl, false, inputRef{input: request.Input, instructions: request.Instructions})
	return s, nil
}
