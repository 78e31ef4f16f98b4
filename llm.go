package drip

import (
	"cmp"
	"context"
	"maps"
	"strings"

	"github.com/drip-sdk/drip-go/internal/wire"
	"github.com/drip-sdk/drip-go/providers"
)

// DefaultLLMMeter is the meter LLM usage outside a run is recorded under.
const DefaultLLMMeter = "llm_tokens"

// DefaultAudioMeter is the meter, outside a run, of calls billed by the
// duration of their input audio rather than by tokens (whisper-1
// transcriptions), in seconds: never added to a token meter.
const DefaultAudioMeter = "audio_seconds"

// LLMEvent turns one provider usage record into the event every integration
// sends: llm.completion (quantity = total tokens, units "tokens", model,
// token counts, duration; for a call billed by seconds of audio and not
// tokens, quantity = those seconds, units "seconds") or, for a failed call with no tokens, llm.error
// (quantity 1). A call that failed after consuming tokens (a broken stream)
// stays llm.completion with status error and its counts. Metadata carries
// operational facts only: provider, operation, tool-call count and names,
// whether the counts are estimated. The tracker prices the event when it
// exports it (WithPricing).
func LLMEvent(u *providers.Usage) Event {
	var e Event
	e.Model, e.Provider, e.Operation = u.ResolvedModel(), u.Provider, u.Operation
	e.Duration, e.Timestamp = u.Duration, u.Start
	failed := u.Err != nil || u.HTTPStatus >= 400 || u.ErrorType != ""
	// Metadata only for what has no typed field, and only when present: the
	// common call allocates nothing here.
	var md map[string]any
	set := func(k string, v any) {
		if md == nil {
			md = make(map[string]any, 4)
		}
		md[k] = v
	}
	if failed {
		if u.HTTPStatus != 0 {
			set("httpStatus", u.HTTPStatus)
		}
		switch {
		case u.ErrorType != "":
			set("errorType", u.ErrorType)
		case u.Err != nil:
			set("errorType", ErrorType(u.Err))
		}
		if u.ErrorCode != "" {
			set("errorCode", u.ErrorCode)
		}
	}
	total := u.Total()
	if failed && total == 0 {
		e.Type, e.Status, e.Quantity, e.Units, e.Metadata = EventLLMError, StatusError, 1, "errors", md
		return e
	}
	if u.ToolCalls > 0 {
		set("toolCalls", u.ToolCalls)
		if len(u.ToolNames) > 0 {
			set("toolNames", strings.Join(u.ToolNames, ","))
		}
	}
	if u.Estimated {
		set("usageEstimated", true)
	}
	if u.Streamed {
		set("streamed", true)
	}
	if u.Images > 0 {
		set("images", u.Images)
	}
	e.Type, e.Status, e.Units = EventLLMCompletion, StatusSuccess, "tokens"
	e.InputTokens, e.OutputTokens = u.InputTokens, u.OutputTokens
	e.CachedInputTokens, e.ReasoningTokens = u.CachedInputTokens, u.ReasoningTokens
	e.CacheCreationInputTokens, e.AudioInputTokens = u.CacheCreationInputTokens, u.AudioInputTokens
	e.CacheCreation1hInputTokens, e.WebSearches = u.CacheCreation1hInputTokens, u.WebSearches
	e.AudioSeconds, e.ServiceTier = u.AudioSeconds, u.ServiceTier
	// Zero tokens stay 0 (units "tokens"), never the API's default of 1.
	e.Quantity = float64(total)
	switch {
	case total > 0:
	case u.AudioSeconds > 0:
		e.Quantity, e.Units = u.AudioSeconds, "seconds"
	case u.Images > 0:
		e.Quantity, e.Units = float64(u.Images), "images"
	}
	if failed {
		// A stream cut short: the tokens it consumed are billed, estimated.
		e.Status = StatusError
	}
	e.Metadata = md
	return e
}

