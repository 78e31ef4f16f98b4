package pricing

import (
	"math"
	"sync"
	"testing"
)

func TestLookup(t *testing.T) {
	tests := []struct {
		model string
		want  string // the builtin key expected to price it; "" = unknown
	}{
		{"gpt-4o", "gpt-4o"},
		{"gpt-4o-2024-08-06", "gpt-4o"},
		{"gpt-4o-2024-05-13", "gpt-4o-2024-05-13"},
		{"GPT-4o-Mini", "gpt-4o-mini"},
		{"gpt-4o-mini", "gpt-4o-mini"},
		{"gpt-4o-mini-2024-07-18", "gpt-4o-mini"},
		{"openai/gpt-4o-mini", "gpt-4o-mini"},
		{"openai/gpt-4o", "gpt-4o"},
		{"gpt-4", "gpt-4"},
		{"gpt-4-0613", "gpt-4"},
		{"gpt-4-32k", "gpt-4-32k"},
		{"gpt-4-32k-0613", "gpt-4-32k"},
		{"gpt-4-turbo-2024-04-09", "gpt-4-turbo"},
		{"gpt-4-1106-preview", "gpt-4-1106"},
		{"gpt-4.1", "gpt-4.1"},
		{"gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"},
		{"gpt-4.1-nano", "gpt-4.1-nano"},
		{"gpt-4.5-preview-2025-02-27", "gpt-4.5-preview"},
		{"gpt-3.5-turbo", "gpt-3.5-turbo"},
		{"gpt-3.5-turbo-0125", "gpt-3.5-turbo"},
		{"gpt-3.5-turbo-16k", "gpt-3.5-turbo-16k"},
		{"gpt-3.5-turbo-16k-0613", "gpt-3.5-turbo-16k"},
		{"gpt-3.5-turbo-instruct", "gpt-3.5-turbo-instruct"},
		{"gpt-5", "gpt-5"},
		{"gpt-5-2025-08-07", "gpt-5"},
		{"gpt-5-mini", "gpt-5-mini"},
		{"gpt-5-nano-2025-08-07", "gpt-5-nano"},
		{"gpt-5-chat-latest", "gpt-5"},
		{"chatgpt-4o-latest", "chatgpt-4o"},
		{"o1", "o1"},
		{"o1-2024-12-17", "o1"},
		{"o1-mini", "o1-mini"},
		{"o3", "o3"},
		{"o3-mini-2025-01-31", "o3-mini"},
		{"o4-mini", "o4-mini"},
		{"text-embedding-3-small", "text-embedding-3-small"},
		{"text-embedding-3-large", "text-embedding-3-large"},
		{"text-embedding-ada-002", "text-embedding-ada-002"},
		{"claude-3-5-sonnet-20241022", "claude-3-5-sonnet"},
		{"claude-3-5-sonnet@20240620", "claude-3-5-sonnet"},
		{"claude-3-5-sonnet-latest", "claude-3-5-sonnet"},
		{"anthropic/claude-3.5-sonnet", "claude-3.5-sonnet"},
		{"anthropic.claude-3-5-sonnet-20240620-v1:0", "claude-3-5-sonnet"},
		{"us.anthropic.claude-3-7-sonnet-20250219-v1:0", "claude-3-7-sonnet"},
		{"claude-3-5-haiku-20241022", "claude-3-5-haiku"},
		{"claude-3-opus-20240229", "claude-3-opus"},
		{"claude-3-haiku-20240307", "claude-3-haiku"},
		{"claude-sonnet-4-20250514", "claude-sonnet-4"},
		{"claude-opus-4-1-20250805", "claude-opus-4"},
		{"claude-opus-4-5-20251101", "claude-opus-4-5"},
		{"claude-haiku-4-5", "claude-haiku-4-5"},
		{"gpt-5.1-chat-latest", "gpt-5.1"},
		{"gpt-5-pro-2025-10-06", "gpt-5-pro"},
		{"gemini-3-pro-preview", "gemini-3-pro"},
		{"models/gemini-1.5-flash-001", "gemini-1.5-flash"},
		{"gemini-1.5-flash-8b", "gemini-1.5-flash-8b"},
		{"google/gemini-2.0-flash-lite", "gemini-2.0-flash-lite"},
		{"gemini-2.5-pro", "gemini-2.5-pro"},
		{"gemini-2.5-flash-lite", "gemini-2.5-flash-lite"},
		{"gemini-1.5-pro-latest", "gemini-1.5-pro"},
		{"mistral-large-2411", "mistral-large"},
		{"mistral-small-latest", "mistral-small"},
		{"mistralai/codestral-2501", "codestral"},
		{"open-mixtral-8x22b", "open-mixtral-8x22b"},
		// Unknown: no price rather than a wrong one.
		{"gpt-4o3", ""},
		{"gpt-4.7", ""},
		{"gpt-6", ""},
		{"llama-3-70b", ""},
		{"dall-e-3", ""},
		{"", ""},
		{"gpt", ""},
		{"o5", ""},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			got, ok := Default().Lookup(tt.model)
			if tt.want == "" {
				if ok {
					t.Fatalf("Lookup(%q) = %+v, want unknown", tt.model, got)
				}
				return
			}
			if !ok {
				t.Fatalf("Lookup(%q): unknown, want %s", tt.model, tt.want)
			}
			if want := builtin[tt.want]; got != want {
				t.Fatalf("Lookup(%q) = %+v, want %s %+v", tt.model, got, tt.want, want)
			}
		})
	}
}

