package openaimeter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/sashabaranov/go-openai"

	"github.com/drip-sdk/drip-go/providers"
)

// This file is the one usage-extraction core. Both routes — the decorator
// (typed go-openai values) and the HTTP meter (raw JSON and SSE) — normalise
// into tokens, accumulate stream state in an acc, and describe failures with
// describeError / wireError, so a call reads the same whichever route saw it.

// tokens is a call's usage in provider-neutral form. cached (read from the
// prompt cache), cacheWrite (written to it) and audio are parts of input,
// reasoning part of output, as OpenAI and the OTel GenAI conventions both
// count them; seconds is the input audio of a call billed by duration
// (whisper-1), which has no tokens.
type tokens struct {
	input, output, total, cached, cacheWrite, reasoning, audio int64
	seconds                                                    float64
}

func (t tokens) apply(u *providers.Usage) {
	u.InputTokens = t.input
	u.OutputTokens = t.output
	u.TotalTokens = t.total
	u.CachedInputTokens = t.cached
	u.CacheCreationInputTokens = t.cacheWrite
	u.ReasoningTokens = t.reasoning
	u.AudioInputTokens = t.audio
	u.AudioSeconds = t.seconds
}

// chatTokens reads the chat/completions/embeddings/assistants usage shape.
func chatTokens(u *openai.Usage) tokens {
	t := tokens{
		input:  int64(u.PromptTokens),
		output: int64(u.CompletionTokens),
		total:  int64(u.TotalTokens),
	}
	if d := u.PromptTokensDetails; d != nil {
		t.cached, t.audio = int64(d.CachedTokens), int64(d.AudioTokens)
	}
	if d := u.CompletionTokensDetails; d != nil {
		t.reasoning = int64(d.ReasoningTokens)
	}
	return t
}

// responseTokens reads the Responses API usage shape.
func responseTokens(u *openai.ResponseUsage) tokens {
	t := tokens{
		input:  int64(u.InputTokens),
		output: int64(u.OutputTokens),
		total:  int64(u.TotalTokens),
	}
	if d := u.InputTokensDetails; d != nil {
		t.cached, t.cacheWrite = int64(d.CachedTokens), int64(d.CacheWriteTokens)
	}
	if d := u.OutputTokensDetails; d != nil {
		t.reasoning = int64(d.ReasoningTokens)
	}
	return t
}

// imageTokens reads the token usage of token-billed image models.
func imageTokens(u *openai.ImageResponseUsage) tokens {
	return tokens{
		input:  int64(u.InputTokens),
		output: int64(u.OutputTokens),
		total:  int64(u.TotalTokens),
	}
}

// wireUsage decodes either usage shape (prompt_/completion_tokens or
// input_/output_tokens) from raw JSON, and a transcription's: tokens with
// input_token_details, or the seconds of audio of one billed by duration.
type wireUsage struct {
	PromptTokens            int64       `json:"prompt_tokens"`
	CompletionTokens        int64       `json:"completion_tokens"`
	InputTokens             int64       `json:"input_tokens"`
	OutputTokens            int64       `json:"output_tokens"`
	TotalTokens             int64       `json:"total_tokens"`
	PromptTokensDetails     wireDetails `json:"prompt_tokens_details"`
	CompletionTokensDetails wireDetails `json:"completion_tokens_details"`
	InputTokensDetails      wireDetails `json:"input_tokens_details"`
	OutputTokensDetails     wireDetails `json:"output_tokens_details"`
	InputTokenDetails       wireDetails `json:"input_token_details"` // transcriptions
	Seconds                 float64     `json:"seconds"`
}

// wireDetails are the parts of a count. OpenAI reports the prompt tokens
// written to its cache as cache_write_tokens (billed above input from the
// GPT-5.6 models on).
type wireDetails struct {
	CachedTokens     int64 `json:"cached_tokens"`
	CacheWriteTokens int64 `json:"cache_write_tokens"`
	ReasoningTokens  int64 `json:"reasoning_tokens"`
	AudioTokens      int64 `json:"audio_tokens"`
}

func (w *wireUsage) tokens() tokens {
	return tokens{
		input:      w.PromptTokens + w.InputTokens,
		output:     w.CompletionTokens + w.OutputTokens,
		total:      w.TotalTokens,
		cached:     w.PromptTokensDetails.CachedTokens + w.InputTokensDetails.CachedTokens,
		cacheWrite: w.PromptTokensDetails.CacheWriteTokens + w.InputTokensDetails.CacheWriteTokens,
		reasoning:  w.CompletionTokensDetails.ReasoningTokens + w.OutputTokensDetails.ReasoningTokens,
		audio:      w.PromptTokensDetails.AudioTokens + w.InputTokenDetails.AudioTokens,
		seconds:    w.Seconds,
	}
}

