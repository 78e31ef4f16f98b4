package otelbridge

import (
	"strconv"

	"go.opentelemetry.io/otel/attribute"

	"github.com/drip-sdk/drip-go/providers"
)

// Attribute keys the bridge reads. The gen_ai.* names are semantic
// conventions v1.41.0 (the last Go semconv package that has them) plus the
// spellings other emitters (OpenLIT, OpenInference, OpenLLMetry, older
// semconv) use for the same facts;
// they are kept here because upstream removed them from semconv.
const (
	// AttrCustomerID names the Drip customer a span's run is for. Set it at
	// span start (trace.WithAttributes): OnStart is the only point where the
	// bridge decides whether to open a run.
	AttrCustomerID = "drip.customer_id"
	// AttrWorkflow names the Drip workflow (id or slug) of the run a span
	// opens.
	AttrWorkflow = "drip.workflow"
	// BaggageCustomerID is the baggage member read for the customer when the
	// span has no AttrCustomerID.
	BaggageCustomerID = "drip.customer_id"

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
	keyEstimated    = "drip.usage.estimated"
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

func (t *tokenField) set(v *attribute.Value, rank int8) {
	if t.rank != 0 && t.rank <= rank {
		return
	}
	if v.Type() == attribute.INT64 { // the usual case, inlined
		t.v, t.rank = max(v.AsInt64(), 0), rank
		return
	}
	t.setOther(v, rank)
}

func (t *tokenField) setOther(v *attribute.Value, rank int8) {
	n, ok := attrInt(v)
	if !ok {
		return
	}
	t.v, t.rank = n, rank
}

// attrInt reads a token count whatever type the emitter used.
func attrInt(v *attribute.Value) (int64, bool) {
	var n int64
	switch v.Type() {
	case attribute.INT64:
		n = v.AsInt64()
	case attribute.FLOAT64:
		n = int64(v.AsFloat64())
	case attribute.STRING:
		var err error
		if n, err = strconv.ParseInt(v.AsString(), 10, 64); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	return max(n, 0), true
}

// spanFacts is everything the bridge reads from a span's attributes, found
// in one pass without allocating.
type spanFacts struct {
	op, provider, system             string
	reqModel, respModel              string
	oiKind, tlKind, llmRequestType   string // OpenInference / OpenLLMetry span kinds
	toolName, agentName, entityName  string
	workflowName, dataSource         string
	errorType                        string
	httpStatus                       int64
	customer, workflow               string // drip.*
	metered, estimated               bool
	in, out, total, cached, cacheNew tokenField
	reasoning                        tokenField
}

// scan fills f from attrs. Unknown keys cost one failed switch.
func (f *spanFacts) scan(attrs []attribute.KeyValue) {
	for i := range attrs {
		kv := &attrs[i]
		switch kv.Key {
		// Drip's own.
		case AttrCustomerID:
			f.customer = kv.Value.AsString()
		case AttrWorkflow:
			f.workflow = kv.Value.AsString()
		case providers.MeteredAttribute:
			f.metered = kv.Value.AsBool()
		case keyEstimated:
			f.estimated = kv.Value.AsBool()

		// What the span is.
		case keyOperation:
			f.op = kv.Value.AsString()
		case keyProvider:
			f.provider = kv.Value.AsString()
		case keySystem:
			f.system = kv.Value.AsString()
		case "openinference.span.kind":
			f.oiKind = kv.Value.AsString()
		case "traceloop.span.kind":
			f.tlKind = kv.Value.AsString()
		case "llm.request.type":
			f.llmRequestType = kv.Value.AsString()
		case "llm.provider", "llm.system", "llm.vendor":
			if f.system == "" {
				f.system = kv.Value.AsString()
			}

		// Models: response model wins over request model at use.
		case keyRespModel, "llm.response.model_name", "llm.response.model":
			f.respModel = kv.Value.AsString()
		case keyRequestModel, "llm.request.model_name", "llm.request.model":
			f.reqModel = kv.Value.AsString()
		case "llm.model_name": // OpenInference: the model that answered
			if f.respModel == "" {
				f.respModel = kv.Value.AsString()
			}

		// Names.
		case keyToolName, "tool.name":
			f.toolName = kv.Value.AsString()
		case keyAgentName, "agent.name":
			f.agentName = kv.Value.AsString()
		case "traceloop.entity.name":
			f.entityName = kv.Value.AsString()
		case keyWorkflowName, "traceloop.workflow.name":
			f.workflowName = kv.Value.AsString()
		case keyDataSource:
			f.dataSource = kv.Value.AsString()
		case keyErrorType:
			f.errorType = kv.Value.AsString()
		case "http.response.status_code", "http.status_code":
			f.httpStatus, _ = attrInt(&kv.Value)

		// Input tokens.
		case "gen_ai.usage.input_tokens":
			f.in.set(&kv.Value, rankSemconv)
		case "gen_ai.usage.prompt_tokens":
			f.in.set(&kv.Value, rankLegacy)
		case "llm.token_count.prompt":
			f.in.set(&kv.Value, rankOpenInf)
		case "llm.usage.prompt_tokens":
			f.in.set(&kv.Value, rankOpenLLMe)
		// Output tokens.
		case "gen_ai.usage.output_tokens":
			f.out.set(&kv.Value, rankSemconv)
		case "gen_ai.usage.completion_tokens":
			f.out.set(&kv.Value, rankLegacy)
		case "llm.token_count.completion":
			f.out.set(&kv.Value, rankOpenInf)
		case "llm.usage.completion_tokens":
			f.out.set(&kv.Value, rankOpenLLMe)
		// Totals (used only when input and output are both missing).
		case "gen_ai.usage.total_tokens":
			f.total.set(&kv.Value, rankLegacy)
		case "llm.token_count.total":
			f.total.set(&kv.Value, rankOpenInf)
		case "llm.usage.total_tokens":
			f.total.set(&kv.Value, rankOpenLLMe)
		// Cached input (read from cache; part of input).
		case "gen_ai.usage.cache_read.input_tokens":
			f.cached.set(&kv.Value, rankSemconv)
		case "gen_ai.usage.cache.read_input_tokens", "gen_ai.usage.prompt_tokens_details.cache_read":
			f.cached.set(&kv.Value, rankLegacy)
		case "llm.token_count.prompt_details.cache_read":
			f.cached.set(&kv.Value, rankOpenInf)
		// Input written to the cache (reported in metadata only).
		case "gen_ai.usage.cache_creation.input_tokens":
			f.cacheNew.set(&kv.Value, rankSemconv)
		case "gen_ai.usage.cache.creation_input_tokens", "gen_ai.usage.prompt_tokens_details.cache_write":
			f.cacheNew.set(&kv.Value, rankLegacy)
		case "llm.token_count.prompt_details.cache_write":
			f.cacheNew.set(&kv.Value, rankOpenInf)
		// Reasoning (part of output).
		case "gen_ai.usage.reasoning.output_tokens":
			f.reasoning.set(&kv.Value, rankSemconv)
		case "gen_ai.usage.reasoning_tokens", "gen_ai.usage.completion_tokens_details.reasoning":
			f.reasoning.set(&kv.Value, rankLegacy)
		case "llm.token_count.completion_details.reasoning":
			f.reasoning.set(&kv.Value, rankOpenInf)
		}
	}
}

// spanKind is what a span becomes in Drip.
type spanKind uint8

const (
	kindOther     spanKind = iota // generic span event, if enabled
	kindLLM                       // llm.completion / llm.error
	kindTool                      // tool.call / tool.error
	kindAgent                     // agent.finish / agent.error
	kindWorkflow                  // chain.execution / chain.error
	kindRetrieval                 // retriever.query / retriever.error
)

func (f *spanFacts) hasTokens() bool {
	return f.in.rank != 0 || f.out.rank != 0 || f.total.rank != 0
}

// kind classifies the span: gen_ai.operation.name first, then the
// OpenInference and OpenLLMetry span kinds, then the older signs of an
// inference span (gen_ai.system, llm.request.type, usage keys).
func (f *spanFacts) kind() spanKind {
	switch f.op {
	case "":
	case providers.OpChat, providers.OpTextCompletion, providers.OpGenerate, providers.OpEmbeddings,
		providers.OpResponses, "completion", "embedding": // the last two: OpenLIT
		return kindLLM
	case "execute_tool":
		return kindTool
	case "invoke_agent":
		return kindAgent
	case "invoke_workflow":
		return kindWorkflow
	case "retrieval":
		return kindRetrieval
	default: // create_agent, image, audio, …: billable only if it says so
		if f.hasTokens() {
			return kindLLM
		}
		return kindOther
	}
	switch f.oiKind {
	case "LLM", "EMBEDDING":
		return kindLLM
	case "TOOL":
		return kindTool
	case "AGENT":
		return kindAgent
	case "RETRIEVER":
		return kindRetrieval
	}
	switch f.tlKind {
	case "tool":
		return kindTool
	case "agent":
		return kindAgent
	case "workflow":
		return kindWorkflow
	}
	if f.system != "" || f.provider != "" || f.llmRequestType != "" || f.hasTokens() {
		return kindLLM
	}
	return kindOther
}

// operation is the gen_ai.operation.name value for an inference span, with
// other emitters' spellings mapped onto it.
func (f *spanFacts) operation() string {
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
		if f.oiKind == "EMBEDDING" {
			return providers.OpEmbeddings
		}
	}
	return op
}

func (f *spanFacts) providerName() string {
	if f.provider != "" {
		return f.provider
	}
	return f.system
}

// usage fills u with the span's model call. Input and output come from
// whichever spelling ranks best; a lone total (no split) is kept as the
// total so the quantity is still right.
func (f *spanFacts) usage(u *providers.Usage) {
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
	u.ReasoningTokens = f.reasoning.v
	u.Estimated = f.estimated
}

func (f *spanFacts) toolLabel() string {
	switch {
	case f.toolName != "":
		return f.toolName
	case f.entityName != "":
		return f.entityName
	}
	return "unknown_tool"
}

func (f *spanFacts) agentLabel() string {
	switch {
	case f.agentName != "":
		return f.agentName
	case f.entityName != "":
		return f.entityName
	}
	return "agent"
}
