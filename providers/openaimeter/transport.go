package openaimeter

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/drip-sdk/drip-go/internal/jsonscan"
	"github.com/drip-sdk/drip-go/providers"
)

// The HTTP route meters OpenAI-compatible calls made by any client that lets
// you set its HTTP client: go-openai (ClientConfig.HTTPClient), langchaingo
// (openai.WithHTTPClient), or hand-written code. It meters POST requests to
// …/chat/completions, …/completions, …/embeddings, …/responses,
// …/responses/compact, …/images/{generations,edits,variations} and
// …/audio/transcriptions (its model read from the multipart form) and
// …/decisions, and the
// retrievals and cancellations of background responses it saw start; every
// other request passes through untouched. Requests whose ctx is marked
// providers.MarkMetered (a decorator above already meters them) pass
// through untouched too.
//
// Bodies pass through as the caller reads them, and are kept only in
// bounds: a JSON response is teed into a bounded buffer; a stream's events
// are copied aside (16 KiB at most; past that they are metered as they
// pass). Usage is reported at EOF or Close, under req.Context(). A call
// that ended well and is not traced is handed to a
// providers.DeferredReporter (drip's UsageRecorder is one) with what it
// kept, to be read on the reporter's goroutine: the caller's call does not
// wait for the meter's parsing.
//
// Streaming without usage. OpenAI sends stream usage only when the request
// asks (stream_options.include_usage). By default the meter adds it to a
// streaming chat or completion request that lacks it (a rewritten copy of
// the body; the caller's request is not modified) and removes the
// usage-only final chunk from the stream, so the caller still sees no chunk
// with empty choices. What remains different: each other chunk then carries
// "usage":null, which every JSON decoder reads as absent. Servers that
// reject stream_options: use WithoutStreamUsageInjection, and stream usage
// is estimated from the streamed text (Usage.Estimated).

// Replies without usage. Some OpenAI-compatible servers send no usage
// object, or ignore stream_options. Such a call is still reported, with
// counts estimated and Usage.Estimated set: one token per 4 bytes (rounded
// up) of the request's text (message contents, prompt, input and
// instructions; a structured value counts its raw JSON length) and of the
// reply's text (message content, reasoning and refusal, streamed deltas,
// tool-call arguments, Responses output text).
//
// Azure OpenAI. Paths under /openai/deployments/{name}/ are metered like
// the others; the deployment is the request model when the body names
// none, WithDeployments maps deployment names to models, and the provider
// is ProviderAzureOpenAI.

// maxCapture bounds the JSON response kept for parsing; past it only the
// last tailCapture bytes are kept, where OpenAI puts "usage".
const (
	maxCapture  = 1 << 20
	tailCapture = 64 << 10
	maxErrBody  = 64 << 10
)

// NewTransport returns an http.RoundTripper that meters OpenAI-compatible
// calls through base (http.DefaultTransport when nil) into r.
func NewTransport(base http.RoundTripper, r providers.Reporter, opts ...Option) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base, m: newMeter(r, buildOptions(opts))}
}

// NewHTTPClient returns a copy of base (a zero http.Client when nil) whose
// transport meters OpenAI-compatible calls into r. It is an
// openai.HTTPDoer, for openai.ClientConfig.HTTPClient, and fits
// langchaingo's openai.WithHTTPClient.
func NewHTTPClient(base *http.Client, r providers.Reporter, opts ...Option) *http.Client {
	c := &http.Client{}
	if base != nil {
		*c = *base
	}
	c.Transport = NewTransport(c.Transport, r, opts...)
	return c
}

type transport struct {
	base http.RoundTripper
	m    *meter
}

// NewMiddleware returns the HTTP meter as a client middleware: a function
// that meters req and passes it on to next. Its type is the one
// github.com/openai/openai-go/v3/option.Middleware (and the other
// Stainless-generated SDKs' option.Middleware) names, so it fits
// option.WithMiddleware without this package importing those SDKs:
//
//	client := openai.NewClient(option.WithMiddleware(openaimeter.NewMiddleware(reporter)))
//
// It meters what NewTransport meters, each attempt the SDK makes (openai-go
// retries 408, 409, 429 and 5xx answers) as one call. It also marks the ctx
// of the request it passes on (providers.MarkMetered), so an HTTP meter
// below it — an http.Client from NewHTTPClient given to the same SDK —
// does not count the call again.
func NewMiddleware(r providers.Reporter, opts ...Option) func(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	m := newMeter(r, buildOptions(opts))
	return func(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
		return m.meterHTTP(req, next, true)
	}
}