// textLen decodes a JSON value into its length only: the byte length of a
// string, the raw length of anything else. It lets the meter estimate tokens
// from text it never keeps.
type textLen int

func (t *textLen) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) >= 2 && b[0] == '"':
		*t += textLen(len(b) - 2)
	case string(b) != "null":
		*t += textLen(len(b))
	}
	return nil
}

// wireEvent is the union of the response and stream-event fields the meter
// reads: chat and completion bodies and chunks, embeddings, images, and
// Responses API bodies and events. Text is decoded as lengths only.
type wireEvent struct {
	ID       string        `json:"id"`
	Object   string        `json:"object"`
	Type     string        `json:"type"`
	Status   string        `json:"status"`
	Model    string        `json:"model"`
	Choices  []wireChoice  `json:"choices"`
	Usage    *wireUsage    `json:"usage"`
	Output   []wireItem    `json:"output"`
	Response *wireResponse `json:"response"`
	Item     *wireItem     `json:"item"`
	Delta    textLen       `json:"delta"`
	Code     string        `json:"code"`
	Data     []struct{}    `json:"data"`
	Error    *wireError    `json:"error"`
	// ServiceTier is the processing tier a chat or completion reply (and
	// each chunk) names.
	ServiceTier string `json:"service_tier"`
}

type wireChoice struct {
	Text    textLen `json:"text"`
	Delta   wireMsg `json:"delta"`
	Message wireMsg `json:"message"`
}

type wireMsg struct {
	Content          textLen    `json:"content"`
	ReasoningContent textLen    `json:"reasoning_content"`
	Refusal          textLen    `json:"refusal"`
	ToolCalls        []wireTool `json:"tool_calls"`
	FunctionCall     *wireFunc  `json:"function_call"`
}

type wireTool struct {
	Function wireFunc `json:"function"`
}

type wireFunc struct {
	Name      string  `json:"name"`
	Arguments textLen `json:"arguments"`
}

type wireItem struct {
	Type      string  `json:"type"`
	Name      string  `json:"name"`
	Arguments textLen `json:"arguments"`
	Content   []struct {
		Text textLen `json:"text"`
	} `json:"content"`
}

// chars is the length of the text and tool arguments of an output item.
func (it *wireItem) chars() int64 {
	n := int64(it.Arguments)
	for _, c := range it.Content {
		n += int64(c.Text)
	}
	return n
}

type wireResponse struct {
	ID          string     `json:"id"`
	Model       string     `json:"model"`
	Status      string     `json:"status"`
	ServiceTier string     `json:"service_tier"`
	Usage       *wireUsage `json:"usage"`
	Output      []wireItem `json:"output"`
	Error       *wireError `json:"error"`
}

// wireError is OpenAI's error object; Code may be a string or a number.
type wireError struct {
	Message string          `json:"message"`
	Type    string          `json:"type"`
	Code    json.RawMessage `json:"code"`
}

func (e *wireError) code() string {
	if len(e.Code) == 0 || string(e.Code) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(e.Code, &s) == nil {
		return s
	}
	return string(e.Code)
}

// acc accumulates what a call's responses say: exact usage when the provider
// gives it, else the text lengths an estimate is made from. It serves a
// single call and is not safe for concurrent use.
type acc struct {
	id, model string
	usage     tokens
	hasUsage  bool
	outChars  int64
	toolCalls int
	toolNames []string
	images    int64
	// webSearches counts the web_search_call items of a Responses output:
	// the searches the model ran with OpenAI's web search tool.
	webSearches int64
	tier        string // the service tier the reply names
	status      string // Responses API final status
	errType     string // an error event inside a 200 stream
	errCode     string
}

func (a *acc) setUsage(t tokens) { a.usage, a.hasUsage = t, true }

func (a *acc) tool(name string) {
	if name == "" { // a continuation delta of a call already counted
		return
	}
	a.toolCalls++
	a.toolNames = append(a.toolNames, name)
}

func (a *acc) resetTools() { a.toolCalls, a.toolNames = 0, a.toolNames[:0] }

// setTier keeps the service tier a reply names; a Responses stream names
// "auto" until its final response says which tier served it.
func (a *acc) setTier(tier string) {
	if tier != "" && tier != "auto" {
		a.tier = tier
	}
}

func (a *acc) meta(id, model string) {
	if a.id == "" {
		a.id = id
	}
	if model != "" {
		a.model = model
	}
}

