// Package providers is the provider-neutral vocabulary every LLM adapter in
// drip-go reports through: one Usage record per model call, handed to a
// Reporter. Adapters (providers/openaimeter, langchaingo, otelbridge) differ
// only in how they read usage, never in how they report it; package drip
// implements Reporter and turns a Usage into a Drip event.
//
// This package imports nothing from drip-go, so every adapter can depend on it
// without import cycles.
package providers

import (
	"context"
	"time"
)

// Operation names follow the OpenTelemetry GenAI `gen_ai.operation.name`
// values where one exists.
const (
	OpChat           = "chat"
	OpTextCompletion = "text_completion"
	OpEmbeddings     = "embeddings"
	OpResponses      = "responses" // OpenAI Responses API (chat-like)
	OpImage          = "image_generation"
	OpAssistantRun   = "assistant_run"
	OpGenerate       = "generate_content"
	OpTranscription  = "transcription" // speech to text (OpenAI audio/transcriptions)
	OpDecision       = "decision"      // OpenAI's Decisions API: questions answered about an input
)

// Usage is one model call as an adapter saw it. Token counts are the
// provider's own; Estimated marks counts the adapter had to guess (a stream
// cut short before its usage chunk).
type Usage struct {
	Provider     string // "openai", "anthropic", …
	Operation    string // one of the Op constants
	Model        string // the model the provider says answered (response model)
	RequestModel string // the model that was asked for

	InputTokens       int64
	OutputTokens      int64
	TotalTokens       int64 // 0 means InputTokens+OutputTokens
	CachedInputTokens int64 // part of InputTokens served from cache
	ReasoningTokens   int64 // part of OutputTokens spent reasoning
	Images            int64 // images generated, for image operations

	// CacheCreationInputTokens is the part of InputTokens written to the
	// provider's prompt cache (Anthropic's cache_creation_input_tokens),
	// priced at the model's cache-write rate.
	CacheCreationInputTokens int64
	// CacheCreation1hInputTokens is the part of CacheCreationInputTokens
	// written to a cache kept for an hour (Anthropic's 1-hour cache), priced
	// at the model's 1-hour cache-write rate.
	CacheCreation1hInputTokens int64
	// WebSearches is how many web searches the model ran as a server tool
	// (Anthropic's server_tool_use.web_search_requests), billed per search.
	WebSearches int64
	// AudioInputTokens is the part of InputTokens that was audio (OpenAI's
	// transcription and audio models), priced at the model's audio rate.
	AudioInputTokens int64
	// AudioSeconds is the input audio of a call billed by duration rather
	// than tokens (whisper-1), in seconds.
	AudioSeconds float64

	// ServiceTier is the processing tier the reply names (OpenAI's
	// "default", "flex", "priority"; Anthropic's "standard", "priority",
	// "batch"); flex and batch cost half the standard price, OpenAI's
	// priority its own prices (pricing.Price.PriorityInput).
	ServiceTier string

	Start    time.Time
	Duration time.Duration
	Streamed bool
	// Estimated is true when the counts are not the provider's own.
	Estimated bool

	// ToolCalls is how many tool calls the model requested; ToolNames their
	// names (never their arguments).
	ToolCalls int
	ToolNames []string

	// ResponseID is the provider's id for the call (dedupe key where the
	// provider may report the same call twice, e.g. assistant runs).
	ResponseID string

	// Err is set when the call failed. HTTPStatus, ErrorType and ErrorCode
	// describe it without its message text.
	Err        error
	HTTPStatus int
	ErrorType  string
	ErrorCode  string
}

// Total is TotalTokens, or InputTokens+OutputTokens when the provider gave
// no total.
func (u *Usage) Total() int64 {
	if u.TotalTokens > 0 {
		return u.TotalTokens
	}
	return u.InputTokens + u.OutputTokens
}

// Billable reports whether the call used anything a price applies to:
// tokens, or seconds of audio.
func (u *Usage) Billable() bool { return u.Total() > 0 || u.AudioSeconds > 0 }

// ResolvedModel is the response model, else the request model.
func (u *Usage) ResolvedModel() string {
	if u.Model != "" {
		return u.Model
	}
	return u.RequestModel
}

// Reporter receives usage from adapters. Report must not block on the
// network: implementations enqueue and return.
type Reporter interface {
	Report(ctx context.Context, u Usage)
}

// ReporterFunc adapts a function to Reporter.
type ReporterFunc func(ctx context.Context, u Usage)

// Report calls f(ctx, u).
func (f ReporterFunc) Report(ctx context.Context, u Usage) { f(ctx, u) }

// DeferredReporter is a Reporter that can also take a call whose usage
// is not read yet: c.Complete fills it in, the whole of it (operation,
// models, start, duration, counts), at most once, later, on the reporter's
// own goroutine. A meter hands over the reply it kept instead of parsing
// it on the caller's goroutine, so the call returns without that work.
// Whatever c reads is the reporter's from then on: the meter touches it
// no more.
type DeferredReporter interface {
	Reporter
	ReportDeferred(ctx context.Context, c Completer)
}

// A Completer fills a zero Usage with a call's usage when its reporter
// reads it (DeferredReporter). A meter's body type is one, so handing a
// call over allocates nothing.
type Completer interface {
	Complete(u *Usage)
}

// CompleterFunc adapts a function to Completer.
type CompleterFunc func(u *Usage)

// Complete calls f(u).
func (f CompleterFunc) Complete(u *Usage) { f(u) }

// ReportDeferred hands the call c completes to r: to r.ReportDeferred
// when r is a DeferredReporter, else completed at once and given to
// r.Report.
func ReportDeferred(ctx context.Context, r Reporter, c Completer) {
	if d, ok := r.(DeferredReporter); ok {
		d.ReportDeferred(ctx, c)
		return
	}
	var u Usage
	c.Complete(&u)
	r.Report(ctx, u)
}

type meteredKey struct{}

// MarkMetered returns a ctx saying that the provider call made under it is
// already being metered, so that adapters further down (an HTTP-level meter
// under a decorator) skip it. This is the single counted-once mechanism
// shared by every adapter.
func MarkMetered(ctx context.Context) context.Context {
	if IsMetered(ctx) {
		return ctx
	}
	return context.WithValue(ctx, meteredKey{}, true)
}

// IsMetered reports whether ctx was marked by MarkMetered.
func IsMetered(ctx context.Context) bool {
	v, _ := ctx.Value(meteredKey{}).(bool)
	return v
}

// MeteredAttribute is the span attribute key drip-go's own instrumentation
// sets on spans for calls it already metered; otelbridge skips such spans.
const MeteredAttribute = "drip.metered"