// UsageRecorder records provider usage where it belongs: as an event in the
// run ctx carries, else as asynchronous usage for the customer (the ctx's,
// see ContextWithCustomer, else CustomerID). It implements providers.Reporter, so
// every adapter reports through it; Report never blocks on the network.
type UsageRecorder struct {
	// Tracker ships the records (nil: DefaultTracker()).
	Tracker *Tracker
	// CustomerID is the customer when ctx names none.
	CustomerID string
	// Meter is the usage meter outside runs (default DefaultLLMMeter).
	Meter string
	// AudioMeter is the usage meter outside runs of calls billed by
	// seconds of audio, not tokens (default DefaultAudioMeter).
	AudioMeter string
	// InputMeter and OutputMeter, when both set, record input and output
	// tokens as two usage records instead of one Meter record.
	InputMeter, OutputMeter string
	// WebSearchMeter, when set, also records the web searches a call
	// outside any run made with the provider's search tool (billed per
	// search, beside its tokens) as usage under this meter, units
	// "searches". Unset, they are only the webSearches metadata of the
	// token record. In a run they are the event's, priced in its cost.
	WebSearchMeter string
	// Workflow, when set, records each call made outside any run as a run
	// of its own under this workflow instead of as plain usage.
	Workflow string
	// Metadata is added to every record (operational context only).
	Metadata map[string]any
	// Feature, when set, is a Drip entitlement feature key the calls count
	// against. Drip counts usage recorded under a meter equal to the
	// feature key, so every call with tokens reaches that counter once:
	// when the usage outside runs is already recorded under the feature
	// (Meter, or one of the split meters, equals it) nothing more is sent;
	// otherwise (a run event, or another meter) the call's total tokens are
	// also recorded as internal usage (UsageInternal: counted, never
	// billed) under the feature. WithOpenAIEntitlement sets it.
	Feature string
	// OnError receives records that could not be queued (dropped or
	// invalid, e.g. no customer); nil logs nothing more than the tracker.
	OnError func(error)
}

var _ providers.DeferredReporter = (*UsageRecorder)(nil)

// Report records u. See UsageRecorder.
func (r *UsageRecorder) Report(ctx context.Context, u providers.Usage) {
	t := r.tracker()
	run := RunFromContext(ctx)
	customer := r.customer(ctx)
	if run == nil && r.Workflow != "" {
		_, run = t.Start(ctx, RunParams{CustomerID: customer, Workflow: r.Workflow})
		defer func() {
			if u.Err != nil {
				r.fail(run.Fail(u.Err))
			} else {
				r.fail(run.End(RunCompleted))
			}
		}()
	}
	if run != nil {
		r.fail(run.Emit(r.runEvent(&u)))
		r.countFeature(ctx, run.CustomerID(), &u, "")
		return
	}
	if !u.Billable() {
		return // no run and nothing billable: a failed call costs no tokens
	}
	if r.InputMeter != "" && r.OutputMeter != "" && u.Total() > 0 {
		md := r.usageMetadata(&u)
		in := UsageParams{CustomerID: customer, Meter: r.InputMeter, Quantity: float64(u.InputTokens),
			Units: "tokens", Metadata: md}
		out := UsageParams{CustomerID: customer, Meter: r.OutputMeter, Quantity: float64(u.OutputTokens),
			Units: "tokens", Metadata: md}
		r.fail(t.TrackUsage(ctx, in))
		r.fail(t.TrackUsage(ctx, out))
		r.countFeature(ctx, customer, &u, r.InputMeter, r.OutputMeter)
		r.trackSearches(ctx, customer, &u)
		return
	}
	p := r.usageParams(customer, &u)
	r.fail(t.TrackUsage(ctx, p))
	r.countFeature(ctx, customer, &u, p.Meter)
	r.trackSearches(ctx, customer, &u)
}

// trackSearches records a call's web searches under WebSearchMeter, when
// set.
func (r *UsageRecorder) trackSearches(ctx context.Context, customer string, u *providers.Usage) {
	if r.WebSearchMeter == "" || u.WebSearches <= 0 {
		return
	}
	r.fail(r.tracker().TrackUsage(ctx, UsageParams{CustomerID: customer, Meter: r.WebSearchMeter,
		Quantity: float64(u.WebSearches), Units: "searches", Metadata: r.usageMetadata(u),
		Description: "Web searches by " + u.ResolvedModel()}))
}

// ReportDeferred records a call whose usage c fills in later: the
// record is queued now, stamped and counted like any other, and built on
// the tracker's exporter, so the meter's parsing of the reply and the
// building of the record cost the caller nothing. That is so for an event
// in a run and for usage under Meter outside one; a call that needs its
// counts at once (Feature), may make more than one record (InputMeter and
// OutputMeter, WebSearchMeter), a run of its own (Workflow), or has no
// customer is completed now and goes to Report. A call that turns out to have no
// tokens outside a run records nothing, as with Report. A record built
// invalid (say, token counts past the API's limit) is reported to the
// tracker's error handler and counted in Stats.DeadLettered.
func (r *UsageRecorder) ReportDeferred(ctx context.Context, c providers.Completer) {
	run := RunFromContext(ctx)
	var customer string
	if run == nil {
		customer = r.customer(ctx)
	}
	switch {
	case r.Feature != "":
	case run != nil:
		r.fail(run.emitCall(deferredCall{rec: r, c: c}))
		return
	case r.Workflow == "" && customer != "" && (r.InputMeter == "" || r.OutputMeter == "") && r.WebSearchMeter == "":
		r.fail(r.tracker().trackCall(ctx, deferredCall{rec: r, c: c, customer: customer}))
		return
	}
	var u providers.Usage
	c.Complete(&u)
	r.Report(ctx, u)
}

