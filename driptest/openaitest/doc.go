// Package openaitest is a fake OpenAI: a local OpenAI-compatible HTTP server
// for tests, examples and offline demos. It answers with canned text and
// never calls a model.
//
// It serves realistic bodies and server-sent-event streams with known,
// configurable token usage, so tests of go-openai, langchaingo or any other
// OpenAI-compatible client can assert usage token for token without the
// network:
//
//	stub := openaitest.New(t)
//	cfg := openai.DefaultConfig("test")
//	cfg.BaseURL = stub.BaseURL()
//	client := openai.NewClientWithConfig(cfg)
//
// Endpoints: POST /v1/chat/completions (JSON, or SSE when "stream" is true,
// with a usage-only final chunk when stream_options.include_usage is true),
// /v1/completions (same), /v1/embeddings (float or base64), /v1/responses
// (JSON, background, SSE), GET /v1/responses/{id}, /v1/images/generations,
// /v1/images/edits, /v1/images/variations, /v1/audio/transcriptions
// (whisper-1 reports seconds of audio, other models tokens; JSON,
// verbose_json, text, srt, vtt, or SSE when the form's stream is true),
// /v1/decisions, and the assistant run endpoints /v1/threads/runs, /v1/threads/{thread}/runs[/{run}[/cancel|/submit_tool_outputs]].
//
// Azure OpenAI paths are served too: /openai/deployments/{name}/… for the
// endpoints above (any api-version), answering with the model WithDeployments
// maps the deployment to, and /openai/responses.
//
// Servers that report no usage: WithoutUsage. Retries: WithFailFirst.
//
// Behaviour chosen by the request model name, so one server serves many cases:
//
//	"error-429" (any status)  the API error JSON OpenAI sends for that status
//	"error-html-502"          a non-JSON error body (go-openai's RequestError)
//	"cut-2"                   a stream that drops the connection after 2 chunks
//	"stream-error"            a stream that sends a data: {"error":…} event mid-way
//
// Tool calls: with WithToolCalls, or when a chat request sets
// tool_choice "required" (every declared tool is called).
//
// Scripted answers: WithScript makes chat and text completion calls answer
// with given texts in order (a ReAct agent's "Action: …" turns).
//
// Outside a test (an example's main), Start runs one; Close stops it:
//
//	stub := openaitest.Start()
//	defer stub.Close()
//
// openaitest imports only the standard library.
package openaitest
