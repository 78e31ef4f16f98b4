package langchaingo

import (
	"math"
	"reflect"

	"github.com/tmc/langchaingo/llms"

	"github.com/drip-sdk/drip-go/providers"
)

// UsageFromResponse reads the token usage a langchaingo provider put in
// res: the GenerationInfo of the first choice that carries usage, read once
// (providers copy the same usage onto every choice, and anthropic makes one
// choice per content block, so choices are never summed). It knows the key
// spellings of every provider in langchaingo v0.1.14:
//
//	openai     PromptTokens, CompletionTokens, TotalTokens, PromptCachedTokens, ReasoningTokens
//	           (CompletionReasoningTokens, ThinkingTokens)
//	anthropic  InputTokens, OutputTokens, CacheReadInputTokens, CacheCreationInputTokens
//	ollama     PromptTokens, CompletionTokens, TotalTokens, CachedTokens
//	googleai   PromptTokens, CompletionTokens, TotalTokens, CachedTokens (also input_tokens, …)
//	bedrock    input_tokens, output_tokens
//	mistral    usage (a struct or map with PromptTokens/prompt_tokens, …), model
//
// Numbers may be any Go integer or float type. Anthropic's input tokens
// exclude cache reads and writes, so they are added in (InputTokens is every
// prompt token, CachedInputTokens the part read from cache,
// CacheCreationInputTokens the part written to it), which makes the
// counts mean the same thing for every provider. ok is false when res holds
// no usage at all. The model is set only when the provider names it
// (mistral). Tool calls of the first choice are counted, by name.
func UsageFromResponse(res *llms.ContentResponse) (u providers.Usage, ok bool) {
	if res == nil {
		return u, false
	}
	for _, c := range res.Choices {
		if c == nil || len(c.GenerationInfo) == 0 {
			continue
		}
		if ok = usageFromInfo(c.GenerationInfo, &u); ok {
			break
		}
	}
	if len(res.Choices) > 0 && res.Choices[0] != nil {
		if calls := res.Choices[0].ToolCalls; len(calls) > 0 {
			u.ToolCalls = len(calls)
			u.ToolNames = make([]string, 0, len(calls))
			for _, tc := range calls {
				if tc.FunctionCall != nil && tc.FunctionCall.Name != "" {
					u.ToolNames = append(u.ToolNames, tc.FunctionCall.Name)
				}
			}
		}
	}
	return u, ok
}

func usageFromInfo(gi map[string]any, u *providers.Usage) bool {
	if m, ok := gi["model"].(string); ok {
		u.Model = m
	}
	// OpenAI, ollama, googleai and mistral-style maps: prompt counts
	// include cached tokens.
	if in, ok := num(gi, "PromptTokens"); ok {
		u.InputTokens = in
		u.OutputTokens, _ = num(gi, "CompletionTokens")
		u.TotalTokens, _ = num(gi, "TotalTokens")
		u.CachedInputTokens = first(gi, "PromptCachedTokens", "CachedTokens", "CacheReadInputTokens")
		u.ReasoningTokens = first(gi, "CompletionReasoningTokens", "ReasoningTokens", "ThinkingTokens")
		return true
	}
	// Anthropic: input_tokens excludes cache reads and writes.
	if in, ok := num(gi, "InputTokens"); ok {
		read, _ := num(gi, "CacheReadInputTokens")
		created, _ := num(gi, "CacheCreationInputTokens")
		u.InputTokens = in + read + created
		u.CachedInputTokens, u.CacheCreationInputTokens = read, created
		u.OutputTokens, _ = num(gi, "OutputTokens")
		return true
	}
	// Bedrock (and googleai's duplicate snake_case keys).
	if in, ok := num(gi, "input_tokens"); ok {
		u.InputTokens = in
		u.OutputTokens, _ = num(gi, "output_tokens")
		u.TotalTokens, _ = num(gi, "total_tokens")
		return true
	}
	if out, ok := num(gi, "output_tokens"); ok { // bedrock stream with only the final delta
		u.OutputTokens = out
		return true
	}
	// Mistral: the SDK's UsageInfo struct (or a map) under "usage".
	if v, ok := gi["usage"]; ok && v != nil {
		return usageFromValue(v, u)
	}
	return false
}

// usageFromValue reads a nested usage value: a map or a struct (or pointer
// to one) with PromptTokens/CompletionTokens/TotalTokens fields or
// prompt_tokens/… keys.
func usageFromValue(v any, u *providers.Usage) bool {
	if m, ok := v.(map[string]any); ok {
		in, okIn := num(m, "prompt_tokens")
		out, okOut := num(m, "completion_tokens")
		if !okIn && !okOut {
			return usageFromInfo(m, u)
		}
		u.InputTokens, u.OutputTokens = in, out
		u.TotalTokens, _ = num(m, "total_tokens")
		return true
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return false
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return false
	}
	field := func(names ...string) (int64, bool) {
		for _, n := range names {
			if f := rv.FieldByName(n); f.IsValid() && f.CanInterface() {
				if x, ok := toInt(f.Interface()); ok {
					return x, true
				}
			}
		}
		return 0, false
	}
	in, okIn := field("PromptTokens", "InputTokens")
	out, okOut := field("CompletionTokens", "OutputTokens")
	if !okIn && !okOut {
		return false
	}
	u.InputTokens, u.OutputTokens = in, out
	u.TotalTokens, _ = field("TotalTokens")
	return true
}

func first(m map[string]any, keys ...string) int64 {
	for _, k := range keys {
		if v, ok := num(m, k); ok && v > 0 {
			return v
		}
	}
	return 0
}

func num(m map[string]any, key string) (int64, bool) {
	v, ok := m[key]
	if !ok {
		return 0, false
	}
	return toInt(v)
}

// toInt converts any Go number (and pointers to ints, as some SDKs use) to
// int64; negative, NaN and infinite values are not counts.
func toInt(v any) (int64, bool) {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int64:
		n = x
	case int32:
		n = int64(x)
	case int16:
		n = int64(x)
	case int8:
		n = int64(x)
	case uint:
		n = int64(min(uint64(x), math.MaxInt64))
	case uint64:
		n = int64(min(x, math.MaxInt64))
	case uint32:
		n = int64(x)
	case uint16:
		n = int64(x)
	case uint8:
		n = int64(x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) || x > math.MaxInt64 {
			return 0, false
		}
		n = int64(x)
	case float32:
		return toInt(float64(x))
	case *int:
		if x == nil {
			return 0, false
		}
		n = int64(*x)
	case *int32:
		if x == nil {
			return 0, false
		}
		n = int64(*x)
	case *int64:
		if x == nil {
			return 0, false
		}
		n = *x
	default:
		return 0, false
	}
	if n < 0 {
		return 0, false
	}
	return n, true
}
