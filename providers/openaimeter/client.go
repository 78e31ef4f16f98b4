package openaimeter

import (
	"context"

	"github.com/sashabaranov/go-openai"

	"github.com/drip-sdk/drip-go/providers"
)

// Client is a *openai.Client whose billable calls report their usage. It
// embeds the original, so every go-openai method is available; the methods
// whose responses carry usage are overridden and report exactly one
// providers.Usage per call (asynchronous calls: once, when they finish). The
// streaming methods return this package's stream types, which have the same
// methods as go-openai's.
//
// Each overridden call marks its ctx with providers.MarkMetered before
// calling the embedded client, so an HTTP-level meter (NewTransport) under
// the same client skips it. Errors are returned unchanged.
type Client struct {
	*openai.Client

	m *meter
}

// Wrap returns c metered into r. A nil r discards usage.
func Wrap(c *openai.Client, r providers.Reporter, opts ...Option) *Client {
	return &Client{Client: c, m: newMeter(r, buildOptions(opts))}
}

// Unwrap returns the embedded go-openai client.
func (c *Client) Unwrap() *openai.Client { return c.Client }

// Pending is the set of unfinished asynchronous calls this Client watches.
func (c *Client) Pending() *Pending { return c.m.pending }

// done ends a synchronous call and reports it: the error usage when err is
// set, else the usage already filled in.
func (c *Client) done(ctx context.Context, cl *call, err error) {
	if err != nil {
		cl.fail(err)
	}
	c.m.end(ctx, cl, true)
}

// CreateChatCompletion calls the embedded client and reports its usage.
func (c *Client) CreateChatCompletion(
	ctx context.Context, request openai.ChatCompletionRequest,
) (openai.ChatCompletionResponse, error) {
	if err := c.m.admit(ctx); err != nil {
		return openai.ChatCompletionResponse{}, err
	}
	cl := c.m.begin(ctx, providers.OpChat, request.Model, true)
	resp, err := c.Client.CreateChatCompletion(cl.ctx, request)
	if err == nil {
		var a acc
		a.meta(resp.ID, resp.Model)
		a.setTier(string(resp.ServiceTier))
		a.setUsage(chatTokens(&resp.Usage))
		for i := range resp.Choices {
			a.chatMessage(&resp.Choices[i].Message)
		}
		a.fill(&cl.u, 0)
	}
	c.done(ctx, &cl, err)
	return resp, err
}

// CreateCompletion calls the embedded client and reports its usage.
func (c *Client) CreateCompletion(
	ctx context.Context, request openai.CompletionRequest,
) (openai.CompletionResponse, error) {
	if err := c.m.admit(ctx); err != nil {
		return openai.CompletionResponse{}, err
	}
	cl := c.m.begin(ctx, providers.OpTextCompletion, request.Model, true)
	resp, err := c.Client.CreateCompletion(cl.ctx, request)
	if err == nil {
		cl.u.Model, cl.u.ResponseID = resp.Model, resp.ID
		if resp.Usage != nil {
			chatTokens(resp.Usage).apply(&cl.u)
		} else { // a server that omits usage: say so rather than report zero
			var a acc
			for i := range resp.Choices {
				a.outChars += int64(len(resp.Choices[i].Text))
			}
			a.fill(&cl.u, promptChars(request.Prompt))
		}
	}
	c.done(ctx, &cl, err)
	return resp, err
}

// Edits calls the embedded client (a deprecated endpoint) and reports its
// usage.
//
//nolint:staticcheck // overriding the deprecated method keeps it metered.
func (c *Client) Edits(ctx context.Context, request openai.EditsRequest) (openai.EditsResponse, error) {
	model := ""
	if request.Model != nil {
		model = *request.Model
	}
	if err := c.m.admit(ctx); err != nil {
		return openai.EditsResponse{}, err
	}
	cl := c.m.begin(ctx, providers.OpChat, model, true)
	resp, err := c.Client.Edits(cl.ctx, request) //nolint:staticcheck
	if err == nil {
		chatTokens(&resp.Usage).apply(&cl.u)
	}
	c.done(ctx, &cl, err)
	return resp, err
}

// CreateEmbeddings calls the embedded client and reports its usage.
func (c *Client) CreateEmbeddings(
	ctx context.Context, conv openai.EmbeddingRequestConverter,
) (openai.EmbeddingResponse, error) {
	model := ""
	if conv != nil {
		model = string(conv.Convert().Model)
	}
	if err := c.m.admit(ctx); err != nil {
		return openai.EmbeddingResponse{}, err
	}
	cl := c.m.begin(ctx, providers.OpEmbeddings, model, true)
	resp, err := c.Client.CreateEmbeddings(cl.ctx, conv)
	if err == nil {
		cl.u.Model = string(resp.Model)
		chatTokens(&resp.Usage).apply(&cl.u)
	}
	c.done(ctx, &cl, err)
	return resp, err
}

// CreateImage calls the embedded client and reports its images and, for
// token-billed image models, its tokens.
func (c *Client) CreateImage(ctx context.Context, request openai.ImageRequest) (openai.ImageResponse, error) {
	if err := c.m.admit(ctx); err != nil {
		return openai.ImageResponse{}, err
	}
	cl := c.m.begin(ctx, providers.OpImage, request.Model, true)
	resp, err := c.Client.CreateImage(cl.ctx, request)
	c.image(ctx, &cl, &resp, err)
	return resp, err
}

