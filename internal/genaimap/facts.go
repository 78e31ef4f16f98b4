// Package genaimap holds the one set of rules that turns a GenAI span into
// Drip events: which span opens a run, what kind of event a span is, its
// exact tokens from every attribute spelling real instrumentations use
// (GenAI semantic conventions, OpenLIT, OpenInference, OpenLLMetry,
// drip-go's own spans), its error event, and the ids that make it one event
// however often it is seen. otelbridge (spans of one Go process) and the
// Collector's Drip exporter (spans of a fleet, as pdata) both use it, so
// the same span yields the same event either way.
//
// The rules read a span through a small view: its attributes as Values
// added to a Facts, and SpanInfo for the rest. Prompts and completions are
// never kept: only their length is read, to estimate the tokens of a call
// that reported none.
package genaimap

import (
	"cmp"
	"encoding/json"
	"strings"

	"github.com/drip-sdk/drip-go/providers"
)

// Attribute keys with a meaning of their own to Drip.
const (
	// AttrCustomerID names the Drip customer a span's run is for.
	AttrCustomerID = "drip.customer_id"
	// AttrWorkflow names the Drip workflow (id or slug) of the run a span
	// opens.
	AttrWorkflow = "drip.workflow"
	// BaggageCustomerID is the baggage member read for the customer when
	// the span has no AttrCustomerID.
	BaggageCustomerID = "drip.customer_id"
	// AttrEstimated marks a span whose usage numbers are estimates.
	AttrEstimated = "drip.usage.estimated"
)

// Attribute keys the rules read. The gen_ai.* names are semantic
// conventions v1.41.0 plus the spellings other emitters (OpenLIT,
// OpenInference, OpenLLMetry, older semconv) use for the same facts; they
// are kept here because upstream removed them from semconv.
const (
	keyOperation    = "gen_ai.operation.name"
	keyProvider     = "gen_ai.provider.name"
	keySystem       = "gen_ai.system" // deprecated in 1.37, still common
	keyRequestModel = "gen_ai.request.model"
	keyRespModel    = "gen_ai.response.model"
	keyToolName     = "gen_ai.tool.name"
	keyAgentName    = "gen_ai.agent.name"
	keyWorkflowName = "gen_ai.workflow.name"
	keyDataSource   = "gen_ai.data_source.id"
	keyErrorType    = "error.type"
)

// token alias ranks: the lower the rank, the more a spelling is trusted
// when a span carries several (current semconv first, vendors last).
const (
	rankSemconv  int8 = 1 // semconv 1.27–1.41
	rankLegacy   int8 = 2 // semconv ≤1.26 and OpenLIT's own spellings
	rankOpenInf  int8 = 3 // OpenInference llm.token_count.*
	rankOpenLLMe int8 = 4 // OpenLLMetry llm.usage.*
)

// tokenField is one usage number as found on a span.
type tokenField struct {
	v    int64
	rank int8 // 0: not seen
}

func (t *tokenField) set(v *Value, rank int8) {
	if t.rank != 0 && t.rank <= rank {
		return
	}
	if v.kind == kindInt { // the usual case
		t.v, t.rank = max(v.n, 0), rank
		return
	}
	if n, ok := v.count(); ok {
		t.v, t.rank = n, rank
	}
}

// Facts is everything the rules read from a span's attributes, gathered
// by Add in one pass without allocating. The zero Facts is empty.
type Facts struct {
	op, provider, system             string
	reqModel, respModel              string
	invocation                       string // OpenInference llm.invocation_parameters (JSON)
	oiKind, tlKind, llmRequestType   string // OpenInference / OpenLLMetry span kinds
	toolName, agentName, entityName  string
	workflowName, dataSource         string
	errorType                        string
	tier, reqTier                    string // service tier answered, asked for
	httpStatus                       int64
	customer, workflow               string // drip.*
	metered, estimated, stream       bool
	in, out, total, cached, cacheNew tokenField
	reasoning                        tokenField
	// Prompt and completion text, read only for its length when the span
	// reports no tokens: per message (lengths), and whole attributes
	// (gen_ai.input.messages, input.value: JSON, measured lazily). Never
	// copied anywhere.
	inMsgLen, outMsgLen int64
	inAll, outAll       string
	sysLen              int64
}

