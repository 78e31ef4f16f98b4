// Package anthropictest is a fake Anthropic: a local HTTP server speaking
// the Messages API wire, for tests, examples and offline demos. It answers
// with canned text and never calls a model.
//
// It serves realistic JSON replies and server-sent-event streams with known,
// configurable token usage (input, output, cache read and cache write), so
// tests of anthropic-sdk-go, langchaingo's anthropic provider or any other
// client can assert usage token for token without the network:
//
//	stub := anthropictest.New(t)
//	client := anthropic.NewClient(option.WithBaseURL(stub.URL()), option.WithAPIKey("test"))
//	llm, _ := anthropic.New(anthropic.WithBaseURL(stub.BaseURL()), anthropic.WithToken("test")) // langchaingo
//
// URL is the API root, as anthropic-sdk-go's option.WithBaseURL and
// ANTHROPIC_BASE_URL take it; BaseURL adds "/v1", as langchaingo's
// anthropic.WithBaseURL takes it.
//
// Endpoints: POST /v1/messages (JSON, or SSE when "stream" is true:
// message_start, content blocks, ping, message_delta with the final usage,
// message_stop) and POST /v1/messages/count_tokens; and the same calls as
// anthropic-sdk-go's vertex and bedrock options send them, with the model
// in the path (answered as named):
//
//	POST …/publishers/anthropic/models/{model}:rawPredict        a message (Vertex AI)
//	POST …/publishers/anthropic/models/{model}:streamRawPredict  an SSE stream
//	POST …/publishers/anthropic/models/count-tokens:rawPredict   count_tokens
//	POST /model/{model}/invoke                                   a message (Bedrock)
//	POST /model/{model}/invoke-with-response-stream              a stream in AWS's event-stream
//	                                                             framing; an error is a
//	                                                             modelStreamErrorException
//
// Give anthropic-sdk-go option.WithBaseURL(stub.URL()) after the cloud's
// option, which sets the cloud's own.
//
// Behaviour chosen by the request model name, so one server serves many
// cases:
//
//	"error-429" (any 4xx/5xx)  the error JSON Anthropic sends for that status
//	"cut-2"                    a stream that drops the connection after 2 text deltas
//	"stream-error"             a stream that sends an error event (overloaded_error) mid-way
//	"late-usage"               a stream whose message_start carries placeholder input
//	                           counts, corrected by message_delta
//
// Tool use: with WithToolUse, or when a request sets tool_choice
// {"type":"any"} (the first declared tool is called).
//
// Outside a test (an example's main), Start runs one; Close stops it:
//
//	stub := anthropictest.Start()
//	defer stub.Close()
//
// anthropictest imports only the standard library.
package anthropictest
