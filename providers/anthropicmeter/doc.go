// Package anthropicmeter meters Anthropic Messages API calls at the HTTP
// level: every POST …/v1/messages reports one provider-neutral
// providers.Usage (model, input, output, cache-read and cache-write tokens,
// thinking tokens, duration, tool_use blocks by name) to a providers.Reporter, from the JSON
// reply or from the stream's message_start and message_delta events. The
// bytes the caller reads are the bytes the server sent.
//
// It fits any client that takes an HTTP client or a middleware:
// github.com/anthropics/anthropic-sdk-go/v2 (option.WithHTTPClient or
// option.WithMiddleware; Middleware's type is the SDK's option.Middleware,
// so this package does not import the SDK), langchaingo's
// anthropic.WithHTTPClient, or hand-written code:
//
//	client := anthropic.NewClient(option.WithHTTPClient(anthropicmeter.NewHTTPClient(nil, reporter)))
//	client := anthropic.NewClient(option.WithMiddleware(anthropicmeter.Middleware(reporter)))
//
// What is reported:
//
//   - InputTokens is every prompt token: Anthropic's input_tokens plus
//     cache_read_input_tokens (also CachedInputTokens) plus
//     cache_creation_input_tokens (also CacheCreationInputTokens), so the
//     counts mean what they mean for every other provider.
//   - CacheCreation1hInputTokens is the part of the cache writes kept for
//     an hour (cache_creation.ephemeral_1h_input_tokens), priced above the
//     5-minute ones; WebSearches is server_tool_use.web_search_requests,
//     the web searches the model ran, billed per search.
//   - A stream's usage is message_start's, updated by message_delta (the
//     final output_tokens, and input or cache counts when it carries them).
//     A stream closed or broken before message_delta reports what it saw,
//     with output tokens estimated from the streamed deltas and Estimated
//     set; a broken one also carries its error.
//   - An error reply (HTTP status >= 400) and a stream's error event are
//     reported with no tokens and the error's type (an *Error), which
//     package drip records as llm.error. The message text is never kept.
//   - POST …/v1/messages/count_tokens and every other request pass through
//     unreported: counting tokens is not a model call.
//   - Claude on Google Vertex AI and Amazon Bedrock, as anthropic-sdk-go's
//     vertex and bedrock options send it (POST …/models/{model}:rawPredict
//     or :streamRawPredict, POST …/model/{model}/invoke or
//     /invoke-with-response-stream), is metered too: with the model the
//     path names, a Bedrock stream read from AWS's event-stream framing,
//     and ProviderVertex or ProviderBedrock as the provider. Vertex's
//     count-tokens:rawPredict is not a model call.
//
// Counted once: requests whose ctx is marked providers.MarkMetered (a meter
// above, such as langchaingo.WrapModel, records the call) pass through
// unreported, and Middleware marks the requests it passes on, so the
// middleware and an HTTP client from NewHTTPClient on the same SDK client
// count each call once.
//
// This package knows nothing of Drip runs or customers: package drip
// implements providers.Reporter (drip.AnthropicHTTPClient and
// drip.AnthropicMiddleware are the one-line uses). A Reporter that is also
// a providers.DeferredReporter (package drip's is) gets each call that
// ended well with its reply unread, to be read on the reporter's
// goroutine, so the caller's call returns without that work. Usage never
// contains prompt or completion text, nor tool inputs.
package anthropicmeter