// Add reads one attribute. Unknown keys cost one failed switch.
func (f *Facts) Add(key string, v Value) {
	switch key {
	// Drip's own.
	case AttrCustomerID:
		f.customer = v.str()
	case AttrWorkflow:
		f.workflow = v.str()
	case providers.MeteredAttribute:
		f.metered = v.boolean()
	case AttrEstimated:
		f.estimated = v.boolean()

	// What the span is.
	case keyOperation:
		f.op = v.str()
	case keyProvider:
		f.provider = v.str()
	case keySystem:
		f.system = v.str()
	case "openinference.span.kind":
		f.oiKind = v.str()
	case "traceloop.span.kind":
		f.tlKind = v.str()
	case "llm.request.type":
		f.llmRequestType = v.str()
	case "llm.provider", "llm.system", "llm.vendor":
		if f.system == "" {
			f.system = v.str()
		}
	case "gen_ai.request.is_stream", "gen_ai.request.stream", "llm.is_streaming":
		f.stream = v.boolean()

	// Models: response model wins over request model at use.
	case keyRespModel, "llm.response.model_name", "llm.response.model":
		f.respModel = v.str()
	case keyRequestModel, "llm.request.model_name", "llm.request.model":
		f.reqModel = v.str()
	case "llm.model_name": // OpenInference: the model that answered
		if f.respModel == "" {
			f.respModel = v.str()
		}
	// OpenAI's processing tier: the one that served the call, else the
	// one asked for ("auto" says none).
	case "openai.response.service_tier", "gen_ai.openai.response.service_tier":
		f.tier = v.str()
	case "openai.request.service_tier", "gen_ai.openai.request.service_tier":
		f.reqTier = v.str()
	case "llm.invocation_parameters": // OpenInference: the request (its tier too), as JSON
		f.invocation = v.str()

	// Names.
	case keyToolName, "tool.name":
		f.toolName = v.str()
	case keyAgentName, "agent.name":
		f.agentName = v.str()
	case "traceloop.entity.name":
		f.entityName = v.str()
	case keyWorkflowName, "traceloop.workflow.name":
		f.workflowName = v.str()
	case keyDataSource:
		f.dataSource = v.str()
	case keyErrorType:
		f.errorType = v.str()
	case "http.response.status_code", "http.status_code":
		f.httpStatus, _ = v.count()

	// Input tokens.
	case "gen_ai.usage.input_tokens":
		f.in.set(&v, rankSemconv)
	case "gen_ai.usage.prompt_tokens":
		f.in.set(&v, rankLegacy)
	case "llm.token_count.prompt":
		f.in.set(&v, rankOpenInf)
	case "llm.usage.prompt_tokens":
		f.in.set(&v, rankOpenLLMe)
	// Output tokens.
	case "gen_ai.usage.output_tokens":
		f.out.set(&v, rankSemconv)
	case "gen_ai.usage.completion_tokens":
		f.out.set(&v, rankLegacy)
	case "llm.token_count.completion":
		f.out.set(&v, rankOpenInf)
	case "llm.usage.completion_tokens":
		f.out.set(&v, rankOpenLLMe)
	// Totals (used only when input and output are both missing).
	case "gen_ai.usage.total_tokens":
		f.total.set(&v, rankLegacy)
	case "llm.token_count.total":
		f.total.set(&v, rankOpenInf)
	case "llm.usage.total_tokens":
		f.total.set(&v, rankOpenLLMe)
	// Cached input (read from cache; part of input).
	case "gen_ai.usage.cache_read.input_tokens":
		f.cached.set(&v, rankSemconv)
	case "gen_ai.usage.cache.read_input_tokens", "gen_ai.usage.prompt_tokens_details.cache_read":
		f.cached.set(&v, rankLegacy)
	case "llm.token_count.prompt_details.cache_read":
		f.cached.set(&v, rankOpenInf)
	// Input written to the cache (part of input).
	case "gen_ai.usage.cache_creation.input_tokens":
		f.cacheNew.set(&v, rankSemconv)
	case "gen_ai.usage.cache.creation_input_tokens", "gen_ai.usage.prompt_tokens_details.cache_write":
		f.cacheNew.set(&v, rankLegacy)
	case "llm.token_count.prompt_details.cache_write":
		f.cacheNew.set(&v, rankOpenInf)
	// Reasoning (part of output).
	case "gen_ai.usage.reasoning.output_tokens":
		f.reasoning.set(&v, rankSemconv)
	case "gen_ai.usage.reasoning_tokens", "gen_ai.usage.completion_tokens_details.reasoning":
		f.reasoning.set(&v, rankLegacy)
	case "llm.token_count.completion_details.reasoning":
		f.reasoning.set(&v, rankOpenInf)

	// Message text: its length only, for an estimate when no usage came.
	case "gen_ai.input.messages", "gen_ai.prompt", "input.value":
		f.inAll = v.str()
	case "gen_ai.system_instructions":
		f.sysLen = int64(len(v.str()))
	case "gen_ai.output.messages", "gen_ai.completion", "output.value":
		f.outAll = v.str()
	default:
		if len(key) > 20 && strings.HasSuffix(key, ".content") {
			f.messagePart(key, &v)
		}
	}
}