// operation classifies a request path.
func operation(path string) string {
	switch {
	case strings.HasSuffix(path, "/chat/completions"):
		return providers.OpChat
	case strings.HasSuffix(path, "/completions"):
		return providers.OpTextCompletion
	case strings.HasSuffix(path, "/embeddings"):
		return providers.OpEmbeddings
	case strings.HasSuffix(path, "/responses"), strings.HasSuffix(path, "/responses/compact"):
		return providers.OpResponses
	case strings.HasSuffix(path, "/images/generations"), strings.HasSuffix(path, "/images/edits"),
		strings.HasSuffix(path, "/images/variations"):
		return providers.OpImage
	case strings.HasSuffix(path, "/audio/transcriptions"):
		return providers.OpTranscription
	case strings.HasSuffix(path, "/decisions"):
		return providers.OpDecision
	}
	return ""
}

// wireRequest is the text of a request body, measured (never kept) for an
// estimate when the reply brings no usage.
type wireRequest struct {
	Messages []struct {
		Content textLen `json:"content"`
	} `json:"messages"`
	Prompt       textLen `json:"prompt"`
	Input        textLen `json:"input"`
	Instructions textLen `json:"instructions"`
}

func (w *wireRequest) chars() int64 {
	n := int64(w.Prompt + w.Input + w.Instructions)
	for _, m := range w.Messages {
		n += int64(m.Content)
	}
	return n
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.m.meterHTTP(req, t.base.RoundTrip, false)
}

// meterHTTP meters one OpenAI-compatible HTTP call sent through next. mark
// says it runs as an SDK middleware: it marks the ctx passed on as metered
// (a transport is the bottom), and a refused call comes back as an SDK
// middleware's refusal (providers.Refuse).
func (m *meter) meterHTTP(req *http.Request, next func(*http.Request) (*http.Response, error), mark bool) (*http.Response, error) {
	ctx := req.Context()
	if providers.IsMetered(ctx) {
		return next(req)
	}
	if id := responsePoll(req.Method, req.URL.Path); id != "" {
		return m.pollHTTP(req, next, responseKey(id), mark)
	}
	if req.Method != http.MethodPost {
		return next(req)
	}
	op := operation(req.URL.Path)
	if op == "" {
		return next(req)
	}
	if err := m.admit(ctx); err != nil {
		return providers.Refuse(req, err, mark)
	}

	var head requestHead
	var newBody []byte
	body, _ := requestJSON(req)
	if op == providers.OpTranscription {
		head.model = formModel(req)
	}
	// A body that cannot ask for a stream is read when the call is
	// reported (meteredCall.readHead), with the reply: off the caller's
	// goroutine when the call is read later. A traced call names its model
	// when it starts.
	early := body != nil && (m.tracer != nil || mayStream(body))
	if early {
		head = scanRequest(body)
		if m.inject && head.stream && !head.includeUsage && (op == providers.OpChat || op == providers.OpTextCompletion) {
			if nb, err := withIncludeUsage(body, head.streamOptions); err == nil {
				body, newBody = nb, nb // nb may be body's array, changed
			}
		}
	}

	deployment := azureDeployment(req.URL.Path)
	// The call starts here; its state moves into the body of the reply,
	// allocated with it, once the reply's kind is known.
	var c call
	m.start(&c, ctx, op, m.requestModel(head.model, deployment), mark)
	if deployment != "" || isAzureHost(req.URL.Host) {
		c.u.Provider = m.azureProvider
		if c.span != nil {
			c.span.SetAttributes(attribute.String(attrProvider, m.azureProvider), attribute.String(attrSystem, m.azureProvider))
		}
	}
	out := req
	if c.span != nil || mark || newBody != nil {
		out = req.WithContext(c.ctx) // a copy of req, the one sent
	}
	if newBody != nil {
		setBody(out, newBody)
		// The original body is not sent; RoundTrip must still close it.
		req.Body.Close()
	}
	resp, err := next(out)
	if err != nil {
		if body != nil && !early {
			c.u.RequestModel = m.requestModel(scanRequest(body).model, deployment)
		}
		c.fail(err)
		m.end(ctx, &c, true)
		return resp, err
	}
	var mc *meteredCall
	switch {
	case resp.StatusCode < 200 || resp.StatusCode >= 400:
		eb := &errorBody{src: resp.Body, status: resp.StatusCode, statusText: resp.Status}
		resp.Body, mc = eb, &eb.mc
	case isEventStream(contentType(resp.Header)):
		c.u.Streamed = true
		sb := &sseBody{src: resp.Body, strip: newBody != nil}
		resp.Body, mc = sb, &sb.mc
	default:
		c.u.Streamed = head.stream
		jb := &jsonBody{src: resp.Body}
		if n := resp.ContentLength; n > 0 && n <= maxCapture {
			jb.buf = make([]byte, 0, n)
		}
		resp.Body, mc = jb, &jb.mc
	}
	mc.m, mc.ctx, mc.span, mc.head, mc.reqBody = m, ctx, c.span, headOf(&c.u), body
	if body != nil && !early {
		mc.deployment, mc.headUnread = deployment, true
	}
	return resp, nil
}

