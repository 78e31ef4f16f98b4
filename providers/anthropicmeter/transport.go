package anthropicmeter

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/drip-sdk/drip-go/providers"
)

// Bounds on what is kept of a body for parsing. A reply larger than
// maxCapture is read from its first headCapture bytes (model, id) and its
// last tailCapture bytes (usage, which Anthropic sends last).
const (
	maxCapture  = 1 << 20
	headCapture = 4 << 10
	tailCapture = 64 << 10
	maxErrBody  = 64 << 10
)

// meter is what the transport and the middleware share.
type meter struct {
	r        providers.Reporter
	provider string
	now      func() time.Time
	gate     func(context.Context) error
	// middleware: an SDK middleware (see providers.Refuse)
	middleware bool
}

func newMeter(r providers.Reporter, opts []Option) *meter {
	o := buildOptions(opts)
	if r == nil {
		r = providers.ReporterFunc(func(context.Context, providers.Usage) {})
	}
	return &meter{r: r, provider: o.provider, now: o.now, gate: o.gate}
}

// NewTransport returns an http.RoundTripper that meters Anthropic Messages
// calls through base (http.DefaultTransport when nil) into r.
func NewTransport(base http.RoundTripper, r providers.Reporter, opts ...Option) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base, m: newMeter(r, opts)}
}

// NewHTTPClient returns a copy of base (a zero http.Client when nil) whose
// transport meters Anthropic Messages calls into r: for anthropic-sdk-go's
// option.WithHTTPClient or langchaingo's anthropic.WithHTTPClient.
func NewHTTPClient(base *http.Client, r providers.Reporter, opts ...Option) *http.Client {
	c := &http.Client{}
	if base != nil {
		*c = *base
	}
	c.Transport = NewTransport(c.Transport, r, opts...)
	return c
}

// Middleware returns a middleware metering Anthropic Messages calls into r.
// Its type is anthropic-sdk-go's option.Middleware, so
// option.WithMiddleware(anthropicmeter.Middleware(r)) meters a client
// whatever HTTP client it uses. It marks the ctx of the request it passes
// on (providers.MarkMetered), so an HTTP meter below it (an http.Client
// from NewHTTPClient given to the same SDK) does not count the call again.
func Middleware(r providers.Reporter, opts ...Option) func(*http.Request, func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	m := newMeter(r, opts)
	m.middleware = true
	return m.do
}

type transport struct {
	base http.RoundTripper
	m    *meter
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.m.do(req, t.base.RoundTrip)
}

func (m *meter) do(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	ctx := req.Context()
	// A Messages call: POST …/messages (not …/messages/count_tokens,
	// batches or anything else), or a cloud's (classify).
	to, ok := classify(req)
	if !ok || providers.IsMetered(ctx) {
		return next(req)
	}
	if m.gate != nil {
		if err := m.gate(ctx); err != nil {
			return providers.Refuse(req, err, m.middleware)
		}
	}
	c := &call{m: m, ctx: ctx, req: req, requestModel: to.model, start: m.now(),
		provider: cmp.Or(m.provider, to.provider, ProviderAnthropic)}
	out := req
	if m.middleware {
		// A copy (net/http has no other way to set a ctx): the caller's
		// request, which an outer middleware may send again, stays as it is.
		out = req.WithContext(providers.MarkMetered(ctx))
	}
	resp, err := next(out)
	if err != nil {
		c.failed(err, 0)
		return resp, err
	}
	switch ct := resp.Header.Get("Content-Type"); {
	case resp.StatusCode >= 400:
		resp.Body = &errorBody{src: resp.Body, c: c, status: resp.StatusCode}
	case isEventStream(ct):
		c.streamed = true
		resp.Body = &sseBody{src: resp.Body, c: c}
	case isAWSEventStream(ct):
		c.streamed = true
		resp.Body = &eventStreamBody{src: resp.Body, c: c}
	default:
		b := &jsonBody{src: resp.Body, c: c}
		if n := resp.ContentLength; n > 0 && n <= maxCapture {
			b.buf = make([]byte, 0, n)
		}
		resp.Body = b
	}
	return resp, nil
}

func isEventStream(ct string) bool {
	if strings.HasPrefix(ct, "text/event-stream") {
		return true
	}
	mt, _, _ := mime.ParseMediaType(ct)
	return mt == "text/event-stream"
}

// call is one metered request; it reports once.
type call struct {
	once sync.Once
	m    *meter
	ctx  context.Context
	req  *http.Request
	// What the call's usage says before its reply is read: kept instead of
	// a whole providers.Usage, most of which the reply fills, so that what
	// every metered call allocates stays small.
	provider, requestModel string
	start                  time.Time
	duration               time.Duration // set when the call is handed over
	streamed               bool
	a                      acc
}