func TestMiniIsNotPricedAsParent(t *testing.T) {
	mini, _ := Default().Lookup("gpt-4o-mini-2024-07-18")
	full, _ := Default().Lookup("gpt-4o-2024-08-06")
	if mini == full {
		t.Fatalf("gpt-4o-mini priced as gpt-4o: %+v", mini)
	}
}

func TestCost(t *testing.T) {
	tests := []struct {
		name                  string
		model                 string
		input, cached, output int64
		want                  float64
		ok                    bool
	}{
		{"gpt-4o plain", "gpt-4o", 1_000_000, 0, 1_000_000, 2.50 + 10, true},
		{"gpt-4o cached subset", "gpt-4o-2024-08-06", 1000, 400, 500, (600*2.50 + 400*1.25 + 500*10) / 1e6, true},
		{"no cache price uses input", "gpt-4", 1000, 400, 0, 1000 * 30 / 1e6, true},
		{"cached above input is clamped", "gpt-4o-mini", 10, 50, 0, 10 * 0.075 / 1e6, true},
		{"embeddings", "text-embedding-3-small", 1_000_000, 0, 0, 0.02, true},
		{"unknown", "my-model", 1000, 0, 1000, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Default().Cost(tt.model, tt.input, tt.cached, tt.output)
			if ok != tt.ok || math.Abs(got-tt.want) > 1e-12 {
				t.Fatalf("Cost = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// Audio is priced at its own rate: per audio token for the transcription
// and audio models, per minute for whisper-1; so are Anthropic's 1-hour
// cache writes and web searches.
func TestCostAudio(t *testing.T) {
	tests := []struct {
		name  string
		model string
		n     Tokens
		want  float64
	}{
		{"gpt-4o-transcribe audio and text in", "gpt-4o-transcribe", Tokens{Input: 1000, AudioInput: 900, Output: 200},
			(100*2.50 + 900*6 + 200*10) / 1e6},
		{"gpt-4o-mini-transcribe dated", "gpt-4o-mini-transcribe-2025-12-15", Tokens{Input: 1000, AudioInput: 1000, Output: 100},
			(1000*3 + 100*5) / 1e6},
		{"audio above input is clamped", "gpt-4o-transcribe", Tokens{Input: 10, AudioInput: 50}, 10 * 6 / 1e6},
		{"audio model in chat", "gpt-4o-audio-preview", Tokens{Input: 100, AudioInput: 60, Output: 10},
			(40*2.50 + 60*40 + 10*10) / 1e6},
		{"no audio price uses input", "gpt-4o", Tokens{Input: 100, AudioInput: 60}, 100 * 2.50 / 1e6},
		{"whisper-1 by the minute", "whisper-1", Tokens{AudioSeconds: 90}, 1.5 * 0.006},
		{"seconds cost nothing on a token model", "gpt-4o", Tokens{AudioSeconds: 90}, 0},
		{"claude 1-hour cache writes at 2x input", "claude-sonnet-4-5-20250929",
			Tokens{Input: 1000, CachedInput: 100, CacheWriteInput: 500, CacheWrite1hInput: 200, Output: 10},
			(400*3 + 100*0.30 + 300*3.75 + 200*6 + 10*15) / 1e6},
		{"1-hour writes above the writes are clamped", "claude-sonnet-4-5", Tokens{Input: 100, CacheWriteInput: 10, CacheWrite1hInput: 50},
			(90*3 + 10*6) / 1e6},
		{"no 1-hour price uses the write price", "gpt-4o", Tokens{Input: 100, CacheWriteInput: 10, CacheWrite1hInput: 10}, 100 * 2.50 / 1e6},
		{"web searches at $10 per 1,000", "claude-opus-4-5", Tokens{Input: 1000, Output: 100, WebSearches: 3},
			(1000*5+100*25)/1e6 + 3*0.01},
		{"flex tokens at half price", "gpt-4o", Tokens{Input: 1000, CachedInput: 200, Output: 100, ServiceTier: "flex"},
			(800*2.50 + 200*1.25 + 100*10) / 2 / 1e6},
		{"batch tokens at half price, searches at full", "claude-opus-4-5", Tokens{Input: 1000, Output: 100, WebSearches: 3, ServiceTier: "batch"},
			(1000*5+100*25)/2/1e6 + 3*0.01},
		{"priority at the priority prices", "gpt-4.1-2025-04-14", Tokens{Input: 1000, CachedInput: 200, Output: 100, ServiceTier: "priority"},
			(800*3.50 + 200*0.875 + 100*14) / 1e6},
		{"priority without a cached price", "gpt-4o-2024-05-13", Tokens{Input: 1000, CachedInput: 200, Output: 100, ServiceTier: "priority"},
			(1000*8.75 + 100*26.25) / 1e6},
		{"priority cache writes at priority input", "gpt-4o", Tokens{Input: 1000, CacheWriteInput: 300, Output: 100, ServiceTier: "priority"},
			(1000*4.25 + 100*17) / 1e6},
		{"no priority prices: the standard ones", "claude-opus-4-5", Tokens{Input: 1000, Output: 100, ServiceTier: "priority"},
			(1000*5 + 100*25) / 1e6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Default().CostTokens(tt.model, tt.n)
			if !ok || math.Abs(got-tt.want) > 1e-12 {
				t.Fatalf("CostTokens = %v, %v; want %v", got, ok, tt.want)
			}
		})
	}
}

func TestOverrides(t *testing.T) {
	t.Run("New overrides and extends", func(t *testing.T) {
		tab := New(map[string]Price{
			"openai/gpt-4o-2024-08-06": {Input: 1, Output: 2},
			"my-finetune":              {Input: 3, Output: 4},
		})
		if p, _ := tab.Lookup("gpt-4o"); p != (Price{Input: 1, Output: 2}) {
			t.Fatalf("override not applied: %+v", p)
		}
		if p, ok := tab.Lookup("my-finetune-v2"); !ok || p.Input != 3 {
			t.Fatalf("extension not found: %+v %v", p, ok)
		}
		if p, _ := tab.Lookup("gpt-4o-mini"); p != builtin["gpt-4o-mini"] {
			t.Fatalf("override leaked to gpt-4o-mini: %+v", p)
		}
		if p, _ := Default().Lookup("gpt-4o"); p != builtin["gpt-4o"] {
			t.Fatalf("New changed Default: %+v", p)
		}
	})
	t.Run("With copies, Set mutates", func(t *testing.T) {
		base := New()
		w := base.With(map[string]Price{"x-model": {Input: 1}})
		if _, ok := base.Lookup("x-model"); ok {
			t.Fatal("With changed its receiver")
		}
		if _, ok := w.Lookup("x-model"); !ok {
			t.Fatal("With lost its entry")
		}
		base.Set("X-Model", Price{Input: 2})
		if p, _ := base.Lookup("x-model"); p.Input != 2 {
			t.Fatalf("Set not applied: %+v", p)
		}
	})
	t.Run("Empty knows nothing", func(t *testing.T) {
		if _, ok := Empty().Lookup("gpt-4o"); ok {
			t.Fatal("Empty priced gpt-4o")
		}
	})
	t.Run("nil table is Default", func(t *testing.T) {
		var tab *Table
		if p, ok := tab.Lookup("gpt-4o"); !ok || p != builtin["gpt-4o"] {
			t.Fatalf("nil Lookup = %+v %v", p, ok)
		}
	})
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"OpenAI/GPT-4o-2024-08-06":               "gpt-4o",
		"claude-3-5-sonnet@20240620":             "claude-3-5-sonnet",
		"models/gemini-1.5-pro-latest":           "gemini-1.5-pro",
		"claude-3-haiku-20240307":                "claude-3-haiku",
		"anthropic.claude-3-haiku-20240307-v1:0": "claude-3-haiku",
		"gpt-4-0613":                             "gpt-4-0613",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConcurrentReadsAndWrites(t *testing.T) {
	tab := New()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				tab.Cost("gpt-4o-mini", 10, 1, 10)
			}
		}()
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				tab.Set("custom", Price{Input: float64(j)})
			}
		}()
	}
	wg.Wait()
}

