package langchaingo

import (
	"context"
	"net/http"

	drip "github.com/drip-sdk/drip-go"
	"github.com/drip-sdk/drip-go/providers"
	"github.com/drip-sdk/drip-go/providers/openaimeter"
)

// HTTPClient returns an HTTP client that meters OpenAI-compatible traffic
// (as drip.OpenAIHTTPClient does) in step with h, for langchaingo's
// openai.WithHTTPClient:
//
//	llm, _ := openai.New(openai.WithCallback(h), openai.WithHTTPClient(h.HTTPClient(nil)))
//
// The meter sees what callbacks cannot (the model that answered, errors,
// streamed usage) and reports to h: a request made inside an LLM call h is
// following is recorded into that call's run, and h's end callback for the
// call then records nothing, so each call is counted once. Requests made
// outside any langchaingo call (other code sharing the client) are recorded
// as drip.OpenAIHTTPClient records them: into the ctx's run, else as usage
// for the customer. base may be nil (a zero http.Client).
//
// A plain drip.OpenAIHTTPClient cannot coordinate with h this way: the
// callbacks cannot mark the request's ctx. Use this client, or WrapModel
// (which marks the ctx so that any HTTP meter below it skips the call).
func (h *CallbackHandler) HTTPClient(base *http.Client) *http.Client {
	return openaimeter.NewHTTPClient(base, httpReporter{h})
}

type httpReporter struct{ h *CallbackHandler }

// Report takes the HTTP meter's record of one request. The request was made
// with the ctx the LLM callbacks saw, so the pending call is found by it.
func (r httpReporter) Report(ctx context.Context, u providers.Usage) {
	h := r.h
	now := h.now()
	h.mu.Lock()
	e := h.lookup(ctx, now, false)
	var run *drip.Run
	if e != nil && len(e.llm) > 0 {
		e.llm = popFront(e.llm)
		// langchaingo's openai LLM calls the end callback on success only.
		if u.Err == nil && u.HTTPStatus < 400 {
			e.metered++
		}
	}
	run = target(ctx, e)
	if e != nil {
		h.release(ctx, e)
	}
	h.mu.Unlock()
	h.record(ctx, run, &u)
}