// CreateEditImage calls the embedded client and reports like CreateImage.
func (c *Client) CreateEditImage(
	ctx context.Context, request openai.ImageEditRequest,
) (openai.ImageResponse, error) {
	if err := c.m.admit(ctx); err != nil {
		return openai.ImageResponse{}, err
	}
	cl := c.m.begin(ctx, providers.OpImage, request.Model, true)
	resp, err := c.Client.CreateEditImage(cl.ctx, request)
	c.image(ctx, &cl, &resp, err)
	return resp, err
}

// CreateVariImage calls the embedded client and reports like CreateImage.
func (c *Client) CreateVariImage(
	ctx context.Context, request openai.ImageVariRequest,
) (openai.ImageResponse, error) {
	if err := c.m.admit(ctx); err != nil {
		return openai.ImageResponse{}, err
	}
	cl := c.m.begin(ctx, providers.OpImage, request.Model, true)
	resp, err := c.Client.CreateVariImage(cl.ctx, request)
	c.image(ctx, &cl, &resp, err)
	return resp, err
}

func (c *Client) image(ctx context.Context, cl *call, resp *openai.ImageResponse, err error) {
	if err == nil {
		// The images API names no model in its response.
		cl.u.Model = cl.u.RequestModel
		imageTokens(&resp.Usage).apply(&cl.u)
		cl.u.Images = int64(len(resp.Data))
	}
	c.done(ctx, cl, err)
}

// CreateResponse calls the embedded client and reports its usage; a
// background response is reported when a later RetrieveResponse,
// GetResponse or CancelResponse sees it finished.
func (c *Client) CreateResponse(
	ctx context.Context, request openai.CreateResponseRequest,
) (openai.CreateResponseResponse, error) {
	if err := c.m.admit(ctx); err != nil {
		return openai.CreateResponseResponse{}, err
	}
	cl := c.m.begin(ctx, providers.OpResponses, request.Model, true)
	resp, err := c.Client.CreateResponse(cl.ctx, request)
	if err != nil {
		c.done(ctx, &cl, err)
		return resp, err
	}
	if resp.Usage == nil && !responseFinished(resp.Status) {
		c.m.pending.add(responseKey(resp.ID))
		cl.u.Model, cl.u.ResponseID = resp.Model, resp.ID
		c.m.end(ctx, &cl, false)
		return resp, nil
	}
	c.responseUsage(&cl, &resp)
	c.m.end(ctx, &cl, true)
	return resp, nil
}

// CompactResponse calls the embedded client and reports its usage.
func (c *Client) CompactResponse(
	ctx context.Context, request openai.CompactResponseRequest,
) (openai.ResponseCompaction, error) {
	if err := c.m.admit(ctx); err != nil {
		return openai.ResponseCompaction{}, err
	}
	cl := c.m.begin(ctx, providers.OpResponses, request.Model, true)
	resp, err := c.Client.CompactResponse(cl.ctx, request)
	if err == nil {
		cl.u.ResponseID = resp.ID
		if resp.Usage != nil {
			responseTokens(resp.Usage).apply(&cl.u)
		}
	}
	c.done(ctx, &cl, err)
	return resp, err
}

// RetrieveResponse calls the embedded client; it reports usage only for a
// background response this Client created that has now finished.
func (c *Client) RetrieveResponse(
	ctx context.Context, responseID string, options ...openai.RetrieveResponseOptions,
) (openai.CreateResponseResponse, error) {
	cl := c.m.begin(ctx, providers.OpResponses, "", true)
	resp, err := c.Client.RetrieveResponse(cl.ctx, responseID, options...)
	c.pollResponse(ctx, &cl, &resp, err)
	return resp, err
}

// GetResponse is RetrieveResponse (go-openai's alias).
func (c *Client) GetResponse(
	ctx context.Context, responseID string, options ...openai.RetrieveResponseOptions,
) (openai.CreateResponseResponse, error) {
	return c.RetrieveResponse(ctx, responseID, options...)
}

// CancelResponse calls the embedded client; a cancelled background response
// this Client created is reported with what it used.
func (c *Client) CancelResponse(ctx context.Context, responseID string) (openai.CreateResponseResponse, error) {
	cl := c.m.begin(ctx, providers.OpResponses, "", true)
	resp, err := c.Client.CancelResponse(cl.ctx, responseID)
	c.pollResponse(ctx, &cl, &resp, err)
	return resp, err
}

// pollResponse reports a background response exactly once: when it is seen
// finished and was pending. Errors of the poll itself are reported (they are
// API errors the caller gets), but only polls of pending responses.
func (c *Client) pollResponse(ctx context.Context, cl *call, resp *openai.CreateResponseResponse, err error) {
	switch {
	case err != nil:
		cl.fail(err)
		c.m.end(ctx, cl, true)
	case (resp.Usage != nil || responseFinished(resp.Status)) && c.m.pending.take(responseKey(resp.ID)):
		cl.u.RequestModel = resp.Model
		c.responseUsage(cl, resp)
		c.m.end(ctx, cl, true)
	default:
		cl.u.Model, cl.u.ResponseID = resp.Model, resp.ID
		c.m.end(ctx, cl, false)
	}
}

func (c *Client) responseUsage(cl *call, resp *openai.CreateResponseResponse) {
	var a acc
	a.response(resp)
	if !a.hasUsage { // finished without usage (failed early): nothing used
		a.setUsage(tokens{})
	}
	a.fill(&cl.u, 0)
}

func responseFinished(s openai.ResponseStatus) bool {
	switch s {
	case "completed", "failed", "incomplete", "cancelled":
		return true
	}
	return false
}

func responseKey(id string) string { return "response:" + id }
func runKey(id string) string      { return "run:" + id }