// mayStream says whether a request body may ask for a stream: whether it
// has the bytes stream" (looked for from the s, much rarer in JSON than
// the quote) after a quote.
func mayStream(body []byte) bool {
	for i := 1; i < len(body); {
		j := bytes.Index(body[i:], []byte(`stream"`))
		if j < 0 {
			return false
		}
		if i += j; body[i-1] == '"' {
			return true
		}
		i++
	}
	return false
}

// contentType is h's Content-Type, read with its canonical key (Header.Get
// canonicalizes the key on every call).
func contentType(h http.Header) string {
	if v := h["Content-Type"]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// requestJSON returns a copy of the JSON body of req through GetBody
// (go-openai and langchaingo bodies are in-memory, so GetBody is set), with
// room for withIncludeUsage to add its member in place. A body that cannot
// be re-read is not parsed: it is sent untouched and the call is metered
// from its response alone.
func requestJSON(req *http.Request) ([]byte, bool) {
	if req.GetBody == nil || req.Body == nil || req.Body == http.NoBody {
		return nil, false
	}
	if ct := mediaType(contentType(req.Header)); ct != "" && ct != "application/json" {
		return nil, false // multipart image edits: metered, not parsed
	}
	rc, err := req.GetBody()
	if err != nil {
		return nil, false
	}
	defer rc.Close()
	if n := req.ContentLength; n > 0 && n <= maxCapture {
		b := make([]byte, n, int(n)+len(includeUsageFirst))
		if _, err := io.ReadFull(rc, b); err != nil {
			return nil, false
		}
		return b, true
	}
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, false
	}
	return b, true
}

// maxFormModel bounds the model name read from a form.
const maxFormModel = 256

// formModel reads the model field of a multipart form request (a
// transcription's) through GetBody: the SDKs put the audio file first, so
// the file is read through, in small pieces, and never kept. A form that
// cannot be re-read names no model; the call is metered all the same.
func formModel(req *http.Request) string {
	if req.GetBody == nil {
		return ""
	}
	mt, params, err := mime.ParseMediaType(contentType(req.Header))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return ""
	}
	rc, err := req.GetBody()
	if err != nil {
		return ""
	}
	defer rc.Close()
	form := multipart.NewReader(rc, params["boundary"])
	for {
		part, err := form.NextPart()
		if err != nil {
			return ""
		}
		if part.FormName() == "model" {
			b, _ := io.ReadAll(io.LimitReader(part, maxFormModel))
			return strings.TrimSpace(string(b))
		}
	}
}

// The stream_options member withIncludeUsage adds, before other members
// or alone.
const (
	includeUsageFirst = `"stream_options":{"include_usage":true},`
	includeUsageOnly  = `"stream_options":{"include_usage":true}`
)

// withIncludeUsage sets stream_options.include_usage=true in a JSON object,
// keeping every other field. A body without stream_options (hasOptions
// false) gets the member spliced in after its opening brace, in body's
// array when it has room.
func withIncludeUsage(body []byte, hasOptions bool) ([]byte, error) {
	if i := jsonscan.SkipSpace(body, 0); !hasOptions && i < len(body) && body[i] == '{' {
		member := includeUsageFirst
		if j := jsonscan.SkipSpace(body, i+1); j < len(body) && body[j] == '}' {
			member = includeUsageOnly
		}
		return slices.Insert(body, i+1, []byte(member)...), nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, err
	}
	so := map[string]json.RawMessage{}
	if raw, ok := top["stream_options"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &so); err != nil {
			return nil, err
		}
	}
	so["include_usage"] = json.RawMessage("true")
	raw, err := json.Marshal(so)
	if err != nil {
		return nil, err
	}
	top["stream_options"] = raw
	return json.Marshal(top)
}

// setBody makes body the body of r, a copy of the caller's request.
func setBody(r *http.Request, body []byte) {
	r.Body = newSentBody(body)
	r.ContentLength = int64(len(body))
	r.GetBody = func() (io.ReadCloser, error) { return newSentBody(body), nil }
}

// sentBody is a request body the meter sends in place of the caller's.
type sentBody struct{ bytes.Reader }

func newSentBody(b []byte) *sentBody {
	s := new(sentBody)
	s.Reset(b)
	return s
}

func (*sentBody) Close() error { return nil }