// chatChunk reads one typed chat stream chunk.
func (a *acc) chatChunk(ch *openai.ChatCompletionStreamResponse) {
	a.meta(ch.ID, ch.Model)
	for i := range ch.Choices {
		d := &ch.Choices[i].Delta
		a.outChars += int64(len(d.Content) + len(d.ReasoningContent) + len(d.Refusal))
		if f := d.FunctionCall; f != nil {
			a.outChars += int64(len(f.Arguments))
			a.tool(f.Name)
		}
		for j := range d.ToolCalls {
			a.outChars += int64(len(d.ToolCalls[j].Function.Arguments))
			a.tool(d.ToolCalls[j].Function.Name)
		}
	}
	if ch.Usage != nil {
		a.setUsage(chatTokens(ch.Usage))
	}
}

// chatMessage reads the tool calls of a non-streaming chat choice.
func (a *acc) chatMessage(m *openai.ChatCompletionMessage) {
	if m.FunctionCall != nil {
		a.tool(m.FunctionCall.Name)
	}
	for j := range m.ToolCalls {
		a.tool(m.ToolCalls[j].Function.Name)
	}
}

// completionChunk reads one typed legacy-completion chunk.
func (a *acc) completionChunk(ch *openai.CompletionResponse) {
	a.meta(ch.ID, ch.Model)
	for i := range ch.Choices {
		a.outChars += int64(len(ch.Choices[i].Text))
	}
	if ch.Usage != nil {
		a.setUsage(chatTokens(ch.Usage))
	}
}

// response reads a typed Responses API object (a body, or the response of a
// stream's created/completed event).
func (a *acc) response(r *openai.CreateResponseResponse) {
	a.meta(r.ID, r.Model)
	a.setTier(r.ServiceTier)
	if r.Status != "" {
		a.status = string(r.Status)
	}
	if r.Usage != nil {
		a.setUsage(responseTokens(r.Usage))
	}
	if r.Error != nil {
		a.errType, a.errCode = "response_failed", r.Error.Code
	}
	first := true
	searches := int64(0)
	for _, item := range r.Output {
		m, ok := item.(map[string]any)
		if ok && m["type"] == webSearchCall {
			searches++
		}
		if !ok || m["type"] != "function_call" {
			continue
		}
		if first { // the final output is authoritative over streamed items
			a.resetTools()
			first = false
		}
		name, _ := m["name"].(string)
		a.tool(name)
	}
	a.searched(searches)
}

// webSearchCall is the type of a Responses output item for one web search.
const webSearchCall = "web_search_call"

// searched records the web searches a Responses output lists; the final
// output is authoritative over earlier ones, which list none or fewer.
func (a *acc) searched(n int64) {
	if n > 0 {
		a.webSearches = n
	}
}

// responseEvent reads one typed Responses API stream event.
func (a *acc) responseEvent(ev *openai.ResponseStreamEvent) {
	switch ev.Type {
	case openai.ResponseStreamEventOutputTextDelta, openai.ResponseStreamEventRefusalDelta,
		openai.ResponseStreamEventFunctionArgumentsDelta, openai.ResponseStreamEventReasoningSummaryTextDelta,
		openai.ResponseStreamEventReasoningTextDelta:
		a.outChars += int64(len(ev.Delta))
	case openai.ResponseStreamEventOutputItemAdded:
		if ev.Item != nil && ev.Item.Type == "function_call" {
			a.tool(ev.Item.Name)
		}
	case openai.ResponseStreamEventError:
		a.errType, a.errCode = "stream_error", ev.Code
	}
	if ev.Response != nil {
		a.response(ev.Response)
	}
}