// usage is the call's usage as known before its reply is read.
func (c *call) usage() providers.Usage {
	return providers.Usage{Provider: c.provider, Operation: providers.OpChat, RequestModel: c.requestModel,
		Start: c.start, Duration: c.duration, Streamed: c.streamed}
}

// done reports the call with what a was filled with; readErr is a read
// error of the body (nil at EOF or Close).
func (c *call) done(readErr error) {
	c.once.Do(func() {
		if readErr == nil {
			c.reportLater(c)
			return
		}
		u := c.usage()
		c.a.fill(&u)
		u.Err, u.ErrorType = readErr, "stream_error"
		c.report(&u)
	})
}

// streamEvent meters one event of a stream (SSE or Bedrock's) and says
// whether it ended the call: message_stop reports it, an error event
// reports it failed.
func (c *call) streamEvent(name, data []byte) (ended bool) {
	errEv, stop := c.a.streamEvent(name, data)
	switch {
	case errEv != nil:
		c.failed(errEv, 0)
	case stop:
		c.done(nil)
	}
	return errEv != nil || stop
}

// streamEnded reports the call when its stream's body ends: at EOF, or
// with the read error.
func (c *call) streamEnded(err error) {
	if err == io.EOF {
		err = nil
	}
	c.done(err)
}

// failed reports the call as failed, with no tokens.
func (c *call) failed(err error, status int) {
	c.once.Do(func() {
		u := c.usage()
		u.Model, u.ResponseID = c.a.model, c.a.id
		u.Err, u.HTTPStatus = err, status
		if e, ok := err.(*Error); ok {
			u.ErrorType = e.Type
		}
		c.report(&u)
	})
}

// report reports u, the call's usage, now.
func (c *call) report(u *providers.Usage) {
	u.Duration = c.m.now().Sub(c.start)
	c.requestModelIfNone(u)
	c.m.r.Report(c.ctx, *u)
}

// maxDeferred bounds the reply a call read later keeps alive while it
// waits; a larger one is read at once.
const maxDeferred = 32 << 10

// reportLater reports a call that ended well with what is left to read of
// it (complete fills the usage from what the body kept: the stream's call
// itself, or a reply's body), for the Reporter to read off the caller's
// goroutine (providers.ReportDeferred). The body reads nothing more into
// the call after it.
func (c *call) reportLater(complete providers.Completer) {
	c.duration = c.m.now().Sub(c.start)
	providers.ReportDeferred(c.ctx, c.m.r, complete)
}

// Complete fills u with what the stream's events said (providers.Completer).
func (c *call) Complete(u *providers.Usage) {
	*u = c.usage()
	c.a.fill(u)
	c.requestModelIfNone(u)
}

// requestModelIfNone names the request's model when the reply named none
// (a cloud's call has it from its path already).
func (c *call) requestModelIfNone(u *providers.Usage) {
	if u.Model == "" && u.RequestModel == "" {
		u.RequestModel = requestModel(c.req)
	}
}

// requestModel reads the request's model through GetBody, only when the
// reply did not name one (an error, a stream cut before message_start).
func requestModel(req *http.Request) string {
	if req.GetBody == nil {
		return ""
	}
	rc, err := req.GetBody()
	if err != nil {
		return ""
	}
	defer rc.Close()
	var r struct {
		Model string `json:"model"`
	}
	if json.NewDecoder(io.LimitReader(rc, 8<<20)).Decode(&r) != nil {
		return ""
	}
	return r.Model
}

// jsonBody tees a JSON reply into a bounded buffer and reads its usage at
// EOF or Close.
type jsonBody struct {
	src  io.ReadCloser
	c    *call
	buf  []byte
	head []byte // the first bytes, kept once buf overflows
	over bool
	kept []byte // buf as handed over with the call, for Complete
}

func (b *jsonBody) Read(p []byte) (int, error) {
	n, err := b.src.Read(p)
	if n > 0 {
		b.keep(p[:n])
	}
	if err != nil {
		b.finish(err)
	}
	return n, err
}

func (b *jsonBody) keep(p []byte) {
	if !b.over && len(b.buf)+len(p) <= maxCapture {
		b.buf = append(b.buf, p...)
		return
	}
	if !b.over {
		b.over = true
		b.head = append([]byte(nil), b.buf[:min(len(b.buf), headCapture)]...)
	}
	b.buf = append(b.buf, p...)
	if len(b.buf) > 2*tailCapture {
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-tailCapture:]...)
	}
}

func (b *jsonBody) Close() error {
	b.finish(nil)
	return b.src.Close()
}