func isEventStream(ct string) bool { return mediaType(ct) == "text/event-stream" }

// mediaType is the media type of a Content-Type value, lower case, without
// parameters (mime.ParseMediaType without its allocations: the meter asks
// twice per call).
func mediaType(ct string) string {
	if ct == "application/json" || ct == "text/event-stream" { // as the SDKs and OpenAI send them
		return ct
	}
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(mt)
	for i := 0; i < len(mt); i++ {
		if 'A' <= mt[i] && mt[i] <= 'Z' {
			return strings.ToLower(mt)
		}
	}
	return mt
}

// meteredCall is one HTTP call whose response body is being read; the
// body holds it.
type meteredCall struct {
	once    sync.Once
	m       *meter
	ctx     context.Context
	span    trace.Span // nil when tracing is off
	head    callHead
	reqBody []byte // the request body, measured only for an estimate
	poll    string // the pending key of the background response polled
	// headUnread says the request body is read when the call is reported
	// (readHead), for its model; deployment is its Azure deployment.
	headUnread bool
	deployment string
	// reported is set once the call is reported: a stream meters nothing
	// after it, since a deferred reader may be reading a.
	reported atomic.Bool
}

// callHead is what a call's usage says before its reply is read. A body
// keeps it instead of a whole providers.Usage, most of which the reply
// fills, so that what every metered call allocates stays small.
type callHead struct {
	provider, op, requestModel string
	start                      time.Time
	duration                   time.Duration // set when the call is handed over
	streamed                   bool
}

func headOf(u *providers.Usage) callHead {
	return callHead{provider: u.Provider, op: u.Operation, requestModel: u.RequestModel, start: u.Start, streamed: u.Streamed}
}

// usage is the call's usage as its head says it.
func (mc *meteredCall) usage() providers.Usage {
	h := &mc.head
	return providers.Usage{Provider: h.provider, Operation: h.op, RequestModel: h.requestModel,
		Start: h.start, Duration: h.duration, Streamed: h.streamed}
}

// end ends the call (its duration, its span) with u, and reports u when
// report is set.
func (mc *meteredCall) end(u *providers.Usage, report bool) {
	c := call{span: mc.span, u: *u}
	mc.m.end(mc.ctx, &c, report)
}

// handOver reports a call that ended well for its Reporter to complete
// later with c (providers.ReportDeferred).
func (mc *meteredCall) handOver(c providers.Completer) {
	mc.head.duration = mc.m.since(mc.head.start)
	providers.ReportDeferred(mc.ctx, mc.m.r, c)
}

// Background responses. A Responses API call made with "background": true
// answers at once, queued, without usage; the usage comes with a later
// retrieval (GET …/responses/{id}) or cancellation (POST
// …/responses/{id}/cancel) that finds it finished. The HTTP meter remembers
// the responses it saw start (Pending) and reports each once, from the
// first such reply; polls of responses it did not see start pass through.

// responsePoll returns the id a retrieval or cancellation of a response
// names ("" for any other request).
func responsePoll(method, path string) string {
	_, rest, ok := strings.Cut(path, "/responses/")
	if !ok {
		return ""
	}
	id, action, _ := strings.Cut(rest, "/")
	switch {
	case id == "" || id == "compact":
		return ""
	case method == http.MethodGet && action == "", method == http.MethodPost && action == "cancel":
		return id
	}
	return ""
}

// pollHTTP meters a retrieval or cancellation of the background response
// key names, if it is pending.
func (m *meter) pollHTTP(req *http.Request, next func(*http.Request) (*http.Response, error), key string, mark bool) (*http.Response, error) {
	ctx := req.Context()
	if !m.pending.has(key) {
		return next(req)
	}
	cl := m.begin(ctx, providers.OpResponses, "", mark)
	out := req
	if cl.span != nil || mark {
		out = req.WithContext(cl.ctx)
	}
	resp, err := next(out)
	if err != nil { // the response is still pending: a later poll reports it
		m.end(ctx, &cl, false)
		return resp, err
	}
	jb := &jsonBody{src: resp.Body}
	jb.mc.m, jb.mc.ctx, jb.mc.span, jb.mc.head, jb.mc.poll = m, ctx, cl.span, headOf(&cl.u), key
	resp.Body = jb
	return resp, nil
}