// wire reads one raw body or SSE data payload. usageOnly reports a chat or
// completion chunk that carries usage and no choices: the chunk
// stream_options.include_usage adds.
func (a *acc) wire(ev *wireEvent) (usageOnly bool) {
	a.meta(ev.ID, ev.Model)
	a.setTier(ev.ServiceTier)
	for i := range ev.Choices {
		c := &ev.Choices[i]
		// A stream's text is in deltas, a body's in its message: each is
		// present in one kind of reply only.
		a.outChars += int64(c.Text + c.Delta.Content + c.Delta.ReasoningContent + c.Delta.Refusal +
			c.Message.Content + c.Message.ReasoningContent + c.Message.Refusal)
		for _, m := range [...]*wireMsg{&c.Delta, &c.Message} {
			if f := m.FunctionCall; f != nil {
				a.outChars += int64(f.Arguments)
				a.tool(f.Name)
			}
			for j := range m.ToolCalls {
				a.outChars += int64(m.ToolCalls[j].Function.Arguments)
				a.tool(m.ToolCalls[j].Function.Name)
			}
		}
	}
	switch ev.Type {
	case "":
	case string(openai.ResponseStreamEventOutputTextDelta), string(openai.ResponseStreamEventRefusalDelta),
		string(openai.ResponseStreamEventFunctionArgumentsDelta), string(openai.ResponseStreamEventReasoningSummaryTextDelta),
		string(openai.ResponseStreamEventReasoningTextDelta), transcriptDelta:
		a.outChars += int64(ev.Delta)
	case string(openai.ResponseStreamEventOutputItemAdded):
		if ev.Item != nil && ev.Item.Type == "function_call" {
			a.tool(ev.Item.Name)
		}
	case string(openai.ResponseStreamEventError):
		a.errType, a.errCode = "stream_error", ev.Code
	}
	if r := ev.Response; r != nil {
		a.meta(r.ID, r.Model)
		a.setTier(r.ServiceTier)
		a.wireOutput(r.Status, r.Usage, r.Output, r.Error)
	}
	if ev.Object == "response" { // a non-streaming Responses API body
		a.wireOutput("", nil, ev.Output, nil)
		for i := range ev.Output {
			a.outChars += ev.Output[i].chars()
		}
	}
	if len(ev.Data) > 0 {
		a.images = int64(len(ev.Data))
	}
	if ev.Usage != nil {
		a.setUsage(ev.Usage.tokens())
		return len(ev.Choices) == 0 && ev.Type == "" && ev.Object != "response"
	}
	return false
}

// transcriptDelta is the event of a transcription stream carrying text;
// its last event, transcript.text.done, carries the usage.
const transcriptDelta = "transcript.text.delta"

func (a *acc) wireOutput(status string, u *wireUsage, out []wireItem, e *wireError) {
	if status != "" {
		a.status = status
	}
	if u != nil {
		a.setUsage(u.tokens())
	}
	if e != nil {
		a.errType, a.errCode = "response_failed", e.code()
	}
	first := true
	searches := int64(0)
	for _, it := range out {
		if it.Type == webSearchCall {
			searches++
		}
		if it.Type != "function_call" {
			continue
		}
		if first {
			a.resetTools()
			first = false
		}
		a.tool(it.Name)
	}
	a.searched(searches)
}

// fill copies what the call's responses said into u. Without provider usage
// the counts are estimated from text lengths: inputChars from the request,
// output from the streamed text.
func (a *acc) fill(u *providers.Usage, inputChars int64) {
	if a.model != "" {
		u.Model = a.model
	}
	if a.id != "" {
		u.ResponseID = a.id
	}
	u.ToolCalls = a.toolCalls
	if len(a.toolNames) > 0 {
		// a copy: the Reporter may keep it while a stream's acc lives on
		u.ToolNames = append([]string(nil), a.toolNames...)
	}
	if a.images > 0 && u.Operation == providers.OpImage {
		u.Images = a.images
	}
	u.WebSearches, u.ServiceTier = a.webSearches, a.tier
	if a.errCode != "" || a.errType != "" {
		u.ErrorType, u.ErrorCode = a.errType, a.errCode
	}
	if a.hasUsage {
		a.usage.apply(u)
		return
	}
	u.Estimated = true
	u.InputTokens = estimateTokens(inputChars)
	u.OutputTokens = estimateTokens(a.outChars)
	u.TotalTokens = u.InputTokens + u.OutputTokens
}

// charsPerToken is the usual rule of thumb for English text with OpenAI
// tokenizers; estimates are marked Estimated and are never the provider's.
const charsPerToken = 4

func estimateTokens(chars int64) int64 {
	if chars <= 0 {
		return 0
	}
	return (chars + charsPerToken - 1) / charsPerToken
}

// describeError fills the error fields of u from err without its message
// text: HTTP status and OpenAI error type/code from *APIError or
// *RequestError, or a kind for context and transport errors.
func describeError(err error, u *providers.Usage) {
	u.Err = err
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.As(err, &apiErr):
		u.HTTPStatus = apiErr.HTTPStatusCode
		u.ErrorType = apiErr.Type
		u.ErrorCode = codeString(apiErr.Code)
	case errors.As(err, &reqErr):
		u.HTTPStatus = reqErr.HTTPStatusCode
		u.ErrorType = "request_error"
	case errors.Is(err, context.Canceled):
		u.ErrorType = "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		u.ErrorType = "timeout"
	}
}

func codeString(c any) string {
	switch v := c.(type) {
	case nil:
		return ""
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	default:
		return fmt.Sprint(v)
	}
}
