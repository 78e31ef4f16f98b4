package openaimeter

import (
	"context"

	"github.com/sashabaranov/go-openai"

	"github.com/drip-sdk/drip-go/providers"
)

// Assistant runs are asynchronous: creation returns a queued run and its
// usage appears only once the run is terminal, then again on every poll.
// A run is reported once — the first time a call through this Client (or
// any Client sharing its Pending) sees it terminal — and only if it was
// created through one of them. Listing runs never reports.

// CreateRun calls the embedded client and starts watching the run.
func (c *Client) CreateRun(
	ctx context.Context, threadID string, request openai.RunRequest,
) (openai.Run, error) {
	if err := c.m.admit(ctx); err != nil {
		return openai.Run{}, err
	}
	cl := c.m.begin(ctx, providers.OpAssistantRun, request.Model, true)
	run, err := c.Client.CreateRun(cl.ctx, threadID, request)
	c.runCreated(ctx, &cl, &run, err)
	return run, err
}

// CreateThreadAndRun calls the embedded client and starts watching the run.
func (c *Client) CreateThreadAndRun(
	ctx context.Context, request openai.CreateThreadAndRunRequest,
) (openai.Run, error) {
	if err := c.m.admit(ctx); err != nil {
		return openai.Run{}, err
	}
	cl := c.m.begin(ctx, providers.OpAssistantRun, request.Model, true)
	run, err := c.Client.CreateThreadAndRun(cl.ctx, request)
	c.runCreated(ctx, &cl, &run, err)
	return run, err
}

// RetrieveRun calls the embedded client; a watched run seen terminal for
// the first time is reported.
func (c *Client) RetrieveRun(ctx context.Context, threadID, runID string) (openai.Run, error) {
	cl := c.m.begin(ctx, providers.OpAssistantRun, "", true)
	run, err := c.Client.RetrieveRun(cl.ctx, threadID, runID)
	c.runPolled(ctx, &cl, &run, err)
	return run, err
}

// ModifyRun calls the embedded client; reports like RetrieveRun.
func (c *Client) ModifyRun(
	ctx context.Context, threadID, runID string, request openai.RunModifyRequest,
) (openai.Run, error) {
	cl := c.m.begin(ctx, providers.OpAssistantRun, "", true)
	run, err := c.Client.ModifyRun(cl.ctx, threadID, runID, request)
	c.runPolled(ctx, &cl, &run, err)
	return run, err
}

// SubmitToolOutputs calls the embedded client; reports like RetrieveRun.
func (c *Client) SubmitToolOutputs(
	ctx context.Context, threadID, runID string, request openai.SubmitToolOutputsRequest,
) (openai.Run, error) {
	cl := c.m.begin(ctx, providers.OpAssistantRun, "", true)
	run, err := c.Client.SubmitToolOutputs(cl.ctx, threadID, runID, request)
	c.runPolled(ctx, &cl, &run, err)
	return run, err
}

// CancelRun calls the embedded client; reports like RetrieveRun.
func (c *Client) CancelRun(ctx context.Context, threadID, runID string) (openai.Run, error) {
	cl := c.m.begin(ctx, providers.OpAssistantRun, "", true)
	run, err := c.Client.CancelRun(cl.ctx, threadID, runID)
	c.runPolled(ctx, &cl, &run, err)
	return run, err
}

func (c *Client) runCreated(ctx context.Context, cl *call, run *openai.Run, err error) {
	if err != nil {
		cl.fail(err)
		c.m.end(ctx, cl, true)
		return
	}
	if runTerminal(run.Status) { // finished at once: report now, never watch
		c.runUsage(cl, run)
		c.m.end(ctx, cl, true)
		return
	}
	c.m.pending.add(runKey(run.ID))
	cl.u.Model, cl.u.ResponseID = run.Model, run.ID
	c.m.end(ctx, cl, false)
}

func (c *Client) runPolled(ctx context.Context, cl *call, run *openai.Run, err error) {
	switch {
	case err != nil:
		cl.fail(err)
		c.m.end(ctx, cl, true)
	case runTerminal(run.Status) && c.m.pending.take(runKey(run.ID)):
		cl.u.RequestModel = run.Model
		c.runUsage(cl, run)
		c.m.end(ctx, cl, true)
	default:
		cl.u.Model, cl.u.ResponseID = run.Model, run.ID
		c.m.end(ctx, cl, false)
	}
}

// runUsage fills a terminal run's usage. A run that did not complete is
// still reported with what it used; its status is in ErrorType and the
// run's last error code in ErrorCode (Err stays nil: the call succeeded).
func (c *Client) runUsage(cl *call, run *openai.Run) {
	u := &cl.u
	u.Model, u.ResponseID = run.Model, run.ID
	chatTokens(&run.Usage).apply(u)
	if run.Status != openai.RunStatusCompleted && run.Status != openai.RunStatusIncomplete {
		u.ErrorType = "run_" + string(run.Status)
		if run.LastError != nil {
			u.ErrorCode = string(run.LastError.Code)
		}
	}
}

func runTerminal(s openai.RunStatus) bool {
	switch s {
	case openai.RunStatusCompleted, openai.RunStatusFailed, openai.RunStatusIncomplete,
		openai.RunStatusExpired, openai.RunStatusCancelled:
		return true
	}
	return false
}