// background settles a Responses API body that starts or polls a
// background response; it reports whether the call is settled (and so
// must not be reported as it stands): a start is remembered, a poll is
// reported only when it finds the response finished, once.
func (mc *meteredCall) background(ev *wireEvent, a *acc) (settled bool) {
	if ev.Object != "response" {
		return mc.poll != "" // a poll answered with an error: still pending
	}
	u := mc.usage()
	if mc.poll == "" {
		if a.hasUsage || (ev.Status != "queued" && ev.Status != "in_progress") {
			return false
		}
		mc.m.pending.add(responseKey(ev.ID))
		u.Model, u.ResponseID = ev.Model, ev.ID
		mc.end(&u, false)
		return true
	}
	if !a.hasUsage && !responseFinished(openai.ResponseStatus(ev.Status)) || !mc.m.pending.take(mc.poll) {
		mc.end(&u, false)
		return true
	}
	if !a.hasUsage { // finished without usage (failed early): nothing used
		a.setUsage(tokens{})
	}
	mc.head.requestModel = ev.Model
	return false
}

// readHead reads the request's model into u if the request body was left
// to be read when the call is reported.
func (mc *meteredCall) readHead(u *providers.Usage) {
	if mc.headUnread {
		u.RequestModel = mc.m.requestModel(scanRequest(mc.reqBody).model, mc.deployment)
	}
}

// fill copies what the responses said, read into a, into u, the call's
// usage, with the response model mapped like the request model
// (WithDeployments).
func (mc *meteredCall) fill(u *providers.Usage, a *acc) {
	mc.readHead(u)
	var inChars int64
	if !a.hasUsage && mc.reqBody != nil {
		var wr wireRequest
		if json.Unmarshal(mc.reqBody, &wr) == nil {
			inChars = wr.chars()
		}
	}
	a.fill(u, inChars)
	u.Model = mc.m.model(u.Model)
}

// Reading later. A call that ended well and is not traced is handed to the
// Reporter with what is left to read of it (providers.ReportDeferred): the
// tracker reads it on its own goroutine, so the caller's call returns
// without the reply's parsing and the event's building. Such a call's
// buffers are the reader's from then on: the body meters nothing more.
// maxDeferred bounds what one such call keeps alive while it waits (its
// request and reply bytes); a larger one is read at once.
const maxDeferred = 32 << 10

// deferrable says whether the call, ended well, can be read later.
func (mc *meteredCall) deferrable(kept int) bool {
	return mc.span == nil && kept+len(mc.reqBody) <= maxDeferred
}

// jsonBody tees a JSON response into a bounded buffer and reports its usage
// at EOF or Close.
type jsonBody struct {
	src  io.ReadCloser
	mc   meteredCall
	buf  []byte // the reply; once the call is reported, only Complete reads it
	head []byte // first bytes, kept once buf overflows
	over bool
}

func (b *jsonBody) Read(p []byte) (int, error) {
	n, err := b.src.Read(p)
	b.keep(p[:n])
	if err == io.EOF {
		b.done(nil)
	} else if err != nil {
		b.done(err)
	}
	return n, err
}

func (b *jsonBody) keep(p []byte) {
	if len(p) == 0 || b.mc.reported.Load() {
		return
	}
	if !b.over && len(b.buf)+len(p) <= maxCapture {
		b.buf = append(b.buf, p...)
		return
	}
	if !b.over {
		b.over = true
		b.head = append([]byte(nil), b.buf[:min(len(b.buf), 4096)]...)
	}
	b.buf = append(b.buf, p...)
	if len(b.buf) > 2*tailCapture {
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-tailCapture:]...)
	}
}

func (b *jsonBody) Close() error {
	b.done(nil)
	return b.src.Close()
}

func (b *jsonBody) done(readErr error) {
	mc := &b.mc
	mc.once.Do(func() {
		mc.reported.Store(true)
		// Responses bodies may start or poll a background response, which
		// is settled here and now (background).
		responses := mc.poll != "" || mc.head.op == providers.OpResponses
		if readErr == nil && !responses && !b.over && mc.deferrable(len(b.buf)) {
			mc.handOver(b)
			return
		}
		var ev wireEvent
		var a acc
		b.read(b.buf, &ev, &a)
		if responses && readErr == nil && mc.background(&ev, &a) {
			return
		}
		u := mc.usage()
		mc.fill(&u, &a)
		if readErr != nil {
			describeError(readErr, &u)
		}
		mc.end(&u, true)
	})
}

// Complete reads the reply handed over with the call into u (its
// Reporter calls it, later: providers.Completer).
func (b *jsonBody) Complete(u *providers.Usage) {
	*u = b.mc.usage()
	var ev wireEvent
	var a acc
	b.read(b.buf, &ev, &a)
	b.mc.fill(u, &a)
}

