package langchaingo_test

import (
	"testing"

	"github.com/tmc/langchaingo/llms"

	"github.com/drip-sdk/drip-go/langchaingo"
	"github.com/drip-sdk/drip-go/providers"
)

// mistralUsage has the shape of mistral-go's UsageInfo.
type mistralUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// TestUsageFromResponse builds GenerationInfo as each langchaingo v0.1.14
// provider builds it.
func TestUsageFromResponse(t *testing.T) {
	type tokens struct{ in, out, total, cached, reasoning int64 }
	cases := []struct {
		name   string
		infos  []map[string]any // one per choice
		want   tokens
		model  string
		wantOK bool
	}{
		{name: "openai", wantOK: true, want: tokens{11, 7, 18, 3, 2}, infos: []map[string]any{{
			"CompletionTokens": 7, "PromptTokens": 11, "TotalTokens": 18, "ReasoningTokens": 2,
			"PromptAudioTokens": 0, "ThinkingContent": "", "ThinkingTokens": 2, "PromptCachedTokens": 3,
			"CompletionAudioTokens": 0, "CompletionReasoningTokens": 2,
			"CompletionAcceptedPredictionTokens": 0, "CompletionRejectedPredictionTokens": 0,
		}}},
		{name: "openai n=3 copies usage on every choice", wantOK: true, want: tokens{11, 7, 18, 0, 0}, infos: []map[string]any{
			{"PromptTokens": 11, "CompletionTokens": 7, "TotalTokens": 18},
			{"PromptTokens": 11, "CompletionTokens": 7, "TotalTokens": 18},
			{"PromptTokens": 11, "CompletionTokens": 7, "TotalTokens": 18},
		}},
		{name: "anthropic one choice per block", wantOK: true, want: tokens{145, 20, 0, 40, 0}, infos: []map[string]any{
			{"InputTokens": 100, "OutputTokens": 20, "CacheCreationInputTokens": 5, "CacheReadInputTokens": 40, "ThinkingContent": "x"},
			{"InputTokens": 100, "OutputTokens": 20, "CacheCreationInputTokens": 5, "CacheReadInputTokens": 40},
		}},
		{name: "ollama", wantOK: true, want: tokens{9, 4, 13, 0, 0}, infos: []map[string]any{{
			"CompletionTokens": 4, "PromptTokens": 9, "TotalTokens": 13, "ThinkingContent": "", "ThinkingTokens": 0,
		}}},
		{name: "ollama with context cache", wantOK: true, want: tokens{9, 4, 13, 6, 0}, infos: []map[string]any{{
			"CompletionTokens": 4, "PromptTokens": 9, "TotalTokens": 13, "CachedTokens": 6, "CacheHit": true,
		}}},
		{name: "googleai int32 with cache", wantOK: true, want: tokens{50, 10, 60, 30, 0}, infos: []map[string]any{{
			"citations": nil, "safety": nil,
			"input_tokens": int32(50), "output_tokens": int32(10), "total_tokens": int32(60),
			"PromptTokens": int32(50), "CompletionTokens": int32(10), "TotalTokens": int32(60),
			"CachedTokens": int32(30), "CacheReadInputTokens": int32(30), "NonCachedInputTokens": int32(20),
			"ThinkingContent": "", "ThinkingTokens": 0,
		}}},
		{name: "bedrock snake_case", wantOK: true, want: tokens{12, 5, 0, 0, 0}, infos: []map[string]any{{
			"input_tokens": 12, "output_tokens": 5,
		}}},
		{name: "bedrock anthropic stream", wantOK: true, want: tokens{12, 5, 0, 0, 0}, infos: []map[string]any{{
			"input_tokens": 12, "output_tokens": 5,
		}}},
		{name: "mistral struct", wantOK: true, model: "mistral-small-latest", want: tokens{3, 4, 7, 0, 0}, infos: []map[string]any{{
			"created": 1700000000, "model": "mistral-small-latest", "usage": mistralUsage{3, 4, 7},
		}}},
		{name: "mistral pointer", wantOK: true, want: tokens{3, 4, 7, 0, 0}, infos: []map[string]any{{
			"usage": &mistralUsage{3, 4, 7},
		}}},
		{name: "usage map snake_case", wantOK: true, want: tokens{3, 4, 7, 0, 0}, infos: []map[string]any{{
			"usage": map[string]any{"prompt_tokens": 3.0, "completion_tokens": 4.0, "total_tokens": 7.0},
		}}},
		{name: "numbers of every type", wantOK: true, want: tokens{11, 7, 18, 3, 2}, infos: []map[string]any{{
			"PromptTokens": float64(11), "CompletionTokens": uint16(7), "TotalTokens": int64(18),
			"PromptCachedTokens": float32(3), "ReasoningTokens": uint8(2),
		}}},
		{name: "no usage", infos: []map[string]any{{"ThinkingContent": ""}}},
		{name: "negative and NaN are not counts", wantOK: true, want: tokens{0, 0, 0, 0, 0}, infos: []map[string]any{{
			"InputTokens": 0, "OutputTokens": -5,
		}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := &llms.ContentResponse{}
			for _, gi := range tc.infos {
				res.Choices = append(res.Choices, &llms.ContentChoice{GenerationInfo: gi})
			}
			u, ok := langchaingo.UsageFromResponse(res)
			got := tokens{u.InputTokens, u.OutputTokens, u.TotalTokens, u.CachedInputTokens, u.ReasoningTokens}
			if ok != tc.wantOK || got != tc.want || u.Model != tc.model {
				t.Fatalf("got %+v ok=%v model=%q, want %+v ok=%v model=%q", got, ok, u.Model, tc.want, tc.wantOK, tc.model)
			}
		})
	}
	if _, ok := langchaingo.UsageFromResponse(nil); ok {
		t.Fatal("nil response has no usage")
	}
}

func TestUsageFromResponseToolCalls(t *testing.T) {
	res := &llms.ContentResponse{Choices: []*llms.ContentChoice{{
		GenerationInfo: map[string]any{"PromptTokens": 1, "CompletionTokens": 1},
		ToolCalls:      []llms.ToolCall{{FunctionCall: &llms.FunctionCall{Name: "search", Arguments: `{"q":"secret"}`}}},
	}}}
	u, _ := langchaingo.UsageFromResponse(res)
	if u.ToolCalls != 1 || len(u.ToolNames) != 1 || u.ToolNames[0] != "search" {
		t.Fatalf("%+v", u)
	}
	var _ providers.Usage = u
}
