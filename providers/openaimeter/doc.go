// Package openaimeter meters OpenAI calls — github.com/sashabaranov/go-openai,
// the official github.com/openai/openai-go/v3, and any client of an
// OpenAI-compatible server (Azure OpenAI, Ollama, vLLM, Groq, OpenRouter,
// LiteLLM): every billable call reports one provider-neutral providers.Usage (model, input,
// output, cached, cache-write, reasoning and audio tokens, or a
// transcription's seconds of audio, duration, tool calls by name) to a
// providers.Reporter, with the provider's own token counts — streams
// included — and nothing else about the client changes.
//
// Two routes share one usage-extraction core:
//
// The decorator wraps a go-openai *openai.Client; the result embeds it, so
// every method compiles, and overrides the methods whose responses carry
// usage:
//
//	import "github.com/sashabaranov/go-openai"
//
//	client := openaimeter.Wrap(openai.NewClient(key), reporter)
//	resp, err := client.CreateChatCompletion(ctx, req) // reported once
//
// The HTTP meter is for code that builds its own client or uses another
// OpenAI-compatible SDK (langchaingo's openai.WithHTTPClient):
//
//	cfg := openai.DefaultConfig(key)
//	cfg.HTTPClient = openaimeter.NewHTTPClient(nil, reporter)
//
// The same HTTP meter as a client middleware, for the official OpenAI Go
// SDK (github.com/openai/openai-go/v3) and its option.WithMiddleware,
// without this package importing it:
//
//	client := openai.NewClient(option.WithMiddleware(openaimeter.NewMiddleware(reporter)))
//
// Counted once: the decorator marks each call's ctx with
// providers.MarkMetered and the HTTP meter skips marked requests, so a
// client with both reports each call once (the middleware marks the
// requests it passes on the same way); spans emitted under
// WithTracerProvider carry providers.MeteredAttribute so drip-go's span
// bridge skips them.
//
// This package knows nothing of Drip runs, customers or the wire: package
// drip implements providers.Reporter (drip.WrapOpenAI is the one-line use).
// The HTTP meter gives a Reporter that is also a providers.DeferredReporter
// (package drip's is) each call with its reply unread, to be read on the
// reporter's goroutine, so the caller's call returns without that work.
// Usage never contains prompt or completion text, nor tool arguments.
package openaimeter