// messagePart counts the length of one indexed message's text
// (llm.input_messages.0.message.content, gen_ai.prompt.0.content, …).
func (f *Facts) messagePart(key string, v *Value) {
	switch {
	case strings.HasPrefix(key, "llm.input_messages."), strings.HasPrefix(key, "gen_ai.prompt."):
		f.inMsgLen += int64(len(v.str()))
	case strings.HasPrefix(key, "llm.output_messages."), strings.HasPrefix(key, "gen_ai.completion."):
		f.outMsgLen += int64(len(v.str()))
	}
}

// Customer is the span's drip.customer_id attribute.
func (f *Facts) Customer() string { return f.customer }

// SetCustomer sets the customer when a span names it another way (a
// resource attribute, a configured key).
func (f *Facts) SetCustomer(c string) { f.customer = c }

// Metered reports whether drip-go's own instrumentation marked the span as
// metered already (providers.MeteredAttribute): its call is recorded.
func (f *Facts) Metered() bool { return f.metered }

// Kind is what a span becomes in Drip.
type Kind uint8

// The kinds of span.
const (
	KindOther     Kind = iota // a generic span event, if enabled
	KindLLM                   // llm.completion / llm.error
	KindTool                  // tool.call / tool.error
	KindAgent                 // agent.finish / agent.error
	KindWorkflow              // chain.execution / chain.error
	KindRetrieval             // retriever.query / retriever.error
)

// HasTokens reports whether the span carries any token count.
func (f *Facts) HasTokens() bool {
	return f.in.rank != 0 || f.out.rank != 0 || f.total.rank != 0
}

// Kind classifies the span: gen_ai.operation.name first, then the
// OpenInference and OpenLLMetry span kinds, then the older signs of an
// inference span (gen_ai.system, llm.request.type, usage keys).
func (f *Facts) Kind() Kind {
	switch f.op {
	case "":
	case providers.OpChat, providers.OpTextCompletion, providers.OpGenerate, providers.OpEmbeddings,
		providers.OpResponses, "completion", "embedding": // the last two: OpenLIT
		return KindLLM
	case "execute_tool":
		return KindTool
	case "invoke_agent":
		return KindAgent
	case "invoke_workflow":
		return KindWorkflow
	case "retrieval":
		return KindRetrieval
	default: // create_agent, image, audio, …: billable only if it says so
		if f.HasTokens() {
			return KindLLM
		}
		return KindOther
	}
	switch f.oiKind {
	case "LLM", "EMBEDDING":
		return KindLLM
	case "TOOL":
		return KindTool
	case "AGENT":
		return KindAgent
	case "RETRIEVER":
		return KindRetrieval
	}
	switch f.tlKind {
	case "tool":
		return KindTool
	case "agent":
		return KindAgent
	case "workflow":
		return KindWorkflow
	}
	if f.system != "" || f.provider != "" || f.llmRequestType != "" || f.HasTokens() {
		return KindLLM
	}
	return KindOther
}

// operation is the gen_ai.operation.name value for an inference span, with
// other emitters' spellings mapped onto it. An OpenInference LLM span names
// no operation: it is a chat.
func (f *Facts) operation() string {
	op := f.op
	if op == "" {
		op = f.llmRequestType
	}
	switch op {
	case "completion":
		return providers.OpTextCompletion
	case "embedding":
		return providers.OpEmbeddings
	case "":
		switch f.oiKind {
		case "EMBEDDING":
			return providers.OpEmbeddings
		case "LLM":
			return providers.OpChat
		}
	}
	return op
}