func TestLookupDoesNotAllocate(t *testing.T) {
	tab := Default()
	for _, m := range []string{"gpt-4o-mini-2024-07-18", "openai/gpt-4o", "claude-3-5-sonnet-20241022", "unknown-model"} {
		if n := testing.AllocsPerRun(100, func() { tab.Lookup(m) }); n != 0 {
			t.Errorf("Lookup(%q) allocates %v times", m, n)
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	tab := Default()
	b.ReportAllocs()
	for b.Loop() {
		tab.Lookup("gpt-4o-mini-2024-07-18")
	}
}

func BenchmarkCostUnknown(b *testing.B) {
	tab := Default()
	b.ReportAllocs()
	for b.Loop() {
		tab.Cost("openai/some-new-model-2025-01-01", 100, 10, 100)
	}
}

func TestAnthropicCacheWrite(t *testing.T) {
	for _, tt := range []struct {
		model string
		want  string
	}{
		{"claude-sonnet-4-5-20250929", "claude-sonnet-4-5"},
		{"claude-opus-4-1-20250805", "claude-opus-4-1"},
		{"claude-3-5-haiku-latest", "claude-3-5-haiku"},
		{"claude-haiku-4-5-20251001", "claude-haiku-4-5"},
	} {
		p, ok := Default().Lookup(tt.model)
		if !ok || p != builtin[tt.want] {
			t.Errorf("Lookup(%q) = %+v %v, want %s", tt.model, p, ok, tt.want)
		}
		// Anthropic's published ratios: cache write 1.25×, cache read 0.1× input.
		if math.Abs(p.CacheWrite-1.25*p.Input) > 1e-9 || math.Abs(p.CachedInput-0.1*p.Input) > 0.0051 {
			t.Errorf("%s: %+v does not follow Anthropic's cache ratios", tt.model, p)
		}
	}
	// 1000 input tokens of which 200 read from cache and 300 written to it,
	// 100 output, at claude-3-5-sonnet: 500×3 + 200×0.30 + 300×3.75 + 100×15.
	got, ok := Default().CostTokens("claude-3-5-sonnet-20241022",
		Tokens{Input: 1000, CachedInput: 200, CacheWriteInput: 300, Output: 100})
	want := (500*3 + 200*0.30 + 300*3.75 + 100*15) / 1e6
	if !ok || math.Abs(got-want) > 1e-12 {
		t.Fatalf("CostTokens = %v %v, want %v", got, ok, want)
	}
	// Without a cache-write price, writes cost input; counts are clamped.
	p := Price{Input: 2, Output: 4}
	if got, want := p.CostTokens(Tokens{Input: 10, CachedInput: 4, CacheWriteInput: 50, Output: 1}), (10*2+4)/1e6; math.Abs(got-want) > 1e-12 {
		t.Fatalf("clamped CostTokens = %v, want %v", got, want)
	}
	if a, b := p.Cost(10, 3, 5), p.CostTokens(Tokens{Input: 10, CachedInput: 3, Output: 5}); a != b {
		t.Fatalf("Cost %v != CostTokens %v", a, b)
	}
	if _, ok := Default().CostTokens("claude-9-giant", Tokens{Input: 1}); ok {
		t.Fatal("an unknown Claude model was priced")
	}
}