// read reads buf, the reply kept, into a: byte-scanned when it is a plain
// reply, else decoded in full into ev.
func (b *jsonBody) read(buf []byte, ev *wireEvent, a *acc) {
	switch op := b.mc.head.op; {
	case b.over:
		partialUsage(a, b.head, buf)
	case (op == providers.OpChat || op == providers.OpTextCompletion || op == providers.OpEmbeddings) &&
		plainReply(buf, a):
	case json.Unmarshal(buf, ev) == nil:
		a.wire(ev)
	case op == providers.OpTranscription:
		// response_format text, srt or vtt: the transcript, no usage.
		a.outChars = int64(len(buf))
	}
}

// partialUsage reads usage and model from the tail (and head) of a body too
// large to keep whole, such as many embeddings or base64 images.
func partialUsage(a *acc, head, tail []byte) {
	if i := bytes.LastIndex(tail, []byte(`"usage"`)); i >= 0 {
		rest := tail[i+len(`"usage"`):]
		if j := bytes.IndexByte(rest, ':'); j >= 0 {
			var u wireUsage
			if json.NewDecoder(bytes.NewReader(rest[j+1:])).Decode(&u) == nil {
				a.setUsage(u.tokens())
			}
		}
	}
	for _, part := range [...][]byte{head, tail} {
		if i := bytes.Index(part, []byte(`"model"`)); i >= 0 {
			rest := part[i+len(`"model"`):]
			if j := bytes.IndexByte(rest, ':'); j >= 0 {
				var model string
				if json.NewDecoder(bytes.NewReader(rest[j+1:])).Decode(&model) == nil {
					a.meta("", model)
				}
			}
		}
	}
}

// errorBody keeps an error response (bounded) and reports it, described
// like go-openai describes it, at EOF or Close.
type errorBody struct {
	src        io.ReadCloser
	mc         meteredCall
	buf        []byte
	status     int
	statusText string
}

func (b *errorBody) Read(p []byte) (int, error) {
	n, err := b.src.Read(p)
	if room := maxErrBody - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(n, room)]...)
	}
	if err != nil {
		b.done()
	}
	return n, err
}

func (b *errorBody) Close() error {
	b.done()
	return b.src.Close()
}

func (b *errorBody) done() {
	mc := &b.mc
	mc.once.Do(func() {
		c := call{span: mc.span, u: mc.usage()}
		mc.readHead(&c.u)
		c.fail(httpError(b.status, b.statusText, b.buf))
		mc.m.end(mc.ctx, &c, true)
	})
}

// httpError builds the error go-openai returns for such a response.
func httpError(status int, statusText string, body []byte) error {
	var er struct {
		Error *wireError `json:"error"`
	}
	if json.Unmarshal(body, &er) == nil && er.Error != nil {
		return &openai.APIError{
			Code: er.Error.code(), Message: er.Error.Message, Type: er.Error.Type,
			HTTPStatus: statusText, HTTPStatusCode: status,
		}
	}
	return &openai.RequestError{HTTPStatus: statusText, HTTPStatusCode: status, Err: errors.New("non-JSON error body")}
}

// sseBody meters a server-sent-event stream as the caller reads it. Each
// Read reads upstream into the caller's p, as the body would, and meters
// the whole lines in it there; a line's start without its end is held back
// (carry) until the rest arrives, so every line is metered, and hidden
// when it must be, whole. Every byte passes through except, when the meter
// asked for usage itself, the usage-only chunk, its blank separator line,
// and the "usage":null member OpenAI then adds to every chunk.
type sseBody struct {
	src     io.ReadCloser
	mc      meteredCall
	strip   bool
	carry   []byte // the start of a line whose end has not arrived
	spare   []byte // carry's other buffer, for a line longer than p
	out     []byte // metered bytes of a long line not yet returned
	err     error  // the upstream read error, returned once out is empty
	dropSep bool   // drop the blank line after a stripped event
	// pending holds the payloads of the events not metered yet: they are
	// metered when the call is reported, read later with it
	// (providers.ReportDeferred), so reading the stream costs the caller
	// a copy of what each event does not share with the first at its
	// start and end (payloads). Past maxPending they are metered at once.
	// Once the call is reported, the body adds nothing more to it.
	pending payloads
	evErr   error // an error event's, metered before pending
	a       *acc  // what the events metered said; made by meterAll
}

// maxPending bounds sseBody.pending.
const maxPending = 16 << 10

