package drip

import (
	"context"
	"strings"

	"github.com/drip-sdk/drip-go/providers"
	"github.com/drip-sdk/drip-go/providers/pricing"
)

// DefaultLLMMeter is the meter LLM usage outside a run is recorded under.
const DefaultLLMMeter = "llm_tokens"

// LLMEvent turns one provider usage record into the event every integration
// sends: llm.completion (quantity = total tokens, units "tokens", model,
// token counts, duration, cost from prices) or, for a failed call with no
// tokens, llm.error (quantity 1). A call that failed after consuming tokens
// (a broken stream) stays llm.completion with status error and its counts. Metadata carries operational facts only: provider,
// operation, tool-call count and names, whether the counts are estimated.
func LLMEvent(u *providers.Usage, prices *pricing.Table) Event {
	model := u.ResolvedModel()
	md := make(map[string]any, 6)
	if u.Provider != "" {
		md["provider"] = u.Provider
	}
	if u.Operation != "" {
		md["operation"] = u.Operation
	}
	failed := u.Err != nil || u.HTTPStatus >= 400 || u.ErrorType != ""
	if failed {
		if u.HTTPStatus != 0 {
			md["httpStatus"] = u.HTTPStatus
		}
		if u.ErrorType != "" {
			md["errorType"] = u.ErrorType
		} else if u.Err != nil {
			md["errorType"] = ErrorType(u.Err)
		}
		if u.ErrorCode != "" {
			md["errorCode"] = u.ErrorCode
		}
	}
	if failed && u.Total() == 0 {
		return Event{Type: EventLLMError, Model: model, Duration: u.Duration, Status: StatusError,
			Quantity: 1, Units: "errors", Metadata: md, Timestamp: u.Start,
			Description: "LLM error: " + model}
	}
	if u.ToolCalls > 0 {
		md["toolCalls"] = u.ToolCalls
		if len(u.ToolNames) > 0 {
			md["toolNames"] = strings.Join(u.ToolNames, ",")
		}
	}
	if u.Estimated {
		md["usageEstimated"] = true
	}
	if u.Streamed {
		md["streamed"] = true
	}
	if u.Images > 0 {
		md["images"] = u.Images
	}
	total := u.Total()
	e := Event{
		Type: EventLLMCompletion, Model: model, Status: StatusSuccess,
		InputTokens: u.InputTokens, OutputTokens: u.OutputTokens,
		CachedInputTokens: u.CachedInputTokens, ReasoningTokens: u.ReasoningTokens,
		Duration: u.Duration, Quantity: float64(total), Units: "tokens",
		Metadata: md, Timestamp: u.Start, Description: "LLM call to " + model,
	}
	if total == 0 && u.Images > 0 {
		e.Quantity, e.Units = float64(u.Images), "images"
	}
	if total == 0 && u.Images == 0 {
		e.Quantity = 0 // a call with no usage reported stays 0, not the API's default 1
	}
	if failed {
		// A stream cut short: the tokens it consumed are billed, estimated.
		e.Status = StatusError
	}
	if prices != nil {
		if cost, ok := prices.Cost(model, u.InputTokens, u.CachedInputTokens, u.OutputTokens); ok {
			e.CostUnits = cost
		}
	}
	return e
}

// UsageRecorder records provider usage where it belongs: as an event in the
// run ctx carries, else as asynchronous usage for the customer (the ctx's,
// see WithCustomer, else CustomerID). It implements providers.Reporter, so
// every adapter reports through it; Report never blocks on the network.
type UsageRecorder struct {
	// Tracker ships the records (nil: DefaultTracker()).
	Tracker *Tracker
	// CustomerID is the customer when ctx names none.
	CustomerID string
	// Meter is the usage meter outside runs (default DefaultLLMMeter).
	Meter string
	// InputMeter and OutputMeter, when both set, record input and output
	// tokens as two usage records instead of one Meter record.
	InputMeter, OutputMeter string
	// Prices prices calls (nil: pricing.Default()).
	Prices *pricing.Table
	// Workflow, when set, records each call made outside any run as a run
	// of its own under this workflow instead of as plain usage.
	Workflow string
	// Metadata is added to every record (operational context only).
	Metadata map[string]any
	// OnError receives records that could not be queued (dropped or
	// invalid, e.g. no customer); nil logs nothing more than the tracker.
	OnError func(error)
}

var _ providers.Reporter = (*UsageRecorder)(nil)

// Report records u. See UsageRecorder.
func (r *UsageRecorder) Report(ctx context.Context, u providers.Usage) {
	t := r.Tracker
	if t == nil {
		t = DefaultTracker()
	}
	prices := r.Prices
	if prices == nil {
		prices = pricing.Default()
	}
	run := RunFromContext(ctx)
	customer := CustomerFromContext(ctx)
	if customer == "" {
		customer = r.CustomerID
	}
	if run == nil && r.Workflow != "" {
		_, run = t.StartRun(ctx, RunParams{CustomerID: customer, Workflow: r.Workflow})
		defer func() {
			if u.Err != nil {
				r.fail(run.Fail(u.Err))
			} else {
				r.fail(run.End(RunCompleted))
			}
		}()
	}
	if run != nil {
		e := LLMEvent(&u, prices)
		for k, v := range r.Metadata {
			if _, ok := e.Metadata[k]; !ok {
				e.Metadata[k] = v
			}
		}
		r.fail(run.Emit(e))
		return
	}
	if u.Total() == 0 {
		return // no run and nothing billable: a failed call costs no tokens
	}
	model := u.ResolvedModel()
	md := map[string]any{"model": model}
	if u.Provider != "" {
		md["provider"] = u.Provider
	}
	if u.Estimated {
		md["usageEstimated"] = true
	}
	for k, v := range r.Metadata {
		if _, ok := md[k]; !ok {
			md[k] = v
		}
	}
	if r.InputMeter != "" && r.OutputMeter != "" {
		in := UsageParams{CustomerID: customer, Meter: r.InputMeter, Quantity: float64(u.InputTokens),
			Units: "tokens", Metadata: md}
		out := UsageParams{CustomerID: customer, Meter: r.OutputMeter, Quantity: float64(u.OutputTokens),
			Units: "tokens", Metadata: md}
		r.fail(t.TrackUsage(ctx, in))
		r.fail(t.TrackUsage(ctx, out))
		return
	}
	md["inputTokens"] = u.InputTokens
	md["outputTokens"] = u.OutputTokens
	meter := r.Meter
	if meter == "" {
		meter = DefaultLLMMeter
	}
	r.fail(t.TrackUsage(ctx, UsageParams{CustomerID: customer, Meter: meter, Quantity: float64(u.Total()),
		Units: "tokens", Metadata: md, Description: "LLM call to " + model}))
}

func (r *UsageRecorder) fail(err error) {
	if err != nil && r.OnError != nil {
		r.OnError(err)
	}
}