// deferredCall is a call handed over by ReportDeferred, queued for the
// exporter to complete and build into its item.
type deferredCall struct {
	rec      *UsageRecorder // nil: the item holds no deferred call
	c        providers.Completer
	customer string // for usage outside a run
}

// build completes the call and makes it the item's event (in a run) or
// usage; false says there is nothing to record (usage of no tokens).
func (d *deferredCall) build(it *item) bool {
	var u providers.Usage
	d.c.Complete(&u)
	if it.kind == kindEvent {
		it.ev = d.rec.runEvent(&u)
		return true
	}
	if !u.Billable() {
		return false
	}
	p := d.rec.usageParams(d.customer, &u)
	it.usage = &p
	return true
}

func (r *UsageRecorder) tracker() *Tracker {
	if r.Tracker == nil {
		return DefaultTracker()
	}
	return r.Tracker
}

// customer is the ctx's customer, else CustomerID.
func (r *UsageRecorder) customer(ctx context.Context) string {
	if c := CustomerFromContext(ctx); c != "" {
		return c
	}
	return r.CustomerID
}

// modelMetadata is what every usage record of a call says of it: its
// model and provider.
func modelMetadata(u *providers.Usage) map[string]any {
	md := map[string]any{"model": u.ResolvedModel()}
	if u.Provider != "" {
		md["provider"] = u.Provider
	}
	return md
}

// usageMetadata is the metadata of a call recorded as usage: model,
// provider, whether the counts are estimated, then Metadata.
func (r *UsageRecorder) usageMetadata(u *providers.Usage) map[string]any {
	md := modelMetadata(u)
	if u.Estimated {
		md["usageEstimated"] = true
	}
	if namedTier(u.ServiceTier) {
		md[wire.MetaServiceTier] = u.ServiceTier
	}
	for k, v := range r.Metadata {
		if _, ok := md[k]; !ok {
			md[k] = v
		}
	}
	return md
}

// namedTier says whether a service tier is worth naming in a record: any
// but the standard one (OpenAI's "default", Anthropic's "standard").
func namedTier(tier string) bool { return tier != "" && tier != "default" && tier != "standard" }

// usageParams is the usage record of a call outside any run, under Meter,
// or under AudioMeter when the call is billed by seconds of audio.
func (r *UsageRecorder) usageParams(customer string, u *providers.Usage) UsageParams {
	md := r.usageMetadata(u)
	if u.Total() == 0 && u.AudioSeconds > 0 {
		md["audioSeconds"] = u.AudioSeconds
		return UsageParams{CustomerID: customer, Meter: cmp.Or(r.AudioMeter, DefaultAudioMeter), Quantity: u.AudioSeconds,
			Units: "seconds", Metadata: md, Description: "Audio input to " + u.ResolvedModel()}
	}
	md["inputTokens"] = u.InputTokens
	md["outputTokens"] = u.OutputTokens
	if u.AudioInputTokens > 0 {
		md["audioInputTokens"] = u.AudioInputTokens
	}
	if u.WebSearches > 0 {
		md["webSearches"] = u.WebSearches
	}
	meter := r.Meter
	if meter == "" {
		meter = DefaultLLMMeter
	}
	return UsageParams{CustomerID: customer, Meter: meter, Quantity: float64(u.Total()),
		Units: "tokens", Metadata: md, Description: "LLM call to " + u.ResolvedModel()}
}

// runEvent is the event a call in a run is recorded as: LLMEvent, with
// Metadata added.
func (r *UsageRecorder) runEvent(u *providers.Usage) Event {
	e := LLMEvent(u)
	if len(r.Metadata) > 0 {
		md := make(map[string]any, len(r.Metadata)+len(e.Metadata))
		maps.Copy(md, r.Metadata)
		maps.Copy(md, e.Metadata) // the call's own facts win
		e.Metadata = md
	}
	return e
}

// countFeature records the call's tokens as internal (never billed) usage
// under r.Feature, so Drip's entitlement counter sees them, unless one of
// the meters the call was just recorded under is the feature already.
func (r *UsageRecorder) countFeature(ctx context.Context, customer string, u *providers.Usage, recordedUnder ...string) {
	if r.Feature == "" || u.Total() == 0 {
		return
	}
	for _, m := range recordedUnder {
		if m == r.Feature {
			return
		}
	}
	r.fail(r.tracker().TrackUsage(ctx, UsageParams{CustomerID: customer, Meter: r.Feature, Quantity: float64(u.Total()),
		Units: "tokens", Metadata: modelMetadata(u), Mode: UsageInternal}))
}

func (r *UsageRecorder) fail(err error) {
	if err != nil && r.OnError != nil {
		r.OnError(err)
	}
}