func (b *sseBody) Read(p []byte) (int, error) {
	for {
		if len(b.out) > 0 {
			n := copy(p, b.out)
			b.out = b.out[n:]
			return n, nil
		}
		if b.err != nil {
			return 0, b.err
		}
		if len(p) == 0 {
			return 0, nil
		}
		if len(b.carry) >= len(p) {
			b.readLong()
			continue
		}
		c := copy(p, b.carry)
		n, err := b.src.Read(p[c:])
		kept, rest := b.meter(p[:c+n], err != nil)
		b.carry = append(b.carry[:0], rest...)
		b.ended(err)
		if len(kept) > 0 {
			return len(kept), nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// readLong reads on while the line carried is longer than the caller's
// buffer: the line grows in carry, and once it ends what the caller reads
// of it waits in out.
func (b *sseBody) readLong() {
	b.carry = slices.Grow(b.carry, 4096)
	n, err := b.src.Read(b.carry[len(b.carry):cap(b.carry)])
	data := b.carry[:len(b.carry)+n]
	kept, rest := b.meter(data, err != nil)
	if len(kept) == 0 && len(rest) == len(data) { // still no line end
		b.carry = data
	} else { // out keeps carry's array until it is read; the tail moves to spare
		b.out = kept
		b.spare = append(b.spare[:0], rest...)
		b.carry, b.spare = b.spare, b.carry[:0]
	}
	b.ended(err)
}

// ended records the upstream's read error, if any, and reports the call.
func (b *sseBody) ended(err error) {
	if err == nil {
		return
	}
	b.err = err
	if err == io.EOF {
		b.finish(nil)
	} else {
		b.finish(err)
	}
}

// finish reports the call once; err is a read error of the body (nil at
// EOF/Close) or an error event of the stream.
func (b *sseBody) finish(err error) {
	mc := &b.mc
	mc.once.Do(func() {
		mc.reported.Store(true)
		if err == nil && mc.deferrable(b.pending.size) {
			mc.handOver(b)
			return
		}
		if evErr := b.meterAll(); err == nil {
			err = evErr
		}
		u := mc.usage()
		mc.fill(&u, b.a)
		if err != nil {
			describeError(err, &u)
		}
		mc.end(&u, true)
	})
}

// Complete meters the events handed over with the call into u (its
// Reporter calls it, later: providers.Completer).
func (b *sseBody) Complete(u *providers.Usage) {
	*u = b.mc.usage()
	evErr := b.meterAll()
	b.mc.fill(u, b.a)
	if evErr != nil {
		describeError(evErr, u)
	}
}

// meter meters the whole lines of data in place and returns what the
// caller reads of them, compacted at the start of data, and the start of
// a line whose end has not arrived (none when last: the upstream ended).
func (b *sseBody) meter(data []byte, last bool) (kept, rest []byte) {
	w, r := 0, 0
	for r < len(data) {
		i := bytes.IndexByte(data[r:], '\n')
		if i < 0 {
			if !last {
				return data[:w], data[r:]
			}
			i = len(data) - r - 1 // a last line without its newline
		}
		line := data[r : r+i+1]
		r += i + 1
		w += copy(data[w:], b.hide(line))
	}
	return data[:w], nil
}

// hide meters one line (with its newline) and returns what the caller
// reads of it: nothing for a line hidden, the line otherwise, less the
// "usage":null the meter's own request for usage added.
//
// Events wait in pending, metered when the call is reported. One carrying
// usage is also looked at as it passes, for what must be decided then: the
// call is complete, and the event is hidden when it carries nothing else
// and the meter asked for it.
func (b *sseBody) hide(line []byte) []byte {
	l := bytes.TrimSpace(line)
	if len(l) == 0 {
		if b.dropSep {
			b.dropSep = false
			return nil
		}
		return line
	}
	b.dropSep = false
	payload, ok := bytes.CutPrefix(l, []byte("data:"))
	if !ok {
		return line
	}
	if b.mc.reported.Load() { // nothing more to meter: pass it through
		return b.pass(line, false)
	}
	payload = bytes.TrimSpace(payload)
	if string(payload) == "[DONE]" {
		b.finish(nil)
		return line
	}
	var usage, usageOnly bool
	// An event has one usage member: "usage":null says there is no other.
	if !(b.strip && nullUsageAt(payload) >= 0) && hasUsageObject(payload) {
		if empty, ok := emptyChoices(payload); ok {
			// OpenAI's usage chunk: "choices":[] and no event type.
			usage, usageOnly = true, empty && !bytes.Contains(payload, []byte(`"type"`))
		} else { // another shape: read it, on its own
			var probe acc
			usage, usageOnly, _ = meterEvent(payload, &probe)
		}
	}
	b.later(payload)
	if usage {
		b.finish(nil)
	}
	return b.pass(line, usageOnly)
}

// pass returns what the caller reads of a line the meter has seen.
func (b *sseBody) pass(line []byte, usageOnly bool) []byte {
	if !b.strip {
		return line
	}
	if usageOnly {
		b.dropSep = true
		return nil
	}
	return withoutNullUsage(line)
}

// later keeps an event's payload to meter when the call is reported.
func (b *sseBody) later(payload []byte) {
	if b.pending.size+len(payload) >= maxPending {
		b.evErr = cmp.Or(b.evErr, b.meterAll())
		b.pending.reset()
	}
	b.pending.add(payload)
}

// meterAll meters the payloads kept by later, in order, and returns the
// error the first error event stands for (or one metered before).
func (b *sseBody) meterAll() error {
	if b.a == nil {
		b.a = new(acc)
	}
	err := b.evErr
	b.pending.each(func(payload []byte) {
		if _, _, e := meterEvent(payload, b.a); e != nil && err == nil {
			err = e
		}
	})
	return err
}

// meterEvent meters one event's payload into a. usage says it carried
// usage; usageOnly that it carried nothing else (the chunk include_usage
// adds); err is the error an error event in a 200 stream stands for (as
// go-openai returns it: an *APIError).
func meterEvent(payload []byte, a *acc) (usage, usageOnly bool, err error) {
	usage, usageOnly, ok := scanChunk(payload, a)
	if ok {
		return usage && a.hasUsage, usageOnly, nil
	}
	var ev wireEvent
	if json.Unmarshal(payload, &ev) != nil {
		return false, false, nil
	}
	if e := ev.Error; e != nil && ev.Type == "" {
		return false, false, &openai.APIError{Code: e.code(), Message: e.Message, Type: e.Type}
	}
	usageOnly = a.wire(&ev)
	usage = ev.Usage != nil || ev.Response != nil && ev.Response.Usage != nil
	return usage && a.hasUsage, usageOnly, nil
}

// emptyChoices says whether an event's "choices" member is an empty
// array; ok is false when it has no such member holding an array.
func emptyChoices(payload []byte) (empty, ok bool) {
	i := bytes.Index(payload, []byte(`"choices"`))
	if i < 0 {
		return false, false
	}
	j := jsonscan.SkipSpace(payload, i+len(`"choices"`))
	if j >= len(payload) || payload[j] != ':' {
		return false, false
	}
	j = jsonscan.SkipSpace(payload, j+1)
	if j >= len(payload) || payload[j] != '[' {
		return false, false
	}
	j = jsonscan.SkipSpace(payload, j+1)
	return j < len(payload) && payload[j] == ']', true
}

// hasUsageObject says whether an event's JSON has a "usage" member whose
// value is an object (OpenAI's usage, not the "usage":null it adds to
// every other chunk). The '"' after usage ends a string, so the bytes
// "usage" then ':' are that member's name or the end of another name; a
// false match only costs the event a second read.
func hasUsageObject(payload []byte) bool {
	const name = `"usage"`
	for {
		i := bytes.Index(payload, []byte(name))
		if i < 0 {
			return false
		}
		payload = payload[i+len(name):]
		j := jsonscan.SkipSpace(payload, 0)
		if j < len(payload) && payload[j] == ':' {
			if k := jsonscan.SkipSpace(payload, j+1); k < len(payload) && payload[k] == '{' {
				return true
			}
		}
	}
}

// withoutNullUsage removes the "usage":null member OpenAI adds to every
// chunk of a stream asked for usage, so a caller that did not ask reads
// the chunks it would have read. A '"' outside a JSON string cannot be
// escaped, so the bytes `,"usage":null` followed by ',' or '}' are that
// member; a chunk spelled otherwise is left as it is.
func withoutNullUsage(line []byte) []byte {
	i := nullUsageAt(line)
	if i < 0 {
		return line
	}
	return append(line[:i], line[i+len(nullUsage):]...)
}

const nullUsage = `,"usage":null`

// nullUsageAt returns where the "usage":null member starts in line, or -1.
// OpenAI puts it last, so the end of the object is looked at first;
// elsewhere it is looked for from its u, much rarer in JSON than a quote.
func nullUsageAt(line []byte) int {
	end := len(line)
	for end > 0 && (line[end-1] == '\n' || line[end-1] == '\r' || line[end-1] == ' ' || line[end-1] == '\t') {
		end--
	}
	if i := end - 1 - len(nullUsage); i >= 0 && line[end-1] == '}' && string(line[i:end-1]) == nullUsage {
		return i
	}
	tail := nullUsage[2:] // usage":null
	for from := 2; from < len(line); {
		j := bytes.Index(line[from:], []byte(tail))
		if j < 0 {
			return -1
		}
		i := from + j - 2
		if k := from + j + len(tail); string(line[i:i+2]) == nullUsage[:2] && k < len(line) && (line[k] == ',' || line[k] == '}') {
			return i
		}
		from += j + 1
	}
	return -1
}

func (b *sseBody) Close() error {
	b.finish(nil)
	return b.src.Close()
}