func (b *jsonBody) finish(err error) {
	if err == io.EOF {
		err = nil
	}
	c := b.c
	c.once.Do(func() {
		if buf := b.buf; err == nil && !b.over && len(buf) <= maxDeferred {
			b.kept = buf
			c.reportLater(b)
			return
		}
		if !b.over {
			c.a.readMessage(b.buf)
		} else {
			partial(&c.a, b.head, b.buf)
			c.a.hasFinal = c.a.hasUsage
		}
		u := c.usage()
		c.a.fill(&u)
		if err != nil {
			u.Err, u.ErrorType = err, "read_error"
		}
		c.report(&u)
	})
}

// partial reads usage from the tail, and model and id from the head, of a
// reply too large to keep whole.
func partial(a *acc, head, tail []byte) {
	if i := bytes.LastIndex(tail, []byte(`"usage"`)); i >= 0 {
		rest := tail[i+len(`"usage"`):]
		if j := bytes.IndexByte(rest, ':'); j >= 0 {
			var u wireUsage
			if json.NewDecoder(bytes.NewReader(rest[j+1:])).Decode(&u) == nil {
				a.usage(&u)
			}
		}
	}
	for _, f := range [...]struct {
		key string
		dst *string
	}{{`"model"`, &a.model}, {`"id"`, &a.id}} {
		if i := bytes.Index(head, []byte(f.key)); i >= 0 {
			rest := head[i+len(f.key):]
			if j := bytes.IndexByte(rest, ':'); j >= 0 {
				_ = json.NewDecoder(bytes.NewReader(rest[j+1:])).Decode(f.dst)
			}
		}
	}
}

// errorBody keeps an error reply (bounded) and reports its error type at
// EOF or Close.
type errorBody struct {
	src    io.ReadCloser
	c      *call
	buf    []byte
	status int
}

func (b *errorBody) Read(p []byte) (int, error) {
	n, err := b.src.Read(p)
	if room := maxErrBody - len(b.buf); room > 0 && n > 0 {
		b.buf = append(b.buf, p[:min(n, room)]...)
	}
	if err != nil {
		b.finish()
	}
	return n, err
}

func (b *errorBody) Close() error {
	b.finish()
	return b.src.Close()
}

func (b *errorBody) finish() {
	e := &Error{HTTPStatus: b.status}
	var msg wireMessage
	if json.Unmarshal(b.buf, &msg) == nil && msg.Error != nil {
		e.Type = msg.Error.Type
	}
	b.c.failed(e, b.status)
}

// Complete fills u from the reply handed over with the call
// (providers.Completer).
func (b *jsonBody) Complete(u *providers.Usage) {
	*u = b.c.usage()
	b.c.a.readMessage(b.kept)
	b.c.a.fill(u)
	b.c.requestModelIfNone(u)
}

// readMessage reads a whole Messages reply: byte-scanned, or decoded in
// full when the scan cannot.
func (a *acc) readMessage(buf []byte) {
	if !scanMessage(buf, a) {
		var msg wireMessage
		if json.Unmarshal(buf, &msg) == nil {
			a.message(&msg)
		}
	}
	a.hasFinal = a.hasUsage
}

// sseBody passes a server-sent-event stream through unchanged, reading
// each whole line of a copy as the caller reads.
type sseBody struct {
	src     io.ReadCloser
	c       *call
	partial []byte // the current line's bytes read so far
	event   []byte // the current event's name (event: line)
	ended   bool
}

func (b *sseBody) Read(p []byte) (int, error) {
	n, err := b.src.Read(p)
	if n > 0 && !b.ended {
		b.scan(p[:n])
	}
	if err != nil {
		if err == io.EOF && len(b.partial) > 0 && !b.ended {
			b.line(b.partial) // a last line without its newline
			b.partial = b.partial[:0]
		}
		b.c.streamEnded(err)
		b.ended = true
	}
	return n, err
}

func (b *sseBody) scan(p []byte) {
	for len(p) > 0 && !b.ended {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			b.partial = append(b.partial, p...)
			return
		}
		if len(b.partial) > 0 {
			b.partial = append(b.partial, p[:i]...)
			b.line(b.partial)
			b.partial = b.partial[:0]
		} else {
			b.line(p[:i])
		}
		p = p[i+1:]
	}
}

// line handles one line (without its newline).
func (b *sseBody) line(l []byte) {
	l = bytes.TrimSuffix(l, []byte{'\r'})
	if len(l) == 0 { // end of an event
		b.event = b.event[:0]
		return
	}
	if v, ok := bytes.CutPrefix(l, []byte("event:")); ok {
		b.event = append(b.event[:0], bytes.TrimSpace(v)...)
		return
	}
	data, ok := bytes.CutPrefix(l, []byte("data:"))
	if !ok {
		return
	}
	b.ended = b.c.streamEvent(b.event, bytes.TrimSpace(data))
}

func (b *sseBody) Close() error {
	b.ended = true
	b.c.done(nil)
	return b.src.Close()
}