func (f *Facts) providerName() string {
	if f.provider != "" {
		return f.provider
	}
	return f.system
}

// invocationParams is what the rules take from OpenInference's
// llm.invocation_parameters: the request model, whether it streamed, and
// the service tier it asked for.
type invocationParams struct {
	Model       string `json:"model"`
	Stream      bool   `json:"stream"`
	ServiceTier string `json:"service_tier"`
}

// invocationParams decodes llm.invocation_parameters, read only when a
// fact is missing elsewhere.
func (f *Facts) invocationParams() invocationParams {
	var p invocationParams
	if f.invocation != "" {
		_ = json.Unmarshal([]byte(f.invocation), &p) // best effort: a bad one says nothing
	}
	return p
}

// estimateTokens turns a text length into tokens: about four bytes a
// token, the usual rule of thumb for English text and JSON.
func estimateTokens(n int64) int64 { return (n + 3) / 4 }

// Usage fills u with the span's model call. Input and output come from
// whichever spelling ranks best; a lone total (no split) is kept as the
// total so the quantity is still right. A call that reported no tokens at
// all (a stream without usage) is estimated from its message lengths and
// marked Estimated: never dropped, never taken for exact.
func (f *Facts) Usage(u *providers.Usage) {
	u.Provider = f.providerName()
	u.Operation = f.operation()
	u.Model = f.respModel
	u.RequestModel = f.reqModel
	u.InputTokens = f.in.v
	u.OutputTokens = f.out.v
	if f.in.rank == 0 && f.out.rank == 0 {
		u.TotalTokens = f.total.v
	}
	u.CachedInputTokens = f.cached.v
	u.CacheCreationInputTokens = f.cacheNew.v // priced at the cache-write rate
	u.ReasoningTokens = f.reasoning.v
	u.Estimated = f.estimated
	u.Streamed = f.stream
	// The tier that served the call, else the one asked for; flex and
	// batch tokens are priced at half, priority at its own prices. "auto"
	// names none.
	tier := cmp.Or(f.tier, f.reqTier)
	if f.invocation != "" && (u.RequestModel == "" || tier == "") {
		p := f.invocationParams()
		if u.RequestModel == "" {
			u.RequestModel = p.Model
			u.Streamed = u.Streamed || p.Stream
		}
		tier = cmp.Or(tier, p.ServiceTier)
	}
	if tier != "auto" {
		u.ServiceTier = tier
	}
	if !f.HasTokens() {
		in, out := f.inMsgLen, f.outMsgLen
		if in == 0 {
			in = textLen(f.inAll) + f.sysLen
		}
		if out == 0 {
			out = textLen(f.outAll)
		}
		u.InputTokens, u.OutputTokens = estimateTokens(in), estimateTokens(out)
		u.Estimated = true
	}
}

// textLen is the length of the text in a message attribute: the "content"
// and "text" strings when it is JSON (messages, parts, a whole request),
// else all of it.
func textLen(s string) int64 {
	if s == "" {
		return 0
	}
	if s[0] != '[' && s[0] != '{' {
		return int64(len(s))
	}
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return int64(len(s))
	}
	if n, found := contentLen(v); found {
		return n
	}
	return int64(len(s))
}

// contentLen sums the lengths of the "content" and "text" strings in v.
func contentLen(v any) (n int64, found bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && (k == "content" || k == "text") {
				n, found = n+int64(len(s)), true
				continue
			}
			m, f := contentLen(x)
			n, found = n+m, found || f
		}
	case []any:
		for _, x := range v {
			m, f := contentLen(x)
			n, found = n+m, found || f
		}
	}
	return n, found
}

// CacheWrites is the span's input tokens written to the prompt cache.
func (f *Facts) CacheWrites() int64 { return f.cacheNew.v }

func (f *Facts) toolLabel() string {
	switch {
	case f.toolName != "":
		return f.toolName
	case f.entityName != "":
		return f.entityName
	}
	return "unknown_tool"
}

func (f *Facts) agentLabel() string {
	switch {
	case f.agentName != "":
		return f.agentName
	case f.entityName != "":
		return f.entityName
	}
	return "agent"
}
